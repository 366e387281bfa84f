"""Delivered value, deductions (platform fee and refunds), kilograms, orders, on-time orders
and buyers, summed in SQL and grouped by period, bucket, association or buyer.

Every figure starts from here: an order counts on the Lima day it was delivered; samples
are left out; income is the value less the order's fee and refunds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...models import Association, LedgerEntry, Order, OrderLine
from ...models.orders import SOURCE_SAMPLE
from ...models.payments import ENTRY_FEE, ENTRY_REFUND
from ..kilos import kg_from_millionths, kg_millionths
from .filters import Filters, lima_midnight_utc
from .sql import (
    bucket_case,
    delivered_in,
    delivered_on_time,
    has_line_filter,
    lima_date,
    period_case,
    scoped,
)

SUM_FIELDS = ("value_cents", "deductions_cents", "kg_millionths", "orders", "on_time", "buyers")


@dataclass
class Sums:
    """What was delivered in one group (a period, a bucket, an association, a buyer...)."""

    value_cents: int = 0
    deductions_cents: int = 0
    kg_millionths: int = 0
    orders: int = 0
    on_time: int = 0
    buyers: int = 0

    @property
    def income_cents(self) -> int:
        return self.value_cents - self.deductions_cents

    @property
    def kg(self) -> Decimal:
        return kg_from_millionths(self.kg_millionths)


def delivered_line_sums(in_range, f: Filters, *columns):
    """SELECT `columns` with the filtered delivered lines' `value_cents` and `kg_millionths`
    (group it by the columns)."""
    query = (
        sa.select(
            *columns,
            sa.func.sum(OrderLine.delivered_total_cents).label("value_cents"),
            sa.func.sum(
                kg_millionths(OrderLine.delivered_quantity, OrderLine.weight_per_unit_kg)
            ).label("kg_millionths"),
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(in_range)
    )
    return scoped(query, f)


def _delivered_lines(in_range, f: Filters):
    """Per delivered order: the filtered lines' value and kg (a subquery)."""
    query = delivered_line_sums(in_range, f, OrderLine.order_id.label("order_id"))
    return query.group_by(OrderLine.order_id).subquery("delivered_lines")


def _taken(in_range, f: Filters):
    """Per delivered order: its platform fee and refunds, as a positive sum (a subquery)."""
    query = (
        sa.select(
            LedgerEntry.order_id.label("order_id"),
            (-sa.func.sum(LedgerEntry.amount_cents)).label("deductions"),
        )
        .select_from(Order)
        .join(LedgerEntry, LedgerEntry.order_id == Order.id)
        .where(in_range, LedgerEntry.kind.in_((ENTRY_FEE, ENTRY_REFUND)))
    )
    return scoped(query, f, lines=False).group_by(LedgerEntry.order_id).subquery("taken")


def delivered_orders(periods: list[Filters], f: Filters, buckets: list[date] | None = None):
    """One row per delivered order in the periods: its filtered value, kg and income.

    income = value - (fee + refunds of the order) x value / the order's delivered subtotal:
    without a product or category filter value equals the subtotal and the whole fee and
    refunds count; with one, the order's fee and refunds are shared out by value (in whole
    céntimos, rounded down).
    """
    in_range = delivered_in(periods)
    # The lines' sums per order, and the fee and refunds per order, each grouped on its own
    # and then joined: hash joins, no per-order subquery.
    lines = _delivered_lines(in_range, f)
    taken = _taken(in_range, f)
    columns = [
        Order.id.label("order_id"),
        Order.association_id.label("association_id"),
        Order.buyer_id.label("buyer_id"),
        period_case(periods, Order.delivered_at).label("period"),
        delivered_on_time().label("on_time"),
        Order.delivered_subtotal_cents.label("order_value"),
        sa.func.coalesce(lines.c.value_cents, 0).label("value"),
        sa.func.coalesce(lines.c.kg_millionths, 0).label("kg"),
        sa.func.coalesce(taken.c.deductions, 0).label("deductions"),
    ]
    if buckets:
        columns.append(bucket_case(lima_date(Order.delivered_at), buckets).label("bucket"))
    query = (
        sa.select(*columns)
        .select_from(Order)
        .join(lines, lines.c.order_id == Order.id)
        .outerjoin(taken, taken.c.order_id == Order.id)
    )
    return query.subquery("delivered")


def income(d):
    """The order's income in SQL, from a `delivered_orders` subquery."""
    share = sa.case(
        (d.c.order_value > 0, d.c.deductions * d.c.value / d.c.order_value),
        else_=d.c.deductions,
    )
    return d.c.value - share


def _add(result: dict, rows, keys: tuple[str, ...]) -> None:
    """Add each row's sums (columns named as `Sums` fields) to its group's entry."""
    for row in rows:
        values = row._mapping
        key = tuple(values[k] for k in keys)
        if any(k is None for k in key):
            continue
        e = result.setdefault(tuple(int(k) for k in key), Sums())
        for name in SUM_FIELDS:
            if name in values:
                setattr(e, name, getattr(e, name) + int(values[name] or 0))


def sums(
    session: Session,
    periods: list[Filters],
    f: Filters,
    keys: tuple[str, ...],
    buckets: list[date] | None = None,
) -> dict[tuple[int, ...], Sums]:
    """Delivered sums grouped by `keys` ("period", "bucket", "association_id", "buyer_id").

    Without a product or category filter: three GROUP BYs straight to the keys (the lines'
    value and kg; the orders' count, on-time count and buyers; the ledger's fee and
    refunds), each with few groups. With one, the orders' fee and refunds are shared out by
    value, so it goes through one row per order (`delivered_orders`).
    """
    result: dict[tuple[int, ...], Sums] = {}
    if has_line_filter(f):
        _add(result, session.execute(_per_order_query(periods, f, keys, buckets)), keys)
        return result
    for query in _grouped_queries(periods, f, keys, buckets):
        _add(result, session.execute(query), keys)
    return result


def _per_order_query(periods, f: Filters, keys, buckets):
    """The sums through one row per order (fee and refunds shared out by value)."""
    d = delivered_orders(periods, f, buckets)
    columns = [d.c[k] for k in keys]
    return sa.select(
        *columns,
        sa.func.sum(d.c.value).label("value_cents"),
        sa.func.sum(d.c.value - income(d)).label("deductions_cents"),
        sa.func.sum(d.c.kg).label("kg_millionths"),
        sa.func.count().label("orders"),
        sa.func.sum(d.c.on_time).label("on_time"),
        sa.func.count(sa.distinct(d.c.buyer_id)).label("buyers"),
    ).group_by(*columns)


def _key_columns(periods, keys, buckets) -> list:
    expressions = {
        "period": period_case(periods, Order.delivered_at),
        "association_id": Order.association_id,
        "buyer_id": Order.buyer_id,
    }
    if buckets:
        # Compared as UTC instants (each bucket starts at midnight in Lima): no time-zone
        # conversion per row.
        instants = [lima_midnight_utc(b) for b in buckets]
        expressions["bucket"] = bucket_case(Order.delivered_at, instants)
    return [expressions[k] for k in keys]


def _grouped_queries(periods, f: Filters, keys, buckets) -> list:
    """The lines' value and kg, the orders' counts, the ledger's deductions: by the keys."""
    columns = _key_columns(periods, keys, buckets)
    named = [c.label(k) for c, k in zip(columns, keys, strict=True)]
    in_range = delivered_in(periods)
    not_sample = Order.source != SOURCE_SAMPLE
    lines = delivered_line_sums(in_range, f, *named)
    orders = (
        sa.select(
            *named,
            sa.func.count().label("orders"),
            sa.func.sum(delivered_on_time()).label("on_time"),
            sa.func.count(sa.distinct(Order.buyer_id)).label("buyers"),
        )
        .select_from(Order)
        .where(in_range, not_sample)
    )
    ledger = (
        sa.select(*named, (-sa.func.sum(LedgerEntry.amount_cents)).label("deductions_cents"))
        .select_from(Order)
        .join(LedgerEntry, LedgerEntry.order_id == Order.id)
        .where(in_range, not_sample, LedgerEntry.kind.in_((ENTRY_FEE, ENTRY_REFUND)))
    )
    return [
        lines.group_by(*columns),
        scoped(orders, f, lines=False).group_by(*columns),
        scoped(ledger, f, lines=False).group_by(*columns),
    ]


def families_by_period(session: Session, periods: list[Filters], f: Filters) -> dict[int, int]:
    """Member families of the associations that delivered, per period (one query)."""
    if has_line_filter(f):
        d = delivered_orders(periods, f)
        pairs = sa.select(d.c.period.label("period"), d.c.association_id.label("association_id"))
    else:
        pairs = scoped(
            sa.select(
                period_case(periods, Order.delivered_at).label("period"),
                Order.association_id.label("association_id"),
            ).where(delivered_in(periods), Order.source != SOURCE_SAMPLE),
            f,
            lines=False,
        )
    pairs = pairs.distinct().subquery()
    rows = session.execute(
        sa.select(pairs.c.period, sa.func.sum(Association.member_families).label("families"))
        .join(Association, Association.id == pairs.c.association_id)
        .where(pairs.c.period.is_not(None))
        .group_by(pairs.c.period)
    )
    return {int(row.period): int(row.families or 0) for row in rows}
