"""The promoter's phone: the home page and its one-tap actions; the SMS provider's webhook;
the service worker (public: it holds no data)."""

from decimal import Decimal

from marketplace.extensions import db
from marketplace.services import delivery, ordering
from tests.authz import PROMOTER_ONLY, PROMOTER_RECORD, PUBLIC, Route, expect


def extend(world):
    """An order of world.buyer with world.association for the home page's order actions."""
    when = delivery.offered_dates(db.session, world.association.id, world.address.city)[0]
    (world.phone_order,) = ordering.checkout(
        db.session,
        world.users["buyer"],
        [ordering.LineRequest(world.product.id, Decimal("1"))],
        {world.association.id: ordering.DeliveryChoice(when, world.address.id)},
        ordering.new_token(),
    )


def product(w):
    return {"product_id": w.product.id}


def order_action(action):
    return lambda w: {"order_id": w.phone_order.id, "action": action}


# Without a valid signature the webhook refuses everyone, logged in or not.
UNSIGNED = expect(anon=403, buyer=403, promoter=403, staff=403)

ROUTES = [
    Route("producer.home", PROMOTER_ONLY),
    Route("producer.home_stock", PROMOTER_RECORD, "POST", kwargs=product),
    *[
        Route("producer.home_order", PROMOTER_RECORD, "POST", kwargs=order_action(action))
        for action in ("confirm", "reject", "dispatch", "deliver")
    ],
    Route("sms.inbound", UNSIGNED, "POST"),
    Route("offline.service_worker", PUBLIC),
]
