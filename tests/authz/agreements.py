"""Agreements: buyers see their business's, promoters their association's, staff all."""

from datetime import timedelta

from flask import url_for

from marketplace.extensions import db
from marketplace.formatting import lima_today
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


def fresh(status: str, **fields):
    """kwargs of a new agreement of world.buyer and world.association in `status` (each
    acceptance, refusal or change acts on one of its own)."""

    def kwargs(w) -> dict:
        w.agreement_versions = getattr(w, "agreement_versions", 1) + 1
        made = make_agreement(
            w.buyer,
            w.association,
            {w.product: 2500},
            status=status,
            version=w.agreement_versions,
            **fields,
        )
        return {"agreement_id": made.id}

    return kwargs


PROPOSED = fresh("proposed", buyer_accepted_at=None, association_accepted_at=None)
DRAFT = fresh("draft", buyer_accepted_at=None, association_accepted_at=None)


def reason(w) -> dict:
    return {"reason": "El precio no incluye el transporte a Lima."}


def terms(w, product=None) -> dict:
    """An agreement's terms as staff type them: from next week, 80 kg a month."""
    return {
        "start_date": (lima_today() + timedelta(days=7)).isoformat(),
        "committed_kg_per_month": "80",
        "delivery_frequency": "weekly",
        "payment_terms_days": "15",
        f"price_{(product or w.product).id}": "24.50",
    }


def new_page(w) -> str:
    """A pair with no agreement open yet (the world's pair has some)."""
    return url_for(
        "staff.agreement_new", buyer_id=w.other_buyer.id, association_id=w.other_association.id
    )


ROUTES = [
    Route("buyer.agreements", BUYER_ONLY),
    Route("buyer.agreement", BUYER_RECORD, kwargs=agreement),
    Route("buyer.agreement_decline", BUYER_RECORD, "POST", kwargs=PROPOSED, data=reason),
    Route("buyer.agreement_accept", BUYER_RECORD, "POST", kwargs=PROPOSED),
    Route("producer.agreements", PROMOTER_ONLY),
    Route("producer.agreement", PROMOTER_RECORD, kwargs=agreement),
    Route("producer.agreement_decline", PROMOTER_RECORD, "POST", kwargs=PROPOSED, data=reason),
    Route("producer.agreement_accept", PROMOTER_RECORD, "POST", kwargs=PROPOSED),
    Route("staff.agreements", STAFF_ONLY),
    Route("staff.agreement_new", STAFF_ONLY),
    Route(
        "staff.agreement_new",
        STAFF_ONLY,
        "POST",
        data=lambda w: terms(w, w.other_product),
        page=new_page,
    ),
    Route("staff.agreement", STAFF_ONLY, kwargs=agreement),
    Route("staff.agreement_edit", STAFF_ONLY, kwargs=DRAFT),
    Route("staff.agreement_edit", STAFF_ONLY, "POST", kwargs=DRAFT, data=terms),
    Route(
        "staff.agreement_action",
        STAFF_ONLY,
        method="POST",
        kwargs=lambda w: {**fresh("active")(w), "action": "pause"},
        data=lambda w: {"reason": "Sequía: la asociación no puede cumplir este mes."},
    ),
    Route("staff.standing_orders", STAFF_ONLY),
    Route("producer.demand", PROMOTER_ONLY),
]
