"""The association's own figures in plain words, for the promoter's phone.

Income this month and the months before (after the platform fee and refunds), kilograms,
best customers, the standing-order deliveries coming and what the platform owes. Every
figure comes from services.reporting scoped to the promoter's association.
"""

from __future__ import annotations

from flask import render_template

from ...extensions import db
from ...formatting import lima_today
from ...permissions import own_association, promoter_required
from ...services import payouts, reporting
from ...services import standing as so
from ...types import utcnow
from . import bp

MONTHS = 6  # this month and the five before
BEST_CUSTOMERS = 5
COMING = 8  # standing-order deliveries listed


@bp.route("/figures")
@promoter_required
def figures():
    association = own_association()
    period = reporting.Filters.last_months(MONTHS, lima_today(), association_id=association.id)
    months = reporting.income_by_month(db.session, period)
    standing = [
        s
        for s in so.list_standing_orders(db.session, association_id=association.id)
        if not s.is_cancelled
    ]
    next_dates = so.next_delivery_dates(db.session, standing, utcnow())
    coming = sorted(
        ((next_dates[s.id], s) for s in standing if next_dates[s.id] is not None),
        key=lambda pair: (pair[0], pair[1].id),
    )[:COMING]
    return render_template(
        "producer/figures.html",
        association=association,
        this_month=months[-1],
        before=list(reversed(months[:-1])),
        period=period,
        customers=reporting.by_buyer(db.session, period)[:BEST_CUSTOMERS],
        coming=coming,
        owed_cents=payouts.balance_cents(db.session, association.id),
    )
