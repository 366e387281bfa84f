"""Ordering routes: the buyer's cart, checkout, orders and samples; the promoter's orders."""

from decimal import Decimal

from marketplace.extensions import db
from marketplace.services import delivery, ordering
from tests.authz import BUYER_ONLY, BUYER_RECORD, PROMOTER_ONLY, PROMOTER_RECORD, Route


def extend(world):
    """An order of world.buyer with world.association, one of the other tenants, and carts."""

    def place(user, address, product):
        when = delivery.offered_dates(db.session, product.association_id, address.city)[0]
        (order,) = ordering.checkout(
            db.session,
            user,
            [ordering.LineRequest(product.id, Decimal("2"))],
            {product.association_id: ordering.DeliveryChoice(when, address.id)},
            ordering.new_token(),
        )
        return order

    world.order = place(world.users["buyer"], world.address, world.product)
    world.other_order = place(world.users["other_buyer"], world.other_address, world.other_product)
    for name in ("buyer", "other_buyer"):
        ordering.add_to_cart(db.session, world.users[name], world.product.id, "1")


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
    Route("buyer.checkout", BUYER_ONLY, "POST"),
    Route("buyer.orders", BUYER_ONLY),
    Route("buyer.order", BUYER_RECORD, kwargs=order),
    Route("buyer.order_reorder", BUYER_RECORD, "POST", kwargs=order),
    Route("buyer.order_cancel", BUYER_RECORD, "POST", kwargs=order),
    Route("buyer.sample_request", BUYER_ONLY, kwargs=in_cart),
    Route("buyer.sample_request", BUYER_ONLY, "POST", kwargs=in_cart),
    Route("producer.orders", PROMOTER_ONLY),
    Route("producer.order", PROMOTER_RECORD, kwargs=order),
    Route("producer.order_confirm", PROMOTER_RECORD, "POST", kwargs=order),
    Route("producer.order_dispatch", PROMOTER_RECORD, "POST", kwargs=order),
    Route(
        "producer.order_deliver",
        PROMOTER_RECORD,
        "POST",
        kwargs=order,
        data=lambda w: {f"line_{line.id}": "1" for line in w.order.lines},
    ),
    Route("producer.order_reject", PROMOTER_RECORD, "POST", kwargs=order),
    Route("producer.order_cancel", PROMOTER_RECORD, "POST", kwargs=order),
]
