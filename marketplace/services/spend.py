"""What a buyer paid for what was delivered, with IGV as it was invoiced: per Lima month and
per association, refunds taken off.

The figures `services.reporting` defines are before IGV (what producers sell). The buyer pays
the order's delivered subtotal plus the IGV computed once on it (`delivered_igv_cents`), and
gets back any refund. An order counts in the Lima month it was delivered, as in reporting;
its refunds count with it, whenever they were made. Samples are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Association, LedgerEntry, Order
from ..models.orders import SOURCE_SAMPLE
from ..models.payments import ENTRY_REFUND
from .reporting import (
    Filters,
    bucket_case,
    bucket_starts,
    delivered_between,
    lima_midnight_utc,
)


@dataclass
class Spend:
    subtotal_cents: int = 0  # delivered value before IGV
    igv_cents: int = 0
    refunds_cents: int = 0
    orders: int = 0

    @property
    def total_cents(self) -> int:
        """Delivered value with IGV: what the invoices ask."""
        return self.subtotal_cents + self.igv_cents

    @property
    def net_cents(self) -> int:
        """What the buyer ends up paying: with IGV, less refunds."""
        return self.total_cents - self.refunds_cents

    def add(self, other: Spend) -> None:
        self.subtotal_cents += other.subtotal_cents
        self.igv_cents += other.igv_cents
        self.refunds_cents += other.refunds_cents
        self.orders += other.orders


@dataclass
class MonthSpend(Spend):
    month: date = date.min  # its first day


@dataclass
class AssociationSpend(Spend):
    association_id: int = 0
    name: str = ""


@dataclass
class BuyerSpend:
    filters: Filters
    months: list[MonthSpend]  # every month of the period, oldest first
    associations: list[AssociationSpend]  # most spent first
    total: Spend = field(default_factory=Spend)


def buyer_spend(session: Session, filters: Filters) -> BuyerSpend:
    """The buyer's spend in the period by month and by association: one GROUP BY query.

    `filters` must name the buyer (`buyer_id`); whole months read best.
    """
    if filters.buyer_id is None:
        raise ValueError("buyer_spend needs filters scoped to one buyer")
    starts = bucket_starts(filters, "month")
    # The buyer's refunds per order, summed once and joined (refunds are few; a correlated
    # subquery per order would need an index on the ledger's order_id to stay cheap).
    refunds = (
        sa.select(
            LedgerEntry.order_id.label("order_id"),
            (-sa.func.sum(LedgerEntry.amount_cents)).label("cents"),
        )
        .join(Order, Order.id == LedgerEntry.order_id)
        .where(LedgerEntry.kind == ENTRY_REFUND, Order.buyer_id == filters.buyer_id)
        .group_by(LedgerEntry.order_id)
        .subquery("refunds")
    )
    # Months compared as the UTC instants at which they start in Lima: no conversion per row.
    instants = [lima_midnight_utc(start) for start in starts]
    month = bucket_case(Order.delivered_at, instants).label("month")
    query = (
        sa.select(
            month,
            Association.id.label("association_id"),
            Association.name,
            sa.func.sum(Order.delivered_subtotal_cents).label("subtotal"),
            sa.func.sum(Order.delivered_igv_cents).label("igv"),
            sa.func.coalesce(sa.func.sum(refunds.c.cents), 0).label("refunded"),
            sa.func.count().label("orders"),
        )
        .join(Association, Association.id == Order.association_id)
        .outerjoin(refunds, refunds.c.order_id == Order.id)
        .where(
            Order.buyer_id == filters.buyer_id,
            Order.source != SOURCE_SAMPLE,
            delivered_between(filters.start_utc, filters.end_utc),
        )
        .group_by(month, Association.id, Association.name)
    )
    if filters.association_id is not None:
        query = query.where(Order.association_id == filters.association_id)
    months = [MonthSpend(month=start) for start in starts]
    by_association: dict[int, AssociationSpend] = {}
    result = BuyerSpend(filters, months, [])
    for row in session.execute(query):
        cell = Spend(
            int(row.subtotal or 0), int(row.igv or 0), int(row.refunded or 0), int(row.orders)
        )
        months[int(row.month)].add(cell)
        by_association.setdefault(
            row.association_id, AssociationSpend(association_id=row.association_id, name=row.name)
        ).add(cell)
        result.total.add(cell)
    result.associations = sorted(
        by_association.values(), key=lambda a: (-a.net_cents, a.name, a.association_id)
    )
    return result
