"""The staff back office: every route is for staff only; staff may open any record by id."""

from tests.authz import STAFF_ONLY, Route
from tests.factories import PromoterFactory


def extend(world) -> None:
    world.invited_promoter = PromoterFactory(
        email="invited-promoter@example.pe", association=world.association, password_hash=None
    )


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
    Route("staff.associations", STAFF_ONLY),
    Route("staff.new_association", STAFF_ONLY),
    Route("staff.new_association", STAFF_ONLY, method="POST"),
    Route("staff.association", STAFF_ONLY, kwargs=association),
    Route("staff.edit_association", STAFF_ONLY, kwargs=association),
    Route("staff.edit_association", STAFF_ONLY, method="POST", kwargs=association),
    Route("staff.verify_association", STAFF_ONLY, method="POST", kwargs=check),
    Route("staff.unverify_association", STAFF_ONLY, method="POST", kwargs=check),
    Route("staff.invite_promoter", STAFF_ONLY, kwargs=association),
    Route("staff.invite_promoter", STAFF_ONLY, method="POST", kwargs=association),
    Route("staff.promoters", STAFF_ONLY),
    Route("staff.disable_promoter", STAFF_ONLY, method="POST", kwargs=invited),
    Route("staff.enable_promoter", STAFF_ONLY, method="POST", kwargs=invited),
    Route("staff.reinvite_promoter", STAFF_ONLY, method="POST", kwargs=invited),
    Route("staff.buyers", STAFF_ONLY),
    Route("staff.buyer", STAFF_ONLY, kwargs=buyer),
    Route("staff.verify_buyer", STAFF_ONLY, method="POST", kwargs=buyer),
    Route("staff.unverify_buyer", STAFF_ONLY, method="POST", kwargs=buyer),
]
