"""Which deliveries are due: their cut-off has come, they are not paused nor dropped by the
calendar; their rows are made and grouped in batches of one association and one day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from ...models.standing_orders import SO_ACTIVE, SO_PAUSED, StandingOccurrence, StandingOrder
from ...types import utcnow
from .. import calendar as cal
from .. import delivery
from .occurrences import ensure_occurrences
from .schedule import (
    Planned,
    RememberingCalendar,
    Terms,
    is_paused,
    lima_date_of,
    plan,
    terms_for,
)


@dataclass(frozen=True)
class Due:
    occurrence_id: int
    standing_order_id: int
    association_id: int
    delivery_date: date


def resume_finished_pauses(session: Session, today: date) -> int:
    """Pauses whose date has come show as active again (deliveries already resumed by date)."""
    result = session.execute(
        sa.update(StandingOrder)
        .where(StandingOrder.status == SO_PAUSED, StandingOrder.paused_until <= today)
        .values(status=SO_ACTIVE, paused_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _live_standing_orders(session: Session, association_id: int | None = None):
    query = (
        sa.select(StandingOrder)
        .where(StandingOrder.status.in_((SO_ACTIVE, SO_PAUSED)))
        .options(joinedload(StandingOrder.address))
        .order_by(StandingOrder.id)
    )
    if association_id is not None:
        query = query.where(StandingOrder.association_id == association_id)
    return list(session.scalars(query))


def planned_ahead(session: Session, now: datetime, extra_days: int = 0):
    """(standing order, Planned) of live standing orders, shown from today until the day
    their lead time (plus `extra_days`) reaches, the calendar applied; a fixed number of
    queries. Dropped and paused deliveries are included: callers decide."""
    today = lima_date_of(now)
    standing_orders = _live_standing_orders(session)
    association_ids = {so.association_id for so in standing_orders}
    rules = delivery.rules_for(session, association_ids)
    calendar = RememberingCalendar(cal.load(session, association_ids))
    terms_of_place: dict[tuple[int, str], Terms] = {}  # by association and city
    for so in standing_orders:
        place = (so.association_id, so.address.city)
        if place not in terms_of_place:
            terms_of_place[place] = terms_for(rules, calendar, so)
        terms = terms_of_place[place]
        # Past this day the lead time's working days are still ahead: nothing is due.
        last = calendar.ready_by(so.association_id, today, terms.lead_days + 1)
        for planned in plan(so, terms, today, last + timedelta(days=extra_days)):
            yield so, planned


def due_deliveries(session: Session, now: datetime) -> list[tuple[StandingOrder, Planned]]:
    """Every delivery whose cut-off has come, delivered today or later, not paused nor
    dropped by the calendar."""
    return [
        (so, planned)
        for so, planned in planned_ahead(session, now)
        if not planned.dropped
        and planned.cutoff <= now
        and planned.cutoff > so.rescheduled_at
        and not is_paused(so, planned)
    ]


def find_due(session: Session, now: datetime | None = None) -> list[Due]:
    """Make the rows of due deliveries and return those not placed yet (caller commits).

    Rows are keyed by the schedule's date; `Due.delivery_date` is the day the order is for
    (an earlier one when the calendar moved the delivery)."""
    now = now or utcnow()
    pairs = due_deliveries(session, now)
    if not pairs:
        return []
    ensure_occurrences(session, [(so.id, p.day) for so, p in pairs])
    association_of = {so.id: so.association_id for so, _ in pairs}
    wanted = {(so.id, p.day): p.when for so, p in pairs}
    rows = session.execute(
        sa.select(
            StandingOccurrence.id,
            StandingOccurrence.standing_order_id,
            StandingOccurrence.delivery_date,
        ).where(
            StandingOccurrence.placed_at.is_(None),
            StandingOccurrence.delivery_date.in_(sorted({p.day for _, p in pairs})),
        )
    ).all()
    return sorted(
        (
            Due(
                r.id,
                r.standing_order_id,
                association_of[r.standing_order_id],
                wanted[(r.standing_order_id, r.delivery_date)],
            )
            for r in rows
            if (r.standing_order_id, r.delivery_date) in wanted
        ),
        key=lambda d: (d.delivery_date, d.association_id, d.occurrence_id),
    )


def batches_of(due: list[Due]) -> list[tuple[tuple[date, int], list[int]]]:
    """Due deliveries grouped by (delivery date, association), earliest dates first."""
    grouped: dict[tuple[date, int], list[int]] = defaultdict(list)
    for item in due:
        grouped[(item.delivery_date, item.association_id)].append(item.occurrence_id)
    return sorted(grouped.items())


def record_failure(session: Session, occurrence_id: int, error: BaseException | str) -> None:
    """Note why an occurrence could not be placed; it stays unplaced and is tried again."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    session.execute(
        sa.update(StandingOccurrence)
        .where(StandingOccurrence.id == occurrence_id, StandingOccurrence.placed_at.is_(None))
        .values(
            attempts=StandingOccurrence.attempts + 1,
            last_error=str(message)[:500],
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
