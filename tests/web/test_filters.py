"""The figures' filters read from a query string: presets, custom dates, scope, messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from marketplace.services.reporting import Filters
from marketplace.web.filters import parse_filters


def test_filters_from_the_query_string(app):
    today = date(2026, 11, 27)
    f, errors = parse_filters({"period": "3m", "city": "lima"}, today)
    assert (f.start, f.end, f.city, errors) == (date(2026, 9, 1), date(2026, 11, 30), "lima", {})
    assert f.previous().start == date(2026, 6, 1) and f.previous().end == date(2026, 8, 31)
    f, errors = parse_filters({"period": "custom", "start": "2026-13-01"}, today)
    assert f.start == date(2026, 11, 1) and f.end == date(2026, 11, 30)  # this month
    assert "AAAA-MM-DD" in errors["start"] and "end" in errors
    f, errors = parse_filters(
        {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, today
    )
    assert "posterior" in errors["end"] and f.preset == "month"
    f, errors = parse_filters(
        {"period": "custom", "start": "2026-03-10", "end": "2026-03-19", "buyer_id": "x"}, today
    )
    assert (f.start, f.end, f.buyer_id) == (date(2026, 3, 10), date(2026, 3, 19), None)
    assert f.previous() == replace(f, start=date(2026, 2, 28), end=date(2026, 3, 9))
    assert errors == {"buyer_id": "Elige una opción de la lista."}
    assert Filters.for_period("year", today).previous().start == date(2025, 1, 1)
    f, errors = parse_filters({"period": "month", "by": "month"}, today)
    assert (f.grain, f.query_args()["by"], errors) == ("month", "month", {})
    assert parse_filters({"period": "month"}, today)[0].grain == "week"
    assert parse_filters({"period": "year", "by": "day"}, today)[1] == {
        "by": "Elige una opción de la lista."
    }
