"""Ordering routes: the buyer's cart, checkout, orders and samples; the promoter's orders."""

from flask import url_for

from marketplace.extensions import db
from marketplace.services import ordering
from marketplace.services.order_states import CONFIRMED, DISPATCHED
from tests.authz import (
    BUYER_ONLY,
    BUYER_RECORD,
    PROMOTER_ONLY,
    PROMOTER_RECORD,
    Route,
    fresh_order,
    place,
)


def extend(world):
    """An order of world.buyer with world.association, one of the other tenants, and carts."""
    world.order = place(world, "buyer", "2")
    world.other_order = place(world, "other_buyer", "2")
    for name in ("buyer", "other_buyer"):
        ordering.add_to_cart(db.session, world.users[name], world.product.id, "1")


def filled_carts(world) -> dict:
    """Both buyers' carts hold the product again (a route before may have emptied them)."""
    for name in ("buyer", "other_buyer"):
        ordering.add_to_cart(db.session, world.users[name], world.product.id, "1")
    return {}


def delivered_lines(world) -> dict:
    """One less of each line than ordered, as the promoter types it."""
    return {f"line_{line.id}": "0" for line in world.last_fresh_order.lines}


def reason(world) -> dict:
    return {"reason": "El camino a Ocongate está cerrado por un huaico."}


def order(world):
    return {"order_id": world.order.id}


def in_cart(world):
    return {"product_id": world.product.id}


ROUTES = [
    Route("buyer.cart", BUYER_ONLY),
    Route("buyer.cart_badge", BUYER_ONLY),
    Route(
        "buyer.cart_add",
        BUYER_ONLY,
        "POST",
        data=lambda w: {"product_id": w.product.id, "quantity": "1"},
    ),
    Route(
        "buyer.cart_update", BUYER_ONLY, "POST", kwargs=in_cart, data=lambda w: {"quantity": "2"}
    ),
    Route("buyer.cart_remove", BUYER_ONLY, "POST", kwargs=in_cart),
    Route(
        "buyer.checkout",
        BUYER_ONLY,
        "POST",
        kwargs=filled_carts,
        page=lambda w: url_for("buyer.cart"),
    ),
    Route("buyer.orders", BUYER_ONLY),
    Route("buyer.order", BUYER_RECORD, kwargs=order),
    Route("buyer.order_reorder", BUYER_RECORD, "POST", kwargs=order),
    Route("buyer.order_cancel", BUYER_RECORD, "POST", kwargs=fresh_order()),
    Route("buyer.sample_request", BUYER_ONLY, kwargs=in_cart),
    Route(
        "buyer.sample_request",
        BUYER_ONLY,
        "POST",
        kwargs=in_cart,
        page=lambda w: url_for("buyer.sample_request", product_id=w.product.id),
    ),
    Route("producer.orders", PROMOTER_ONLY),
    Route("producer.order", PROMOTER_RECORD, kwargs=order),
    Route("producer.order_confirm", PROMOTER_RECORD, "POST", kwargs=fresh_order()),
    Route("producer.order_dispatch", PROMOTER_RECORD, "POST", kwargs=fresh_order(CONFIRMED)),
    Route(
        "producer.order_deliver",
        PROMOTER_RECORD,
        "POST",
        kwargs=fresh_order(CONFIRMED, DISPATCHED),
        data=delivered_lines,
    ),
    Route("producer.order_reject", PROMOTER_RECORD, "POST", kwargs=fresh_order(), data=reason),
    Route(
        "producer.order_cancel", PROMOTER_RECORD, "POST", kwargs=fresh_order(CONFIRMED), data=reason
    ),
]
