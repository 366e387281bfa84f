"""What the association's standing orders will need in the coming weeks, against its stock."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_login import current_user

from ...extensions import db
from ...labels import STANDING_STATUS_LABELS, STANDING_STATUS_TONES
from ...permissions import own_association, promoter_required
from ...services import standing as so
from ...types import utcnow
from . import bp


@bp.route("/demand")
@promoter_required
def demand():
    association = own_association()
    now = utcnow()
    mondays, rows = so.demand_ahead(db.session, association.id, now)
    standing_orders = [
        s
        for s in so.list_standing_orders(db.session, association_id=current_user.association_id)
        if s.status != "cancelled"
    ]
    return render_template(
        "producer/demand/index.html",
        association=association,
        mondays=mondays,
        rows=rows,
        standing_orders=standing_orders,
        next_dates=so.next_delivery_dates(db.session, standing_orders, now),
        describe=so.describe_schedule,
        labels=STANDING_STATUS_LABELS,
        tones=STANDING_STATUS_TONES,
        changes=so.calendar_changes(db.session, association.id, now),
        shortfalls=so.recent_shortfalls(
            db.session, association.id, so.lima_date_of(now) - timedelta(days=28)
        ),
    )
