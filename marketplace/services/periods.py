"""Calendar months as plain dates: a month's first and last day, months before or after, and
the months a span of days touches. Pure arithmetic, no time zone (callers pass Lima dates)."""

from __future__ import annotations

from datetime import date, timedelta


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s (negative: after)."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return month_start(day, -1) - timedelta(days=1)


def month_starts(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s, both included."""
    starts, day = [], month_start(first)
    while day <= last:
        starts.append(day)
        day = month_start(day, -1)
    return starts


def last_months(today: date, months: int) -> tuple[date, date]:
    """This month (to its end) and the `months - 1` before it: first and last day."""
    return month_start(today, months - 1), month_end(today)
