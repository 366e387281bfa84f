"""The promoter's stock form posted five times at once moves stock once: real threads released
together post the same rendered form (the same key), every answer is the first one, and the
ledger holds one movement. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Product, StockMovement
from tests.concurrency import raised, run_together
from tests.factories import PASSWORD
from tests.web.test_money_form_keys import POSTS, rendered_key
from tests.web.test_producer_stock import product_with_stock, promoter  # noqa: F401

HX = {"HX-Request": "true"}


def test_adding_production_five_times_at_once_adds_it_once(app, promoter):  # noqa: F811
    product = product_with_stock(promoter.association, "10")
    product_id = product.id
    clients = []
    for _ in range(POSTS):
        client = app.test_client()
        assert client.post("/login", data={"email": promoter.email, "password": PASSWORD})
        clients.append(client)
    url = f"/producer/products/{product_id}/stock"
    data = {
        "quantity": "4",
        "produce": "1",
        "seen_on_hand": "10.000",
        "form_key": rendered_key(clients[0], url),
    }
    db.session.commit()
    db.session.remove()

    results = run_together(
        app, POSTS, lambda i: clients[i].post(url, data=data).status_code, in_request=False
    )
    assert not raised(results), raised(results)
    assert results == [303] * POSTS
    again = clients[0].post(url, data=data, headers=HX)
    assert again.status_code == 200 and "Sumamos" in again.data.decode()
    with sa.orm.Session(db.engine) as fresh:
        assert fresh.get(Product, product_id).stock_on_hand == Decimal("14")
        moves = fresh.scalar(
            sa.select(sa.func.count(StockMovement.id)).where(StockMovement.product_id == product_id)
        )
        assert moves == 2  # the opening stock and one addition


def test_each_rendered_stock_form_has_its_own_key(client, promoter):  # noqa: F811
    product = product_with_stock(promoter.association, "10")
    url = f"/producer/products/{product.id}/stock"
    assert rendered_key(client, url) != rendered_key(client, url)
