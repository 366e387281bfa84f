"""Card payments through Stripe: authorise the order total, capture what was delivered.

A PaymentIntent with manual capture holds the order's total on the card; at delivery the
delivered amount is captured and the rest released, by outbound jobs that run after the
delivery or cancellation commits (services/jobs.py); refunds never exceed what was captured.
Every call carries an idempotency key made from our own records, so a retry never charges
twice. Webhook events are stored once by id and applied only when their PaymentIntent,
order, amount and currency match ours. Without STRIPE_SECRET_KEY the card option is off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
import stripe
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import CardPayment, Order
from ..models.payments import (
    CARD_AUTHORIZED,
    CARD_CANCELLED,
    CARD_CAPTURED,
    CARD_FAILED,
    CARD_REQUIRES_ACTION,
)
from ..types import utcnow
from . import DomainError, jobs
from .payouts import record_refund

log = logging.getLogger("qhatu.payments")
CURRENCY = "pen"


def enabled() -> bool:
    """Whether cards can be offered: only with a Stripe secret key configured."""
    return has_app_context() and bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    config = current_app.config
    api_base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": api_base} if api_base else {},
        max_network_retries=2,
    )


def checkout_client() -> stripe.StripeClient:
    """The client for Checkout Sessions (STRIPE_CHECKOUT_API_BASE when set: a local fake in
    tests, since localstripe has no Checkout)."""
    config = current_app.config
    api_base = config.get("STRIPE_CHECKOUT_API_BASE") or config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": api_base} if api_base else {},
        max_network_retries=2,
    )


def idempotency_key(order: Order, step: str) -> str:
    """The same step of the same order always sends the same key."""
    return f"qhatu-order-{order.id}-{step}"


def _status_of(intent) -> str:
    return {
        "requires_capture": CARD_AUTHORIZED,
        "requires_action": CARD_REQUIRES_ACTION,
        "succeeded": CARD_CAPTURED,
        "canceled": CARD_CANCELLED,
    }.get(intent.status, CARD_FAILED)


def authorize(
    session: Session,
    order: Order,
    payment_method: str,
    customer: str | None = None,
    off_session: bool = False,
) -> CardPayment:
    """Hold the order's total on the card (manual capture); once per order.

    A decline or a bank asking for authentication leaves the payment failed or waiting
    for the buyer, and the order needing payment.
    """
    existing = session.get(CardPayment, order.id)
    if existing is not None and existing.status != CARD_FAILED:
        return existing
    outcome = request_authorization(order, existing, payment_method, customer, off_session)
    return record_authorization(session, order, outcome)


def authorize_attempt(existing: CardPayment | None) -> str:
    """A new try after a decline is a new request; a retry of the same try is not."""
    return "authorize" if existing is None else f"authorize-after-{existing.payment_intent_id}"


def request_authorization(
    order: Order,
    existing: CardPayment | None,
    payment_method: str,
    customer: str | None = None,
    off_session: bool = False,
) -> dict:
    """Ask Stripe for the hold; writes nothing. A decline is an answer, not an error."""
    params = {
        "amount": order.total_cents,
        "currency": CURRENCY,
        "capture_method": "manual",
        "payment_method": payment_method,
        "payment_method_types": ["card"],
        "confirm": True,
        "metadata": {"order_id": str(order.id)},
    }
    if customer:
        params["customer"] = customer
    if off_session:
        params["off_session"] = True
    key = idempotency_key(order, authorize_attempt(existing))
    try:
        intent = client().v1.payment_intents.create(params=params, options={"idempotency_key": key})
    except stripe.CardError as error:
        intent = getattr(error.error, "payment_intent", None)
        return {
            "payment_intent_id": intent.id if intent else f"failed-{order.id}",
            "status": CARD_FAILED,
            "last_error": (error.user_message or str(error))[:300],
        }
    return {"payment_intent_id": intent.id, "status": _status_of(intent), "last_error": None}


def record_authorization(session: Session, order: Order, outcome: dict) -> CardPayment:
    """Keep Stripe's answer to `request_authorization` as the order's card payment."""
    existing = session.get(CardPayment, order.id)
    record = existing or CardPayment(order_id=order.id, currency=CURRENCY)
    record.authorized_cents = order.total_cents
    record.updated_at = utcnow()
    record.payment_intent_id = outcome["payment_intent_id"]
    record.status = outcome["status"]
    record.last_error = outcome["last_error"]
    if existing is None:
        session.add(record)
    session.flush()
    return record


def capture_delivered(session: Session, order: Order) -> None:
    """At delivery: queue the capture of the delivered amount (the rest is released; nothing
    delivered cancels the hold). It runs after the delivery commits (`run_capture`)."""
    record = session.get(CardPayment, order.id)
    if record is not None and record.status == CARD_AUTHORIZED:
        key = idempotency_key(order, "capture")
        jobs.enqueue(session, CAPTURE, {"order_id": order.id}, key, order_id=order.id)


def release(session: Session, order: Order) -> None:
    """An order cancelled or rejected: queue letting go of the hold on the card (nothing was
    taken). It runs after the cancellation commits (`run_release`)."""
    record = session.get(CardPayment, order.id)
    if record is not None and record.status in (CARD_AUTHORIZED, CARD_REQUIRES_ACTION):
        key = idempotency_key(order, "release")
        jobs.enqueue(session, RELEASE, {"order_id": order.id}, key, order_id=order.id)


# The jobs: each calls Stripe with no write transaction open, then records what it said.

CAPTURE = "card_capture"
RELEASE = "card_release"


def run_capture(session: Session, payload: dict, config) -> dict | None:
    """Take what was delivered (Stripe releases the rest); nothing delivered: cancel."""
    record = session.get(CardPayment, payload["order_id"])
    if record is None or record.status != CARD_AUTHORIZED:
        return None  # captured, cancelled or failed meanwhile: nothing to do
    order = record.order
    amount = min(order.delivered_total_cents or 0, record.authorized_cents)
    api = client().v1.payment_intents
    if amount == 0:
        api.cancel(
            record.payment_intent_id, options={"idempotency_key": idempotency_key(order, "cancel")}
        )
        return {"status": CARD_CANCELLED}
    intent = api.capture(
        record.payment_intent_id,
        params={"amount_to_capture": amount},
        options={"idempotency_key": idempotency_key(order, "capture")},
    )
    # What Stripe says it took; the amount asked for when it does not say.
    taken = int(intent.to_dict().get("amount_received") or amount)
    return {"status": _status_of(intent), "captured_cents": taken}


def run_release(session: Session, payload: dict, config) -> dict | None:
    record = session.get(CardPayment, payload["order_id"])
    if record is None or record.status not in (CARD_AUTHORIZED, CARD_REQUIRES_ACTION):
        return None
    client().v1.payment_intents.cancel(
        record.payment_intent_id,
        options={"idempotency_key": idempotency_key(record.order, "release")},
    )
    return {"status": CARD_CANCELLED}


def record_outcome(session: Session, payload: dict, result: dict | None) -> None:
    """Write what Stripe answered on the order's card payment."""
    if result is None:
        return
    record = session.get(CardPayment, payload["order_id"], with_for_update=True)
    record.status = result["status"]
    if "captured_cents" in result:
        record.captured_cents = result["captured_cents"]
    record.last_error = None
    record.updated_at = utcnow()


def _noted(step: str):
    def note_error(session: Session, payload: dict, error: str) -> None:
        """The hold stays (it lapses by itself after some days); staff see why."""
        record = session.get(CardPayment, payload["order_id"], with_for_update=True)
        log.warning("order %s: card %s failed: %s", payload["order_id"], step, error)
        if record is not None:
            record.last_error = f"{step}: {error}"[:300]
            record.updated_at = utcnow()

    return note_error


jobs.register(CAPTURE, jobs.Handler(run_capture, record_outcome, _noted("captura")))
jobs.register(RELEASE, jobs.Handler(run_release, record_outcome, _noted("liberación")))


@dataclass(frozen=True)
class CardRefund:
    """A refund asked of Stripe: its key is made from what was refunded before it."""

    order_id: int
    payment_intent_id: str
    refunded_before: int
    amount_cents: int

    @property
    def step(self) -> str:
        return f"refund-{self.refunded_before}-{self.amount_cents}"


def check_refund(session: Session, order: Order, amount_cents: int) -> CardRefund:
    """Whether this much can go back to the card (never more than captured); reads only."""
    record = session.get(CardPayment, order.id)
    if record is None or record.status != CARD_CAPTURED:
        raise DomainError(_l("Este pedido no se cobró con tarjeta."))
    if amount_cents <= 0 or record.refunded_cents + amount_cents > record.captured_cents:
        raise DomainError(_l("No se puede devolver más de lo cobrado."), field="amount")
    return CardRefund(order.id, record.payment_intent_id, record.refunded_cents, amount_cents)


def send_refund(refund: CardRefund) -> None:
    """Ask Stripe for the refund (call it with no write transaction open)."""
    client().v1.refunds.create(
        params={"payment_intent": refund.payment_intent_id, "amount": refund.amount_cents},
        options={"idempotency_key": f"qhatu-order-{refund.order_id}-{refund.step}"},
    )


def record_card_refund(
    session: Session, order: Order, refund: CardRefund, reason: str = "", actor=None
) -> CardPayment:
    """Keep a refund Stripe made, with its ledger entry; once, however often it is sent."""
    record = session.scalar(
        sa.select(CardPayment).where(CardPayment.order_id == order.id).with_for_update()
    )
    if record.refunded_cents == refund.refunded_before + refund.amount_cents:
        # The same request twice (a double click): Stripe made one refund for the one key,
        # and the first request recorded it.
        return record
    record.refunded_cents += refund.amount_cents
    record.updated_at = utcnow()
    record_refund(session, actor, order, refund.amount_cents, reason or order.number)
    session.flush()
    return record
