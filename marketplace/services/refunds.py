"""Refunds, as staff give them: back to the card, or a credit note on account.

A card refund goes through Stripe and never exceeds what was captured; a credit note settles
part of the order's invoice. Each has its refund entry in the association's ledger, and the
buyer is told.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..formatting import lima_today, money
from ..models import CardPayment, Invoice, LedgerEntry, Order, OrderBilling, Payment, User
from ..models.payments import ENTRY_REFUND, METHOD_ACCOUNT, PAY_CREDIT_NOTE
from . import DomainError, card_payments
from .form_keys import recorded_with_key
from .invoicing import allocate
from .notifications import buyer_users, default_locale, enqueue
from .payouts import record_refund, refunded_cents


@dataclass(frozen=True)
class RefundPlan:
    """A refund staff asked for, checked: to the card (`card`), or a credit note on account."""

    amount_cents: int
    reason: str
    card: card_payments.CardRefund | None


def plan_refund(
    session: Session, actor: User, order: Order, amount_cents: int, reason: str
) -> RefundPlan:
    """Check a refund before anything is asked of Stripe; reads only. A card refund then
    goes to Stripe with no write transaction open (`card_payments.send_refund`) and is
    kept by `carry_out`."""
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma hace devoluciones."))
    amount_cents = int(amount_cents)
    billing = session.get(OrderBilling, order.id)
    if billing is not None and billing.method == METHOD_ACCOUNT:
        return RefundPlan(amount_cents, reason, None)
    if not card_payments.enabled():
        raise DomainError(_l("El pago con tarjeta no está disponible."), field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Indica el motivo de la devolución."), field="reason")
    return RefundPlan(
        amount_cents, reason, card_payments.check_refund(session, order, amount_cents)
    )


def recorded_refund(session: Session, order: Order, form_key: str | None) -> LedgerEntry | None:
    """The refund of this order the form with this key already recorded, if any: the form
    is then answered as the first time, and nothing is asked of Stripe again."""
    first = recorded_with_key(session, LedgerEntry, form_key)
    return first if first is not None and first.order_id == order.id else None


def carry_out(
    session: Session, actor: User, order: Order, plan: RefundPlan, form_key: str | None = None
):
    """Keep the refund: the card refund Stripe made (with its entry in the association's
    ledger), or the credit note; the buyer is told. A form key already recorded keeps
    nothing more."""
    if plan.card is None:
        return credit_note(session, actor, order, plan.amount_cents, plan.reason, form_key)
    # The card payment's row lock orders refunds of one order: under it, the key is checked
    # and the entry the refund adds is the order's newest refund entry.
    session.scalar(
        sa.select(CardPayment.order_id).where(CardPayment.order_id == order.id).with_for_update()
    )
    if recorded_refund(session, order, form_key) is not None:
        return session.get(CardPayment, order.id)
    before = refunded_cents(session, order.id)
    record = card_payments.record_card_refund(
        session, order, plan.card, plan.reason[:120], actor=actor
    )
    if refunded_cents(session, order.id) == before:
        return record  # Stripe's refund for this step was recorded by a twin request
    if form_key is not None:
        _newest_refund(session, order).form_key = form_key
    _tell_buyer_of_refund(session, order, plan.amount_cents, plan.reason)
    session.flush()
    return record


def _newest_refund(session: Session, order: Order) -> LedgerEntry:
    return session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.order_id == order.id, LedgerEntry.kind == ENTRY_REFUND)
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    ).one()


def credit_note(
    session: Session,
    actor: User,
    order: Order,
    amount_cents: int,
    reason: str,
    form_key: str | None = None,
) -> Payment:
    """Staff give back part or all of an invoiced order bought on account (found short or
    spoiled after delivery): a credit note that settles that much of its invoice (what the
    invoice no longer owes stays as the buyer's credit), and a refund entry in the
    association's ledger; never more than was delivered. The buyer is told. A `form_key`
    already recorded returns that credit note: the form records once."""
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma hace devoluciones."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Indica el motivo de la devolución."), field="reason")
    invoice = session.scalar(
        sa.select(Invoice).where(Invoice.order_id == order.id).with_for_update()
    )
    if invoice is None:
        raise DomainError(_l("Este pedido no tiene factura a crédito."), field="amount")
    # Under the invoice's row lock: a repeat of the form finds the first credit note.
    first = recorded_with_key(session, Payment, form_key)
    if first is not None:
        return first
    amount_cents = int(amount_cents)
    record_refund(
        session, actor, order, amount_cents, f"NC {invoice.full_number}", form_key=form_key
    )
    note = Payment(
        buyer_id=order.buyer_id,
        method=PAY_CREDIT_NOTE,
        amount_cents=amount_cents,
        received_on=lima_today(),
        reference=f"{invoice.full_number}: {reason}"[:80],
        recorded_by_id=actor.id,
        form_key=form_key,
    )
    session.add(note)
    session.flush()
    applied = min(amount_cents, invoice.outstanding_cents)
    if applied > 0:
        allocate(session, note, invoice, applied)
    _tell_buyer_of_refund(session, order, amount_cents, reason)
    session.flush()
    return note


def _tell_buyer_of_refund(session: Session, order: Order, amount_cents: int, reason: str):
    for user in buyer_users(session, order.buyer_id):
        with force_locale(user.locale or default_locale()):
            subject = _(
                "Devolución de %(amount)s por el pedido %(number)s",
                amount=money(amount_cents),
                number=order.number,
            )
            body = _(
                "Te devolvimos %(amount)s por el pedido %(number)s. Motivo: %(reason)s",
                amount=money(amount_cents),
                number=order.number,
                reason=reason,
            )
        enqueue(session, user, "order_refund", subject, body, order_id=order.id)
