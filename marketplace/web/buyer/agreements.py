"""The buyer's agreements: read them, accept or ask for changes, follow the monthly volumes."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...labels import AGREEMENT_STATUS_LABELS, AGREEMENT_STATUS_TONES
from ...models.agreements import DRAFT
from ...permissions import agreement_for_buyer, buyer_required
from ...services import agreements as svc
from .. import agreement_views as shared
from ..agreement_views import agreement_context
from . import bp


@bp.route("/agreements")
@buyer_required
def agreements():
    rows = [
        a
        for a in svc.list_agreements(db.session, buyer_id=current_user.buyer_id)
        if a.status != DRAFT
    ]
    return render_template(
        "buyer/agreements/index.html",
        agreements=rows,
        totals=svc.totals_for(db.session, rows),
        labels=AGREEMENT_STATUS_LABELS,
        tones=AGREEMENT_STATUS_TONES,
    )


@bp.route("/agreements/<int:agreement_id>")
@buyer_required
def agreement(agreement_id: int):
    return render_template(
        "buyer/agreements/detail.html", **agreement_context(agreement_for_buyer(agreement_id))
    )


@bp.route("/agreements/<int:agreement_id>/accept", methods=["POST"])
@buyer_required
def agreement_accept(agreement_id: int):
    return shared.accept(
        agreement_for_buyer(agreement_id),
        "buyer.agreement",
        _l("Aceptaste. Falta la aceptación de la asociación."),
    )


@bp.route("/agreements/<int:agreement_id>/decline", methods=["POST"])
@buyer_required
def agreement_decline(agreement_id: int):
    return shared.decline(
        agreement_for_buyer(agreement_id), "buyer/agreements/detail.html", "buyer.agreements"
    )
