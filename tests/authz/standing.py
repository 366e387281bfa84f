"""Standing orders: only the buyer's business sees and changes its own."""

from datetime import timedelta

from flask import url_for

from marketplace.extensions import db
from marketplace.formatting import lima_today
from tests.authz import BUYER_ONLY, BUYER_RECORD, Route
from tests.factories import make_standing_order


def extend(world):
    """A weekly standing order of world.buyer, and one of its deliveries still open."""
    world.standing_order = make_standing_order(
        world.users["buyer"], world.address, [(world.product, 2)], weekdays="25"
    )
    day = lima_today() + timedelta(days=7)
    while day.isoweekday() not in (2, 5):
        day += timedelta(days=1)
    world.standing_day = day.isoformat()
    db.session.flush()


def standing(w):
    return {"standing_order_id": w.standing_order.id}


def schedule(w) -> dict:
    """Tuesdays and Fridays from next week, 3 of the product."""
    return {
        "schedule_kind": "weekly",
        "weekdays": ["2", "5"],
        "every_weeks": "1",
        "start_date": (lima_today() + timedelta(days=7)).isoformat(),
        f"qty_{w.product.id}": "3",
    }


def delivery(w):
    return {"standing_order_id": w.standing_order.id, "day": w.standing_day}


ROUTES = [
    Route("buyer.standing_orders", BUYER_ONLY),
    Route("buyer.standing_order_new", BUYER_ONLY),
    Route(
        "buyer.standing_order_new",
        BUYER_ONLY,
        method="POST",
        page=lambda w: url_for("buyer.standing_order_new", association_id=w.association.id),
        data=schedule,
    ),
    Route("buyer.standing_order", BUYER_RECORD, kwargs=standing),
    Route("buyer.standing_order_edit", BUYER_RECORD, kwargs=standing),
    Route(
        "buyer.standing_order_edit",
        BUYER_RECORD,
        method="POST",
        kwargs=standing,
        page=lambda w: url_for("buyer.standing_order_edit", standing_order_id=w.standing_order.id),
        data=schedule,
    ),
    Route("buyer.standing_delivery", BUYER_RECORD, kwargs=delivery),
    Route(
        "buyer.standing_delivery",
        BUYER_RECORD,
        method="POST",
        kwargs=delivery,
        data=lambda w: {f"qty_{w.product.id}": "4"},
    ),
    Route("buyer.standing_delivery_skip", BUYER_RECORD, method="POST", kwargs=delivery),
    Route("buyer.standing_order_pause", BUYER_RECORD, method="POST", kwargs=standing),
    Route("buyer.standing_order_resume", BUYER_RECORD, method="POST", kwargs=standing),
    Route("buyer.standing_order_cancel", BUYER_RECORD, method="POST", kwargs=standing),
]
