"""The promoter's phone: the home page and its one-tap actions; the SMS provider's webhook;
the service worker (public: it holds no data)."""

from marketplace.services.order_states import CONFIRMED, DISPATCHED
from tests.authz import PROMOTER_ONLY, PROMOTER_RECORD, PUBLIC, Route, expect, fresh_order


def product(w):
    return {"product_id": w.product.id}


# Each one-tap action on an order of its own, in the state the action needs.
ACTIONS = {
    "confirm": fresh_order(),
    "reject": fresh_order(),
    "dispatch": fresh_order(CONFIRMED),
    "deliver": fresh_order(CONFIRMED, DISPATCHED),
}


def order_action(action):
    return lambda w: {**ACTIONS[action](w), "action": action}


# Without a valid signature the webhook refuses everyone, logged in or not.
UNSIGNED = expect(anon=403, buyer=403, promoter=403, staff=403)

ROUTES = [
    Route("producer.home", PROMOTER_ONLY),
    Route(
        "producer.home_stock",
        PROMOTER_RECORD,
        "POST",
        kwargs=product,
        data=lambda w: {"quantity": "3", "mode": "add"},
    ),
    *[
        Route(
            "producer.home_order",
            PROMOTER_RECORD,
            "POST",
            kwargs=order_action(action),
            data=lambda w: {"reason": "No hay queso madurado esta semana."},
        )
        for action in ACTIONS
    ],
    Route("sms.inbound", UNSIGNED, "POST"),
    Route("offline.service_worker", PUBLIC),
]
