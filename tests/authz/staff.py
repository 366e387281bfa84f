"""The staff back office: every route is for staff only; staff may open any record by id."""

from flask import url_for

from marketplace.services.ruc import make_ruc
from tests.authz import STAFF_ONLY, Route
from tests.factories import PromoterFactory


def extend(world) -> None:
    world.invited_promoter = PromoterFactory(
        email="invited-promoter@example.pe", association=world.association, password_hash=None
    )


def new_association(world) -> dict:
    return {
        "name": "Sara Sara de Huaro",
        "district": "Huaro",
        "province": "Quispicanchi",
        "region": "Cusco",
        "member_families": "25",
        "founded_year": "2012",
        "min_order": "100",
        "ruc": make_ruc("2049000002"),
        "delivery_city": "cusco",
        "delivery_weekdays": ["2", "5"],
        "delivery_lead_days": "2",
    }


def association(world) -> dict:
    return {"association_id": world.association.id}


def check(world) -> dict:
    return {"association_id": world.association.id, "check": "ruc"}


def invited(world) -> dict:
    return {"user_id": world.invited_promoter.id}


def buyer(world) -> dict:
    return {"buyer_id": world.buyer.id}


ROUTES = [
    Route("staff.index", STAFF_ONLY),
    Route("staff.dev_outbox", STAFF_ONLY),
    Route("staff.associations", STAFF_ONLY),
    Route("staff.new_association", STAFF_ONLY),
    Route("staff.new_association", STAFF_ONLY, method="POST", data=new_association),
    Route("staff.association", STAFF_ONLY, kwargs=association),
    Route("staff.edit_association", STAFF_ONLY, kwargs=association),
    Route(
        "staff.edit_association",
        STAFF_ONLY,
        method="POST",
        kwargs=association,
        page=lambda w: url_for("staff.edit_association", association_id=w.association.id),
        data=lambda w: {"member_families": "31", "min_order": "120.00"},
    ),
    Route("staff.verify_association", STAFF_ONLY, method="POST", kwargs=check),
    Route("staff.unverify_association", STAFF_ONLY, method="POST", kwargs=check),
    Route("staff.invite_promoter", STAFF_ONLY, kwargs=association),
    Route(
        "staff.invite_promoter",
        STAFF_ONLY,
        method="POST",
        kwargs=association,
        data=lambda w: {"name": "Nilda Huamán", "email": "nilda@example.pe"},
    ),
    Route("staff.promoters", STAFF_ONLY),
    Route("staff.disable_promoter", STAFF_ONLY, method="POST", kwargs=invited),
    Route("staff.enable_promoter", STAFF_ONLY, method="POST", kwargs=invited),
    Route("staff.reinvite_promoter", STAFF_ONLY, method="POST", kwargs=invited),
    Route("staff.end_user_sessions", STAFF_ONLY, method="POST", kwargs=invited),
    Route("staff.buyers", STAFF_ONLY),
    Route("staff.buyer", STAFF_ONLY, kwargs=buyer),
    Route("staff.verify_buyer", STAFF_ONLY, method="POST", kwargs=buyer),
    Route("staff.unverify_buyer", STAFF_ONLY, method="POST", kwargs=buyer),
]
