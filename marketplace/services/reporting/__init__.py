"""Every dashboard figure, defined once: delivered value, producer income, kilograms, orders,
agreements, buyers, standing orders, fill rate, on-time rate, average order and extra income
per member family; by period, association, product, buyer and agreement.

All of it is aggregated in SQL (GROUP BY over order lines joined to their orders); the number
of queries never depends on the amount of data. Periods are Lima dates; an order counts on
the Lima day it was delivered (`delivered_at` in America/Lima), so a delivery at 23:30 Lima on
the 31st is in that month.

Every function takes a Session and a `Filters` (typed: dates, ids, codes); scope it to one
association or one buyer with `dataclasses.replace(filters, association_id=...)`,
`Filters.for_period(..., association_id=...)` or `Filters.last_months(...)`. Reading a query
string into `Filters` is the web layer's (`web/filters.py`), and so are the labels.

- `filters`: `Filters`, its presets ("month", "3m", "year", "12m") and buckets.
- `sql`: Lima dates in SQL, the filters applied to a query, delivered orders, CASE buckets.
- `sums`: the delivered sums grouped by period, bucket, association or buyer.
- `figures`: `totals(session, filters) -> Totals`, `headline(...) -> Headline` (each figure
  with the previous period's value and the change).
- `series`: `series(session, filters, grain=None) -> Series` (value, kg and income per week or
  month, split by association) and `income_by_month(...) -> list[Point]`.
- `tables`: `by_association`, `by_product`, `by_buyer -> list[Row]`, `by_agreement ->
  list[AgreementRow]` (committed vs ordered vs delivered per month).
- `lines`: `line_page(session, filters, page) -> LinePage` and `iter_lines(session, filters)`:
  the order lines behind the figures (paginated / streamed), with their sums.
- `without_jit(session)`: once per request on PostgreSQL, before the aggregates.
"""

from .figures import FIGURES, Figure, Headline, Totals, headline, totals
from .filters import (
    GRAINS,
    PRESETS,
    SCOPE_FIELDS,
    Filters,
    bucket_starts,
    lima_midnight_utc,
)
from .lines import LINE_MODES, PAGE_SIZE, LinePage, iter_lines, line_page
from .series import Point, Series, income_by_month, series
from .sql import bucket_case, delivered_between, without_jit
from .tables import AgreementRow, Row, by_agreement, by_association, by_buyer, by_product

__all__ = [
    "FIGURES",
    "GRAINS",
    "LINE_MODES",
    "PAGE_SIZE",
    "PRESETS",
    "SCOPE_FIELDS",
    "AgreementRow",
    "Figure",
    "Filters",
    "Headline",
    "LinePage",
    "Point",
    "Row",
    "Series",
    "Totals",
    "bucket_case",
    "bucket_starts",
    "by_agreement",
    "by_association",
    "by_buyer",
    "by_product",
    "delivered_between",
    "headline",
    "income_by_month",
    "iter_lines",
    "lima_midnight_utc",
    "line_page",
    "series",
    "totals",
    "without_jit",
]
