"""Paying orders by card as people do it: the cart offers the card, the hosted Checkout page
takes it (a local fake) and holds the total in localstripe, confirmation authorises saved
cards, delivery captures what was delivered, staff refund; unpaid orders wait for payment."""

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import (
    BuyerCard,
    CardCheckout,
    CardPayment,
    LedgerEntry,
    Notification,
    Order,
    OrderBilling,
    StripeEvent,
)
from marketplace.services import card_payments, credit, order_payments
from marketplace.standing_cli import run_placement
from tests.factories import StaffFactory, make_standing_order, ordering_world
from tests.stripe_fakes import sign
from tests.web.test_cart import add, checkout_form
from tests.web.test_payments import as_user
from tests.write_guard import stripe_calls_fixture  # noqa: F401  (the stripe_calls fixture)

pytest.importorskip("localstripe.server")

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def app_config(stripe_config):
    return stripe_config


@pytest.fixture
def w(app):
    world = ordering_world()
    world.staff = StaffFactory(email="equipo@example.pe")
    db.session.commit()
    return world


def path_of(url: str) -> str:
    """The local part of an absolute URL of ours (the success URL Stripe sends back to)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def card_checkout(buyer, w, save=True):
    """Cart with cheese, checkout by card: answers with the redirect to the hosted page."""
    add(buyer, w.cheese, "4")
    data = checkout_form(buyer) | {"payment_method": "card"}
    if save:
        data["save_card"] = "y"
    return buyer.post("/buyer/checkout", data=data)


def last_order() -> Order:
    return db.session.scalars(sa.select(Order).order_by(Order.id.desc())).first()


def webhook(client, body: bytes):
    return client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(body)})


def intent_of(order) -> dict:
    record = db.session.get(CardPayment, order.id)
    return card_payments.client().v1.payment_intents.retrieve(record.payment_intent_id).to_dict()


def test_the_cart_offers_card_only_with_stripe_keys_and_account_only_with_terms(app, w):
    buyer = as_user(app, w.buyer_user)
    add(buyer, w.cheese, "1")
    page = buyer.get("/buyer/cart").get_data(as_text=True)
    assert "Tarjeta" in page and "A crédito" not in page

    credit.grant_terms(db.session, w.staff, w.buyer.id, 15, 100_000_00)
    db.session.commit()
    page = buyer.get("/buyer/cart").get_data(as_text=True)
    assert "A crédito: factura a 15 días" in page and "Tarjeta" in page

    # The cart's form may be redirected to the hosted page: its CSP allows that origin.
    csp = buyer.get("/buyer/cart").headers["Content-Security-Policy"]
    assert f"form-action 'self' {app.config['STRIPE_CHECKOUT_ORIGIN']};" in csp

    app.config["STRIPE_SECRET_KEY"] = None
    response = buyer.get("/buyer/cart")
    page = response.get_data(as_text=True)
    assert "A crédito: factura a 15 días" in page and "Tarjeta" not in page
    assert "form-action 'self';" in response.headers["Content-Security-Policy"]


def test_without_keys_or_terms_the_order_is_placed_to_be_paid_and_staff_see_it(app, w):
    app.config["STRIPE_SECRET_KEY"] = None
    buyer = as_user(app, w.buyer_user)
    add(buyer, w.cheese, "1")
    assert "el equipo de Qhatu te contactará" in buyer.get("/buyer/cart").get_data(as_text=True)
    response = buyer.post("/buyer/checkout", data=checkout_form(buyer))
    assert response.status_code == 303
    order = last_order()
    assert db.session.get(OrderBilling, order.id) is None
    staff = as_user(app, w.staff)
    page = staff.get("/staff/payments/waiting").get_data(as_text=True)
    assert order.number in page and "coordinar con el equipo" in page


def test_card_order_end_to_end(app, w, fake_checkout, stripe_calls):
    buyer = as_user(app, w.buyer_user)
    response = card_checkout(buyer, w)  # Stripe is asked after the orders commit
    order = last_order()
    assert [key for *_, key in stripe_calls.calls] == [
        f"qhatu-buyer-{w.buyer.id}-customer",
        f"qhatu-order-{order.id}-checkout-0",
    ]
    stripe_calls.armed = False  # the return from the hosted page is not examined here
    assert response.status_code == 303
    assert response.location.startswith(fake_checkout.url + "/pay/cs_")
    # Until the hosted page is paid, the order waits for payment and cannot leave.
    assert order_payments.state_of(db.session, order).needs_payment

    back = fake_checkout.pay(response.location.rsplit("/", 1)[1])
    response = buyer.get(path_of(back))
    assert response.status_code == 303
    assert response.location.endswith(f"/buyer/orders/{order.id}")
    page = buyer.get(response.location).get_data(as_text=True)
    assert "Tarjeta: monto reservado" in page
    record = db.session.get(CardPayment, order.id)
    assert record.status == "authorized" and record.authorized_cents == order.total_cents
    assert intent_of(order)["status"] == "requires_capture"
    saved = db.session.get(BuyerCard, w.buyer.id)
    assert (saved.brand, saved.last4) == ("visa", "4242") and saved.payment_method_id

    # Stripe's webhook comes too, twice: the payment is recorded once.
    checkout = db.session.scalar(sa.select(CardCheckout).where(CardCheckout.order_id == order.id))
    body = fake_checkout.completed_event(checkout.id)
    assert webhook(buyer, body).get_json()["outcome"] == "done already"
    assert webhook(buyer, body).get_json()["outcome"] == "duplicate"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CardPayment)) == 1

    promoter = as_user(app, w.promoter)
    for action in ("confirm", "dispatch"):
        assert promoter.post(f"/producer/orders/{order.id}/{action}").status_code == 303
    line = order.lines[0]
    stripe_calls.armed, stripe_calls.calls = True, []
    response = promoter.post(f"/producer/orders/{order.id}/deliver", data={f"line_{line.id}": "3"})
    assert response.status_code == 303
    assert [key for *_, key in stripe_calls.calls] == [f"qhatu-order-{order.id}-capture"]
    stripe_calls.armed = False
    db.session.expire_all()
    record = db.session.get(CardPayment, order.id)
    assert record.status == "captured"
    assert record.captured_cents == order.delivered_total_cents < order.total_cents
    assert intent_of(order)["status"] == "succeeded"

    staff = as_user(app, w.staff)
    too_much = staff.post(
        f"/staff/orders/{order.id}/refund",
        data={"amount": "999.00", "reason": "queso partido"},
    )
    assert too_much.status_code == 409
    assert "No se puede devolver más de lo cobrado." in too_much.get_data(as_text=True)
    stripe_calls.armed, stripe_calls.calls = True, []
    done = staff.post(
        f"/staff/orders/{order.id}/refund", data={"amount": "10.00", "reason": "queso partido"}
    )
    assert done.status_code == 303
    assert [key for *_, key in stripe_calls.calls] == [f"qhatu-order-{order.id}-refund-0-1000"]
    stripe_calls.armed = False
    db.session.expire_all()
    assert db.session.get(CardPayment, order.id).refunded_cents == 1000
    refunds = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == "refund", LedgerEntry.order_id == order.id)
    ).all()
    assert [(e.amount_cents, e.actor_id) for e in refunds] == [(-1000, w.staff.id)]
    assert (
        db.session.scalar(
            sa.select(Notification).where(Notification.kind == "order_refund")
        ).recipient_id
        == w.buyer_user.id
    )


def test_a_saved_card_is_authorised_when_the_association_confirms(
    app, w, fake_checkout, stripe_calls
):
    stripe_calls.armed = False  # checking out is not examined here
    buyer = as_user(app, w.buyer_user)
    first = card_checkout(buyer, w)
    buyer.get(path_of(fake_checkout.pay(first.location.rsplit("/", 1)[1])))
    saved = db.session.get(BuyerCard, w.buyer.id)

    second = card_checkout(buyer, w)
    assert second.location.endswith("/buyer/orders")  # no hosted page this time
    order = last_order()
    assert db.session.get(CardPayment, order.id) is None
    assert not order_payments.state_of(db.session, order).needs_payment

    promoter = as_user(app, w.promoter)
    stripe_calls.armed, stripe_calls.calls = True, []
    # The hold is asked for after the confirmation commits, with no write transaction open.
    assert promoter.post(f"/producer/orders/{order.id}/confirm").status_code == 303
    assert [key for *_, key in stripe_calls.calls] == [f"qhatu-order-{order.id}-authorize"]
    stripe_calls.armed = False
    db.session.expire_all()
    record = db.session.get(CardPayment, order.id)
    assert record.status == "authorized"
    intent = intent_of(order)
    assert intent["payment_method"] == saved.payment_method_id
    assert intent["customer"] == saved.customer_id
    assert promoter.post(f"/producer/orders/{order.id}/dispatch").status_code == 303


def test_the_webhook_alone_records_the_payment_and_refuses_a_wrong_amount(app, w, fake_checkout):
    buyer = as_user(app, w.buyer_user)
    response = card_checkout(buyer, w, save=False)
    session_id = response.location.rsplit("/", 1)[1]
    order = last_order()
    fake_checkout.pay(session_id)

    wrong = fake_checkout.completed_event(session_id, amount_total=100)
    assert webhook(buyer, wrong).get_json()["outcome"].startswith("refused: amount")
    assert db.session.get(CardPayment, order.id) is None

    right = fake_checkout.completed_event(session_id)
    assert webhook(buyer, right).get_json()["outcome"] == "authorized"
    assert db.session.get(CardPayment, order.id).status == "authorized"
    assert db.session.get(BuyerCard, w.buyer.id).payment_method_id is None  # not asked to save
    stored = db.session.scalars(sa.select(StripeEvent.outcome).order_by(StripeEvent.received_at))
    assert "authorized" in list(stored)


def test_dispatch_of_an_unpaid_card_order_waits_until_staff_allow_it(app, w):
    buyer = as_user(app, w.buyer_user)
    card_checkout(buyer, w)  # the buyer leaves the hosted page without paying
    order = last_order()
    promoter = as_user(app, w.promoter)
    assert promoter.post(f"/producer/orders/{order.id}/confirm").status_code == 303
    page = promoter.get(f"/producer/orders/{order.id}").get_data(as_text=True)
    assert "Necesita pago" in page
    ledger = promoter.get("/producer/ledger").get_data(as_text=True)
    assert "Pedidos que esperan el pago del cliente" in ledger and order.number in ledger

    # The phone pages flag it and offer no "Despachar" for it.
    for path in ("/producer/home", "/producer/orders"):
        card = order_card(promoter.get(path).get_data(as_text=True), order.id)
        assert "Necesita pago" in card and "El cliente aún no pagó con tarjeta." in card
        assert "Despachar" not in card

    refused = promoter.post(f"/producer/orders/{order.id}/dispatch")
    assert refused.status_code == 409
    assert "espera el pago del cliente" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "confirmed"
    asked = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "order_needs_payment")
    ).all()
    assert [n.recipient_id for n in asked] == [w.buyer_user.id]
    assert f"/buyer/orders/{order.id}/pay" in asked[0].body

    staff = as_user(app, w.staff)
    assert staff.post(f"/staff/orders/{order.id}/allow-dispatch").status_code == 303
    billing = db.session.get(OrderBilling, order.id)
    assert billing.dispatch_allowed_by_id == w.staff.id and billing.dispatch_allowed_at
    assert "El equipo autorizó despacharlo sin pago" in staff.get(
        f"/staff/orders/{order.id}/payment"
    ).get_data(as_text=True)
    card = order_card(promoter.get("/producer/home").get_data(as_text=True), order.id)
    assert "Necesita pago" not in card and "Despachar" in card
    assert promoter.post(f"/producer/orders/{order.id}/dispatch").status_code == 303


def order_card(page: str, order_id: int) -> str:
    """The card of one order on a promoter's page (home or order list)."""
    start = page.index(f'id="order-{order_id}"')
    return page[start : page.index("</article>", start)]


def save_card_then_swap(buyer, w, fake_checkout, number: str) -> str:
    """Pay once saving a card, then make the saved card one that behaves like `number`
    (the bank's answer changes later); returns its id."""
    first = card_checkout(buyer, w)
    buyer.get(path_of(fake_checkout.pay(first.location.rsplit("/", 1)[1])))
    return swap_saved_card(w, number)


def swap_saved_card(w, number: str) -> str:
    """Make the saved card one that behaves like `number`; returns its id."""
    saved = db.session.get(BuyerCard, w.buyer.id)
    method = card_payments.client().v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    card_payments.client().v1.payment_methods.attach(
        method.id, params={"customer": saved.customer_id}
    )
    saved.payment_method_id = method.id
    return method.id


def test_a_bank_asking_for_3d_secure_off_session_leaves_the_order_needing_payment(
    app, w, fake_checkout
):
    buyer = as_user(app, w.buyer_user)
    save_card_then_swap(buyer, w, fake_checkout, "4000002500003155")
    card_checkout(buyer, w)
    order = last_order()
    promoter = as_user(app, w.promoter)
    assert promoter.post(f"/producer/orders/{order.id}/confirm").status_code == 303
    db.session.expire_all()
    assert db.session.get(CardPayment, order.id).status == "requires_action"
    page = buyer.get(f"/buyer/orders/{order.id}").get_data(as_text=True)
    assert "Necesita pago" in page and "3-D Secure" in page and "Pagar ahora" in page
    assert promoter.post(f"/producer/orders/{order.id}/dispatch").status_code == 409


def test_a_declined_standing_order_needs_payment_and_the_buyer_fixes_it(
    app, w, fake_checkout, stripe_calls
):
    stripe_calls.armed = False  # only the buyer's retry on the saved card is examined
    buyer = as_user(app, w.buyer_user)
    # Later the bank stops accepting the saved card.
    declining_id = save_card_then_swap(buyer, w, fake_checkout, "4000000000000341")
    make_standing_order(w.buyer_user, w.address, [(w.cheese, 2)])
    db.session.commit()

    report = run_placement(db.session)
    db.session.commit()
    (order_id,) = report.orders
    order = db.session.get(Order, order_id)
    assert db.session.get(OrderBilling, order.id).method == "card"

    promoter = as_user(app, w.promoter)
    assert promoter.post(f"/producer/orders/{order.id}/confirm").status_code == 303
    db.session.expire_all()
    assert db.session.get(CardPayment, order.id).status == "failed"
    state = order_payments.state_of(db.session, order)
    assert state.needs_payment and "rechazó" in state.reason
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.kind == "order_needs_payment", Notification.order_id == order.id
        )
    )
    assert note.recipient_id == w.buyer_user.id
    assert promoter.post(f"/producer/orders/{order.id}/dispatch").status_code == 409

    page = buyer.get(f"/buyer/orders/{order.id}/pay").get_data(as_text=True)
    assert "Pagar con otra tarjeta" in page
    failed_intent = db.session.get(CardPayment, order.id).payment_intent_id
    stripe_calls.armed, stripe_calls.calls = True, []
    again = buyer.post(f"/buyer/orders/{order.id}/pay/saved")
    assert again.status_code == 409 and "no pasó" in again.get_data(as_text=True)
    key = f"qhatu-order-{order.id}-authorize-after-{failed_intent}"
    assert [k for *_, k in stripe_calls.calls] == [key]
    stripe_calls.armed = False
    stripe_calls.armed = True
    response = buyer.post(f"/buyer/orders/{order.id}/pay/card", data={"save_card": "y"})
    assert response.status_code == 303
    stripe_calls.armed = False
    back = fake_checkout.pay(response.location.rsplit("/", 1)[1], "4242424242424242")
    assert buyer.get(path_of(back)).status_code == 303
    db.session.expire_all()
    assert db.session.get(CardPayment, order.id).status == "authorized"
    assert db.session.get(BuyerCard, w.buyer.id).payment_method_id != declining_id
    assert promoter.post(f"/producer/orders/{order.id}/dispatch").status_code == 303


def test_cancelling_a_card_order_releases_the_hold(app, w, fake_checkout, stripe_calls):
    stripe_calls.armed = False
    buyer = as_user(app, w.buyer_user)
    response = card_checkout(buyer, w)
    order = last_order()
    buyer.get(path_of(fake_checkout.pay(response.location.rsplit("/", 1)[1])))
    stripe_calls.armed, stripe_calls.calls = True, []
    assert buyer.post(f"/buyer/orders/{order.id}/cancel", data={}).status_code == 303
    assert [key for *_, key in stripe_calls.calls] == [f"qhatu-order-{order.id}-release"]
    db.session.expire_all()
    assert db.session.get(CardPayment, order.id).status == "cancelled"
    assert intent_of(order)["status"] == "canceled"


def test_another_buyer_cannot_come_back_on_my_checkout(app, w, fake_checkout):
    buyer = as_user(app, w.buyer_user)
    response = card_checkout(buyer, w)
    back = fake_checkout.pay(response.location.rsplit("/", 1)[1])
    other = as_user(app, w.other_buyer_user)
    assert other.get(path_of(back)).status_code == 404
    assert db.session.get(CardPayment, last_order().id) is None


def test_on_account_refusal_shows_at_the_payment_choice_and_card_still_works(app, w):
    credit.grant_terms(db.session, w.staff, w.buyer.id, 15, 10_00)  # S/ 10 of credit
    db.session.commit()
    buyer = as_user(app, w.buyer_user)
    add(buyer, w.cheese, "4")
    data = checkout_form(buyer)
    refused = buyer.post("/buyer/checkout", data=data | {"payment_method": "account"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert re.search(r'id="payment_method-err"[^>]*>[^<]*supera tu línea de crédito', page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0

    paid_by_card = buyer.post("/buyer/checkout", data=data | {"payment_method": "card"})
    assert paid_by_card.status_code == 303 and "/pay/cs_" in paid_by_card.location
    assert db.session.get(OrderBilling, last_order().id).method == "card"


def test_the_buyer_pays_on_the_saved_card_once_the_bank_accepts_it(
    app, w, fake_checkout, stripe_calls
):
    stripe_calls.armed = False
    buyer = as_user(app, w.buyer_user)
    save_card_then_swap(buyer, w, fake_checkout, "4000000000000341")
    card_checkout(buyer, w)
    order = last_order()
    promoter = as_user(app, w.promoter)
    assert promoter.post(f"/producer/orders/{order.id}/confirm").status_code == 303
    db.session.expire_all()
    failed = db.session.get(CardPayment, order.id)
    assert failed.status == "failed"
    failed_intent = failed.payment_intent_id
    swap_saved_card(w, "4242424242424242")  # the buyer's bank accepts the card now
    db.session.commit()
    stripe_calls.armed, stripe_calls.calls = True, []
    response = buyer.post(f"/buyer/orders/{order.id}/pay/saved")
    assert response.status_code == 303
    key = f"qhatu-order-{order.id}-authorize-after-{failed_intent}"
    assert [k for *_, k in stripe_calls.calls] == [key]
    db.session.expire_all()
    assert db.session.get(CardPayment, order.id).status == "authorized"
    assert promoter.post(f"/producer/orders/{order.id}/dispatch").status_code == 303
