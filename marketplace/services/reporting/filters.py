"""The period a figure covers (Lima dates, both ends included) and what to look at within
it: `Filters`, and the weeks or months a period touches."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ...formatting import LIMA, lima_today
from ..periods import last_months, month_end, month_start, month_starts

PRESETS = ("month", "3m", "year", "12m", "custom")
PRESET_MONTHS = {"month": 1, "3m": 3, "12m": 12}  # this month and the ones before
GRAINS = ("week", "month")
SCOPE_FIELDS = ("association_id", "buyer_id", "product_id", "city", "buyer_kind", "category", "by")


def lima_midnight_utc(day: date) -> datetime:
    """The UTC instant at which `day` starts in Lima."""
    return datetime.combine(day, time(0), LIMA).astimezone(UTC)


@dataclass(frozen=True)
class Filters:
    """A period of Lima dates (both ends included) and what to look at within it."""

    start: date
    end: date
    preset: str = "custom"
    association_id: int | None = None
    buyer_id: int | None = None
    product_id: int | None = None
    city: str | None = None
    buyer_kind: str | None = None
    category: str | None = None
    by: str | None = None  # "week" or "month" for the series; None: chosen by the length

    @classmethod
    def for_period(cls, preset: str, today: date | None = None, **scope) -> Filters:
        """A named period around `today`: "month", "3m", "year" or "12m" (else "month")."""
        today = today or lima_today()
        if preset == "year":
            return cls(date(today.year, 1, 1), date(today.year, 12, 31), "year", **scope)
        if preset not in PRESET_MONTHS:
            preset = "month"
        start, end = last_months(today, PRESET_MONTHS[preset])
        return cls(start=start, end=end, preset=preset, **scope)

    @classmethod
    def last_months(cls, months: int, today: date | None = None, **scope) -> Filters:
        """This month (to its end) and the `months - 1` before it."""
        start, end = last_months(today or lima_today(), months)
        return cls(start=start, end=end, **scope)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_utc(self) -> datetime:
        return lima_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return lima_midnight_utc(self.end + timedelta(days=1))

    @property
    def whole_months(self) -> int | None:
        """How many calendar months the period spans exactly, if it is whole months."""
        if self.start.day != 1 or self.end != month_end(self.end):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Filters:
        """The period just before, as long (whole months stay whole months)."""
        months = self.whole_months
        if months:
            start = month_start(self.start, months)
            end = self.start - timedelta(days=1)
        else:
            end = self.start - timedelta(days=1)
            start = end - timedelta(days=self.days - 1)
        return dataclasses.replace(self, start=start, end=end, preset="custom")

    @property
    def grain(self) -> str:
        """As asked, else weeks for up to about three months and months beyond."""
        if self.by in GRAINS:
            return self.by
        return "week" if self.days <= 93 else "month"

    def query_args(self, **changes) -> dict[str, str]:
        """The query string that gives this view back (for links, bookmarks and exports)."""
        f = dataclasses.replace(self, **changes) if changes else self
        args = {"period": f.preset}
        if f.preset == "custom":
            args.update(start=f.start.isoformat(), end=f.end.isoformat())
        for name in SCOPE_FIELDS:
            value = getattr(f, name)
            if value not in (None, ""):
                args[name] = str(value)
        return args

    @property
    def slug(self) -> str:
        """For file names: 2026-01-01_2026-03-31."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def bucket_starts(f: Filters, grain: str) -> list[date]:
    """The first day of each week (Monday) or month that the period touches."""
    if grain != "week":
        return month_starts(f.start, f.end)
    starts, day = [], f.start - timedelta(days=f.start.weekday())
    while day <= f.end:
        starts.append(day)
        day += timedelta(days=7)
    return starts


def bucket_end(start: date, grain: str) -> date:
    """The last day of the week or month that starts on `start`."""
    return start + timedelta(days=6) if grain == "week" else month_end(start)
