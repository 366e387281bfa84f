"""Credit terms: staff grant a buyer net terms and a limit; checkout on account checks them.

A buyer with active terms buys on account: each order placed is recorded as billed on
account, and checkout is refused when the buyer has an overdue invoice or when the new
orders would take what the buyer owes (unpaid invoices plus open on-account orders) past
the limit. The buyer's terms row is locked while checking, so two checkouts at once cannot
both squeeze under the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..formatting import lima_today, money
from ..models import Buyer, CreditTerms, Invoice, Order, OrderBilling, User
from ..models.payments import METHOD_ACCOUNT
from . import DomainError
from . import order_states as st

MAX_NET_DAYS = 120


def terms_for(session: Session, buyer_id: int, lock: bool = False) -> CreditTerms | None:
    """The buyer's active credit terms, if any (locked for update when asked)."""
    return terms_by_buyer(session, [buyer_id], lock=lock).get(buyer_id)


def terms_by_buyer(
    session: Session, buyer_ids: Iterable[int], lock: bool = False
) -> dict[int, CreditTerms]:
    """Active credit terms of these buyers, by buyer, in one query.

    When asked to lock, the rows are locked in buyer order (as every caller locks them), so
    a batch and a checkout waiting on the same buyer cannot deadlock.
    """
    ids = sorted(set(buyer_ids))
    if not ids:
        return {}
    query = (
        sa.select(CreditTerms)
        .where(CreditTerms.buyer_id.in_(ids), CreditTerms.active.is_(True))
        .order_by(CreditTerms.buyer_id)
    )
    if lock:
        query = query.with_for_update()
    return {terms.buyer_id: terms for terms in session.scalars(query)}


def grant_terms(
    session: Session, actor: User, buyer_id: int, net_days: int, limit_cents: int
) -> CreditTerms:
    """Give (or change) a verified buyer's net terms in days and credit limit in céntimos."""
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma concede crédito."))
    buyer = session.get(Buyer, buyer_id)
    if buyer is None or not buyer.is_verified:
        raise DomainError(_l("Primero verifica a este comprador."))
    if not 1 <= int(net_days) <= MAX_NET_DAYS:
        raise DomainError(
            _l("El plazo va de 1 a %(max)d días.", max=MAX_NET_DAYS), field="net_days"
        )
    if int(limit_cents) < 0:
        raise DomainError(_l("El límite no puede ser negativo."), field="limit")
    terms = session.scalar(sa.select(CreditTerms).where(CreditTerms.buyer_id == buyer_id))
    if terms is None:
        terms = CreditTerms(buyer_id=buyer_id, net_days=net_days, limit_cents=limit_cents)
        session.add(terms)
    terms.net_days, terms.limit_cents, terms.active = int(net_days), int(limit_cents), True
    terms.granted_by_id = actor.id
    session.flush()
    return terms


def revoke_terms(session: Session, actor: User, buyer_id: int) -> None:
    """Stop selling on account to this buyer (what is owed stays owed)."""
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma concede crédito."))
    terms = terms_for(session, buyer_id)
    if terms is not None:
        terms.active = False
        session.flush()


@dataclass(frozen=True)
class Exposure:
    """What a buyer owes or will owe on account, against the limit."""

    invoiced_cents: int  # unpaid part of issued invoices
    open_orders_cents: int  # on-account orders not delivered yet
    overdue_cents: int
    limit_cents: int

    @property
    def used_cents(self) -> int:
        return self.invoiced_cents + self.open_orders_cents

    @property
    def available_cents(self) -> int:
        return max(0, self.limit_cents - self.used_cents)


def exposure(session: Session, buyer_id: int, today: date | None = None) -> Exposure:
    return exposures(session, [buyer_id], today)[buyer_id]


def exposures(
    session: Session,
    buyer_ids: Iterable[int],
    today: date | None = None,
    terms: dict[int, CreditTerms] | None = None,
) -> dict[int, Exposure]:
    """What each of these buyers owes on account, in a fixed number of queries.

    `terms` (as `terms_by_buyer` gives them) saves the query for the limits when the caller
    has them already.
    """
    today = today or lima_today()
    ids = sorted(set(buyer_ids))
    if not ids:
        return {}
    if terms is None:
        terms = terms_by_buyer(session, ids)
    outstanding = Invoice.total_cents - Invoice.paid_cents
    invoiced = {
        buyer_id: (int(unpaid), int(overdue))
        for buyer_id, unpaid, overdue in session.execute(
            sa.select(
                Invoice.buyer_id,
                sa.func.coalesce(sa.func.sum(outstanding), 0),
                sa.func.coalesce(
                    sa.func.sum(sa.case((Invoice.due_date < today, outstanding), else_=0)), 0
                ),
            )
            .where(Invoice.buyer_id.in_(ids))
            .group_by(Invoice.buyer_id)
        )
    }
    open_orders = dict(
        session.execute(
            sa.select(Order.buyer_id, sa.func.coalesce(sa.func.sum(Order.total_cents), 0))
            .join(OrderBilling, OrderBilling.order_id == Order.id)
            .where(
                Order.buyer_id.in_(ids),
                Order.status.in_(st.OPEN_STATUSES),
                OrderBilling.method == METHOD_ACCOUNT,
            )
            .group_by(Order.buyer_id)
        ).all()
    )
    result = {}
    for buyer_id in ids:
        unpaid, overdue = invoiced.get(buyer_id, (0, 0))
        limit = terms[buyer_id].limit_cents if buyer_id in terms else 0
        result[buyer_id] = Exposure(unpaid, int(open_orders.get(buyer_id, 0)), overdue, limit)
    return result


def refusal(seen: Exposure, new_cents: int):
    """Why orders worth `new_cents` more cannot go on account now (None: they can)."""
    if seen.overdue_cents > 0:
        return _l(
            "Tienes facturas vencidas por %(amount)s. Págalas para volver a comprar a crédito.",
            amount=money(seen.overdue_cents),
        )
    if seen.used_cents + new_cents > seen.limit_cents:
        return _l(
            "Este pedido de %(amount)s supera tu línea de crédito: te quedan %(left)s "
            "de %(limit)s.",
            amount=money(new_cents),
            left=money(seen.available_cents),
            limit=money(seen.limit_cents),
        )
    return None


def bill_on_account(
    session: Session, buyer_id: int, orders: Iterable[Order], today: date | None = None
) -> None:
    """At checkout: if the buyer buys on account, check the terms and record the billing.

    Raises DomainError (and the caller's savepoint undoes the checkout) when an invoice is
    overdue or the orders would pass the credit limit. Buyers without terms are untouched.
    """
    orders = list(orders)
    terms = terms_for(session, buyer_id, lock=True)
    if terms is None or not orders:
        return
    session.flush()
    seen = exposures(session, [buyer_id], today, {buyer_id: terms})[buyer_id]
    # These orders have no billing row yet, so `exposures` does not count them already.
    problem = refusal(seen, sum(o.total_cents for o in orders))
    if problem is not None:
        raise DomainError(problem)
    for order in orders:
        session.add(OrderBilling(order_id=order.id, method=METHOD_ACCOUNT, net_days=terms.net_days))
    session.flush()


def refusals_in_turn(
    session: Session,
    orders: Iterable[Order],
    terms: dict[int, CreditTerms],
    today: date | None = None,
) -> dict[int, object]:
    """For orders billed on account one after the other: each one's refusal, or None.

    The answers are those of `bill_on_account` called for each order alone, in buyer and
    order-id order, when each order keeps its on-account billing row whether it passed or
    was held: an order counts in what its buyer owes for the orders after it. The exposures
    are read once for all the buyers (the caller holds the terms rows, locked).
    """
    orders = sorted(orders, key=lambda o: (o.buyer_id, o.id))
    owed = exposures(session, {o.buyer_id for o in orders}, today, terms)
    answers = {}
    for order in orders:
        seen = owed[order.buyer_id]
        answers[order.id] = refusal(seen, order.total_cents)
        owed[order.buyer_id] = replace(
            seen, open_orders_cents=seen.open_orders_cents + order.total_cents
        )
    return answers


def billing_for(session: Session, order_id: int) -> OrderBilling | None:
    return session.get(OrderBilling, order_id)
