"""Retries arriving together: the same stock update sent by several connections at once (a
phone replaying its queue while the first attempt is still in flight), and one SMS delivered
twice by the provider at the same moment, are each applied once. Runs on SQLite and PostgreSQL."""

import threading
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import InboundSms, Product, PromoterRequest
from marketplace.sms import webhook
from tests.factories import PASSWORD, ProductFactory, PromoterFactory, add_stock

COPIES = 6


def together(app, count, work):
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        barrier.wait(timeout=30)
        try:
            with app.app_context():
                results[i] = work(i)
        except Exception as error:  # shown by the assertion below
            results[i] = error

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def stock_of(product_id):
    db.session.rollback()  # end this thread's read snapshot: see what the requests wrote
    return db.session.get(Product, product_id).stock_on_hand


def test_same_key_at_once_is_applied_once(app):
    promoter = PromoterFactory(phone="+51987654321")
    product = ProductFactory(association=promoter.association, variety="andino")
    add_stock(product, "10")
    db.session.commit()
    clients = []
    for _ in range(COPIES):
        client = app.test_client()
        client.post("/login", data={"email": promoter.email, "password": PASSWORD})
        clients.append(client)
    url = f"/producer/home/stock/{product.id}"
    data = {"quantity": "5", "mode": "add", "key": "same-key"}
    statuses = together(
        app, COPIES, lambda i: clients[i].post(url, data=data, headers={"HX-Request": "true"})
    )
    assert [getattr(r, "status_code", r) for r in statuses] == [200] * COPIES
    assert stock_of(product.id) == Decimal("15")
    assert db.session.scalar(sa.select(sa.func.count(PromoterRequest.id))) == 1


def test_same_sms_at_once_is_applied_once(app):
    app.config["SMS_WEBHOOK_SECRET"] = "s"
    promoter = PromoterFactory(phone="+51987654321")
    product = ProductFactory(association=promoter.association, variety="andino")
    add_stock(product, "10")
    db.session.commit()
    params = {"From": "+51987654321", "Body": "STOCK ANDINO +5", "MessageSid": "SM-twice"}
    headers = {"X-Signature": webhook.signature("s", "http://localhost/sms/inbound", params)}
    statuses = together(
        app,
        COPIES,
        lambda i: app.test_client().post("/sms/inbound", data=params, headers=headers),
    )
    assert [getattr(r, "status_code", r) for r in statuses] == [204] * COPIES
    assert stock_of(product.id) == Decimal("15")
    assert db.session.scalar(sa.select(sa.func.count(InboundSms.id))) == 1
