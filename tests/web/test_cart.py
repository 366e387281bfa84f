"""The cart and checkout as a buyer uses them, with and without htmx."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import CartItem, Order
from tests.conftest import text
from tests.factories import ordering_world

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app):
    world = ordering_world()
    db.session.commit()
    return world


@pytest.fixture
def buyer(client, auth, w):
    auth.login(w.buyer_user)
    return client


def add(client, product, qty="2", headers=None):
    return client.post(
        "/buyer/cart/items",
        data={"product_id": product.id, "quantity": qty, "next": f"/p/{product.id}"},
        headers=headers or {},
    )


def checkout_form(client):
    """The fields the cart page renders for checkout, as a browser would post them."""
    html = client.get("/buyer/cart").get_data(as_text=True)
    data = dict(
        re.findall(r'name="(checkout_token|fingerprint)" type="hidden" value="([^"]*)"', html)
    )
    for name, options in re.findall(
        r'<select[^>]*name="((?:date|address)_\d+)"[^>]*>(.*?)</select>', html, re.S
    ):
        data[name] = re.search(r'<option selected value="([^"]+)"', options).group(1)
    return data


def test_the_product_page_offers_add_to_cart_to_buyers_only(client, auth, w):
    assert "Añadir al carrito" not in client.get(f"/p/{w.cheese.id}").get_data(as_text=True)
    auth.login(w.promoter)
    assert "Añadir al carrito" not in client.get(f"/p/{w.cheese.id}").get_data(as_text=True)
    auth.logout()
    auth.login(w.buyer_user)
    page = client.get(f"/p/{w.cheese.id}").get_data(as_text=True)
    assert "Añadir al carrito" in page
    assert "Pedir una muestra gratis" in page  # the cheese offers samples


def test_add_without_javascript_goes_back_with_a_message(buyer, w):
    response = add(buyer, w.cheese)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/p/{w.cheese.id}"
    page = text(buyer.get(f"/p/{w.cheese.id}").data)
    assert "Añadido al carrito: Queso andino." in page


def test_add_with_htmx_swaps_the_form_and_updates_the_badge(buyer, w):
    response = add(buyer, w.cheese, "2.5", HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "cartChanged"
    assert "<html" not in response.get_data(as_text=True)
    assert "En tu carrito: 2,5 kg." in text(response.data) or "En tu carrito: 2.5 kg." in text(
        response.data
    )
    badge = buyer.get("/buyer/cart/badge").get_data(as_text=True)
    assert '<span class="count">1</span>' in badge


def test_add_more_than_the_stock_is_refused_at_the_field(buyer, w):
    response = add(buyer, w.cheese, "51", HTMX)
    assert response.status_code == 422
    assert "Solo quedan 50 kg." in text(response.data)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    response = add(buyer, w.cheese, "dos")
    assert response.status_code == 422
    assert "Escribe una cantidad" in text(response.data)


def test_cart_page_groups_per_association_with_igv_and_minimum(client, auth, app):
    w = ordering_world(min_order_cents=20000)
    db.session.commit()
    auth.login(w.buyer_user)
    add(client, w.cheese, "3")
    add(client, w.maize, "10")
    page = text(client.get("/buyer/cart").data)
    assert "Sumaq Ausangate" in page and "Huaroq Sara" in page
    assert "Subtotal S/ 85.50" in page and "IGV (18 %) S/ 15.39" in page
    assert "Total S/ 100.89" in page
    assert "te faltan S/ 114.50" in page
    assert "martes, 3 de marzo de 2026" in page
    assert "Cocina · Calle Plateros 123, Cusco" in page
    assert "Se harán 2 pedidos, uno por asociación." in page


def test_update_and_remove_in_the_cart(buyer, w):
    add(buyer, w.cheese, "2")
    add(buyer, w.maize, "1")
    response = buyer.post(f"/buyer/cart/items/{w.cheese.id}", data={"quantity": "4"}, headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "cartChanged"
    assert "S/ 114.00" in text(response.data)
    response = buyer.post(f"/buyer/cart/items/{w.cheese.id}", data={"quantity": "1,5"})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(CartItem.quantity).where(CartItem.product_id == w.cheese.id))
    response = buyer.post(f"/buyer/cart/items/{w.maize.id}/delete")
    assert response.status_code == 303
    assert "Huaroq Sara" not in text(buyer.get("/buyer/cart").data)
    bad = buyer.post(f"/buyer/cart/items/{w.cheese.id}", data={"quantity": "-1"}, headers=HTMX)
    assert bad.status_code == 422


def test_checkout_makes_one_order_per_association(buyer, w):
    add(buyer, w.cheese, "2")
    add(buyer, w.maize, "5")
    response = buyer.post("/buyer/checkout", data=checkout_form(buyer))
    assert response.status_code == 303
    assert response.headers["Location"] == "/buyer/orders"
    page = text(buyer.get("/buyer/orders").data)
    assert "Hicimos 2 pedidos, uno por asociación: Q-00001, Q-00002." in page
    assert "Sumaq Ausangate" in page and "Huaroq Sara" in page
    assert "Tu carrito está vacío." in text(buyer.get("/buyer/cart").data)


def test_posting_the_same_checkout_twice_makes_one_set_of_orders(buyer, w):
    add(buyer, w.cheese, "2")
    add(buyer, w.maize, "5")
    form = checkout_form(buyer)
    first = buyer.post("/buyer/checkout", data=form)
    second = buyer.post("/buyer/checkout", data=form)
    assert first.status_code == second.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 2


def test_a_shortage_at_checkout_says_what_is_left_and_keeps_the_cart(buyer, w):
    add(buyer, w.cheese, "5")
    form = checkout_form(buyer)
    with db.session.begin_nested():
        from marketplace.models.catalog import REASON_COUNT
        from marketplace.services.stock import move_stock

        move_stock(db.session, w.cheese.id, -48, REASON_COUNT)
    db.session.commit()
    response = buyer.post("/buyer/checkout", data=form)
    assert response.status_code == 409
    assert "Queso andino: pediste 5 kg y solo quedan 2 kg." in text(response.data)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(CartItem.id))) == 1


def test_a_wrong_date_is_refused_at_its_field(buyer, w):
    add(buyer, w.cheese, "2")
    form = checkout_form(buyer)
    form[f"date_{w.cheese_assoc.id}"] = "2026-03-07"  # a Saturday
    response = buyer.post("/buyer/checkout", data=form)
    assert response.status_code == 422
    assert "La asociación no entrega ese día." in text(response.data)


def test_the_minimum_order_blocks_checkout_with_a_message(client, auth, app):
    w = ordering_world(min_order_cents=20000)
    db.session.commit()
    auth.login(w.buyer_user)
    add(client, w.cheese, "1")
    response = client.post("/buyer/checkout", data=checkout_form(client))
    assert response.status_code == 422
    assert "El pedido mínimo de Sumaq Ausangate es S/ 200.00 antes de IGV." in text(response.data)


def test_a_cart_changed_in_another_tab_asks_to_confirm_again(buyer, w):
    add(buyer, w.cheese, "2")
    form = checkout_form(buyer)
    add(buyer, w.maize, "1")
    response = buyer.post("/buyer/checkout", data=form)
    assert response.status_code == 409
    assert "Tu carrito cambió en otra pestaña" in text(response.data)
