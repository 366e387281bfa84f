"""Delivery dates: an association's delivery days for a city, after its lead time.

"Today" is always the date in Lima: at 23:30 in Cusco it is already tomorrow in UTC, and
an order placed then must not gain a day of lead time. Closed days (national holidays, the
association's closures) are never offered, and the lead time counts the association's
working days only (services/calendar.py, docs/calendar.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..formatting import lima_date, lima_today
from ..models import DeliveryRule
from . import DomainError
from . import calendar as cal

HORIZON_DAYS = 28  # how far ahead a buyer may choose a date


def dates_for_rule(
    rule: DeliveryRule | None,
    today: date | None = None,
    calendar: cal.WorkCalendar | None = None,
) -> list[date]:
    """The dates offered under one rule: its weekdays that are not closed, from the first day
    its lead time in working days allows, 4 weeks on. Without a `calendar` only national
    holidays close a day (load the association's with `calendar.load`)."""
    if rule is None or not rule.weekdays:
        return []
    today = today or lima_today()
    calendar = calendar or cal.NATIONAL
    first = calendar.ready_by(rule.association_id, today, rule.lead_days)
    weekdays = set(rule.weekday_numbers)
    days = (first + timedelta(days=n) for n in range(HORIZON_DAYS))
    return [
        day
        for day in days
        if day.isoweekday() in weekdays and calendar.is_working_day(rule.association_id, day)
    ]


def rules_for(
    session: Session, association_ids: Iterable[int]
) -> dict[tuple[int, str], DeliveryRule]:
    """Every delivery rule of these associations, keyed by (association id, city); one query."""
    ids = list(set(association_ids))
    if not ids:
        return {}
    rules = session.scalars(sa.select(DeliveryRule).where(DeliveryRule.association_id.in_(ids)))
    return {(r.association_id, r.city): r for r in rules}


def offered_dates(
    session: Session, association_id: int, city: str, today: date | None = None
) -> list[date]:
    rule = session.scalar(
        sa.select(DeliveryRule).where(
            DeliveryRule.association_id == association_id, DeliveryRule.city == city
        )
    )
    if rule is None:
        return []
    return dates_for_rule(rule, today, cal.load(session, [association_id]))


def check_delivery_date(
    session: Session,
    association_id: int,
    city: str,
    chosen: date | None,
    field: str | None = "delivery_date",
    today: date | None = None,
) -> date:
    """Return `chosen` if the association delivers to `city` that day, else a DomainError."""
    offered = offered_dates(session, association_id, city, today)
    if not offered:
        raise DomainError(_l("Esta asociación aún no entrega en tu ciudad."), field=field)
    if chosen is None:
        raise DomainError(_l("Elige una fecha de entrega."), field=field)
    if chosen not in offered:
        closed = cal.load(session, [association_id]).closed_reason(association_id, chosen)
        if closed is not None:
            raise DomainError(
                _l(
                    "La asociación no entrega el %(day)s: %(reason)s. Elige otra fecha.",
                    day=lima_date(chosen, "long"),
                    reason=closed,
                ),
                field=field,
            )
        raise DomainError(
            _l("La asociación no entrega ese día. Elige una de las fechas ofrecidas."),
            field=field,
        )
    return chosen
