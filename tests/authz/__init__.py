"""Expected answers of every route for every role, one module per blueprint.

Each module defines ROUTES: a list of Route. tests/test_authorization.py walks the app's URL
map and fails on any (endpoint, method) that no module describes.

Roles: anon, buyer, other_buyer, promoter, other_promoter, staff. `world` (see
tests/test_authorization.py) holds two buyers and two associations; "buyer" and "promoter"
own the records that `kwargs` point at, "other_*" are the other tenant.

Expected answers:
- OK: allowed, and it works: a 2xx or 3xx answer (not a redirect to the login page, and no
  error message left for the next page). So every allowed POST is sent with valid input, on
  a record in the state the action needs: `data` gives the fields, `page` a page whose form
  is sent as a browser would (hidden tokens, the role's own choices), and `kwargs` may make a
  fresh record for the route (an order to confirm, an agreement to accept).
- LOGIN: a redirect to the login page.
- 403: logged in, wrong role. 404: right role, another tenant's record. Any other status: a
  refusal for everyone (an unsigned webhook).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
LOGIN = "login"
ROLES = ("anon", "buyer", "other_buyer", "promoter", "other_promoter", "staff")


def expect(anon=OK, buyer=OK, other_buyer=None, promoter=OK, other_promoter=None, staff=OK):
    return {
        "anon": anon,
        "buyer": buyer,
        "other_buyer": buyer if other_buyer is None else other_buyer,
        "promoter": promoter,
        "other_promoter": promoter if other_promoter is None else other_promoter,
        "staff": staff,
    }


PUBLIC = expect()
BUYER_ONLY = expect(anon=LOGIN, promoter=403, staff=403)
BUYER_RECORD = expect(anon=LOGIN, other_buyer=404, promoter=403, staff=403)
PROMOTER_ONLY = expect(anon=LOGIN, buyer=403, staff=403)
PROMOTER_RECORD = expect(anon=LOGIN, buyer=403, other_promoter=404, staff=403)
STAFF_ONLY = expect(anon=LOGIN, buyer=403, promoter=403)
LOGGED_IN = expect(anon=LOGIN)


@dataclass
class Route:
    endpoint: str
    expected: dict[str, Any]
    method: str = "GET"
    kwargs: Callable[[Any], dict] = field(default=lambda world: {})
    data: Callable[[Any], dict] | None = None  # form posted (default: empty)
    page: Callable[[Any], str] | None = None  # GET first; its form for this URL is sent
    # Ends the role's session (logout, a new password): runs after the rest, on a login
    # of its own; a new password comes last of all.
    last: bool = False


def place(world, user: str = "buyer", quantity: str = "1"):
    """A new order of the world's `user` ("buyer" or "other_buyer") with its association's
    product (world.product for the buyer, world.other_product for the other), on the first
    date offered."""
    from decimal import Decimal

    from marketplace.extensions import db
    from marketplace.services import delivery, ordering

    buyer_user = world.users[user]
    product = world.product if user == "buyer" else world.other_product
    address = world.address if user == "buyer" else world.other_address
    when = delivery.offered_dates(db.session, product.association_id, address.city)[0]
    (order,) = ordering.checkout(
        db.session,
        buyer_user,
        [ordering.LineRequest(product.id, Decimal(quantity))],
        {product.association_id: ordering.DeliveryChoice(when, address.id)},
        ordering.new_token(),
    )
    return order


def fresh_order(*moves: str, reason: str = "Sin stock"):
    """kwargs of a new order of world.buyer moved by its promoter through `moves` (a route
    that confirms needs a placed order, one that dispatches a confirmed one...)."""

    def kwargs(world) -> dict:
        from flask import current_app

        from marketplace.extensions import db
        from marketplace.ops import worker
        from marketplace.services import ordering
        from marketplace.services.jobs import JobQueue

        order = place(world)
        for to_status in moves:
            ordering.move(db.session, world.users["promoter"], order, to_status, reason)
            db.session.commit()  # and the card work it queued runs, as after a request
            worker.run_pending(db.session, current_app.config, queues=(JobQueue,))
        world.last_fresh_order = order
        return {"order_id": order.id}

    return kwargs
