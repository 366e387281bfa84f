"""Staff set an association's closures from its page, as its promoter can."""

from __future__ import annotations

from flask import url_for

from ...models import Association
from ...permissions import get_or_404, staff_required
from .. import closures as views
from . import bp


def urls(association_id: int) -> views.Urls:
    return views.Urls(
        index=url_for("staff.association_closures", association_id=association_id),
        edit=lambda c: url_for(
            "staff.association_closure_edit", association_id=association_id, closure_id=c.id
        ),
        delete=lambda c: url_for(
            "staff.association_closure_delete", association_id=association_id, closure_id=c.id
        ),
    )


@bp.route("/associations/<int:association_id>/closures", methods=["GET", "POST"])
@staff_required
def association_closures(association_id: int):
    association = get_or_404(Association, association_id)
    return views.index(association, urls(association.id), "staff/association_closures.html")


@bp.route("/associations/<int:association_id>/closures/<int:closure_id>", methods=["GET", "POST"])
@staff_required
def association_closure_edit(association_id: int, closure_id: int):
    association = get_or_404(Association, association_id)
    return views.edit(
        association, closure_id, urls(association.id), "staff/association_closure_edit.html"
    )


@bp.route("/associations/<int:association_id>/closures/<int:closure_id>/delete", methods=["POST"])
@staff_required
def association_closure_delete(association_id: int, closure_id: int):
    association = get_or_404(Association, association_id)
    return views.delete(
        association, closure_id, urls(association.id), "staff/association_closures.html"
    )
