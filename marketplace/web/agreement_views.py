"""What the buyer's, the promoter's and the staff's agreement pages share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from ..extensions import db
from ..models.agreements import DRAFT
from ..services import agreements as svc


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("¿Qué habría que cambiar?"), validators=[Optional(), Length(max=300)])


def agreement_context(agreement, decline_form=None) -> dict:
    """What every agreement page shows, for buyer and promoter alike."""
    agreement = svc.agreement_with_details(db.session, agreement.id)
    return {
        "agreement": agreement,
        "months": svc.monthly_volumes(db.session, agreement) if agreement.status != DRAFT else [],
        "versions": svc.versions_of(db.session, agreement),
        "labels": svc.STATUS_LABELS,
        "tones": svc.STATUS_TONES,
        "frequency_labels": svc.FREQUENCY_LABELS,
        "action_labels": svc.ACTION_LABELS,
        "decline_form": decline_form or DeclineForm(formdata=None),
    }
