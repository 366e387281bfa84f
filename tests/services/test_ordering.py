"""Checkout, stock reservation, idempotency, minimum order, samples, reorder and the cart."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.labels import order_number
from marketplace.models import Cart, CartItem, Notification, Order, OrderEvent, StockMovement
from marketplace.models.catalog import REASON_RESERVATION, REASON_SAMPLE
from marketplace.services import DomainError, ordering
from marketplace.services import order_states as st
from marketplace.services.stock import InsufficientStock, ledger_balance
from tests.factories import (
    BuyerAddressFactory,
    ProductFactory,
    add_stock,
    ordering_world,
    place_order,
)

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))
TUESDAY = date(2026, 3, 3)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context(), time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app):
    return ordering_world()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def choices(w, when=TUESDAY, address=None):
    address = address or w.address
    return {
        w.cheese_assoc.id: ordering.DeliveryChoice(when, address.id),
        w.maize_assoc.id: ordering.DeliveryChoice(when, address.id),
    }


def test_checkout_makes_one_order_per_association_and_reserves_stock(w):
    lines = [
        ordering.LineRequest(w.cheese.id, Decimal("2.5")),
        ordering.LineRequest(w.maize.id, Decimal("10")),
    ]
    orders = ordering.checkout(db.session, w.buyer_user, lines, choices(w), "tok-1")
    db.session.commit()

    assert [o.association_id for o in orders] == [w.cheese_assoc.id, w.maize_assoc.id]
    cheese_order, maize_order = orders
    assert cheese_order.status == st.PLACED
    assert cheese_order.delivery_date == TUESDAY
    assert cheese_order.delivery_address == w.address.address
    assert cheese_order.placed_by_id == w.buyer_user.id
    line = cheese_order.lines[0]
    assert (line.product_name, line.variety, line.unit) == ("Queso andino", "andino", "kg")
    assert line.weight_per_unit_kg == Decimal("1")
    assert line.unit_price_cents == 2850
    assert line.line_total_cents == 7125
    assert (cheese_order.subtotal_cents, cheese_order.igv_cents, cheese_order.total_cents) == (
        7125,
        1283,  # 1282.5 rounds up
        8408,
    )
    assert maize_order.total_cents == 12900 + 2322
    assert w.cheese.stock_on_hand == Decimal("47.5")
    assert ledger_balance(db.session, w.cheese.id) == Decimal("47.5")
    reservation = db.session.scalar(
        sa.select(StockMovement).where(StockMovement.order_id == cheese_order.id)
    )
    assert reservation.reason == REASON_RESERVATION
    assert reservation.quantity == Decimal("-2.5")
    events = db.session.scalars(sa.select(OrderEvent).order_by(OrderEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [(None, "placed"), (None, "placed")]
    # The promoters hear of the new orders; the buyer, who just placed them, does not.
    notified = db.session.scalars(sa.select(Notification.email)).all()
    assert sorted(notified) == ["maiz@example.pe", "promotora@example.pe"]


def test_prices_are_frozen_at_ordering_time(w):
    (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 1)])
    w.cheese.price_cents = 9900
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Order, order.id).lines[0].unit_price_cents == 2850
    assert db.session.get(Order, order.id).total_cents == 3363


def test_a_shortage_names_every_short_line_and_writes_nothing(w):
    before = (count(Order), count(StockMovement), count(Notification))
    lines = [
        ordering.LineRequest(w.cheese.id, Decimal("60")),
        ordering.LineRequest(w.maize.id, Decimal("51")),
    ]
    with pytest.raises(InsufficientStock) as caught:
        ordering.checkout(db.session, w.buyer_user, lines, choices(w), "tok-short")
    shortages = {s.product_id: s for s in caught.value.shortages}
    assert shortages[w.cheese.id].available == Decimal("50")
    assert shortages[w.cheese.id].requested == Decimal("60")
    assert shortages[w.maize.id].available == Decimal("50")
    assert "quedan 50" in ordering.shortage_message(shortages[w.cheese.id], "kg")
    db.session.commit()
    assert (count(Order), count(StockMovement), count(Notification)) == before
    db.session.expire_all()
    assert w.cheese.stock_on_hand == Decimal("50")


def test_one_short_line_blocks_the_other_association_too(w):
    lines = [
        ordering.LineRequest(w.cheese.id, Decimal("1")),
        ordering.LineRequest(w.maize.id, Decimal("51")),
    ]
    with pytest.raises(InsufficientStock) as caught:
        ordering.checkout(db.session, w.buyer_user, lines, choices(w), "tok-x")
    assert [s.product_id for s in caught.value.shortages] == [w.maize.id]
    db.session.commit()
    assert count(Order) == 0
    assert ledger_balance(db.session, w.cheese.id) == Decimal("50")


def test_same_token_twice_gives_the_same_orders(w):
    lines = [ordering.LineRequest(w.cheese.id, Decimal("3"))]
    first = ordering.checkout(db.session, w.buyer_user, lines, choices(w), "same")
    db.session.commit()
    again = ordering.checkout(db.session, w.buyer_user, lines, choices(w), "same")
    db.session.commit()
    assert [o.id for o in again] == [o.id for o in first]
    assert count(Order) == 1
    assert w.cheese.stock_on_hand == Decimal("47")


def test_another_buyer_cannot_reuse_a_token(w):
    lines = [ordering.LineRequest(w.cheese.id, Decimal("1"))]
    ordering.checkout(db.session, w.buyer_user, lines, choices(w), "shared")
    db.session.commit()
    other_choice = {w.cheese_assoc.id: ordering.DeliveryChoice(TUESDAY, w.other_address.id)}
    with pytest.raises(DomainError):
        ordering.checkout(db.session, w.other_buyer_user, lines, other_choice, "shared")
    db.session.rollback()
    assert count(Order) == 1


def test_minimum_order_value_per_association(app):
    w = ordering_world(min_order_cents=10000)
    lines = [
        ordering.LineRequest(w.cheese.id, Decimal("3")),  # 85.50 before IGV
        ordering.LineRequest(w.maize.id, Decimal("1")),
    ]
    with pytest.raises(ordering.InvalidFields) as caught:
        ordering.checkout(db.session, w.buyer_user, lines, choices(w), "min")
    message = caught.value.errors[ordering.group_field(w.cheese_assoc.id)]
    assert "S/\xa0100.00" in message
    assert ordering.group_field(w.maize_assoc.id) not in caught.value.errors
    lines[0] = ordering.LineRequest(w.cheese.id, Decimal("3.51"))  # 100.04
    orders = ordering.checkout(db.session, w.buyer_user, lines, choices(w), "min")
    assert len(orders) == 2


def test_delivery_date_and_address_are_checked_per_association(w):
    lines = [
        ordering.LineRequest(w.cheese.id, Decimal("1")),
        ordering.LineRequest(w.maize.id, Decimal("1")),
    ]
    bad = {
        w.cheese_assoc.id: ordering.DeliveryChoice(date(2026, 3, 7), w.address.id),  # Saturday
        w.maize_assoc.id: ordering.DeliveryChoice(TUESDAY, w.other_address.id),  # not theirs
    }
    with pytest.raises(ordering.InvalidFields) as caught:
        ordering.checkout(db.session, w.buyer_user, lines, bad, "d")
    assert set(caught.value.errors) == {
        ordering.date_field(w.cheese_assoc.id),
        ordering.address_field(w.maize_assoc.id),
    }
    lima = BuyerAddressFactory(buyer=w.buyer, city="lima", address="Av. Larco 1, Miraflores")
    with pytest.raises(ordering.InvalidFields) as caught:
        ordering.checkout(db.session, w.buyer_user, lines, choices(w, address=lima), "d")
    assert "no entrega en tu ciudad" in caught.value.errors[ordering.date_field(w.cheese_assoc.id)]


def test_quantities_respect_the_unit(w):
    piece = ProductFactory(association=w.cheese_assoc, unit="piece", name="Queso paria")
    add_stock(piece, 10)
    for bad in ("1.5", "0", "-1", "abc"):
        with pytest.raises(DomainError):
            ordering.checkout(
                db.session, w.buyer_user, [ordering.LineRequest(piece.id, bad)], choices(w), "q"
            )
    with pytest.raises(DomainError, match="tres decimales"):
        ordering.clean_quantity("1.2345", "kg")


def test_cancel_and_reject_give_the_stock_back(w):
    (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 4)])
    ordering.cancel_order(db.session, w.buyer_user, order)
    assert order.status == st.CANCELLED
    assert w.cheese.stock_on_hand == Decimal("50")
    (order2,) = place_order(w.buyer_user, w.address, [(w.cheese, 5)])
    ordering.reject_order(db.session, w.promoter, order2, "No hay leche esta semana")
    db.session.commit()
    assert order2.reject_reason == "No hay leche esta semana"
    assert ledger_balance(db.session, w.cheese.id) == w.cheese.stock_on_hand == Decimal("50")


def test_short_delivery_books_the_difference_and_lowers_the_amount_due(w):
    (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 4)])
    ordering.confirm_order(db.session, w.promoter, order)
    ordering.dispatch_order(db.session, w.promoter, order)
    line = order.lines[0]
    result = ordering.deliver_order(db.session, w.promoter, order, {line.id: "3.5"})
    db.session.commit()
    assert order.status == st.DELIVERED
    assert line.delivered_quantity == Decimal("3.5")
    assert line.delivered_total_cents == 9975
    assert order.total_cents == 11400 + 2052
    assert order.delivered_total_cents == 9975 + 1796  # IGV 1795.5 rounds up
    assert order.amount_due_cents == 11771
    assert order.delivered_short and result.reduction_cents == 13452 - 11771
    assert w.cheese.stock_on_hand == Decimal("46.5")
    assert ledger_balance(db.session, w.cheese.id) == Decimal("46.5")
    body = db.session.scalar(
        sa.select(Notification.body).where(Notification.kind == "order_delivered")
    )
    assert "Entrega incompleta" in body and "S/\xa0117.71" in body


def test_full_delivery_by_default_and_no_more_than_ordered(w):
    (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 2)])
    ordering.confirm_order(db.session, w.promoter, order)
    ordering.dispatch_order(db.session, w.promoter, order)
    line = order.lines[0]
    with pytest.raises(ordering.InvalidFields) as caught:
        ordering.deliver_order(db.session, w.promoter, order, {line.id: "3"})
    assert "más de lo pedido" in caught.value.errors[f"line_{line.id}"]
    ordering.deliver_order(db.session, w.promoter, order)
    assert order.delivered_total_cents == order.total_cents
    assert not order.delivered_short


def test_sample_is_a_free_order_from_stock_one_pending_per_product(w):
    order = ordering.request_sample(db.session, w.buyer_user, w.cheese.id, w.address.id, TUESDAY)
    assert order.source == "sample"
    assert order.total_cents == 0
    line = order.lines[0]
    assert line.is_sample and line.unit_price_cents == 0 and line.quantity == Decimal("0.5")
    movement = db.session.scalar(sa.select(StockMovement).where(StockMovement.order_id == order.id))
    assert movement.reason == REASON_SAMPLE
    with pytest.raises(DomainError, match="Ya pediste una muestra"):
        ordering.request_sample(db.session, w.buyer_user, w.cheese.id, w.address.id, TUESDAY)
    with pytest.raises(DomainError, match="no ofrece muestras"):
        ordering.request_sample(db.session, w.buyer_user, w.maize.id, w.address.id, TUESDAY)
    for step in (ordering.confirm_order, ordering.dispatch_order, ordering.deliver_order):
        step(db.session, w.promoter, order)
    again = ordering.request_sample(db.session, w.buyer_user, w.cheese.id, w.address.id, TUESDAY)
    assert again.id != order.id


def test_no_sample_when_the_stock_is_gone(app):
    w = ordering_world(stock="0.2")
    with pytest.raises(DomainError, match="no quedan muestras"):
        ordering.request_sample(db.session, w.buyer_user, w.cheese.id, w.address.id, TUESDAY)


def test_reorder_copies_lines_at_todays_prices_and_says_what_changed(w):
    gone = ProductFactory(association=w.cheese_assoc, name="Queso madurado")
    add_stock(gone, 5)
    (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 2), (gone, 1)])
    w.cheese.price_cents = 3000
    gone.active = False
    result = ordering.reorder(db.session, w.buyer_user, order)
    assert result.added == ["Queso andino"]
    assert result.price_changes == [("Queso andino", 2850, 3000)]
    assert result.unavailable == ["Queso madurado"]
    view = ordering.cart_view(db.session, w.buyer_user)
    (group,) = view.groups
    assert group.rows[0].unit_price_cents == 3000
    assert group.rows[0].item.quantity == Decimal("2")


def test_reorder_of_another_buyers_order_is_refused(w):
    (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 2)])
    with pytest.raises(DomainError):
        ordering.reorder(db.session, w.other_buyer_user, order)


def test_cart_groups_per_association_with_totals_and_minimum(app):
    w = ordering_world(min_order_cents=10000)
    ordering.add_to_cart(db.session, w.buyer_user, w.cheese.id, "2")
    ordering.add_to_cart(db.session, w.buyer_user, w.cheese.id, "1.5")
    ordering.add_to_cart(db.session, w.buyer_user, w.maize.id, "3")
    view = ordering.cart_view(db.session, w.buyer_user)
    assert view.count == 2
    cheese, maize = sorted(view.groups, key=lambda g: g.association.id)
    assert cheese.rows[0].item.quantity == Decimal("3.5")
    assert cheese.totals.subtotal_cents == 9975
    assert not cheese.min_order_met and cheese.missing_cents == 25
    assert maize.min_order_met
    assert cheese.dates_by_city["cusco"][0] == TUESDAY
    assert ordering.cart_count(db.session, w.buyer_user.id) == 2
    with pytest.raises(DomainError, match="Solo quedan 50"):
        ordering.add_to_cart(db.session, w.buyer_user, w.cheese.id, "47")
    ordering.set_cart_quantity(db.session, w.buyer_user, w.maize.id, "0")
    assert ordering.cart_count(db.session, w.buyer_user.id) == 1


def test_checkout_cart_empties_it_renews_the_token_and_is_idempotent(w):
    ordering.add_to_cart(db.session, w.buyer_user, w.cheese.id, "2")
    ordering.add_to_cart(db.session, w.buyer_user, w.maize.id, "3")
    view = ordering.cart_view(db.session, w.buyer_user)
    token = view.cart.checkout_token
    orders = ordering.checkout_cart(db.session, w.buyer_user, choices(w), token, view.fingerprint)
    db.session.commit()
    assert len(orders) == 2
    assert count(CartItem) == 0
    assert db.session.scalar(sa.select(Cart.checkout_token)) != token
    # A second tab, or a double click, posting the same form: the same orders.
    again = ordering.checkout_cart(db.session, w.buyer_user, choices(w), token, view.fingerprint)
    assert [o.id for o in again] == [o.id for o in orders]
    assert count(Order) == 2


def test_checkout_refuses_a_cart_changed_since_the_form_was_shown(w):
    ordering.add_to_cart(db.session, w.buyer_user, w.cheese.id, "2")
    view = ordering.cart_view(db.session, w.buyer_user)
    ordering.add_to_cart(db.session, w.buyer_user, w.maize.id, "3")
    with pytest.raises(DomainError, match="cambió"):
        ordering.checkout_cart(
            db.session, w.buyer_user, choices(w), view.cart.checkout_token, view.fingerprint
        )


def test_only_buyers_order(w):
    with pytest.raises(DomainError):
        ordering.add_to_cart(db.session, w.promoter, w.cheese.id, "1")


def test_order_number_is_read_out_with_five_digits():
    assert order_number(7) == "Q-00007"
    assert order_number(123456) == "Q-123456"
    assert Order(id=123).number == "Q-00123"
