"""Orders as the buyer and the promoter see them: lists, filters, history and every action."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Order, OrderEvent, Product
from marketplace.services import ordering
from tests.conftest import text
from tests.factories import ordering_world, place_order

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app):
    with app.test_request_context():
        world = ordering_world()
        (world.cheese_order,) = place_order(world.buyer_user, world.address, [(world.cheese, 4)])
        (world.maize_order,) = place_order(world.buyer_user, world.address, [(world.maize, 10)])
        db.session.commit()
    return world


def fresh(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def stock(product):
    db.session.expire_all()
    return db.session.get(Product, product.id).stock_on_hand


def test_buyer_order_list_filters_by_status_association_and_date(client, auth, w, app):
    with app.test_request_context():
        ordering.cancel_order(db.session, w.buyer_user, w.maize_order)
        db.session.commit()
    auth.login(w.buyer_user)
    page = text(client.get("/buyer/orders").data)
    assert "2 pedidos" in page and "Q-00001" in page and "Q-00002" in page
    assert "S/ 134.52" in page  # 4 kg × 28.50 + IGV
    page = text(client.get("/buyer/orders?status=cancelled").data)
    assert "1 pedido" in page and "Q-00002" in page and "Q-00001" not in page
    page = text(client.get(f"/buyer/orders?association={w.cheese_assoc.id}").data)
    assert "Q-00001" in page and "Q-00002" not in page
    page = text(client.get("/buyer/orders?date_from=2026-03-04").data)
    assert "0 pedidos" in page
    page = text(client.get("/buyer/orders?date_from=2026-03-03&date_to=2026-03-03").data)
    assert "2 pedidos" in page
    partial = client.get("/buyer/orders?status=placed", headers=HTMX)
    assert "<html" not in partial.get_data(as_text=True) and "Q-00001" in text(partial.data)


def test_buyer_order_page_shows_frozen_prices_history_and_cancel(client, auth, w):
    w.cheese.price_cents = 9900
    db.session.commit()
    auth.login(w.buyer_user)
    page = text(client.get(f"/buyer/orders/{w.cheese_order.id}").data)
    assert "Queso andino" in page and "S/ 28.50 / kg" in page
    assert "Subtotal S/ 114.00" in page and "IGV (18 %) S/ 20.52" in page
    assert "Historial" in page and "Recibido" in page
    assert "Cancelar pedido" in page and "Volver a pedir" in page
    response = client.post(f"/buyer/orders/{w.cheese_order.id}/cancel", data={"reason": ""})
    assert response.status_code == 303
    page = text(client.get(f"/buyer/orders/{w.cheese_order.id}").data)
    assert "Cancelaste el pedido Q-00001." in page and "Cancelado" in page
    assert "Cancelar pedido" not in page
    assert stock(w.cheese) == Decimal("50")


def test_buyer_cannot_cancel_once_confirmed(client, auth, w, app):
    with app.test_request_context():
        ordering.confirm_order(db.session, w.promoter, w.cheese_order)
        db.session.commit()
    auth.login(w.buyer_user)
    assert "Cancelar pedido" not in text(client.get(f"/buyer/orders/{w.cheese_order.id}").data)
    response = client.post(f"/buyer/orders/{w.cheese_order.id}/cancel")
    assert response.status_code == 409
    assert "La asociación ya confirmó este pedido" in text(response.data)
    assert fresh(w.cheese_order).status == "confirmed"


def test_reorder_fills_the_cart_and_tells_what_changed(client, auth, w):
    w.cheese.price_cents = 3000
    db.session.commit()
    auth.login(w.buyer_user)
    response = client.post(f"/buyer/orders/{w.cheese_order.id}/reorder")
    assert response.status_code == 303 and response.headers["Location"] == "/buyer/cart"
    page = text(client.get("/buyer/cart").data)
    assert "Añadimos al carrito: Queso andino." in page
    assert "Queso andino cambió de precio: antes S/ 28.50, hoy S/ 30.00." in page
    assert "S/ 120.00" in page


def test_another_buyers_order_is_not_found(client, auth, w):
    auth.login(w.other_buyer_user)
    assert client.get(f"/buyer/orders/{w.cheese_order.id}").status_code == 404
    assert client.post(f"/buyer/orders/{w.cheese_order.id}/cancel").status_code == 404
    assert "0 pedidos" in text(client.get("/buyer/orders").data)


def test_sample_request_page(client, auth, w):
    auth.login(w.buyer_user)
    page = text(client.get(f"/buyer/samples/{w.cheese.id}").data)
    assert "La muestra es gratis: 0,5 kg" in page or "La muestra es gratis: 0.5 kg" in page
    response = client.post(
        f"/buyer/samples/{w.cheese.id}",
        data={"delivery_date": "2026-03-03", "address_id": str(w.address.id)},
    )
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]).data)
    assert "Pediste una muestra de Queso andino." in page and "muestra gratis" in page
    assert "Total S/ 0.00" in page
    page = text(client.get(f"/buyer/samples/{w.cheese.id}").data)
    assert "Ya pediste una muestra de este producto." in page
    wrong = client.post(
        f"/buyer/samples/{w.maize.id}",
        data={"delivery_date": "2026-03-03", "address_id": str(w.address.id)},
    )
    assert wrong.status_code == 422 and "no ofrece muestras" in text(wrong.data)


def test_promoter_sees_its_orders_on_cards_and_confirms_with_one_tap(client, auth, w):
    auth.login(w.promoter)
    page = text(client.get("/producer/orders").data)
    assert "Q-00001" in page and "Q-00002" not in page  # the maize order is not theirs
    assert "Queso andino: 4 kg" in page and "Confirmar" in page
    response = client.post(f"/producer/orders/{w.cheese_order.id}/confirm", headers=HTMX)
    assert response.status_code == 200
    card = text(response.data)
    assert "Confirmaste el pedido Q-00001." in card and "Despachar" in card
    assert "<html" not in response.get_data(as_text=True)
    response = client.post(f"/producer/orders/{w.cheese_order.id}/dispatch", data={"back": "list"})
    assert response.status_code == 303 and response.headers["Location"] == "/producer/orders"
    assert fresh(w.cheese_order).status == "dispatched"
    page = text(client.get("/producer/orders?view=dispatched").data)
    assert "Registrar entrega" in page


def test_promoter_records_a_short_delivery_and_the_buyer_sees_the_new_total(client, auth, w, app):
    with app.test_request_context():
        ordering.confirm_order(db.session, w.promoter, w.cheese_order)
        ordering.dispatch_order(db.session, w.promoter, w.cheese_order)
        db.session.commit()
    line = w.cheese_order.lines[0]
    auth.login(w.promoter)
    too_much = client.post(
        f"/producer/orders/{w.cheese_order.id}/deliver", data={f"line_{line.id}": "5"}
    )
    assert too_much.status_code == 422
    assert "No puedes entregar más de lo pedido." in text(too_much.data)
    response = client.post(
        f"/producer/orders/{w.cheese_order.id}/deliver", data={f"line_{line.id}": "3"}
    )
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]).data)
    assert "Entrega incompleta: el monto a pagar bajó de S/ 134.52 a S/ 100.89." in page
    assert stock(w.cheese) == Decimal("47")  # 50 - 4 reserved + 1 not delivered
    auth.logout()
    auth.login(w.buyer_user)
    page = text(client.get(f"/buyer/orders/{w.cheese_order.id}").data)
    assert "Total a pagar S/ 100.89" in page and "Entregado" in page
    assert "S/ 100.89" in text(client.get("/buyer/orders").data)


def test_rejecting_needs_a_reason_and_gives_the_stock_back(client, auth, w):
    auth.login(w.promoter)
    response = client.post(f"/producer/orders/{w.cheese_order.id}/reject", data={"reason": ""})
    assert response.status_code == 422
    assert "Indica el motivo." in text(response.data)
    response = client.post(
        f"/producer/orders/{w.cheese_order.id}/reject", data={"reason": "Sin leche esta semana"}
    )
    assert response.status_code == 303
    assert fresh(w.cheese_order).reject_reason == "Sin leche esta semana"
    assert stock(w.cheese) == Decimal("50")
    page = text(client.get("/producer/orders?view=closed").data)
    assert "Q-00001" in page and "Rechazado" in page


def test_promoter_cancels_a_confirmed_order_with_a_reason(client, auth, w, app):
    with app.test_request_context():
        ordering.confirm_order(db.session, w.promoter, w.cheese_order)
        db.session.commit()
    auth.login(w.promoter)
    page = text(client.get(f"/producer/orders/{w.cheese_order.id}").data)
    assert "Cancelar el pedido" in page and "Rechazar el pedido" not in page
    response = client.post(
        f"/producer/orders/{w.cheese_order.id}/cancel", data={"reason": "Helada en la ruta"}
    )
    assert response.status_code == 303
    assert fresh(w.cheese_order).status == "cancelled"


def test_another_associations_order_is_not_found(client, auth, w):
    auth.login(w.promoter)
    assert client.get(f"/producer/orders/{w.maize_order.id}").status_code == 404
    assert client.post(f"/producer/orders/{w.maize_order.id}/confirm").status_code == 404
    assert fresh(w.maize_order).status == "placed"


def test_confirming_twice_says_it_already_changed(client, auth, w):
    auth.login(w.promoter)
    client.post(f"/producer/orders/{w.cheese_order.id}/confirm")
    again = client.post(f"/producer/orders/{w.cheese_order.id}/confirm", headers=HTMX)
    assert again.status_code == 409
    assert "no puede pasar a confirmado" in text(again.data)
    confirmations = db.session.scalar(
        sa.select(sa.func.count(OrderEvent.id)).where(
            OrderEvent.order_id == w.cheese_order.id, OrderEvent.to_status == "confirmed"
        )
    )
    assert confirmations == 1


def test_a_standing_order_placed_short_says_what_was_asked(client, auth, w):
    w.cheese_order.source = "standing"
    w.cheese_order.lines[0].requested_quantity = Decimal("6")
    db.session.commit()
    auth.login(w.buyer_user)
    assert "pedido fijo" in text(client.get("/buyer/orders").data)
    page = text(client.get(f"/buyer/orders/{w.cheese_order.id}").data)
    assert "Pedido fijo: se pidió 6 kg; solo había 4 kg." in page
