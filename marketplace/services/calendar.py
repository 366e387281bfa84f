"""Peru's calendar for deliveries: national holidays, each association's closures, working days.

The rules (docs/calendar.md):

- A day is *closed* for an association when it is a national holiday of Peru (the `holidays`
  package: Decreto Legislativo 713, art. 6, and the laws that added days) or when it falls in
  one of the association's closures (a festival, a road cut), both dates included. Nothing is
  delivered on a closed day.
- Every other day is one of the association's *working days*, Sundays included: milking and
  cheese making do not stop on Sundays, and an association that rests on a day simply does
  not list it among its delivery days.
- Lead time counts working days. A delivery on day D with a lead of L days needs L working
  days between the order and D: its cut-off is 00:00 (Lima) on the L-th working day before
  D, so a closed day in between pushes the cut-off one day earlier. L = 0 closes at 00:00 on
  D itself.

Everything is read from one `WorkCalendar`, loaded with one query for any number of
associations; holidays come from the package, computed once per year in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..database import begin_write
from ..formatting import LIMA, lima_date, lima_today
from ..models import Association, AssociationClosure, User
from ..models.standing_orders import StandingOccurrence, StandingOrder
from ..types import utcnow
from . import DomainError

MAX_CLOSURE_DAYS = 120  # a rainy-season road cut lasts about three months
MAX_AHEAD_DAYS = 730  # a closure starts within the next two years
LOOKBACK_DAYS = 400  # closures that ended longer ago than this never matter to a cut-off
MOVE_WINDOW_DAYS = 6  # a standing delivery moves at most this many days earlier
MAX_STEPS = 3660  # no count of working days walks further than ten years
REASON_MAX = 200

HOLIDAY = "holiday"
CLOSURE = "closure"


# National holidays --------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _holidays(year: int, language: str) -> dict[date, str]:
    return dict(holidays.Peru(years=year, language=language))


def _language() -> str:
    """The language for holiday names: English for English readers, Spanish otherwise."""
    try:
        locale = get_locale()
    except RuntimeError:  # outside an application context
        locale = None
    return "en_US" if locale is not None and locale.language == "en" else "es"


def holiday_name(day: date) -> str | None:
    """The national holiday on `day` (in the reader's language), or None."""
    if day not in _holidays(day.year, "es"):
        return None
    return _holidays(day.year, _language())[day]


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year, "es")


def national_holidays(first: date, last: date) -> dict[date, str]:
    """Every national holiday from `first` to `last`, both included, with its name."""
    language = _language()
    return {
        day: name
        for year in range(first.year, last.year + 1)
        for day, name in sorted(_holidays(year, language).items())
        if first <= day <= last
    }


def midnight(day: date) -> datetime:
    """00:00 in Lima on `day`, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=LIMA).astimezone(UTC)


# The calendar of some associations ------------------------------------------------------------


@dataclass(frozen=True)
class ClosedSpan:
    """Consecutive closed days with one reason, as buyers see them."""

    start: date
    end: date
    reason: str
    kind: str  # HOLIDAY or CLOSURE

    @property
    def one_day(self) -> bool:
        return self.start == self.end


class WorkCalendar:
    """The closed and working days of some associations (their closures, loaded once)."""

    def __init__(self, closures: Iterable[AssociationClosure] = ()):
        self._closures: dict[int, list[AssociationClosure]] = defaultdict(list)
        for closure in closures:
            self._closures[closure.association_id].append(closure)
        for rows in self._closures.values():
            rows.sort(key=lambda c: c.start_date)

    def closures(self, association_id: int) -> list[AssociationClosure]:
        return list(self._closures.get(association_id, ()))

    def closure_on(self, association_id: int, day: date) -> AssociationClosure | None:
        for closure in self._closures.get(association_id, ()):
            if closure.start_date <= day <= closure.end_date:
                return closure
        return None

    def is_closed(self, association_id: int, day: date) -> bool:
        return is_holiday(day) or self.closure_on(association_id, day) is not None

    def is_working_day(self, association_id: int, day: date) -> bool:
        return not self.is_closed(association_id, day)

    def closed_reason(self, association_id: int, day: date) -> str | None:
        """Why the association is closed on `day` (the holiday's name first), or None."""
        name = holiday_name(day)
        if name is not None:
            return name
        closure = self.closure_on(association_id, day)
        return closure.reason if closure is not None else None

    def known_since(self, association_id: int, day: date) -> datetime | None:
        """Since when `day` is known to be closed: None for a holiday (always known) or an
        open day; for a closure, when its dates were set."""
        if is_holiday(day):
            return None
        closure = self.closure_on(association_id, day)
        return closure.dates_set_at if closure is not None else None

    def cutoff_day(self, association_id: int, day: date, lead_days: int) -> date:
        """The `lead_days`-th working day before `day` (`day` itself for a lead of 0)."""
        left, current = max(0, lead_days), day
        for _ in range(MAX_STEPS):
            if left == 0:
                return current
            current -= timedelta(days=1)
            if self.is_working_day(association_id, current):
                left -= 1
        raise RuntimeError(f"no {lead_days} working days before {day}")

    def cutoff(self, association_id: int, day: date, lead_days: int) -> datetime:
        """The instant a delivery on `day` closes: 00:00 Lima on its cut-off day."""
        return midnight(self.cutoff_day(association_id, day, lead_days))

    def working_days_between(self, association_id: int, first: date, last: date) -> int:
        """Working days from `first` to `last`, both included (0 if `last` < `first`)."""
        count, day = 0, first
        while day <= last:
            count += self.is_working_day(association_id, day)
            day += timedelta(days=1)
        return count

    def previous_working_day(self, association_id: int, day: date) -> date:
        """The last working day before `day`."""
        return self.cutoff_day(association_id, day, 1)

    def ready_by(self, association_id: int, today: date, lead_days: int) -> date:
        """The first day an order made `today` can be delivered: `lead_days` working days
        from today on (today counts) must lie before it."""
        left, day = max(0, lead_days), today
        for _ in range(MAX_STEPS):
            if left == 0:
                return day
            if self.is_working_day(association_id, day):
                left -= 1
            day += timedelta(days=1)
        raise RuntimeError(f"no {lead_days} working days after {today}")

    def spans(self, association_id: int, first: date, last: date) -> list[ClosedSpan]:
        """The closed days from `first` to `last` as spans (holidays and closures)."""
        result: list[ClosedSpan] = []
        day = first
        while day <= last:
            name = holiday_name(day)
            closure = None if name is not None else self.closure_on(association_id, day)
            if name is None and closure is None:
                day += timedelta(days=1)
                continue
            reason = name if name is not None else closure.reason
            kind = HOLIDAY if name is not None else CLOSURE
            previous = result[-1] if result else None
            if (
                previous is not None
                and previous.end == day - timedelta(days=1)
                and (previous.reason, previous.kind) == (reason, kind)
            ):
                result[-1] = ClosedSpan(previous.start, day, reason, kind)
            else:
                result.append(ClosedSpan(day, day, reason, kind))
            day += timedelta(days=1)
        return result


NATIONAL = WorkCalendar()  # holidays only: for callers that know no association


def load(
    session: Session, association_ids: Iterable[int], since: date | None = None
) -> WorkCalendar:
    """The calendar of these associations: their closures ending on or after `since`
    (by default LOOKBACK_DAYS before today), in one query."""
    ids = sorted(set(association_ids))
    if not ids:
        return WorkCalendar()
    since = since or lima_today() - timedelta(days=LOOKBACK_DAYS)
    closures = session.scalars(
        sa.select(AssociationClosure).where(
            AssociationClosure.association_id.in_(ids), AssociationClosure.end_date >= since
        )
    )
    return WorkCalendar(closures)


def upcoming_spans(
    session: Session, association_ids: Iterable[int], days: int = 60, today: date | None = None
) -> dict[int, list[ClosedSpan]]:
    """Per association, the closed days of the next `days` days (holidays and closures),
    and every closure that starts later still; one query."""
    ids = sorted(set(association_ids))
    today = today or lima_today()
    calendar = load(session, ids, since=today)
    last = today + timedelta(days=days)
    result = {}
    for association_id in ids:
        spans = calendar.spans(association_id, today, last)
        spans += [
            ClosedSpan(c.start_date, c.end_date, c.reason, CLOSURE)
            for c in calendar.closures(association_id)
            if c.start_date > last
        ]
        result[association_id] = spans
    return result


# Closures: set by the association's promoter or by staff -------------------------------------


def _may_manage(actor: User, association_id: int) -> None:
    if actor is None or not (
        actor.is_staff or (actor.is_promoter and actor.association_id == association_id)
    ):
        raise DomainError(_l("Solo la asociación o el equipo de Qhatu pueden cambiar sus cierres."))


def list_closures(session: Session, association_id: int, today: date | None = None):
    """(current and coming closures, past ones newest first) of one association."""
    today = today or lima_today()
    rows = list(
        session.scalars(
            sa.select(AssociationClosure)
            .where(AssociationClosure.association_id == association_id)
            .order_by(AssociationClosure.start_date)
        )
    )
    coming = [c for c in rows if c.end_date >= today]
    past = sorted((c for c in rows if c.end_date < today), key=lambda c: c.start_date)
    return coming, past[::-1]


def closure_of(session: Session, association_id: int, closure_id: int):
    """The association's closure with this id, or None (another association's is None too)."""
    closure = session.get(AssociationClosure, closure_id)
    if closure is None or closure.association_id != association_id:
        return None
    return closure


def _check_dates(
    session: Session,
    association_id: int,
    start: date | None,
    end: date | None,
    today: date,
    closure: AssociationClosure | None,
) -> None:
    if start is None:
        raise DomainError(_l("Escribe el primer día sin entregas."), field="start_date")
    if end is None:
        raise DomainError(
            _l("Escribe el último día sin entregas (el mismo si es un solo día)."), field="end_date"
        )
    kept_start = closure is not None and start == closure.start_date
    if start < today and not kept_start:
        raise DomainError(_l("El cierre no puede empezar antes de hoy."), field="start_date")
    if start > today + timedelta(days=MAX_AHEAD_DAYS):
        raise DomainError(_l("Elige un día dentro de los próximos dos años."), field="start_date")
    if end < start:
        raise DomainError(_l("El último día no puede ser antes del primero."), field="end_date")
    if end < today:
        raise DomainError(_l("El último día no puede ser antes de hoy."), field="end_date")
    if (end - start).days + 1 > MAX_CLOSURE_DAYS:
        raise DomainError(
            _l(
                "Un cierre dura como máximo %(days)s días; revisa las fechas.",
                days=MAX_CLOSURE_DAYS,
            ),
            field="end_date",
        )
    clash = session.scalar(
        sa.select(AssociationClosure)
        .where(
            AssociationClosure.association_id == association_id,
            AssociationClosure.start_date <= end,
            AssociationClosure.end_date >= start,
            AssociationClosure.id != (closure.id if closure is not None else -1),
        )
        .order_by(AssociationClosure.start_date)
        .limit(1)
    )
    if clash is not None:
        raise DomainError(
            _l(
                "Se cruza con otro cierre: del %(start)s al %(end)s (%(reason)s).",
                start=lima_date(clash.start_date, "long"),
                end=lima_date(clash.end_date, "long"),
                reason=clash.reason,
            ),
            field="start_date",
        )


def _clean_reason(reason: str | None) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise DomainError(_l("Cuenta a los compradores por qué no hay entregas."), field="reason")
    if len(cleaned) > REASON_MAX:
        raise DomainError(_l("Máximo %(n)s caracteres.", n=REASON_MAX), field="reason")
    return cleaned


def _lock_association(session: Session, association_id: int) -> None:
    """Serialise closure changes of one association, so two overlapping ones never both pass
    (SQLite: the write lock taken up front; PostgreSQL: the association's row)."""
    begin_write(session)
    session.execute(
        sa.select(Association.id).where(Association.id == association_id).with_for_update()
    )


def _announce_again(session: Session, association_id: int, ranges: list[tuple[date, date]]):
    """Standing deliveries the change may move, skip or bring back are reminded again
    (with their new date) on the next `flask standing-orders remind`."""
    for start, end in ranges:
        session.execute(
            sa.update(StandingOccurrence)
            .where(
                StandingOccurrence.standing_order_id.in_(
                    sa.select(StandingOrder.id).where(
                        StandingOrder.association_id == association_id
                    )
                ),
                StandingOccurrence.placed_at.is_(None),
                StandingOccurrence.reminded_at.is_not(None),
                StandingOccurrence.delivery_date >= start,
                StandingOccurrence.delivery_date <= end + timedelta(days=MOVE_WINDOW_DAYS),
            )
            .values(reminded_at=None)
            .execution_options(synchronize_session=False)
        )


def save_closure(
    session: Session,
    actor: User,
    association_id: int,
    start: date | None,
    end: date | None,
    reason: str | None,
    closure: AssociationClosure | None = None,
    now: datetime | None = None,
) -> AssociationClosure:
    """Create a closure of the association, or change `closure`; the caller commits."""
    _may_manage(actor, association_id)
    now = now or utcnow()
    today = now.astimezone(LIMA).date()
    if closure is not None and closure.association_id != association_id:
        raise DomainError(_l("Ese cierre no es de esta asociación."))
    if closure is not None and closure.end_date < today:
        raise DomainError(_l("Ese cierre ya terminó: queda en el historial."))
    _lock_association(session, association_id)
    cleaned = _clean_reason(reason)
    _check_dates(session, association_id, start, end, today, closure)
    ranges = [(start, end)]
    if closure is None:
        closure = AssociationClosure(
            association_id=association_id, created_by_id=actor.id, created_at=now
        )
    elif (closure.start_date, closure.end_date) != (start, end):
        ranges.append((closure.start_date, closure.end_date))
    moved = len(ranges) > 1 or closure.id is None
    closure.start_date, closure.end_date = start, end
    closure.reason = cleaned
    closure.updated_at = now
    if moved:
        closure.dates_set_at = now
    session.add(closure)
    session.flush()
    if moved:
        _announce_again(session, association_id, ranges)
    return closure


def delete_closure(
    session: Session, actor: User, closure: AssociationClosure, now: datetime | None = None
) -> None:
    """Remove a closure that has not ended (deliveries come back on those days)."""
    _may_manage(actor, closure.association_id)
    today = (now or utcnow()).astimezone(LIMA).date()
    if closure.end_date < today:
        raise DomainError(_l("Ese cierre ya terminó: queda en el historial."))
    _lock_association(session, closure.association_id)
    _announce_again(session, closure.association_id, [(closure.start_date, closure.end_date)])
    session.delete(closure)
    session.flush()
