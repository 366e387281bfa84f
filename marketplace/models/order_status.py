"""An order's statuses and the parts people play in its life, as plain data.

The transitions between statuses (who may make each move, and why) live in
services/order_states.py; the models and the messages only need the names.
"""

from __future__ import annotations

PLACED = "placed"  # the buyer ordered; the stock is reserved
CONFIRMED = "confirmed"  # the association accepted it and will prepare it
DISPATCHED = "dispatched"  # on its way to the buyer
DELIVERED = "delivered"  # received; delivered quantities (maybe fewer) are recorded
CANCELLED = "cancelled"  # withdrawn by the buyer (before confirmation) or the association
REJECTED = "rejected"  # refused by the association, with a reason
STATUSES = (PLACED, CONFIRMED, DISPATCHED, DELIVERED, CANCELLED, REJECTED)
OPEN_STATUSES = (PLACED, CONFIRMED, DISPATCHED)  # still holding stock, still to be served
FINAL_STATUSES = (DELIVERED, CANCELLED, REJECTED)

BUYER, PROMOTER, STAFF, SYSTEM = "buyer", "promoter", "staff", "system"


def role_of(actor) -> str:
    """The part an actor plays in an order's life; None is a scheduled job."""
    if actor is None:
        return SYSTEM
    return actor.role
