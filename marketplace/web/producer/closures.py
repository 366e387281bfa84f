"""The promoter's closures: days the association does not deliver (festival, road cut)."""

from __future__ import annotations

from flask import url_for

from ...permissions import own_association, promoter_required
from .. import closures as views
from . import bp


def urls() -> views.Urls:
    return views.Urls(
        index=url_for("producer.closures"),
        edit=lambda c: url_for("producer.closure_edit", closure_id=c.id),
        delete=lambda c: url_for("producer.closure_delete", closure_id=c.id),
    )


@bp.route("/closures", methods=["GET", "POST"])
@promoter_required
def closures():
    """Coming and past closures; the form adds one."""
    return views.index(own_association(), urls(), "producer/closures.html")


@bp.route("/closures/<int:closure_id>", methods=["GET", "POST"])
@promoter_required
def closure_edit(closure_id: int):
    """Change one of the association's closures; another association's is a 404."""
    return views.edit(own_association(), closure_id, urls(), "producer/closure_edit.html")


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
@promoter_required
def closure_delete(closure_id: int):
    return views.delete(own_association(), closure_id, urls(), "producer/closures.html")
