"""What the buyer's, the promoter's and the staff's agreement pages share."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from ..extensions import db
from ..labels import AGREEMENT_STATUS_LABELS, AGREEMENT_STATUS_TONES
from ..models.agreements import ACTIVE, DRAFT, ENDED, PAUSED, PROPOSED
from ..services import DomainError
from ..services import agreements as svc
from .form_fields import FlaskForm


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("¿Qué habría que cambiar?"), validators=[Optional(), Length(max=300)])


def agreement_context(agreement, decline_form=None) -> dict:
    """What every agreement page shows, for buyer and promoter alike."""
    agreement = svc.agreement_with_details(db.session, agreement.id)
    return {
        "agreement": agreement,
        "months": svc.monthly_volumes(db.session, agreement) if agreement.status != DRAFT else [],
        "versions": svc.versions_of(db.session, agreement),
        "labels": AGREEMENT_STATUS_LABELS,
        "tones": AGREEMENT_STATUS_TONES,
        "frequency_labels": svc.FREQUENCY_LABELS,
        "action_labels": svc.ACTION_LABELS,
        "decline_form": decline_form or DeclineForm(formdata=None),
    }


def accept(agreement, detail_endpoint: str, other_side_pending: str):
    """The buyer's or the promoter's acceptance; back to the agreement with what it did."""
    if FlaskForm().validate_on_submit():
        try:
            svc.accept(db.session, current_user, agreement)
            db.session.commit()
            if agreement.is_active:
                flash(_("Aceptaste. El acuerdo %(number)s está vigente.", number=agreement.number))
            else:
                flash(str(other_side_pending))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for(detail_endpoint, agreement_id=agreement.id), code=303)


def decline(agreement, template: str, list_endpoint: str):
    """The buyer's or the promoter's request for changes: the agreement goes back to staff."""
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            svc.decline(db.session, current_user, agreement, form.reason.data)
            db.session.commit()
            flash(_("Enviamos tus comentarios al equipo de Qhatu."))
            return redirect(url_for(list_endpoint), code=303)
        except DomainError as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, error.message]
    return render_template(template, **agreement_context(agreement, form)), 422


@dataclass(frozen=True)
class Move:
    """A button on the staff's agreement page: the action it posts and how it looks."""

    action: str
    label: str
    style: str = ""
    needs_reason: bool = False


# The staff's moves in the order the page lists them, and the status each one leads to.
MOVES = (
    Move("propose", _l("Proponer a ambas partes"), "primary"),
    Move("withdraw", _l("Volver a borrador")),
    Move("resume", _l("Reanudar"), "primary"),
    Move("renew", _l("Renovar (nueva versión)")),
    Move("pause", _l("Pausar"), needs_reason=True),
    Move("end", _l("Terminar"), needs_reason=True),
)
TARGETS = {"propose": PROPOSED, "withdraw": DRAFT, "resume": ACTIVE, "pause": PAUSED, "end": ENDED}


def may_move(agreement, actor, action: str) -> bool:
    """Whether `actor` may take `action` on the agreement now, by the lifecycle's table."""
    if action == "renew":
        return svc.role_of(actor) == svc.STAFF and agreement.was_in_force
    allowed = svc.ALLOWED[agreement.status].get(TARGETS[action], frozenset())
    return svc.role_of(actor) in allowed


def next_moves(agreement, actor) -> list[Move]:
    """What `actor` may do next with the agreement, as the page offers it."""
    return [move for move in MOVES if may_move(agreement, actor, move.action)]
