"""The association's agreements, seen by its promoter: accept or ask for changes, volumes."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...labels import AGREEMENT_STATUS_LABELS, AGREEMENT_STATUS_TONES
from ...models.agreements import DRAFT
from ...permissions import agreement_for_promoter, promoter_required
from ...services import agreements as svc
from .. import agreement_views as shared
from ..agreement_views import agreement_context
from . import bp


@bp.route("/agreements")
@promoter_required
def agreements():
    rows = [
        a
        for a in svc.list_agreements(db.session, association_id=current_user.association_id)
        if a.status != DRAFT
    ]
    return render_template(
        "producer/agreements/index.html",
        agreements=rows,
        totals=svc.totals_for(db.session, rows),
        labels=AGREEMENT_STATUS_LABELS,
        tones=AGREEMENT_STATUS_TONES,
    )


@bp.route("/agreements/<int:agreement_id>")
@promoter_required
def agreement(agreement_id: int):
    return render_template(
        "producer/agreements/detail.html",
        **agreement_context(agreement_for_promoter(agreement_id)),
    )


@bp.route("/agreements/<int:agreement_id>/accept", methods=["POST"])
@promoter_required
def agreement_accept(agreement_id: int):
    return shared.accept(
        agreement_for_promoter(agreement_id),
        "producer.agreement",
        _l("Aceptaste. Falta la aceptación del comprador."),
    )


@bp.route("/agreements/<int:agreement_id>/decline", methods=["POST"])
@promoter_required
def agreement_decline(agreement_id: int):
    return shared.decline(
        agreement_for_promoter(agreement_id),
        "producer/agreements/detail.html",
        "producer.agreements",
    )
