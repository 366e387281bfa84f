"""Closures: the promoter manages its own association's (another's is a 404), staff any."""

from datetime import timedelta

from marketplace.extensions import db
from marketplace.formatting import lima_today
from marketplace.models import AssociationClosure
from tests.authz import PROMOTER_ONLY, PROMOTER_RECORD, STAFF_ONLY, Route


def extend(world) -> None:
    start = lima_today() + timedelta(days=30)
    world.closure = AssociationClosure(
        association_id=world.association.id, start_date=start, end_date=start, reason="Fiesta"
    )
    world.other_closure = AssociationClosure(
        association_id=world.other_association.id,
        start_date=start,
        end_date=start,
        reason="Corte de carretera",
    )
    db.session.add_all([world.closure, world.other_closure])
    db.session.flush()
    world.closure_id = world.closure.id  # the row may be deleted by a route before others run


def closure(world) -> dict:
    return {"closure_id": world.closure_id}


def staff_closure(world) -> dict:
    return {"association_id": world.association.id, "closure_id": world.closure_id}


def association(world) -> dict:
    return {"association_id": world.association.id}


def days_off(offset: int):
    """A valid closure form: one day, `offset` days ahead (apart from the world's closures)."""

    def data(world) -> dict:
        day = (lima_today() + timedelta(days=offset)).isoformat()
        return {"start_date": day, "end_date": day, "reason": "Fiesta patronal"}

    return data


ROUTES = [
    Route("producer.closures", PROMOTER_ONLY),
    Route("producer.closures", PROMOTER_ONLY, method="POST", data=days_off(40)),
    Route("producer.closure_edit", PROMOTER_RECORD, kwargs=closure),
    Route(
        "producer.closure_edit", PROMOTER_RECORD, method="POST", kwargs=closure, data=days_off(31)
    ),
    Route("producer.closure_delete", PROMOTER_RECORD, method="POST", kwargs=closure),
    Route("staff.association_closures", STAFF_ONLY, kwargs=association),
    Route(
        "staff.association_closures",
        STAFF_ONLY,
        method="POST",
        kwargs=association,
        data=days_off(40),
    ),
    Route("staff.association_closure_edit", STAFF_ONLY, kwargs=staff_closure),
    Route(
        "staff.association_closure_edit",
        STAFF_ONLY,
        method="POST",
        kwargs=staff_closure,
        data=days_off(31),
    ),
    Route("staff.association_closure_delete", STAFF_ONLY, method="POST", kwargs=staff_closure),
]
