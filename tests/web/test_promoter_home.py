"""The promoter's home on the phone: today's orders and deliveries, short stock, one-tap stock
updates that never overwrite an order's reservation, order actions, and repeats applied once."""

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Order, Product, PromoterRequest, StockMovement
from marketplace.services import ordering
from tests.conftest import text
from tests.factories import ordering_world, place_order

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app, client, auth):
    with app.test_request_context():
        world = ordering_world()
        (world.order,) = place_order(world.buyer_user, world.address, [(world.cheese, 4)])
        db.session.commit()
    auth.login(world.promoter)
    return world


def stock_of(product) -> Decimal:
    db.session.expire_all()
    return db.session.get(Product, product.id).stock_on_hand


def status_of(order) -> str:
    db.session.expire_all()
    return db.session.get(Order, order.id).status


def key_in(html: bytes, anchor: str) -> str:
    """The idempotency key of the first form after `anchor` in the page."""
    page = html.decode()
    return re.search(r'name="key" value="([^"]+)"', page[page.index(anchor) :]).group(1)


def test_home_lists_waiting_orders_deliveries_and_stock(client, w):
    response = client.get("/producer/home")
    assert response.status_code == 200
    page = text(response.data)
    assert "Pedidos por confirmar 1" in page
    assert "Q-00001" in page and "Confirmar" in page
    assert "Queso andino" in page and "En stock: 46 kg" in page
    assert 'rel="manifest"' in response.data.decode()
    assert "Huaroq Sara" not in page and "Maíz chullpi" not in page  # another association


def test_due_today_and_tomorrow_only(client, w, app):
    with app.test_request_context():
        ordering.confirm_order(db.session, w.promoter, w.order)  # delivers Tuesday (tomorrow)
        (later,) = place_order(
            w.buyer_user, w.address, [(w.cheese, 1)], when=datetime(2026, 3, 6).date()
        )
        ordering.confirm_order(db.session, w.promoter, later)
        db.session.commit()
    page = text(client.get("/producer/home").data)
    due = page.split("Entregas de hoy y mañana")[1].split("Más entregas de la semana")[0]
    assert "Q-00001" in due and "Despachar" in due
    assert later.number not in due


def test_count_and_add_in_one_tap(client, w):
    home = client.get("/producer/home").data
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}",
        data={"quantity": "40", "seen_on_hand": "46.000", "mode": "count", "key": "k1"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/producer/home#stock-{w.cheese.id}")
    assert stock_of(w.cheese) == Decimal("40")
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}",
        data={"quantity": "15", "mode": "add", "key": key_in(home, f"stock-{w.cheese.id}")},
        headers=HX,
    )
    assert response.status_code == 200
    assert "Sumamos 15 kg." in text(response.data)
    assert "En stock: 55 kg" in text(response.data)
    assert stock_of(w.cheese) == Decimal("55")


def test_count_after_a_reservation_shows_the_difference_and_asks(client, w, app):
    client.get("/producer/home")  # the promoter sees 46
    with app.test_request_context():
        place_order(w.buyer_user, w.address, [(w.cheese, 6)])  # reserved meanwhile: 40 left
        db.session.commit()
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}",
        data={"quantity": "30", "seen_on_hand": "46.000", "mode": "count", "key": "a"},
        headers=HX,
    )
    assert response.status_code == 409
    page = text(response.data)
    assert "veías 46 kg y ahora hay 40 kg (diferencia: -6)" in page
    assert "¿Guardamos 30 kg como conteo?" in page
    assert stock_of(w.cheese) == Decimal("40")  # nothing overwritten
    assert 'name="seen_on_hand" value="40.000"' in response.data.decode()
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}",
        data={"quantity": "30", "seen_on_hand": "40.000", "mode": "count", "key": "b"},
        headers=HX,
    )
    assert response.status_code == 200
    assert stock_of(w.cheese) == Decimal("30")


def test_conflict_without_javascript_is_a_page(client, w, app):
    with app.test_request_context():
        place_order(w.buyer_user, w.address, [(w.cheese, 6)])
        db.session.commit()
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}",
        data={"quantity": "30", "seen_on_hand": "46", "mode": "count"},
    )
    assert response.status_code == 409
    assert "<html" in response.data.decode() and "Volver a hoy" in text(response.data)


def test_same_key_twice_is_applied_once(client, w):
    data = {"quantity": "5", "mode": "add", "key": "offline-1"}
    first = client.post(f"/producer/home/stock/{w.cheese.id}", data=data, headers=HX)
    second = client.post(f"/producer/home/stock/{w.cheese.id}", data=data, headers=HX)
    assert first.status_code == second.status_code == 200
    assert "Ya estaba guardado." in text(second.data)
    assert stock_of(w.cheese) == Decimal("51")
    count = db.session.scalar(
        sa.select(sa.func.count()).where(
            StockMovement.product_id == w.cheese.id, StockMovement.reason == "production"
        )
    )
    assert count == 2  # the first stock plus one addition
    assert db.session.scalar(sa.select(sa.func.count(PromoterRequest.id))) == 1


def test_bad_quantity_is_said_at_the_row(client, w):
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}", data={"quantity": "mucho", "mode": "count"}
    )
    assert response.status_code == 422
    assert "Escribe una cantidad" in text(response.data)
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}", data={"quantity": "-3", "mode": "count"}
    )
    assert response.status_code == 422
    assert stock_of(w.cheese) == Decimal("46")


def test_confirm_dispatch_deliver_from_home(client, w):
    url = f"/producer/home/orders/{w.order.id}"
    response = client.post(f"{url}/confirm", data={"key": "c1"}, headers=HX)
    assert response.status_code == 200
    assert "Confirmaste el pedido Q-00001." in text(response.data)
    assert "Despachar" in text(response.data)
    again = client.post(f"{url}/confirm", data={"key": "c1"}, headers=HX)
    assert again.status_code == 200 and "Ya estaba hecho." in text(again.data)
    response = client.post(f"{url}/dispatch", data={"key": "d1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/producer/home#order-{w.order.id}")
    client.post(f"{url}/deliver", data={"key": "e1"})
    assert status_of(w.order) == "delivered"
    assert stock_of(w.cheese) == Decimal("46")  # delivered as ordered: nothing returns


def test_reject_needs_a_reason_and_returns_stock(client, w):
    url = f"/producer/home/orders/{w.order.id}/reject"
    response = client.post(url, data={"key": "r1"}, headers=HX)
    assert response.status_code == 422
    assert "Indica el motivo." in text(response.data)
    response = client.post(url, data={"key": "r2", "reason": "No hay queso madurado"})
    assert response.status_code == 303
    assert status_of(w.order) == "rejected"
    assert stock_of(w.cheese) == Decimal("50")


def test_impossible_move_is_a_409_on_the_row(client, w):
    response = client.post(f"/producer/home/orders/{w.order.id}/deliver", headers=HX)
    assert response.status_code == 409
    assert status_of(w.order) == "placed"


def test_another_associations_order_and_product_are_404(client, w, app):
    with app.test_request_context():
        (maize_order,) = place_order(w.buyer_user, w.address, [(w.maize, 10)])
        db.session.commit()
    maize_stock = stock_of(w.maize)
    assert client.post(f"/producer/home/orders/{maize_order.id}/confirm").status_code == 404
    assert (
        client.post(f"/producer/home/stock/{w.maize.id}", data={"quantity": "1"}).status_code == 404
    )
    assert client.post(f"/producer/home/orders/{w.order.id}/teleport").status_code == 404
    with sa.orm.Session(db.engine) as fresh:  # nothing changed, read apart from the requests
        assert fresh.get(Order, maize_order.id).status == "placed"
        assert fresh.get(Order, w.order.id).status == "placed"
        assert fresh.get(Product, w.maize.id).stock_on_hand == maize_stock
        assert fresh.scalar(sa.select(sa.func.count(PromoterRequest.id))) == 0


def test_manifest_icons_and_offline_script_are_served(client, w):
    import json

    page = client.get("/producer/home").data.decode()
    assert "promoter-offline.js" in page and 'data-offline="' in page
    manifest = json.loads(client.get("/static/manifest.webmanifest").data)
    assert manifest["start_url"] == "/producer/home"
    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.mimetype == "image/png"
    assert client.get("/static/js/promoter-offline.js").status_code == 200


def test_short_stock_names_the_product_and_the_week(client, w):
    from tests.factories import make_standing_order

    make_standing_order(w.buyer_user, w.address, [(w.cheese, 30)])
    db.session.commit()
    response = client.get("/producer/home")
    html = response.get_data(as_text=True)
    page = text(response.data)
    assert "Stock que no alcanza para los pedidos fijos" in page
    # One sentence, the product as a link to its stock row; no stray space before the colon.
    assert re.search(
        rf'<li><a href="#stock-{w.cheese.id}">Queso andino</a>: faltan \d+ kg la semana del ',
        html,
    )
