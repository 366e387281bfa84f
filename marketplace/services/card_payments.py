"""Card payments through Stripe: authorise the order total, capture what was delivered.

A PaymentIntent with manual capture holds the order's total on the card; at delivery the
delivered amount is captured and the rest released; refunds never exceed what was captured.
Every call carries an idempotency key made from our own records, so a retry never charges
twice. Webhook events are stored once by id and applied only when their PaymentIntent,
order, amount and currency match ours. Without STRIPE_SECRET_KEY the card option is off.
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
import stripe
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import CardPayment, Order, StripeEvent
from ..models.payments import (
    CARD_AUTHORIZED,
    CARD_CANCELLED,
    CARD_CAPTURED,
    CARD_FAILED,
    CARD_REQUIRES_ACTION,
)
from ..types import utcnow
from . import DomainError

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
    # A new try after a decline is a new request; a retry of the same try is not.
    attempt = "authorize" if existing is None else f"authorize-after-{existing.payment_intent_id}"
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
    record = existing or CardPayment(order_id=order.id, currency=CURRENCY)
    record.authorized_cents = order.total_cents
    record.updated_at = utcnow()
    try:
        intent = client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key(order, attempt)}
        )
    except stripe.CardError as error:
        intent = getattr(error.error, "payment_intent", None)
        record.payment_intent_id = intent.id if intent else f"failed-{order.id}"
        record.status = CARD_FAILED
        record.last_error = (error.user_message or str(error))[:300]
    else:
        record.payment_intent_id = intent.id
        record.status = _status_of(intent)
        record.last_error = None
    if existing is None:
        session.add(record)
    session.flush()
    return record


def capture_delivered(session: Session, order: Order) -> CardPayment | None:
    """At delivery: take the delivered amount, release the rest (nothing delivered: cancel)."""
    record = session.get(CardPayment, order.id)
    if record is None or record.status != CARD_AUTHORIZED:
        return record
    amount = min(order.delivered_total_cents or 0, record.authorized_cents)
    api = client().v1.payment_intents
    if amount == 0:
        api.cancel(
            record.payment_intent_id, options={"idempotency_key": idempotency_key(order, "cancel")}
        )
        record.status = CARD_CANCELLED
    else:
        intent = api.capture(
            record.payment_intent_id,
            params={"amount_to_capture": amount},
            options={"idempotency_key": idempotency_key(order, "capture")},
        )
        record.status = _status_of(intent)
        # What Stripe says it took; the amount asked for when it does not say.
        record.captured_cents = int(intent.to_dict().get("amount_received") or amount)
    record.updated_at = utcnow()
    session.flush()
    return record


def release(session: Session, order: Order) -> CardPayment | None:
    """An order cancelled or rejected: let go of the hold on the card (nothing was taken)."""
    record = session.get(CardPayment, order.id)
    if record is None or record.status not in (CARD_AUTHORIZED, CARD_REQUIRES_ACTION):
        return record
    try:
        client().v1.payment_intents.cancel(
            record.payment_intent_id,
            options={"idempotency_key": idempotency_key(order, "release")},
        )
    except stripe.StripeError as error:
        # The hold lapses by itself after some days; say so to staff, never block the order.
        log.warning("order %s: hold %s not released: %s", order.id, record.payment_intent_id, error)
        record.last_error = str(error)[:300]
    else:
        record.status = CARD_CANCELLED
    record.updated_at = utcnow()
    session.flush()
    return record


def refund(
    session: Session, order: Order, amount_cents: int, reason: str = "", actor=None
) -> CardPayment:
    """Give back part or all of what was captured; never more."""
    from .payouts import record_refund

    record = session.scalar(
        sa.select(CardPayment).where(CardPayment.order_id == order.id).with_for_update()
    )
    if record is None or record.status != CARD_CAPTURED:
        raise DomainError(_l("Este pedido no se cobró con tarjeta."))
    if amount_cents <= 0 or record.refunded_cents + amount_cents > record.captured_cents:
        raise DomainError(_l("No se puede devolver más de lo cobrado."), field="amount")
    step = f"refund-{record.refunded_cents}-{amount_cents}"
    client().v1.refunds.create(
        params={"payment_intent": record.payment_intent_id, "amount": amount_cents},
        options={"idempotency_key": idempotency_key(order, step)},
    )
    record.refunded_cents += amount_cents
    record.updated_at = utcnow()
    record_refund(session, actor, order, amount_cents, reason or order.number)
    session.flush()
    return record


# Webhooks -----------------------------------------------------------------------------


def store_event(session: Session, event: dict) -> bool:
    """Keep the event by its id; False when it was stored already (a redelivery)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stored = session.execute(
        insert(StripeEvent)
        .values(
            id=event["id"],
            type=event.get("type", "")[:80],
            payload=json.dumps(event, sort_keys=True),
            received_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(StripeEvent.id)
    ).scalar_one_or_none()
    return stored is not None


def _mismatch(record: CardPayment, intent: dict, amount_key: str) -> str | None:
    """Why an event's PaymentIntent is not the one we hold for this order, if it is not."""
    expected_order = str(record.order_id)
    if (intent.get("metadata") or {}).get("order_id") != expected_order:
        return f"order {intent.get('metadata')} is not {expected_order}"
    if intent.get("currency") != record.currency:
        return f"currency {intent.get('currency')} is not {record.currency}"
    amount = intent.get(amount_key)
    if amount_key == "amount":
        if amount != record.authorized_cents:
            return f"amount {amount} is not {record.authorized_cents}"
    elif record.status == CARD_CAPTURED:
        if amount != record.captured_cents:
            return f"amount received {amount} is not {record.captured_cents}"
    elif not isinstance(amount, int) or not 0 < amount <= record.authorized_cents:
        return f"amount received {amount} is outside the hold of {record.authorized_cents}"
    return None


def apply_event(session: Session, event: dict) -> str:
    """Apply a stored event to our card payment; returns what was done (kept on the event)."""
    kind = event.get("type", "")
    intent = (event.get("data") or {}).get("object") or {}
    if kind == "checkout.session.completed":
        from .order_payments import complete_checkout

        return complete_checkout(session, intent.get("id", ""), intent)
    if not kind.startswith("payment_intent."):
        return "ignored"
    record = session.scalar(
        sa.select(CardPayment)
        .where(CardPayment.payment_intent_id == intent.get("id"))
        .with_for_update()
    )
    if record is None:
        return "unknown payment intent"
    if kind == "payment_intent.amount_capturable_updated":
        problem = _mismatch(record, intent, "amount")
        if problem:
            log.warning("stripe event %s refused: %s", event["id"], problem)
            return f"refused: {problem}"
        if record.status in (CARD_REQUIRES_ACTION, CARD_FAILED):
            record.status, record.last_error = CARD_AUTHORIZED, None
        return "authorized"
    if kind == "payment_intent.succeeded":
        problem = _mismatch(record, intent, "amount_received")
        if problem:
            log.warning("stripe event %s refused: %s", event["id"], problem)
            return f"refused: {problem}"
        if record.status != CARD_CAPTURED:
            record.status, record.captured_cents = CARD_CAPTURED, intent["amount_received"]
        return "captured"
    if kind == "payment_intent.payment_failed":
        if record.status in (CARD_AUTHORIZED, CARD_CAPTURED, CARD_CANCELLED):
            return "stale"  # an older failure arriving after a later success
        record.status = CARD_FAILED
        error = intent.get("last_payment_error") or {}
        record.last_error = (error.get("message") or "")[:300] or None
        return "failed"
    if kind == "payment_intent.canceled":
        if record.status != CARD_CAPTURED:
            record.status = CARD_CANCELLED
        return "cancelled"
    return "ignored"


def receive_event(session: Session, payload: bytes, signature: str | None) -> str:
    """Verify a webhook on its raw body, store it once and apply it.

    Raises ValueError (bad signature, tampered body, stale timestamp, not JSON): the
    caller answers 400 and nothing is written.
    """
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise ValueError("webhook secret not configured")
    if not signature:
        raise ValueError("no Stripe-Signature header")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise ValueError(str(error)) from None
    event = json.loads(payload)
    if not store_event(session, event):
        return "duplicate"
    outcome = apply_event(session, event)
    session.execute(
        sa.update(StripeEvent).where(StripeEvent.id == event["id"]).values(outcome=outcome[:300])
    )
    session.flush()
    return outcome
