"""Stock from a phone: set the counted quantity or add production, always through the ledger;
a change made meanwhile by an order is shown to the promoter instead of being overwritten."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.extensions import db
from marketplace.models import Product, StockMovement
from marketplace.models.catalog import (
    REASON_COUNT,
    REASON_PRODUCTION,
    REASON_RESERVATION,
)
from marketplace.services import DomainError, catalog
from marketplace.services.stock import ledger_balance, move_stock
from tests.conftest import text
from tests.factories import ProductFactory, PromoterFactory, ordering_world, place_order

HX = {"HX-Request": "true"}


@pytest.fixture
def promoter(app, auth):
    user = PromoterFactory(name="Rosa Quispe")
    db.session.commit()
    auth.login(user)
    return user


def product_with_stock(association, stock="10", **fields) -> Product:
    product = ProductFactory(association=association, **fields)
    db.session.flush()
    if Decimal(stock):
        move_stock(db.session, product.id, Decimal(stock), REASON_PRODUCTION)
    db.session.commit()
    return product


def stock_of(product: Product) -> Decimal:
    db.session.expire_all()
    return db.session.get(Product, product.id).stock_on_hand


def movements(product: Product) -> list[StockMovement]:
    return list(
        db.session.scalars(
            sa.select(StockMovement)
            .where(StockMovement.product_id == product.id)
            .order_by(StockMovement.id)
        )
    )


def post_stock(client, product, quantity, seen=None, action="count", headers=None):
    data = {"quantity": quantity, action: "1"}
    if seen is not None:
        data["seen_on_hand"] = seen
    return client.post(f"/producer/products/{product.id}/stock", data=data, headers=headers)


def test_set_counted_quantity_goes_through_the_ledger(client, promoter):
    product = product_with_stock(promoter.association, "10")
    response = post_stock(client, product, "12.5", seen="10.000")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/producer/#stock-{product.id}")
    assert stock_of(product) == Decimal("12.5")
    assert ledger_balance(db.session, product.id) == Decimal("12.5")
    last = movements(product)[-1]
    assert (last.reason, last.quantity, last.balance_after, last.actor_id) == (
        REASON_COUNT,
        Decimal("2.5"),
        Decimal("12.5"),
        promoter.id,
    )
    assert "Guardamos el conteo." in text(client.get("/producer/").data)


def test_counting_the_same_figure_records_nothing(client, promoter):
    product = product_with_stock(promoter.association, "10")
    assert post_stock(client, product, "10", seen="10.000").status_code == 303
    assert len(movements(product)) == 1


def test_add_production_goes_through_the_ledger(client, promoter):
    product = product_with_stock(promoter.association, "10")
    response = post_stock(client, product, "4", seen="10.000", action="produce")
    assert response.status_code == 303
    assert stock_of(product) == Decimal("14")
    assert ledger_balance(db.session, product.id) == Decimal("14")
    last = movements(product)[-1]
    assert (last.reason, last.quantity, last.actor_id) == (
        REASON_PRODUCTION,
        Decimal("4"),
        promoter.id,
    )


def test_production_is_added_even_if_an_order_moved_the_stock(client, promoter):
    product = product_with_stock(promoter.association, "10")
    move_stock(db.session, product.id, Decimal("-3"), REASON_RESERVATION)
    db.session.commit()
    assert post_stock(client, product, "5", seen="10.000", action="produce").status_code == 303
    assert stock_of(product) == Decimal("12")


@pytest.mark.parametrize(
    ("quantity", "action", "message", "unit"),
    [
        ("-1", "count", "La cantidad no puede ser negativa.", "kg"),
        ("-1", "produce", "La cantidad no puede ser negativa.", "kg"),
        ("", "count", "Escribe una cantidad.", "kg"),
        ("doce", "count", "Escribe un número", "kg"),
        ("1.2345", "count", "Usa como máximo tres decimales.", "kg"),
        ("0", "produce", "más de cero", "kg"),
        ("2.5", "count", "Cuenta en unidades enteras.", "piece"),
        ("1.5", "produce", "Cuenta en unidades enteras.", "sack50"),
        ("99999999", "count", "demasiado alta", "kg"),
    ],
)
def test_invalid_quantities_are_refused_with_a_clear_message(
    client, promoter, quantity, action, message, unit
):
    product = product_with_stock(promoter.association, "10", unit=unit)
    response = post_stock(client, product, quantity, seen="10.000", action=action)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    marker = f'id="qty-{product.id}-err">'
    assert message in html[html.index(marker) :]
    assert stock_of(product) == Decimal("10")
    assert len(movements(product)) == 1


def test_decimal_comma_is_understood(client, promoter):
    product = product_with_stock(promoter.association, "10")
    post_stock(client, product, "7,25", seen="10.000")
    assert stock_of(product) == Decimal("7.25")


def test_a_change_made_meanwhile_is_shown_then_confirming_applies_the_count(client, promoter):
    product = product_with_stock(promoter.association, "10")
    page = client.get("/producer/").get_data(as_text=True)
    assert 'value="10.000"' in page  # the figure the promoter sees travels with the form

    # Meanwhile a buyer's order reserves 3 kg.
    move_stock(db.session, product.id, Decimal("-3"), REASON_RESERVATION)
    db.session.commit()

    response = post_stock(client, product, "9", seen="10.000")
    assert response.status_code == 409
    page = text(response.data)
    assert "veías 10 kg y ahora hay 7 kg (diferencia: -3)" in page
    assert stock_of(product) == Decimal("7")  # nothing overwritten
    html = response.get_data(as_text=True)
    assert re.search(r'<input[^>]*name="seen_on_hand"[^>]*value="7.000"', html)
    assert 'value="9"' in html  # the count the promoter typed is kept

    confirmed = post_stock(client, product, "9", seen="7.000")
    assert confirmed.status_code == 303
    assert stock_of(product) == Decimal("9")
    assert ledger_balance(db.session, product.id) == Decimal("9")
    assert [m.reason for m in movements(product)] == [
        REASON_PRODUCTION,
        REASON_RESERVATION,
        REASON_COUNT,
    ]


def test_htmx_swaps_just_the_products_stock_component(client, promoter):
    product = product_with_stock(promoter.association, "10")
    index = client.get("/producer/").get_data(as_text=True)
    assert f'id="stock-{product.id}" hx-target="this" hx-swap="outerHTML"' in index
    assert f'hx-post="/producer/products/{product.id}/stock"' in index

    response = post_stock(client, product, "6", seen="10.000", headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<article class="stock-item" id="stock-{product.id}"')
    assert "<html" not in html
    assert "6 kg" in text(html) and "Guardamos el conteo." in text(html)
    assert 'value="6.000"' in html  # ready for the next update
    assert stock_of(product) == Decimal("6")


def test_htmx_conflict_answers_409_with_the_component(client, promoter):
    product = product_with_stock(promoter.association, "10")
    move_stock(db.session, product.id, Decimal("-4"), REASON_RESERVATION)
    db.session.commit()
    response = post_stock(client, product, "8", seen="10.000", headers=HX)
    assert response.status_code == 409
    assert "<html" not in response.get_data(as_text=True)
    assert "diferencia: -4" in text(response.data)


def test_htmx_field_error_answers_400_with_the_component(client, promoter):
    product = product_with_stock(promoter.association, "10")
    response = post_stock(client, product, "-2", seen="10.000", headers=HX)
    assert response.status_code == 400
    assert "<html" not in response.get_data(as_text=True)
    assert "La cantidad no puede ser negativa." in text(response.data)


def test_stock_page_without_javascript(client, promoter):
    product = product_with_stock(promoter.association, "3", unit="piece", name="Queso pizzero")
    page = client.get(f"/producer/products/{product.id}/stock")
    assert page.status_code == 200
    assert "<h1" in page.get_data(as_text=True)
    assert "3 piezas" in text(page.data)


def test_stock_history_lists_the_ledger_in_lima_time(client, auth):
    with time_machine.travel(datetime(2025, 3, 10, 15, 30, tzinfo=UTC), tick=False):
        promoter = PromoterFactory(name="Rosa Quispe")
        product = product_with_stock(promoter.association, "10")
        auth.login(promoter)
        assert post_stock(client, product, "8", seen="10.000").status_code == 303
        response = client.get(f"/producer/products/{product.id}/stock/history")
    assert response.status_code == 200
    rows = text(response.data)
    assert "Conteo" in rows and "Producción" in rows
    assert "10:30" in rows  # 15:30 UTC is 10:30 in Lima
    assert "Rosa Quispe" in rows
    assert "-2" in rows and "+10" in rows
    assert rows.index("Conteo") < rows.index("Producción")  # newest first


def test_stock_history_of_a_product_without_movements(client, promoter):
    product = product_with_stock(promoter.association, "0")
    assert "Todavía no hay movimientos" in text(
        client.get(f"/producer/products/{product.id}/stock/history").data
    )


# --- The invariant, whatever the promoter and the orders do ---------------------------------

QUANTITIES = st.decimals(min_value=0, max_value=500, places=3, allow_nan=False)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("count"), QUANTITIES, st.booleans()),  # bool: the figure seen is stale
        st.tuples(st.just("produce"), QUANTITIES, st.just(False)),
        st.tuples(st.just("reserve"), QUANTITIES, st.just(False)),
        st.tuples(st.just("release"), QUANTITIES, st.just(False)),
        st.tuples(st.just("count"), st.decimals(-50, Decimal("-0.001"), places=3), st.just(False)),
    ),
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_any_sequence_of_stock_operations_keeps_the_ledger_invariant(app, operations):
    """stock_on_hand == sum(movements) >= 0 after every step; a refused step changes nothing."""
    from marketplace.models.catalog import REASON_RELEASE

    with app.test_request_context():
        actor = PromoterFactory()
        product = ProductFactory(association=actor.association)
        db.session.flush()
        try:
            for kind, amount, stale in operations:
                before = (product.stock_on_hand, len(movements(product)))
                try:
                    if kind == "count":
                        seen = product.stock_on_hand + (1 if stale else 0)
                        catalog.count_stock(db.session, actor, product, amount, seen)
                    elif kind == "produce":
                        catalog.add_production(db.session, actor, product, amount)
                    elif kind == "reserve":
                        move_stock(db.session, product.id, -amount, REASON_RESERVATION)
                    else:
                        move_stock(db.session, product.id, amount, REASON_RELEASE)
                except DomainError:
                    db.session.refresh(product)
                    assert (product.stock_on_hand, len(movements(product))) == before
                db.session.refresh(product)
                balance = ledger_balance(db.session, product.id)
                assert product.stock_on_hand == balance >= 0
        finally:
            db.session.rollback()


def test_stock_form_needs_its_csrf_token(app, client, promoter):
    product = product_with_stock(promoter.association, "10")
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get("/producer/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    refused = post_stock(client, product, "3", seen="10.000")
    assert refused.status_code == 400
    assert stock_of(product) == Decimal("10")

    data = {"quantity": "3", "seen_on_hand": "10.000", "count": "1", "csrf_token": token}
    accepted = client.post(f"/producer/products/{product.id}/stock", data=data)
    assert accepted.status_code == 303
    assert stock_of(product) == Decimal("3")


def test_stock_history_names_the_order_by_its_number(app, client, auth):
    w = ordering_world()
    with app.test_request_context():
        [order] = place_order(w.buyer_user, w.address, [(w.cheese, "2")])
    db.session.commit()
    auth.login(w.promoter)
    rows = text(client.get(f"/producer/products/{w.cheese.id}/stock/history").data)
    assert f"Q-{order.id:05d}" in rows  # the number the buyer and the order page use
