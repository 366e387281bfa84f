"""The SMS webhook: signed requests only, CSRF-free only there, a retry applied once; the
console adapter's `flask sms receive`."""

import hashlib
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import InboundSms, Notification, Product, User
from marketplace.sms import webhook
from tests.factories import PASSWORD, ProductFactory, PromoterFactory, add_stock

SECRET = "whsec-test"
URL = "http://localhost/sms/inbound"


@pytest.fixture
def app_config():
    return {"SMS_WEBHOOK_SECRET": SECRET, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def chullpi(app):
    promoter = PromoterFactory(phone="+51987654321")
    product = ProductFactory(
        association=promoter.association, name="Maíz chullpi", category="maize", variety="chullpi"
    )
    add_stock(product, "10")
    db.session.commit()
    return product


def post(client, params, secret=SECRET, signature=None):
    signature = signature or webhook.signature(secret, URL, params)
    return client.post("/sms/inbound", data=params, headers={"X-Signature": signature})


def stock_of(product):
    db.session.expire_all()
    return db.session.get(Product, product.id).stock_on_hand


def message(body, sid="SM1"):
    return {"From": "+51987654321", "To": "+5115550000", "Body": body, "MessageSid": sid}


def test_signed_message_is_applied_and_answered(client, chullpi):
    response = post(client, message("STOCK CHULLPI 120"))
    assert response.status_code == 204
    assert stock_of(chullpi) == Decimal("120")
    reply = db.session.scalar(sa.select(Notification).where(Notification.kind == "sms_reply"))
    assert (reply.channel, reply.phone, reply.sent_at) == ("sms", "+51987654321", None)
    assert reply.body == "Maíz chullpi: ahora hay 120 kg."


def test_provider_retry_is_applied_once(client, chullpi):
    for _ in range(3):
        assert post(client, message("STOCK CHULLPI +5", sid="SM-retry")).status_code == 204
    assert stock_of(chullpi) == Decimal("15")
    assert db.session.scalar(sa.select(sa.func.count(InboundSms.id))) == 1


@pytest.mark.parametrize(
    "signature",
    [None, "", "bm90IGEgc2lnbmF0dXJl", webhook.signature("other-secret", URL, message("x"))],
)
def test_unsigned_or_badly_signed_is_refused(client, chullpi, signature):
    headers = {} if signature is None else {"X-Signature": signature}
    response = client.post("/sms/inbound", data=message("STOCK CHULLPI 1"), headers=headers)
    assert response.status_code == 403
    assert stock_of(chullpi) == Decimal("10")
    assert db.session.scalar(sa.select(sa.func.count(InboundSms.id))) == 0


def test_twilio_style_sha1_signature_is_accepted(client, chullpi):
    params = message("STOCK CHULLPI 7", sid="SM-twilio")
    signed = webhook.signature(SECRET, URL, params, hashlib.sha1)
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signed})
    assert response.status_code == 204
    assert stock_of(chullpi) == Decimal("7")
    sha256 = webhook.signature(SECRET, URL, params)  # the right scheme matters too
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sha256})
    assert response.status_code == 403


def test_tampered_body_is_refused(client, chullpi):
    signed = webhook.signature(SECRET, URL, message("STOCK CHULLPI 1"))
    assert post(client, message("STOCK CHULLPI 999"), signature=signed).status_code == 403


def test_missing_fields_are_a_bad_request(client, chullpi):
    assert post(client, {"From": "+51987654321", "Body": "PEDIDOS"}).status_code == 400


def test_no_secret_configured_refuses_everything(app, client, chullpi):
    app.config["SMS_WEBHOOK_SECRET"] = None
    assert post(client, message("PEDIDOS"), secret="").status_code == 403


def test_csrf_still_guards_the_other_routes(client, chullpi):
    """The right password without the form's token is refused, and nobody is logged in."""
    promoter = db.session.scalar(sa.select(User).where(User.phone == "+51987654321"))
    response = client.post("/login", data={"email": promoter.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Solicitud incorrecta" in response.get_data(as_text=True)
    assert client.get("/producer/").status_code == 302  # to the login page


def test_console_receive(runner, chullpi):
    result = runner.invoke(args=["sms", "receive", "--from", "987654321", "stock chullpi +2"])
    assert result.exit_code == 0, result.output
    assert "applied: Maíz chullpi: ahora hay 12 kg." in result.output
    result = runner.invoke(args=["sms", "receive", "--from", "+51900000000", "--id", "z", "hola"])
    assert "unregistered" in result.output
    assert stock_of(chullpi) == Decimal("12")
