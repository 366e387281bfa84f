"""Stripe webhooks: verify the raw body, store each event once by id, apply it.

The signature's time (`t=`) must be within `TOLERANCE` of our clock, before or after: an
old delivery replayed and one dated ahead are both refused. A validly signed body that is
not an event as Stripe sends it (not an object, no id, `data.object` not an object, a field
we read of the wrong type) is refused the same way, before anything is stored. An event is
applied only when its PaymentIntent, order, amount and currency match ours; a completed
Checkout Session finishes the buyer's card checkout (services/order_payments); other types
are stored and ignored.
"""

from __future__ import annotations

import json
import logging
import re

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
from .card_checkout import complete_checkout

log = logging.getLogger("qhatu.payments")

TOLERANCE = 300  # seconds between the signature's time and ours, either way
MAX_ID = 255  # StripeEvent.id
MAX_AMOUNT = 2**53  # céntimos; Stripe's own limit is far below


class MalformedEvent(ValueError):
    """A signed body that is not a Stripe event we can read (the caller answers 400)."""


def store_event(session: Session, event: dict) -> bool:
    """Keep the event by its id; False when it was stored already (a redelivery)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stored = session.execute(
        insert(StripeEvent)
        .values(
            id=event["id"],
            type=event["type"][:80],
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
    kind, intent = event["type"], event["data"]["object"]  # shapes checked by parse_event
    if kind == "checkout.session.completed":
        return complete_checkout(session, intent["id"], intent)
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


def verify_signature(payload: bytes, header: str | None, secret: str | None) -> None:
    """Stripe's HMAC over the raw body, dated within TOLERANCE of now either way (Stripe's
    own check refuses only the old ones); ValueError otherwise."""
    if not secret:
        raise ValueError("webhook secret not configured")
    if not header:
        raise ValueError("no Stripe-Signature header")
    stamps = [v for k, _, v in (p.partition("=") for p in header.split(",")) if k.strip() == "t"]
    if len(stamps) != 1 or not re.fullmatch(r"[0-9]{1,12}", stamps[0].strip()):
        raise ValueError("no timestamp in the Stripe-Signature header")
    skew = int(stamps[0]) - utcnow().timestamp()
    if abs(skew) > TOLERANCE:
        raise ValueError(f"signature timestamp {skew:+.0f} s from now")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), header, secret, tolerance=TOLERANCE
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise ValueError(str(error)) from None


def _refuse_constant(name: str):
    raise MalformedEvent(f"{name} is not JSON a Stripe event carries")


# The fields of `data.object` that are read, and the types they may have.
_TEXT, _MAPPING = (str, type(None)), (dict, type(None))
OBJECT_FIELDS = {
    "id": (str,),
    "metadata": _MAPPING,
    "customer": _TEXT,
    "payment_intent": (str, dict, type(None)),
    "payment_method": (str, dict, type(None)),
    "last_payment_error": _MAPPING,
    "amount": (int, type(None)),
    "amount_received": (int, type(None)),
    "amount_total": (int, type(None)),
}

EXPANDABLE = ("payment_intent", "payment_method")  # an id, or the object itself


def parse_event(payload: bytes) -> dict:
    """The event in a verified body, its shape checked before any of it is used: an object
    with a text id and type, and `data.object` an object whose fields we read have the
    types Stripe gives them. MalformedEvent otherwise."""
    try:
        event = json.loads(payload, parse_constant=_refuse_constant)
    except (RecursionError, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise MalformedEvent(f"not JSON: {error}") from None
    if not isinstance(event, dict):
        raise MalformedEvent(f"the event is a {type(event).__name__}, not an object")
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID:
        raise MalformedEvent("the event has no id")
    if not isinstance(kind, str) or not kind:
        raise MalformedEvent(f"event {event_id} has no type")
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        raise MalformedEvent(f"event {event_id}: data.object is not an object")
    for name, types in OBJECT_FIELDS.items():
        value = found.get(name)
        if not isinstance(value, types) or isinstance(value, bool):
            raise MalformedEvent(f"event {event_id}: data.object.{name} is not {types[0].__name__}")
        if isinstance(value, int) and not 0 <= value <= MAX_AMOUNT:
            raise MalformedEvent(f"event {event_id}: data.object.{name} is out of range")
        if name in EXPANDABLE and isinstance(value, dict) and not isinstance(value.get("id"), str):
            raise MalformedEvent(f"event {event_id}: data.object.{name} has no id")
    error = found.get("last_payment_error") or {}
    if not isinstance(error.get("message"), _TEXT):
        raise MalformedEvent(f"event {event_id}: the payment error's message is not text")
    return event


def receive_event(session: Session, payload: bytes, signature: str | None) -> str:
    """Verify a webhook on its raw body, check its shape, store it once and apply it.

    Raises ValueError (bad signature, tampered body, a time more than TOLERANCE away, not
    an event): the caller answers 400 and nothing is written.
    """
    verify_signature(payload, signature, current_app.config.get("STRIPE_WEBHOOK_SECRET"))
    event = parse_event(payload)
    if not store_event(session, event):
        return "duplicate"
    outcome = apply_event(session, event)
    session.execute(
        sa.update(StripeEvent).where(StripeEvent.id == event["id"]).values(outcome=outcome[:300])
    )
    session.flush()
    return outcome
