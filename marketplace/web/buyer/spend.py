"""The buyer's spend: per month and per association, with IGV as invoiced, and its standing
orders at a glance."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ...extensions import db
from ...formatting import lima_today
from ...labels import STANDING_STATUS_LABELS, STANDING_STATUS_TONES
from ...permissions import buyer_required
from ...services import reporting
from ...services import spend as spending
from ...services import standing as so
from ...types import utcnow
from . import bp

MONTHS = 12  # this month and the eleven before


@bp.route("/spend")
@buyer_required
def spend():
    period = reporting.Filters.last_months(MONTHS, lima_today(), buyer_id=current_user.buyer_id)
    standing = so.list_standing_orders(db.session, buyer_id=current_user.buyer_id)
    return render_template(
        "buyer/spend.html",
        spend=spending.buyer_spend(db.session, period),
        standing_orders=standing,
        next_dates=so.next_delivery_dates(db.session, standing, utcnow()),
        describe=so.describe_schedule,
        labels=STANDING_STATUS_LABELS,
        tones=STANDING_STATUS_TONES,
    )
