"""The order lines behind the figures: one page of them with the sums of all, or all of them
streamed for an export."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...models import Association, Buyer, Order, OrderLine
from .. import order_states as st
from ..kilos import kg_from_millionths, kg_millionths
from .figures import Totals, totals
from .filters import Filters
from .sql import ANSWERED_STATUSES, delivered_between, scoped

PAGE_SIZE = 50
LINE_MODES = ("delivered", "due")  # due: orders answered with a delivery date in the period


@dataclass
class LinePage:
    lines: list  # rows of `lines_query`, kg as Decimal
    page: int
    pages: int
    count: int
    totals: Totals
    mode: str = "delivered"


def lines_query(f: Filters, mode: str = "delivered"):
    """The lines behind the figures: delivered in the period, or (`due`) of orders answered
    with a delivery date in it; kg and value count delivered orders only."""
    delivered = Order.status == st.DELIVERED
    query = (
        sa.select(
            Order.id.label("order_id"),
            Order.status,
            Order.delivered_at,
            Order.delivery_date,
            Buyer.trade_name.label("buyer"),
            Association.name.label("association"),
            OrderLine.product_name.label("product"),
            OrderLine.unit,
            OrderLine.quantity,
            OrderLine.delivered_quantity,
            kg_millionths(OrderLine.quantity, OrderLine.weight_per_unit_kg).label("ordered_kg"),
            sa.case(
                (
                    delivered,
                    kg_millionths(OrderLine.delivered_quantity, OrderLine.weight_per_unit_kg),
                ),
                else_=0,
            ).label("kg"),
            sa.case((delivered, OrderLine.delivered_total_cents), else_=0).label("value_cents"),
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Association, Association.id == Order.association_id)
    )
    if mode == "due":
        query = query.where(
            Order.status.in_(ANSWERED_STATUSES),
            Order.delivery_date >= f.start,
            Order.delivery_date <= f.end,
        )
        order = (Order.delivery_date, Order.id, OrderLine.id)
    else:
        query = query.where(delivered_between(f.start_utc, f.end_utc))
        order = (Order.delivered_at, Order.id, OrderLine.id)
    # `scoped` joins Buyer itself for the kind filter; otherwise join it here.
    if not f.buyer_kind:
        query = query.join(Buyer, Buyer.id == Order.buyer_id)
    return scoped(query, f).order_by(*order)


def line_page(
    session: Session, filters: Filters, page: int = 1, mode: str = "delivered"
) -> LinePage:
    """One page of the order lines behind the figures, and the sums of all of them."""
    t = totals(session, filters)
    count = session.scalar(
        sa.select(sa.func.count()).select_from(lines_query(filters, mode).order_by(None).subquery())
    )
    pages = max(1, -(-int(count) // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(
        lines_query(filters, mode).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    lines = [
        SimpleNamespace(
            **{
                **row._mapping,
                "kg": kg_from_millionths(row.kg),
                "ordered_kg": kg_from_millionths(row.ordered_kg),
            }
        )
        for row in rows
    ]
    return LinePage(lines, page, pages, int(count), t, mode)


def iter_lines(session: Session, filters: Filters, mode: str = "delivered", batch: int = 1000):
    """Every line behind the figures, fetched in batches (a server-side cursor where the
    database has one), for streaming exports."""
    result = session.execute(
        lines_query(filters, mode),
        execution_options={"yield_per": batch, "stream_results": True},
    )
    yield from result
