"""The association's own figures in plain words, for the promoter's phone.

Income this month and the months before (after the platform fee and refunds), kilograms,
best customers, the standing-order deliveries coming and what the platform owes. Every
figure comes from services.reporting scoped to the promoter's association.
"""

from __future__ import annotations

from datetime import date, timedelta

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


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s (negative: after)."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def last_months(today: date, months: int, **scope) -> reporting.Filters:
    """This month (to its end) and the `months - 1` before it, in Lima dates."""
    return reporting.Filters(
        start=month_start(today, months - 1),
        end=month_start(today, -1) - timedelta(days=1),
        **scope,
    )


@bp.route("/figures")
@promoter_required
def figures():
    association = own_association()
    period = last_months(lima_today(), MONTHS, association_id=association.id)
    months = reporting.income_by_month(db.session, period)
    standing = [
        s
        for s in so.list_standing_orders(db.session, association_id=association.id)
        if s.status != "cancelled"
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
