"""The demand ahead for a promoter: what standing orders will need, the calendar's moves,
and the deliveries that got less than asked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from ...models import Product
from ...models.standing_orders import (
    SO_ACTIVE,
    SO_PAUSED,
    StandingOccurrence,
    StandingOccurrenceLine,
    StandingOrder,
)
from ...types import utcnow
from .. import calendar as cal
from .. import delivery
from .occurrences import effective_quantities
from .schedule import DEMAND_WEEKS, Planned, is_paused, lima_date_of, plan, terms_for


@dataclass
class DemandWeek:
    monday: date
    needed: Decimal = Decimal("0")
    balance: Decimal = Decimal("0")  # stock on hand less everything needed up to this week

    @property
    def short(self) -> bool:
        return self.balance < 0


@dataclass
class DemandRow:
    product: Product
    weeks: list[DemandWeek]

    @property
    def total(self) -> Decimal:
        return sum((w.needed for w in self.weeks), Decimal("0"))

    @property
    def first_short(self) -> DemandWeek | None:
        return next((w for w in self.weeks if w.short), None)


def demand_ahead(
    session: Session, association_id: int, now: datetime | None = None, weeks: int = DEMAND_WEEKS
) -> tuple[list[date], list[DemandRow]]:
    """Per product and Lima week (Monday first) for the next `weeks`, what the association's
    standing orders will need against its stock on hand; a fixed number of queries.

    Each delivery counts in the week of the day it is delivered: moved by the calendar to an
    earlier day, it counts there; dropped (closed, not moved), it needs nothing."""
    now = now or utcnow()
    today = lima_date_of(now)
    first_monday = today - timedelta(days=today.weekday())
    mondays = [first_monday + timedelta(weeks=n) for n in range(weeks)]
    last = mondays[-1] + timedelta(days=6)
    standing_orders = list(
        session.scalars(
            sa.select(StandingOrder)
            .where(
                StandingOrder.association_id == association_id,
                StandingOrder.status.in_((SO_ACTIVE, SO_PAUSED)),
            )
            .options(selectinload(StandingOrder.lines), joinedload(StandingOrder.address))
        )
    )
    rules = delivery.rules_for(session, [association_id])
    calendar = cal.load(session, [association_id])
    occurrences = {
        (o.standing_order_id, o.delivery_date): o
        for o in session.scalars(
            sa.select(StandingOccurrence)
            .join(StandingOrder)
            .where(
                StandingOrder.association_id == association_id,
                StandingOccurrence.delivery_date >= today,
                StandingOccurrence.delivery_date <= last + timedelta(days=cal.MOVE_WINDOW_DAYS),
            )
            .options(selectinload(StandingOccurrence.lines))
        )
    }
    products = list(
        session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id)
            .order_by(Product.category, Product.name)
        )
    )
    needed: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for so in standing_orders:
        for planned in plan(so, terms_for(rules, calendar, so), today, last):
            if planned.dropped or is_paused(so, planned):
                continue
            occ = occurrences.get((so.id, planned.day))
            if occ is not None and (occ.skipped or occ.placed_at is not None):
                continue  # skipped, or placed already (its stock is reserved)
            quantities = effective_quantities(so.lines, occ.lines if occ else [])
            monday = planned.when - timedelta(days=planned.when.weekday())
            for product_id, qty in quantities.items():
                needed[(product_id, monday)] += qty
    rows = []
    for product in products:
        balance = product.stock_on_hand
        product_weeks = []
        for monday in mondays:
            qty = needed.get((product.id, monday), Decimal("0"))
            balance -= qty
            product_weeks.append(DemandWeek(monday, qty, balance))
        if any(w.needed for w in product_weeks) or product.active:
            rows.append(DemandRow(product, product_weeks))
    return mondays, rows


def calendar_changes(
    session: Session, association_id: int, now: datetime | None = None, weeks: int = DEMAND_WEEKS
) -> list[tuple[StandingOrder, Planned]]:
    """The association's standing deliveries of the coming weeks that the calendar moves to
    an earlier day or drops (not paused, not skipped, not placed), earliest first."""
    now = now or utcnow()
    today = lima_date_of(now)
    last = today + timedelta(weeks=weeks)
    standing_orders = session.scalars(
        sa.select(StandingOrder)
        .where(
            StandingOrder.association_id == association_id,
            StandingOrder.status.in_((SO_ACTIVE, SO_PAUSED)),
        )
        .options(joinedload(StandingOrder.address), joinedload(StandingOrder.buyer))
        .order_by(StandingOrder.id)
    ).all()
    rules = delivery.rules_for(session, [association_id])
    calendar = cal.load(session, [association_id])
    changed = [
        (so, planned)
        for so in standing_orders
        for planned in plan(so, terms_for(rules, calendar, so), today, last)
        if (planned.moved or planned.dropped) and not is_paused(so, planned)
    ]
    if not changed:
        return []
    done = {
        (o.standing_order_id, o.delivery_date)
        for o in session.scalars(
            sa.select(StandingOccurrence).where(
                StandingOccurrence.standing_order_id.in_({so.id for so, _p in changed}),
                StandingOccurrence.delivery_date.in_({p.day for _so, p in changed}),
                sa.or_(
                    StandingOccurrence.skipped.is_(True),
                    StandingOccurrence.placed_at.is_not(None),
                ),
            )
        )
    }
    return sorted(
        ((so, p) for so, p in changed if (so.id, p.day) not in done),
        key=lambda pair: (pair[1].shown, pair[0].id),
    )


def recent_shortfalls(
    session: Session, association_id: int, since: date, limit: int = 30
) -> list[StandingOccurrenceLine]:
    """Lines of placed deliveries that got less than asked, newest first (promoter's view)."""
    return list(
        session.scalars(
            sa.select(StandingOccurrenceLine)
            .join(StandingOccurrence)
            .join(StandingOrder)
            .where(
                StandingOrder.association_id == association_id,
                StandingOccurrence.delivery_date >= since,
                StandingOccurrenceLine.placed_quantity < StandingOccurrenceLine.requested_quantity,
            )
            .options(
                joinedload(StandingOccurrenceLine.product),
                joinedload(StandingOccurrenceLine.occurrence)
                .joinedload(StandingOccurrence.standing_order)
                .joinedload(StandingOrder.buyer),
                joinedload(StandingOccurrenceLine.occurrence).joinedload(StandingOccurrence.order),
            )
            .order_by(StandingOccurrence.delivery_date.desc(), StandingOccurrenceLine.id)
            .limit(limit)
        )
    )
