"""The hosted card page (Stripe Checkout) for one order that needs payment: opening it once
however many requests ask at the same moment, and recording what the buyer did there.

Rules:
- One Checkout Session per order; one opened within `CHECKOUT_REUSE` for the same order,
  amount and "save the card" choice is reused. Stripe is asked with no write transaction
  open (`open_checkout`), with an idempotency key from our records, and the page is kept
  afterwards (`keep_checkout`) under a lock on the order: requests that raced all send their
  buyer to the page the first one kept, and none fails on a row another wrote first.
- The return page and the `checkout.session.completed` webhook both record the payment
  (`complete_checkout`), once; a session or intent whose order, amount or currency is not
  ours is refused and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import stripe
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import BuyerCard, CardCheckout, CardPayment, Order, OrderBilling, User
from ..models.payments import (
    CARD_AUTHORIZED,
    CARD_CAPTURED,
    CARD_FAILED,
    CARD_REQUIRES_ACTION,
    CHECKOUT_COMPLETE,
    CHECKOUT_OPEN,
    METHOD_CARD,
)
from ..types import utcnow
from . import DomainError, card_payments
from .order_payments import state_of

log = logging.getLogger("qhatu.payments")

# Stripe lets a Checkout Session be paid for 24 hours; reuse one only well within that.
CHECKOUT_REUSE = timedelta(hours=20)


def checkout_to_reuse(
    session: Session, actor: User, order: Order, save_card: bool
) -> CardCheckout | None:
    """Checks before opening the hosted card page for one order that needs payment, and the
    page opened a moment ago for the same thing, if any; reads only."""
    if actor is None or actor.buyer_id != order.buyer_id:
        raise DomainError(_l("Este pedido no es de tu negocio."))
    if not card_payments.enabled():
        raise DomainError(_l("El pago con tarjeta no está disponible."))
    if not state_of(session, order).needs_payment:
        raise DomainError(_l("Este pedido ya está pagado o no se paga con tarjeta."))
    return _open_checkout(session, order, save_card)


def _open_checkout(session: Session, order: Order, save_card: bool) -> CardCheckout | None:
    """The hosted page opened a moment ago for this order and this choice, if any."""
    return session.scalar(
        sa.select(CardCheckout)
        .where(
            CardCheckout.order_id == order.id,
            CardCheckout.status == CHECKOUT_OPEN,
            CardCheckout.save_card.is_(bool(save_card)),
            CardCheckout.amount_cents == order.total_cents,
            CardCheckout.created_at > utcnow() - CHECKOUT_REUSE,
        )
        .order_by(CardCheckout.created_at, CardCheckout.id)
        .limit(1)
    )


@dataclass(frozen=True)
class OpenedCheckout:
    """A hosted card page Stripe opened, not yet kept: `keep_checkout` writes it."""

    order_id: int
    customer_id: str
    checkout_id: str
    url: str
    amount_cents: int
    save_card: bool


def open_checkout(
    session: Session, order: Order, save_card: bool, success_url: str, cancel_url: str
) -> OpenedCheckout:
    """Ask Stripe for the buyer's customer (made once: the key is the buyer's id) and the
    hosted page; reads and Stripe only, so call it with no write transaction open."""
    buyer = order.buyer
    card = session.get(BuyerCard, buyer.id)
    customer_id = card.customer_id if card is not None else None
    if customer_id is None:
        customer_id = (
            card_payments.client()
            .v1.customers.create(
                params={
                    "name": buyer.legal_name,
                    "metadata": {"buyer_id": str(buyer.id), "ruc": buyer.ruc},
                },
                options={"idempotency_key": f"qhatu-buyer-{buyer.id}-customer"},
            )
            .id
        )
    tries = session.scalar(
        sa.select(sa.func.count())
        .select_from(CardCheckout)
        .where(CardCheckout.order_id == order.id)
    )
    intent_data = {"capture_method": "manual", "metadata": {"order_id": str(order.id)}}
    if save_card:
        intent_data["setup_future_usage"] = "off_session"
    checkout = card_payments.checkout_client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": customer_id,
            "client_reference_id": str(order.id),
            "payment_method_types": ["card"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": card_payments.CURRENCY,
                        "unit_amount": order.total_cents,
                        "product_data": {
                            "name": _(
                                "Pedido %(number)s · %(association)s",
                                number=order.number,
                                association=order.association.name,
                            )
                        },
                    },
                }
            ],
            "payment_intent_data": intent_data,
            "metadata": {"order_id": str(order.id), "buyer_id": str(order.buyer_id)},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options={"idempotency_key": card_payments.idempotency_key(order, f"checkout-{tries}")},
    )
    return OpenedCheckout(
        order.id, customer_id, checkout.id, checkout.url, order.total_cents, bool(save_card)
    )


def keep_checkout(session: Session, order: Order, opened: OpenedCheckout) -> CardCheckout:
    """Write the buyer's customer (once) and the opened page; returns the page to send the
    buyer to.

    Requests that raced to open the same page (five tabs, a double click) all end here: the
    order row is locked first, so the first one keeps its page and the others find it and
    send their buyer there too. Each insert runs in a savepoint, and a row another request
    wrote meanwhile (the buyer's customer, the same Stripe session) is read back instead.
    """
    session.get(Order, order.id, with_for_update=True, populate_existing=True)
    earlier = _open_checkout(session, order, opened.save_card)
    if earlier is not None:
        return earlier  # a page Stripe opened again for a racing request is never shown
    if session.get(BuyerCard, order.buyer_id) is None:
        _insert_once(session, BuyerCard(buyer_id=order.buyer_id, customer_id=opened.customer_id))
    record = session.get(CardCheckout, opened.checkout_id)
    if record is None:
        record = CardCheckout(
            id=opened.checkout_id,
            order_id=order.id,
            buyer_id=order.buyer_id,
            amount_cents=opened.amount_cents,
            save_card=opened.save_card,
            url=opened.url,
        )
        if not _insert_once(session, record):
            record = session.get(CardCheckout, opened.checkout_id)
    session.flush()
    return record


def _insert_once(session: Session, row) -> bool:
    """Insert `row` in a savepoint; False when another transaction inserted its key first
    (the savepoint is rolled back and the transaction goes on)."""
    try:
        with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        return False
    return True


def _checkout_problem(record: CardCheckout, data: dict) -> str | None:
    if data.get("status") != "complete":
        return f"session status {data.get('status')}"
    if str(data.get("client_reference_id")) != str(record.order_id):
        return f"client_reference_id {data.get('client_reference_id')} is not {record.order_id}"
    if (data.get("metadata") or {}).get("order_id") != str(record.order_id):
        return f"order {data.get('metadata')} is not {record.order_id}"
    if data.get("amount_total") != record.amount_cents:
        return f"amount {data.get('amount_total')} is not {record.amount_cents}"
    if data.get("currency") != card_payments.CURRENCY:
        return f"currency {data.get('currency')} is not {card_payments.CURRENCY}"
    if not data.get("payment_intent"):
        return "no payment intent"
    return None


def complete_checkout(session: Session, checkout_id: str, data: dict | None = None) -> str:
    """Record what the hosted page did: the order's authorised intent and the saved card.

    Called by the return page (asks Stripe for the session) and by the webhook (the signed
    event carries it); whichever comes second finds it done. Refuses a session whose order,
    amount or currency is not ours, and an intent that does not match (logged for staff).
    """
    record = session.scalar(
        sa.select(CardCheckout).where(CardCheckout.id == checkout_id).with_for_update()
    )
    if record is None:
        return "unknown checkout session"
    if record.status == CHECKOUT_COMPLETE:
        return "done already"
    if data is None:
        data = card_payments.checkout_client().v1.checkout.sessions.retrieve(checkout_id).to_dict()
    problem = _checkout_problem(record, data)
    if problem:
        if data.get("status") != "complete":
            return "not paid yet"
        log.warning("checkout %s refused: %s", checkout_id, problem)
        return f"refused: {problem}"
    intent_id = data["payment_intent"]
    if isinstance(intent_id, dict):
        intent_id = intent_id["id"]
    intent = card_payments.client().v1.payment_intents.retrieve(intent_id).to_dict()
    if (
        (intent.get("metadata") or {}).get("order_id") != str(record.order_id)
        or intent.get("amount") != record.amount_cents
        or intent.get("currency") != card_payments.CURRENCY
    ):
        log.warning("checkout %s refused: intent %s does not match", checkout_id, intent_id)
        return "refused: payment intent does not match"
    order = session.get(Order, record.order_id)
    record.status, record.completed_at = CHECKOUT_COMPLETE, utcnow()
    payment = session.get(CardPayment, order.id)
    if payment is not None and payment.status in (CARD_AUTHORIZED, CARD_CAPTURED):
        if payment.payment_intent_id != intent_id:
            # Paid twice (two tabs): keep the first hold, let go of this one.
            card_payments.client().v1.payment_intents.cancel(
                intent_id, options={"idempotency_key": f"qhatu-duplicate-{intent_id}"}
            )
            session.flush()
            return "paid already; second hold released"
        session.flush()
        return "authorized"
    if payment is not None and payment.status == CARD_REQUIRES_ACTION:
        try:  # the old intent waits for an authentication that will never come
            card_payments.client().v1.payment_intents.cancel(payment.payment_intent_id)
        except stripe.StripeError as error:
            log.info("old intent %s not cancelled: %s", payment.payment_intent_id, error)
    if payment is None:
        payment = CardPayment(order_id=order.id, currency=card_payments.CURRENCY)
        session.add(payment)
    payment.payment_intent_id = intent_id
    payment.authorized_cents = record.amount_cents
    payment.captured_cents = 0
    payment.status = {
        "requires_capture": CARD_AUTHORIZED,
        "succeeded": CARD_CAPTURED,
        "requires_action": CARD_REQUIRES_ACTION,
    }.get(intent.get("status"), CARD_FAILED)
    if payment.status == CARD_CAPTURED:
        payment.captured_cents = int(intent.get("amount_received") or record.amount_cents)
    payment.last_error = None
    payment.updated_at = utcnow()
    billing = session.get(OrderBilling, order.id)
    if billing is None:
        session.add(OrderBilling(order_id=order.id, method=METHOD_CARD))
    elif billing.method != METHOD_CARD or billing.hold_reason:
        # An order on account held at the limit, paid by card instead.
        billing.method, billing.hold_reason, billing.net_days = METHOD_CARD, None, 0
    if record.save_card and intent.get("payment_method"):
        _save_card(session, order.buyer_id, data.get("customer"), intent["payment_method"])
    session.flush()
    return payment.status


def _save_card(session: Session, buyer_id: int, customer_id: str | None, method_id) -> None:
    if isinstance(method_id, dict):
        method_id = method_id["id"]
    method = card_payments.client().v1.payment_methods.retrieve(method_id).to_dict()
    card = session.get(BuyerCard, buyer_id)
    if card is None:
        card = BuyerCard(buyer_id=buyer_id, customer_id=customer_id or method.get("customer"))
        session.add(card)
    details = method.get("card") or {}
    card.payment_method_id = method_id
    card.brand = (details.get("brand") or "")[:20]
    card.last4 = (details.get("last4") or "")[:4]
    card.saved_at = utcnow()
