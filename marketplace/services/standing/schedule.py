"""When a standing order delivers: schedules, cut-offs and the calendar's closed days.

Schedule. Weekly: the chosen ISO weekdays, every N weeks counted from the Monday of the
week of the start date (N = 2 delivers in weeks 0, 2, 4 ...). Monthly: one day of the
month; a day the month does not have means its last day (31 → 30 April, 28 or 29
February). No delivery before the start date or after the end date, nor while paused: a
pause with a date covers deliveries before that date and ends by itself on it.

Cut-off. A delivery on day D to a city where the association needs L lead days (its
DeliveryRule; 2 if the association has none for the city any more) closes at 00:00
America/Lima on the L-th working day of the association before D (services/calendar.py:
national holidays and the association's closures are not working days). Before that instant
the buyer may skip the delivery, change its quantities or add a line; from then on it is
refused, and `flask standing-orders place` turns it into an order. A delivery whose cut-off
had already passed when the schedule was last changed (created, edited, resumed) is never
placed, so nobody gets less lead time.

Closed days. A delivery whose date is closed for the association (a national holiday, one of
its closures) moves to the latest earlier day, at most 6 days before, that is open, is one of
the association's delivery days for the address's city, comes after the schedule's previous
date (two deliveries never merge) and is not before the start date, provided that day's
cut-off was still ahead when the closure became known (and after the schedule's last
change); otherwise it is dropped. The delivery keeps its row, keyed by the schedule's date,
so a skip or a change made before the move carries over; it is placed on the new day
(`moved_to`), once. The reminder announces the new date (or that there will be none) to the
buyer and to the promoters.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ...formatting import LIMA, word_list
from ...labels import WEEKDAY_WORDS
from ...models.standing_orders import MONTHLY, StandingOrder
from ...types import utcnow
from .. import calendar as cal
from .. import delivery

DEFAULT_LEAD_DAYS = 2


UPCOMING_WEEKS = 6


DEMAND_WEEKS = 8


MAX_EVERY_WEEKS = 8


@dataclass
class Schedule:
    """A schedule as typed in a form (StandingOrder has the same attributes)."""

    schedule_kind: str
    weekdays: str = ""
    every_weeks: int = 1
    month_day: int | None = None
    start_date: date | None = None
    end_date: date | None = None

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(ch) for ch in self.weekdays or ""]


def _months(first: date, last: date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def schedule_dates(schedule, first: date, last: date) -> list[date]:
    """The delivery dates of a schedule between `first` and `last`, both included."""
    first = max(first, schedule.start_date)
    if schedule.end_date is not None:
        last = min(last, schedule.end_date)
    if first > last:
        return []
    if schedule.schedule_kind == MONTHLY:
        days = []
        for y, m in _months(first, last):
            day = date(y, m, min(schedule.month_day, monthrange(y, m)[1]))
            if first <= day <= last:
                days.append(day)
        return days
    weekdays = set(schedule.weekday_numbers)
    every = max(1, schedule.every_weeks or 1)
    anchor = schedule.start_date - timedelta(days=schedule.start_date.weekday())
    days = []
    for weekday in weekdays:
        day = first + timedelta(days=(weekday - first.isoweekday()) % 7)
        while day <= last:
            if ((day - anchor).days // 7) % every == 0:
                days.append(day)
            day += timedelta(days=7)
    return sorted(days)


class RememberingCalendar:
    """A calendar that works out each answer once: planning thousands of standing orders
    asks it the same few questions (is this day open, when does it close)."""

    def __init__(self, calendar: cal.WorkCalendar):
        self._calendar = calendar
        self._answers: dict[tuple, object] = {}

    def _ask(self, question: str, *args):
        key = (question, *args)
        if key not in self._answers:
            self._answers[key] = getattr(self._calendar, question)(*args)
        return self._answers[key]

    def is_working_day(self, association_id: int, day: date) -> bool:
        return self._ask("is_working_day", association_id, day)

    def cutoff(self, association_id: int, day: date, lead_days: int) -> datetime:
        return self._ask("cutoff", association_id, day, lead_days)

    def ready_by(self, association_id: int, today: date, lead_days: int) -> date:
        return self._ask("ready_by", association_id, today, lead_days)

    def closed_reason(self, association_id: int, day: date) -> str | None:
        return self._ask("closed_reason", association_id, day)

    def known_since(self, association_id: int, day: date) -> datetime | None:
        return self._ask("known_since", association_id, day)


def cutoff_at(
    delivery_date: date,
    lead_days: int,
    calendar: cal.WorkCalendar | None = None,
    association_id: int | None = None,
) -> datetime:
    """00:00 in Lima on the lead-th working day before the delivery date (aware UTC).

    Without a calendar only national holidays are closed (no association's closures)."""
    return (calendar or cal.NATIONAL).cutoff(association_id, delivery_date, lead_days)


def lima_date_of(moment: datetime) -> date:
    return moment.astimezone(LIMA).date()


def lead_days_for(rules: dict, association_id: int, city: str) -> int:
    rule = rules.get((association_id, city))
    return rule.lead_days if rule is not None else DEFAULT_LEAD_DAYS


def earliest_start(
    lead_days: int,
    now: datetime | None = None,
    calendar: cal.WorkCalendar | None = None,
    association_id: int | None = None,
) -> date:
    """The first open delivery date whose cut-off is still ahead."""
    calendar = calendar or cal.NATIONAL
    now = now or utcnow()
    day = lima_date_of(now) + timedelta(days=1)
    for _step in range(cal.MAX_STEPS):
        if calendar.is_working_day(association_id, day) and (
            calendar.cutoff(association_id, day, lead_days) > now
        ):
            return day
        day += timedelta(days=1)
    raise RuntimeError("no delivery date ahead")


@dataclass(frozen=True)
class Planned:
    """One delivery of a schedule once the calendar is applied."""

    day: date  # the schedule's date: the delivery's key
    when: date | None  # the day it is delivered: `day`, an earlier day, or None (dropped)
    cutoff: datetime  # changes close and the job places it (of `day` when dropped)
    closed_reason: str | None = None  # why `day` is closed, when it is

    @property
    def moved(self) -> bool:
        return self.when is not None and self.when != self.day

    @property
    def dropped(self) -> bool:
        return self.when is None

    @property
    def shown(self) -> date:
        return self.when or self.day


@dataclass(frozen=True)
class Terms:
    """What the calendar needs of a standing order's association and city."""

    calendar: cal.WorkCalendar | RememberingCalendar
    lead_days: int
    weekdays: frozenset[int]


def terms_for(rules: dict, calendar, standing_order) -> Terms:
    rule = rules.get((standing_order.association_id, standing_order.address.city))
    return Terms(
        calendar,
        rule.lead_days if rule is not None else DEFAULT_LEAD_DAYS,
        frozenset(rule.weekday_numbers if rule is not None else ()),
    )


def terms_of(session: Session, standing_order: StandingOrder) -> Terms:
    """The calendar, lead time and delivery days of one standing order: two queries."""
    aid = standing_order.association_id
    rules = delivery.rules_for(session, [aid])
    return terms_for(rules, cal.load(session, [aid]), standing_order)


def _plan_one(standing_order, day: date, previous: date | None, terms: Terms) -> Planned:
    calendar, aid, lead = terms.calendar, standing_order.association_id, terms.lead_days
    if calendar.is_working_day(aid, day):
        return Planned(day, day, calendar.cutoff(aid, day, lead))
    reason = calendar.closed_reason(aid, day)
    known = standing_order.rescheduled_at
    closure_known = calendar.known_since(aid, day)
    if closure_known is not None and (known is None or closure_known > known):
        known = closure_known
    floor = max(day - timedelta(days=cal.MOVE_WINDOW_DAYS), standing_order.start_date)
    if previous is not None:
        floor = max(floor, previous + timedelta(days=1))
    candidate = day - timedelta(days=1)
    while candidate >= floor:
        if candidate.isoweekday() in terms.weekdays and calendar.is_working_day(aid, candidate):
            cutoff = calendar.cutoff(aid, candidate, lead)
            if known is None or cutoff > known:
                return Planned(day, candidate, cutoff, reason)
            break  # earlier days close earlier still
        candidate -= timedelta(days=1)
    return Planned(day, None, calendar.cutoff(aid, day, lead), reason)


def plan(standing_order, terms: Terms, first: date, last: date) -> list[Planned]:
    """The schedule's deliveries shown between `first` and `last` (moved ones by their new
    day, dropped ones by their own), the calendar applied."""
    pad = timedelta(days=cal.MOVE_WINDOW_DAYS + 1)
    days = schedule_dates(standing_order, first - 2 * pad, last + pad)
    result, previous = [], None
    for day in days:
        planned = _plan_one(standing_order, day, previous, terms)
        previous = day
        if first <= planned.shown <= last:
            result.append(planned)
    return result


def plan_day(standing_order, terms: Terms, day: date) -> Planned | None:
    """The delivery the schedule has on `day` (its own date, not a moved one), or None."""
    pad = timedelta(days=cal.MOVE_WINDOW_DAYS + 1)
    days = schedule_dates(standing_order, day - pad, day)
    if not days or days[-1] != day:
        return None
    previous = days[-2] if len(days) > 1 else None
    return _plan_one(standing_order, day, previous, terms)


def is_paused(standing_order, planned: Planned) -> bool:
    """A pause covers a delivery when it covers its date or the day it moved to."""
    return standing_order.paused_on(planned.day) or (
        planned.when is not None and standing_order.paused_on(planned.when)
    )


def describe_schedule(schedule) -> str:
    """'martes y viernes, cada 2 semanas' / 'el día 31 de cada mes (o el último)'."""
    if schedule.schedule_kind == MONTHLY:
        if schedule.month_day and schedule.month_day >= 29:
            return str(
                _l(
                    "el día %(day)s de cada mes (o el último día del mes)",
                    day=schedule.month_day,
                )
            )
        return str(_l("el día %(day)s de cada mes", day=schedule.month_day))
    days = word_list(WEEKDAY_WORDS[n] for n in sorted(schedule.weekday_numbers))
    if (schedule.every_weeks or 1) == 1:
        return str(_l("cada semana: %(days)s", days=days))
    return str(_l("cada %(n)s semanas: %(days)s", n=schedule.every_weeks, days=days))
