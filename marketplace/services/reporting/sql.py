"""The SQL every figure is built from: Lima dates of UTC instants, the filters applied to a
query over orders and lines, the delivered orders of a span, and periods or buckets as
CASE expressions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ...models import Buyer, Order, OrderLine, Product
from .. import order_states as st
from .filters import Filters

# For the fill rate: orders the association answered (delivered, perhaps short, or rejected).
ANSWERED_STATUSES = (st.DELIVERED, st.REJECTED)


class lima_date(FunctionElement):  # noqa: N801  (reads like the SQL function it renders)
    """The Lima calendar date of a UTC timestamp column, in SQL."""

    type = sa.Date()
    inherit_cache = True


@compiles(lima_date, "sqlite")
def _lima_date_sqlite(element, compiler, **kw):
    # SQLite keeps naive UTC text; Lima has been UTC-5 all year round since 1994.
    return f"date({compiler.process(element.clauses, **kw)}, '-5 hours')"


@compiles(lima_date)
def _lima_date_default(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'America/Lima') AS DATE)"


def without_jit(session: Session) -> None:
    """On PostgreSQL, no JIT compilation for the rest of this transaction.

    The dashboard sends a dozen short aggregates; compiling each one costs more (about a
    second apiece over a million lines) than it saves. Call it once per request.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))


def scoped(query, f: Filters, *, lines: bool = True):
    """Apply the filters to a query over orders (and their lines when `lines`)."""
    if f.association_id is not None:
        query = query.where(Order.association_id == f.association_id)
    if f.buyer_id is not None:
        query = query.where(Order.buyer_id == f.buyer_id)
    if f.city:
        query = query.where(Order.delivery_city == f.city)
    if f.buyer_kind:
        query = query.join(Buyer, Buyer.id == Order.buyer_id).where(Buyer.kind == f.buyer_kind)
    if lines:
        query = query.where(OrderLine.is_sample.is_(False))
        if f.product_id is not None:
            query = query.where(OrderLine.product_id == f.product_id)
        if f.category:
            query = query.join(Product, Product.id == OrderLine.product_id).where(
                Product.category == f.category
            )
    return query


def has_line_filter(f: Filters) -> bool:
    """Whether the filters pick lines within orders (a product or a category)."""
    return f.product_id is not None or bool(f.category)


def delivered_between(start: datetime, end: datetime):
    """Orders delivered from `start` (included) to `end` (excluded), UTC instants."""
    return sa.and_(
        Order.status == st.DELIVERED, Order.delivered_at >= start, Order.delivered_at < end
    )


def delivered_in(periods: list[Filters]):
    """Orders delivered within any of the periods (from the first start to the last end)."""
    return delivered_between(min(p.start_utc for p in periods), max(p.end_utc for p in periods))


def delivered_on_time():
    """1 for an order delivered on (or before) its promised Lima date, else 0."""
    return sa.case((lima_date(Order.delivered_at) <= Order.delivery_date, 1), else_=0)


def period_case(periods: list[Filters], column, utc: bool = True):
    """0 for the first period, 1 for the second... by the column's value."""
    whens = []
    for index, p in enumerate(periods):
        if utc:
            cond = sa.and_(column >= p.start_utc, column < p.end_utc)
        else:
            cond = sa.and_(column >= p.start, column <= p.end)
        whens.append((cond, index))
    return sa.case(*whens, else_=None)


def bucket_case(column, starts: list[date] | list[datetime], first: int = 0):
    """Index of the bucket a value falls in (starts ascending, dates or instants).

    Nested in halves, so a row meets about log2(buckets) comparisons, not one per bucket.
    """
    if len(starts) <= 4:
        whens = [(column < starts[i + 1], first + i) for i in range(len(starts) - 1)]
        return sa.case(*whens, else_=first + len(starts) - 1) if whens else sa.literal(first)
    half = len(starts) // 2
    return sa.case(
        (column < starts[half], bucket_case(column, starts[:half], first)),
        else_=bucket_case(column, starts[half:], first + half),
    )


def cents_div(cents: int, by: int) -> int | None:
    """Céntimos divided by a count, rounded half up; None when there is nothing to divide by."""
    if not by:
        return None
    return int((Decimal(int(cents)) / by).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def percent(part, whole) -> Decimal | None:
    """`part` as a percentage of `whole`, to one decimal; None when `whole` is nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
