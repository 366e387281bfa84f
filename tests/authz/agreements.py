"""Agreements: buyers see their business's, promoters their association's, staff all."""

from marketplace.extensions import db
from tests.authz import (
    BUYER_ONLY,
    BUYER_RECORD,
    PROMOTER_ONLY,
    PROMOTER_RECORD,
    STAFF_ONLY,
    Route,
)
from tests.factories import make_agreement


def extend(world):
    """A proposed agreement between world.buyer and world.association."""
    world.agreement = make_agreement(
        world.buyer,
        world.association,
        {world.product: 2500},
        status="proposed",
        buyer_accepted_at=None,
        association_accepted_at=None,
    )
    db.session.flush()


def agreement(w):
    return {"agreement_id": w.agreement.id}


ROUTES = [
    Route("buyer.agreements", BUYER_ONLY),
    Route("buyer.agreement", BUYER_RECORD, kwargs=agreement),
    Route("buyer.agreement_decline", BUYER_RECORD, method="POST", kwargs=agreement),
    Route("buyer.agreement_accept", BUYER_RECORD, method="POST", kwargs=agreement),
    Route("producer.agreements", PROMOTER_ONLY),
    Route("producer.agreement", PROMOTER_RECORD, kwargs=agreement),
    Route("producer.agreement_decline", PROMOTER_RECORD, method="POST", kwargs=agreement),
    Route("producer.agreement_accept", PROMOTER_RECORD, method="POST", kwargs=agreement),
    Route("staff.agreements", STAFF_ONLY),
    Route("staff.agreement_new", STAFF_ONLY),
    Route("staff.agreement_new", STAFF_ONLY, method="POST"),
    Route("staff.agreement", STAFF_ONLY, kwargs=agreement),
    Route("staff.agreement_edit", STAFF_ONLY, kwargs=agreement),
    Route("staff.agreement_edit", STAFF_ONLY, method="POST", kwargs=agreement),
    Route(
        "staff.agreement_action",
        STAFF_ONLY,
        method="POST",
        kwargs=lambda w: {"agreement_id": w.agreement.id, "action": "pause"},
    ),
    Route("staff.standing_orders", STAFF_ONLY),
    Route("producer.demand", PROMOTER_ONLY),
]
