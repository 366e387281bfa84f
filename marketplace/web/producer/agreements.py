"""The association's agreements, seen by its promoter: accept or ask for changes, volumes."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ...extensions import db
from ...models.agreements import DRAFT
from ...permissions import agreement_for_promoter, promoter_required
from ...services import DomainError
from ...services import agreements as svc
from ..agreement_views import DeclineForm, agreement_context
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
        labels=svc.STATUS_LABELS,
        tones=svc.STATUS_TONES,
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
    agreement = agreement_for_promoter(agreement_id)
    if FlaskForm().validate_on_submit():
        try:
            svc.accept(db.session, current_user, agreement)
            db.session.commit()
            if agreement.status == "active":
                flash(_("Aceptaste. El acuerdo %(number)s está vigente.", number=agreement.number))
            else:
                flash(_("Aceptaste. Falta la aceptación del comprador."))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("producer.agreement", agreement_id=agreement.id), code=303)


@bp.route("/agreements/<int:agreement_id>/decline", methods=["POST"])
@promoter_required
def agreement_decline(agreement_id: int):
    agreement = agreement_for_promoter(agreement_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            svc.decline(db.session, current_user, agreement, form.reason.data)
            db.session.commit()
            flash(_("Enviamos tus comentarios al equipo de Qhatu."))
            return redirect(url_for("producer.agreements"), code=303)
        except DomainError as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, error.message]
    context = agreement_context(agreement, form)
    return render_template("producer/agreements/detail.html", **context), 422
