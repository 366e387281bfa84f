"""Card payments against localstripe (a fake Stripe on loopback): hold the order total,
capture what was delivered, declines, 3-D Secure, refunds bounded by the capture."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import CardPayment, LedgerEntry
from marketplace.models.payments import (
    CARD_AUTHORIZED,
    CARD_CANCELLED,
    CARD_CAPTURED,
    CARD_FAILED,
    CARD_REQUIRES_ACTION,
)
from marketplace.ops import worker
from marketplace.services import DomainError, card_payments, ordering
from tests.services.test_invoicing import market, place
from tests.write_guard import stripe_calls_fixture  # noqa: F401  (the stripe_calls fixture)

pytest.importorskip("localstripe.server")
pytest.importorskip("aiohttp.web")


@pytest.fixture
def app_config(localstripe):
    return {"STRIPE_SECRET_KEY": "sk_test_qhatu", "STRIPE_API_BASE": localstripe}


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def card(number: str) -> str:
    method = card_payments.client().v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    return method.id


def test_the_card_option_is_off_without_a_key(app, ctx):
    assert card_payments.enabled()
    app.config["STRIPE_SECRET_KEY"] = None
    assert not card_payments.enabled()


def test_hold_the_total_then_capture_what_was_delivered(app, ctx, stripe_calls):
    stripe_calls.armed = False  # authorising is not examined here
    w = market(limit_cents=None)
    order = place(w, "4")
    record = card_payments.authorize(db.session, order, card("4242424242424242"))
    assert record.status == CARD_AUTHORIZED and record.authorized_cents == order.total_cents
    again = card_payments.authorize(db.session, order, card("4242424242424242"))
    assert again.payment_intent_id == record.payment_intent_id  # once per order
    ordering.confirm_order(db.session, w.promoter, order)
    ordering.dispatch_order(db.session, w.promoter, order)
    ordering.deliver_order(db.session, w.promoter, order, {order.lines[0].id: "3"})
    assert db.session.get(CardPayment, order.id).status == CARD_AUTHORIZED  # queued only
    db.session.commit()
    stripe_calls.armed, stripe_calls.calls = True, []
    # The capture runs after the delivery committed, with no write transaction open.
    assert worker.run_pending(db.session, app.config).failed == 0
    record = db.session.get(CardPayment, order.id)
    assert record.status == CARD_CAPTURED
    [(method, url, key)] = stripe_calls.calls
    assert url.endswith("/capture") and key == f"qhatu-order-{order.id}-capture"
    stripe_calls.armed = False
    assert record.captured_cents == order.delivered_total_cents < order.total_cents
    intent = card_payments.client().v1.payment_intents.retrieve(record.payment_intent_id)
    assert intent.status == "succeeded"

    refund = card_payments.check_refund(db.session, order, 1000)
    db.session.commit()
    stripe_calls.armed = True  # the refund too is asked with no write transaction open
    card_payments.send_refund(refund)
    assert stripe_calls.calls[-1][2] == f"qhatu-order-{order.id}-refund-0-1000"
    stripe_calls.armed = False
    card_payments.record_card_refund(db.session, order, refund, "queso partido")
    card_payments.record_card_refund(db.session, order, refund, "queso partido")  # once
    with pytest.raises(DomainError, match="más de lo cobrado"):
        card_payments.check_refund(db.session, order, record.captured_cents)
    assert record.refunded_cents == 1000
    refunds = db.session.scalars(
        sa.select(LedgerEntry.amount_cents).where(LedgerEntry.kind == "refund")
    ).all()
    assert refunds == [-1000]


def test_nothing_delivered_releases_the_hold(app, ctx, stripe_calls):
    stripe_calls.armed = False
    w = market(limit_cents=None)
    order = place(w, "1")
    card_payments.authorize(db.session, order, card("4242424242424242"))
    ordering.confirm_order(db.session, w.promoter, order)
    ordering.dispatch_order(db.session, w.promoter, order)
    ordering.deliver_order(db.session, w.promoter, order, {order.lines[0].id: "0"})
    db.session.commit()
    stripe_calls.armed, stripe_calls.calls = True, []
    worker.run_pending(db.session, app.config)
    assert db.session.get(CardPayment, order.id).status == CARD_CANCELLED
    assert [key for _m, _u, key in stripe_calls.calls] == [f"qhatu-order-{order.id}-cancel"]


def test_a_declined_card_marks_the_payment_failed_and_a_new_card_can_retry(app, ctx):
    w = market(limit_cents=None)
    order = place(w, "1")
    record = card_payments.authorize(db.session, order, card("4000000000000341"))
    assert record.status == CARD_FAILED and record.last_error
    record = card_payments.authorize(db.session, order, card("4242424242424242"))
    assert record.status == CARD_AUTHORIZED


def test_a_bank_asking_for_authentication_waits_for_the_buyer(app, ctx):
    w = market(limit_cents=None)
    order = place(w, "1")
    record = card_payments.authorize(db.session, order, card("4000002500003155"))
    assert record.status == CARD_REQUIRES_ACTION
