"""The dashboard's tables: per association, per buyer, per product, and per agreement month
by month (committed against ordered and delivered)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...formatting import lima_today
from ...models import Agreement, Association, Buyer, Order, OrderLine, Product
from ...models.orders import SOURCE_SAMPLE
from .. import order_states as st
from ..agreements import MonthVolume, select_counted, volume_columns
from ..kilos import MILLION, kg_from_millionths, thousandths
from ..periods import month_end, month_start
from .figures import agreement_accepted, agreement_overlaps, scoped_agreements
from .filters import Filters, bucket_starts, lima_midnight_utc
from .series import Series
from .sql import bucket_case, cents_div, delivered_between, has_line_filter, scoped
from .sums import Sums, delivered_line_sums, sums


@dataclass
class Row:
    id: int
    name: str
    value_cents: int = 0
    income_cents: int | None = None
    kg: Decimal = Decimal(0)
    orders: int = 0
    quantity: Decimal | None = None  # in the sale unit (products)
    unit: str = ""
    detail: str = ""  # city and kind, category...
    families: int | None = None
    buyers: int | None = None
    previous_value_cents: int | None = None

    @property
    def income_per_family_cents(self) -> int | None:
        if self.income_cents is None or not self.families:
            return None
        return cents_div(self.income_cents, self.families)

    @property
    def average_order_cents(self) -> int | None:
        return cents_div(self.value_cents, self.orders)


def _buyers_by_association(session: Session, filters: Filters) -> dict[int, int]:
    """How many buyers each association delivered to (orders only, no lines)."""
    query = sa.select(
        Order.association_id.label("association_id"),
        sa.func.count(sa.distinct(Order.buyer_id)).label("buyers"),
    ).where(delivered_between(filters.start_utc, filters.end_utc), Order.source != SOURCE_SAMPLE)
    query = scoped(query, filters, lines=False).group_by(Order.association_id)
    return {int(row.association_id): int(row.buyers) for row in session.execute(query)}


def _sums_from_series(session: Session, filters: Filters, series: Series) -> dict:
    """The series' sums per association added up; only the buyers are counted anew."""
    buyers = _buyers_by_association(session, filters)
    found = {}
    for association_id, points in series.by_association.items():
        e = found[(association_id,)] = Sums(buyers=buyers.get(association_id, 0))
        for p in points:
            e.value_cents += p.value_cents
            e.deductions_cents += p.value_cents - p.income_cents
            e.kg_millionths += int(p.kg * MILLION)
            e.orders += p.orders
    return found


def by_association(session: Session, filters: Filters, series: Series | None = None) -> list[Row]:
    """Per association: value, income, kg, orders, buyers, income per member family.

    Given the period's `series` (same filters), its sums per association are added up
    instead of grouping the lines again; only the buyers are counted anew.
    """
    if series is not None and not has_line_filter(filters):
        found = _sums_from_series(session, filters, series)
    else:
        found = sums(session, [filters], filters, ("association_id",))
    if not found:
        return []
    associations = session.execute(
        sa.select(Association.id, Association.name, Association.member_families)
        .where(Association.id.in_(sorted(k[0] for k in found)))
        .order_by(Association.name)
    )
    rows = []
    for a in associations:
        e = found[(a.id,)]
        rows.append(
            Row(
                id=a.id,
                name=a.name,
                families=int(a.member_families or 0),
                value_cents=e.value_cents,
                income_cents=e.income_cents,
                kg=e.kg,
                orders=e.orders,
                buyers=e.buyers,
            )
        )
    return rows


def by_buyer(session: Session, filters: Filters) -> list[Row]:
    """Per buyer: value, income it brought to the producers, kg, orders, average order."""
    found = sums(session, [filters], filters, ("buyer_id",))
    if not found:
        return []
    buyers = session.execute(
        sa.select(Buyer.id, Buyer.trade_name, Buyer.city, Buyer.kind).where(
            Buyer.id.in_(sorted(k[0] for k in found))
        )
    )
    rows = []
    for b in buyers:
        e = found[(b.id,)]
        rows.append(
            Row(
                id=b.id,
                name=b.trade_name,
                detail=f"{b.city}/{b.kind}",
                value_cents=e.value_cents,
                income_cents=e.income_cents,
                kg=e.kg,
                orders=e.orders,
            )
        )
    rows.sort(key=lambda r: (-r.value_cents, r.name))
    return rows


def by_product(session: Session, filters: Filters) -> list[Row]:
    """Per product: value, kg, quantity in its sale unit, orders (income is per order, so
    it is not split by product)."""
    query = delivered_line_sums(
        delivered_between(filters.start_utc, filters.end_utc),
        filters,
        OrderLine.product_id.label("product_id"),
        sa.func.sum(thousandths(OrderLine.delivered_quantity)).label("quantity"),
        sa.func.count().label("orders"),  # a product is on an order once (order, product)
    )
    found = {r.product_id: r for r in session.execute(query.group_by(OrderLine.product_id))}
    if not found:
        return []
    products = session.execute(
        sa.select(
            Product.id,
            Product.name,
            Product.unit,
            Product.category,
            Association.name.label("association"),
        )
        .join(Association, Association.id == Product.association_id)
        .where(Product.id.in_(sorted(found)))
        .order_by(Association.name, Product.name)
    )
    rows = []
    for p in products:
        r = found[p.id]
        rows.append(
            Row(
                id=p.id,
                name=p.name,
                unit=p.unit,
                detail=f"{p.category}/{p.association}",
                value_cents=int(r.value_cents or 0),
                kg=kg_from_millionths(r.kg_millionths),
                quantity=(Decimal(int(r.quantity or 0)) / 1000).quantize(Decimal("0.001")),
                orders=int(r.orders),
            )
        )
    return rows


# Agreements, month by month -----------------------------------------------------------------


@dataclass
class AgreementRow:
    id: int
    buyer_id: int
    association_id: int
    buyer_name: str
    association_name: str
    status: str
    start_date: date
    end_date: date | None
    committed_kg_per_month: Decimal
    months: list[MonthVolume]

    @property
    def committed_kg(self) -> Decimal:
        return sum((m.committed_kg for m in self.months), Decimal("0"))

    @property
    def ordered_kg(self) -> Decimal:
        return sum((m.ordered_kg for m in self.months), Decimal("0"))

    @property
    def ordered_cents(self) -> int:
        return sum(m.ordered_cents for m in self.months)

    @property
    def delivered_kg(self) -> Decimal:
        return sum((m.delivered_kg for m in self.months), Decimal("0"))

    @property
    def delivered_cents(self) -> int:
        return sum(m.delivered_cents for m in self.months)

    @property
    def behind(self) -> bool:
        """Behind its commitment in a month that is over (ordered less than committed)."""
        this_month = month_start(lima_today())
        return any(m.behind and m.first_day < this_month for m in self.months)


def _agreements_in_force(session: Session, filters: Filters) -> list:
    """Accepted agreements whose dates touch the period, with buyer and association names."""
    query = (
        sa.select(
            Agreement,
            Buyer.trade_name.label("buyer_name"),
            Association.name.label("association_name"),
        )
        .join(Buyer, Buyer.id == Agreement.buyer_id)
        .join(Association, Association.id == Agreement.association_id)
        .where(agreement_accepted(), agreement_overlaps(filters))
        .order_by(Association.name, Buyer.trade_name, Agreement.version)
    )
    query = scoped_agreements(query, filters, Agreement, buyer_joined=True)
    return session.execute(query).all()


def _volumes_query(filters: Filters, ids: list[int], starts: list[date]):
    """Ordered and delivered kg and value per (agreement, month index) in the period.

    An order counts in the month of its day: delivered ones by the instant (UTC bounds of
    Lima months), the others by their delivery date.
    """
    delivered = Order.status == st.DELIVERED
    month = sa.case(
        (delivered, bucket_case(Order.delivered_at, [lima_midnight_utc(m) for m in starts])),
        else_=bucket_case(Order.delivery_date, starts),
    )
    in_period = sa.or_(
        delivered_between(filters.start_utc, filters.end_utc),
        sa.and_(
            Order.status != st.DELIVERED,
            Order.delivery_date >= filters.start,
            Order.delivery_date <= filters.end,
        ),
    )
    query = select_counted(
        Agreement.id.label("agreement_id"), month.label("month"), *volume_columns()
    ).where(Agreement.id.in_(ids), in_period)
    query = scoped(query, dataclasses.replace(filters, city=None, buyer_kind=None))
    return query.group_by(Agreement.id, month)


def _months_of(agreement, starts: list[date], cells: dict) -> list[MonthVolume]:
    """The agreement's months within the period, with what was ordered and delivered."""
    months = []
    for index, first in enumerate(starts):
        if month_end(first) < agreement.start_date or (
            agreement.end_date and first > agreement.end_date
        ):
            continue
        volume = MonthVolume(first.year, first.month, agreement.committed_kg_per_month)
        cell = cells.get((agreement.id, index))
        months.append(volume if cell is None else volume.take(cell))
    return months


def by_agreement(session: Session, filters: Filters) -> list[AgreementRow]:
    """Agreements in force in the period, month by month: committed, ordered, delivered.

    Two queries: the agreements, and one GROUP BY (agreement, month) over the orders that
    count under them (`agreements.select_counted`). An order counts in the month of its
    day (the Lima day it was delivered, else its delivery date); delivered kg and value
    count delivered ones.
    """
    found = _agreements_in_force(session, filters)
    if not found:
        return []
    starts = bucket_starts(filters, "month")
    query = _volumes_query(filters, [row.Agreement.id for row in found], starts)
    cells = {(row.agreement_id, int(row.month)): row for row in session.execute(query)}
    return [
        AgreementRow(
            row.Agreement.id,
            row.Agreement.buyer_id,
            row.Agreement.association_id,
            row.buyer_name,
            row.association_name,
            row.Agreement.status,
            row.Agreement.start_date,
            row.Agreement.end_date,
            row.Agreement.committed_kg_per_month,
            _months_of(row.Agreement, starts, cells),
        )
        for row in found
    ]
