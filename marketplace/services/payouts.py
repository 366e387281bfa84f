"""What each association is owed: a ledger of sales, platform fees, refunds and payouts.

Every delivered order with something to charge writes one sale entry (its delivered total)
and one fee entry (the platform fee on its delivered subtotal, in basis points: the
association's own rate if staff set one, else PLATFORM_FEE_BPS, possibly zero). The balance
is the sum of the entries: delivered value - fees - refunds - payouts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import Association, AssociationFee, LedgerEntry, Order, User
from ..models.payments import ENTRY_FEE, ENTRY_PAYOUT, ENTRY_REFUND, ENTRY_SALE
from ..ops.checks import check
from . import DomainError
from . import order_states as st
from .form_keys import insert_once, recorded_with_key
from .pricing import round_cents

ENTRY_LABELS = {
    ENTRY_SALE: _l("Venta entregada"),
    ENTRY_FEE: _l("Comisión de la plataforma"),
    ENTRY_REFUND: _l("Devolución"),
    ENTRY_PAYOUT: _l("Pago a la asociación"),
}


def global_fee_bps() -> int:
    default = int(os.environ.get("PLATFORM_FEE_BPS") or 0)
    if has_app_context():
        return int(current_app.config.get("PLATFORM_FEE_BPS", default))
    return default


def fee_bps_for(session: Session, association_id: int) -> int:
    override = session.get(AssociationFee, association_id)
    return override.fee_bps if override is not None else global_fee_bps()


def set_fee_override(
    session: Session, actor: User, association_id: int, fee_bps: int | None
) -> None:
    """Give an association its own fee rate (None: back to the global rate).

    The rate is set, not added to: the same form again leaves the same rate. Changes of one
    association queue on its row lock, so parallel repeats never insert the override twice.
    """
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma fija la comisión."))
    session.scalar(
        sa.select(Association.id).where(Association.id == association_id).with_for_update()
    )
    override = session.get(AssociationFee, association_id, populate_existing=True)
    if fee_bps is None:
        if override is not None:
            session.delete(override)
    else:
        if not 0 <= int(fee_bps) <= 10000:
            raise DomainError(_l("La comisión va de 0 a 10000 puntos básicos."), field="fee_bps")
        if override is None:
            session.add(AssociationFee(association_id=association_id, fee_bps=int(fee_bps)))
        else:
            override.fee_bps = int(fee_bps)
    session.flush()


def fee_cents(subtotal_cents: int, bps: int) -> int:
    return round_cents(Decimal(int(subtotal_cents)) * int(bps) / 10000)


def record_delivery(session: Session, order: Order, actor: User | None = None) -> None:
    """Write the sale and fee entries of a delivered order (once; again is a no-op)."""
    if order.status != st.DELIVERED or not order.delivered_total_cents:
        return
    exists = session.scalar(
        sa.select(LedgerEntry.id).where(
            LedgerEntry.order_id == order.id, LedgerEntry.kind == ENTRY_SALE
        )
    )
    if exists is not None:
        return
    bps = fee_bps_for(session, order.association_id)
    actor_id = actor.id if actor is not None else None
    session.add(
        LedgerEntry(
            association_id=order.association_id,
            kind=ENTRY_SALE,
            amount_cents=order.delivered_total_cents,
            order_id=order.id,
            reference=order.number,
            actor_id=actor_id,
        )
    )
    session.add(
        LedgerEntry(
            association_id=order.association_id,
            kind=ENTRY_FEE,
            amount_cents=-fee_cents(order.delivered_subtotal_cents, bps),
            order_id=order.id,
            fee_bps=bps,
            reference=order.number,
            actor_id=actor_id,
        )
    )
    session.flush()


def record_missing_deliveries(session: Session) -> int:
    """Ledger entries for delivered orders that have none (orders delivered before the
    ledger existed, or written by the demo seed); returns how many orders were recorded."""
    has_sale = sa.select(LedgerEntry.id).where(
        LedgerEntry.order_id == Order.id, LedgerEntry.kind == ENTRY_SALE
    )
    orders = list(
        session.scalars(
            sa.select(Order)
            .where(
                Order.status == st.DELIVERED,
                Order.delivered_total_cents > 0,
                ~has_sale.exists(),
            )
            .order_by(Order.id)
        )
    )
    for order in orders:
        record_delivery(session, order)
    return len(orders)


def record_payout(
    session: Session,
    actor: User,
    association_id: int,
    amount_cents: int,
    reference: str,
    form_key: str | None = None,
) -> LedgerEntry:
    """Staff paid the association (bank transfer): never more than its balance.

    A `form_key` already recorded returns that payout: the form records once.
    """
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma registra pagos."))
    association = session.scalar(
        sa.select(Association).where(Association.id == association_id).with_for_update()
    )
    if association is None:
        raise DomainError(_l("Esa asociación no existe."))
    first = recorded_with_key(session, LedgerEntry, form_key)
    if first is not None:
        return first
    amount_cents = int(amount_cents)
    if amount_cents <= 0:
        raise DomainError(_l("El monto debe ser mayor que cero."), field="amount")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_l("Indica la referencia de la transferencia."), field="reference")
    if amount_cents > balance_cents(session, association_id):
        raise DomainError(_l("El pago supera lo que se le debe a la asociación."), field="amount")
    entry = LedgerEntry(
        association_id=association_id,
        kind=ENTRY_PAYOUT,
        amount_cents=-amount_cents,
        reference=reference[:120],
        actor_id=actor.id,
        form_key=form_key,
    )
    return insert_once(session, entry)


def record_refund(
    session: Session,
    actor: User | None,
    order: Order,
    amount_cents: int,
    reference: str = "",
    form_key: str | None = None,
) -> LedgerEntry:
    """Money given back to the buyer for a delivered order, out of the association's due."""
    if order.status != st.DELIVERED:
        raise DomainError(_l("Solo se devuelve dinero de pedidos entregados."))
    refunded = refunded_cents(session, order.id)
    if amount_cents <= 0 or refunded + amount_cents > (order.delivered_total_cents or 0):
        raise DomainError(_l("No se puede devolver más de lo cobrado."), field="amount")
    entry = LedgerEntry(
        association_id=order.association_id,
        kind=ENTRY_REFUND,
        amount_cents=-int(amount_cents),
        order_id=order.id,
        reference=(reference or order.number)[:120],
        actor_id=actor.id if actor is not None else None,
        form_key=form_key,
    )
    session.add(entry)
    session.flush()
    return entry


def refunded_cents(session: Session, order_id: int) -> int:
    """What was given back for an order so far (card refunds and credit notes)."""
    return -int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.order_id == order_id, LedgerEntry.kind == ENTRY_REFUND
            )
        )
    )


def balance_cents(session: Session, association_id: int) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.association_id == association_id
            )
        )
    )


@dataclass
class LedgerRow:
    entry: LedgerEntry
    balance_cents: int

    @property
    def label(self) -> str:
        return str(ENTRY_LABELS[self.entry.kind])


@dataclass
class Ledger:
    association: Association
    rows: list[LedgerRow]

    def total(self, kind: str) -> int:
        return sum(r.entry.amount_cents for r in self.rows if r.entry.kind == kind)

    @property
    def delivered_cents(self) -> int:
        return self.total(ENTRY_SALE)

    @property
    def fees_cents(self) -> int:
        return -self.total(ENTRY_FEE)

    @property
    def refunds_cents(self) -> int:
        return -self.total(ENTRY_REFUND)

    @property
    def payouts_cents(self) -> int:
        return -self.total(ENTRY_PAYOUT)

    @property
    def balance_cents(self) -> int:
        return self.rows[-1].balance_cents if self.rows else 0


def ledger(session: Session, association_id: int) -> Ledger:
    """The association's entries line by line with a running balance."""
    association = session.get(Association, association_id)
    entries = session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.association_id == association_id)
        .order_by(LedgerEntry.id)
    )
    rows, balance = [], 0
    for entry in entries:
        balance += entry.amount_cents
        rows.append(LedgerRow(entry, balance))
    return Ledger(association, rows)


def ledger_problems(session: Session) -> Iterable[str]:
    """Where the ledger and the orders disagree (audit)."""
    sales = (
        sa.select(
            LedgerEntry.order_id,
            LedgerEntry.association_id,
            LedgerEntry.amount_cents,
        )
        .where(LedgerEntry.kind == ENTRY_SALE)
        .subquery()
    )
    missing = session.execute(
        sa.select(Order.id)
        .outerjoin(sales, sales.c.order_id == Order.id)
        .where(
            Order.status == st.DELIVERED,
            Order.delivered_total_cents > 0,
            sales.c.order_id.is_(None),
        )
        .order_by(Order.id)
    )
    for (order_id,) in missing:
        yield f"order {order_id}: delivered but has no sale in the association ledger"
    wrong = session.execute(
        sa.select(Order.id, Order.status, Order.delivered_total_cents, sales.c.amount_cents)
        .join(sales, sales.c.order_id == Order.id)
        .where(
            sa.or_(
                Order.status != st.DELIVERED,
                Order.delivered_total_cents != sales.c.amount_cents,
                Order.association_id != sales.c.association_id,
            )
        )
        .order_by(Order.id)
    )
    for order_id, status, delivered, amount in wrong:
        yield f"order {order_id}: ledger sale {amount} but order is {status} for {delivered}"
    fees = session.execute(
        sa.select(LedgerEntry.order_id, LedgerEntry.amount_cents, LedgerEntry.fee_bps)
        .where(LedgerEntry.kind == ENTRY_FEE)
        .order_by(LedgerEntry.order_id)
    ).all()
    subtotals = dict(
        session.execute(
            sa.select(Order.id, Order.delivered_subtotal_cents).where(
                Order.id.in_([f[0] for f in fees])
            )
        ).all()
    )
    for order_id, amount, bps in fees:
        expected = -fee_cents(subtotals.get(order_id) or 0, bps or 0)
        if amount != expected:
            yield f"order {order_id}: fee {amount} but {bps} bps of its subtotal is {expected}"
    refunds = session.execute(
        sa.select(
            LedgerEntry.order_id,
            sa.func.sum(LedgerEntry.amount_cents),
            sa.func.max(Order.delivered_total_cents),
        )
        .join(Order, Order.id == LedgerEntry.order_id)
        .where(LedgerEntry.kind == ENTRY_REFUND)
        .group_by(LedgerEntry.order_id)
        .order_by(LedgerEntry.order_id)
    )
    for order_id, refunded, delivered in refunds:
        if -refunded > (delivered or 0):
            yield f"order {order_id}: refunds {-refunded} exceed the delivered {delivered}"
    negative = session.execute(
        sa.select(LedgerEntry.association_id, sa.func.sum(LedgerEntry.amount_cents))
        .group_by(LedgerEntry.association_id)
        .having(sa.func.sum(LedgerEntry.amount_cents) < 0)
    )
    for association_id, total in negative:
        yield f"association {association_id}: paid out more than owed (balance {total})"


@check("ledger")
def ledger_reconciles_with_orders(session: Session) -> Iterable[str]:
    """One sale per delivered order at its delivered total, fees at their rate, refunds
    within what was charged, no association paid out more than it was owed."""
    yield from ledger_problems(session)
