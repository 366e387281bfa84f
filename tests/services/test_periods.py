"""Calendar months as plain dates, and the reporting periods built on them."""

from __future__ import annotations

from datetime import date

from marketplace.services.periods import last_months, month_end, month_start, month_starts
from marketplace.services.reporting import Filters


def test_months_before_and_after_cross_the_year():
    assert month_start(date(2026, 1, 31)) == date(2026, 1, 1)
    assert month_start(date(2026, 1, 31), 1) == date(2025, 12, 1)
    assert month_start(date(2026, 12, 15), -1) == date(2027, 1, 1)
    assert month_start(date(2026, 3, 10), 14) == date(2025, 1, 1)
    assert month_end(date(2028, 2, 3)) == date(2028, 2, 29)
    assert month_end(date(2026, 12, 1)) == date(2026, 12, 31)


def test_months_a_span_touches():
    assert month_starts(date(2025, 11, 30), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert month_starts(date(2026, 5, 9), date(2026, 5, 20)) == [date(2026, 5, 1)]


def test_last_months_end_with_this_month():
    assert last_months(date(2026, 2, 14), 6) == (date(2025, 9, 1), date(2026, 2, 28))
    f = Filters.last_months(12, date(2026, 2, 14), buyer_id=7)
    assert (f.start, f.end, f.buyer_id, f.preset) == (
        date(2025, 3, 1),
        date(2026, 2, 28),
        7,
        "custom",
    )
    twelve = Filters.for_period("12m", date(2026, 2, 14))
    assert (twelve.start, twelve.end) == (f.start, f.end)
    assert Filters.for_period("unknown", date(2026, 2, 14)).preset == "month"
