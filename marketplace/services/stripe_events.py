"""Stripe webhooks: verify the raw body, store each event once by id, apply it.

An event is applied only when its PaymentIntent, order, amount and currency match ours; a
completed Checkout Session finishes the buyer's card checkout (services/order_payments).
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
import stripe
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import CardPayment, StripeEvent
from ..models.payments import (
    CARD_AUTHORIZED,
    CARD_CANCELLED,
    CARD_CAPTURED,
    CARD_FAILED,
    CARD_REQUIRES_ACTION,
)
from ..types import utcnow
from .order_payments import complete_checkout

log = logging.getLogger("qhatu.payments")


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
