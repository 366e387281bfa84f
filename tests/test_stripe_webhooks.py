"""`/webhooks/stripe`: signature on the raw body, each event stored and applied once, and
events that do not match our records refused."""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import CardPayment, StripeEvent
from marketplace.models.payments import CARD_AUTHORIZED, CARD_CAPTURED, CARD_REQUIRES_ACTION
from tests.concurrency import raised, run_together
from tests.factories import PASSWORD
from tests.services.test_invoicing import market, place

SECRET = "whsec_test_secret"


@pytest.fixture
def app_config():
    return {"STRIPE_WEBHOOK_SECRET": SECRET, "WTF_CSRF_ENABLED": True}


def sign(payload: bytes, timestamp: int | None = None, secret: str = SECRET) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@pytest.fixture
def card(app):
    with app.test_request_context():
        w = market(limit_cents=None)
        order = place(w, "2")
    record = CardPayment(
        order_id=order.id,
        payment_intent_id="pi_test_1",
        status=CARD_REQUIRES_ACTION,
        authorized_cents=order.total_cents,
    )
    db.session.add(record)
    db.session.commit()
    return record


def event(event_id, kind, card, **intent):
    body = {
        "id": "pi_test_1",
        "object": "payment_intent",
        "amount": card.authorized_cents,
        "currency": "pen",
        "metadata": {"order_id": str(card.order_id)},
    }
    body.update(intent)
    return json.dumps({"id": event_id, "type": kind, "data": {"object": body}}).encode()


def post(client, payload, signature):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", data=payload, headers=headers)


def status_of(card):
    db.session.expire_all()
    return db.session.get(CardPayment, card.order_id).status


def stored():
    return db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent))


def test_a_signed_event_is_applied_without_a_csrf_token(client, card):
    payload = event("evt_1", "payment_intent.amount_capturable_updated", card)
    response = post(client, payload, sign(payload))
    assert response.status_code == 200, response.data
    assert response.json["outcome"] == "authorized"
    assert status_of(card) == CARD_AUTHORIZED


@pytest.mark.parametrize(
    "how", ["bad secret", "tampered body", "stale timestamp", "empty header", "no header"]
)
def test_unverifiable_events_are_refused_and_change_nothing(client, card, how):
    payload = event("evt_2", "payment_intent.amount_capturable_updated", card)
    signature = sign(payload)
    if how == "bad secret":
        signature = sign(payload, secret="whsec_other")
    elif how == "tampered body":
        payload = payload.replace(b'"pen"', b'"usd"')
    elif how == "stale timestamp":
        signature = sign(payload, int(time.time()) - 3600)
    elif how == "empty header":
        signature = ""
    elif how == "no header":
        signature = None
    assert post(client, payload, signature).status_code == 400
    assert stored() == 0
    assert status_of(card) == CARD_REQUIRES_ACTION


def test_the_same_event_five_times_two_at_once_is_stored_and_applied_once(app, client, card):
    payload = event("evt_3", "payment_intent.amount_capturable_updated", card)

    def deliver(_i=None):
        response = post(app.test_client(), payload, sign(payload))
        return response.status_code, (response.json or {}).get("outcome")

    # Two deliveries released together, each request with its own context and session.
    answers = run_together(app, 2, deliver, in_request=False)
    db.session.rollback()  # this session's read snapshot is from before the threads
    answers += [deliver() for _ in range(3)]

    assert not raised(answers)
    assert sorted(answers) == [(200, "authorized")] + [(200, "duplicate")] * 4
    with sa.orm.Session(db.engine) as fresh:
        assert fresh.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 1
        assert fresh.get(CardPayment, card.order_id).status == CARD_AUTHORIZED


def test_events_out_of_order_end_in_the_latest_state(client, card):
    captured = event(
        "evt_5",
        "payment_intent.succeeded",
        card,
        status="succeeded",
        amount_received=card.authorized_cents,
    )
    failed = event("evt_4", "payment_intent.payment_failed", card)
    assert post(client, captured, sign(captured)).json["outcome"] == "captured"
    assert post(client, failed, sign(failed)).json["outcome"] == "stale"
    assert status_of(card) == CARD_CAPTURED


@pytest.mark.parametrize(
    "change",
    [{"amount": 1}, {"currency": "usd"}, {"metadata": {"order_id": "999999"}}],
    ids=["amount", "currency", "order"],
)
def test_an_event_that_does_not_match_our_payment_is_refused_and_logged(
    client, card, change, caplog
):
    payload = event("evt_6", "payment_intent.amount_capturable_updated", card, **change)
    response = post(client, payload, sign(payload))
    assert response.status_code == 200  # received, stored, not applied
    assert response.json["outcome"].startswith("refused")
    assert status_of(card) == CARD_REQUIRES_ACTION
    assert "refused" in caplog.text
    assert db.session.get(StripeEvent, "evt_6").outcome.startswith("refused")


def test_other_routes_still_require_csrf(client, card):
    from tests.factories import BuyerUserFactory

    user = BuyerUserFactory()
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400  # the right password, but no CSRF token
    assert "Solicitud incorrecta" in response.get_data(as_text=True)
    assert client.get("/buyer/").status_code == 302  # nobody logged in


NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-301, 400), (-300, 200), (0, 200), (300, 200), (301, 400), (400, 400), (10**11, 400)],
)
def test_the_signature_time_must_be_within_five_minutes_either_way(client, card, offset, status):
    payload = event("evt_t", "payment_intent.amount_capturable_updated", card)
    with time_machine.travel(NOON, tick=False):
        response = post(client, payload, sign(payload, int(NOON.timestamp()) + offset))
    assert response.status_code == status, response.data
    assert stored() == (status == 200)
    assert status_of(card) == (CARD_AUTHORIZED if status == 200 else CARD_REQUIRES_ACTION)


@pytest.mark.parametrize(
    "header",
    ["v1=abc", "t=,v1=abc", "t=soon,v1=abc", "t=١٧٠٠٠٠٠٠٠٠,v1=abc", "t=1,t=2,v1=abc", "garbage"],
)
def test_a_signature_header_without_one_plain_time_is_refused(client, card, header):
    payload = event("evt_h", "payment_intent.amount_capturable_updated", card)
    assert post(client, payload, header).status_code == 400
    assert stored() == 0


def signed(client, body):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return post(client, payload, sign(payload))


def intent_body(card, **changes):
    return json.loads(event("evt_m", "payment_intent.amount_capturable_updated", card, **changes))


@pytest.mark.parametrize(
    "body",
    [
        [],
        "evt_1",
        17,
        None,
        {},
        {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_test_1"}}},
        {"id": "", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_test_1"}}},
        {"id": 12, "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_test_1"}}},
        {"id": "e" * 256, "type": "payment_intent.succeeded", "data": {"object": {}}},
        {"id": "evt_m", "data": {"object": {"id": "pi_test_1"}}},
        {"id": "evt_m", "type": ["payment_intent.succeeded"], "data": {"object": {}}},
        {"id": "evt_m", "type": "payment_intent.succeeded"},
        {"id": "evt_m", "type": "payment_intent.succeeded", "data": []},
        {"id": "evt_m", "type": "payment_intent.succeeded", "data": {"object": "pi_test_1"}},
        {"id": "evt_m", "type": "checkout.session.completed", "data": {"object": "cs_1"}},
        {"id": "evt_m", "type": "payment_intent.succeeded", "data": {"object": {"id": 1}}},
        b"{not json",
        b'{"id": "evt_m", "type": "x", "data": {"object": {"amount": NaN}}}',
        b"\xff\xfe",
        b"[" * 100_000,
    ],
    ids=lambda body: repr(body)[:40],
)
def test_validly_signed_bodies_that_are_not_events_are_refused(client, card, body):
    response = signed(client, body)
    assert response.status_code == 400, response.data
    assert stored() == 0
    assert status_of(card) == CARD_REQUIRES_ACTION


@pytest.mark.parametrize(
    "changes",
    [
        {"metadata": "order 1"},
        {"metadata": [1]},
        {"amount": "1000"},
        {"amount": 1.5},
        {"amount": True},
        {"amount": -1},
        {"amount": 10**400},
        {"amount_received": {"value": 1}},
        {"last_payment_error": "declined"},
        {"last_payment_error": {"message": 42}},
        {"payment_method": {"card": "4242"}},
        {"customer": 7},
    ],
    ids=lambda changes: repr(changes)[:40],
)
def test_fields_we_read_of_the_wrong_type_are_refused(client, card, changes):
    response = signed(client, intent_body(card, **changes))
    assert response.status_code == 400, response.data
    assert stored() == 0
    assert status_of(card) == CARD_REQUIRES_ACTION


def test_a_completed_checkout_with_a_wrong_payment_intent_is_refused(client, card):
    body = {
        "id": "evt_cs",
        "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_test_1", "payment_intent": {"object": "payment_intent"}}},
    }
    assert signed(client, body).status_code == 400
    assert stored() == 0


def test_unknown_event_types_are_stored_and_ignored(client, card):
    body = {"id": "evt_u", "type": "customer.tax_id.created", "data": {"object": {"id": "x"}}}
    response = signed(client, body)
    assert response.status_code == 200, response.data
    assert response.json["outcome"] == "ignored"
    assert stored() == 1
    assert status_of(card) == CARD_REQUIRES_ACTION
