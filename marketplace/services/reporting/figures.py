"""The totals of a period and the headline figures: delivered value, producer income, kg,
orders, buyers, agreements and standing orders in force, fill and on-time rates, average
order and income per member family, each against the period before."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...models import Agreement, Buyer, Order, OrderLine, StandingOrder
from ...models.agreements import ACTIVE, ENDED, PAUSED
from .. import order_states as st
from ..kilos import kg_from_millionths, kg_millionths
from .filters import Filters
from .sql import ANSWERED_STATUSES, cents_div, percent, period_case, scoped
from .sums import families_by_period, sums

# Agreements whose both sides accepted and that were (or are) in force.
AGREEMENT_IN_FORCE_STATUSES = (ACTIVE, PAUSED, ENDED)


@dataclass
class Totals:
    value_cents: int = 0
    deductions_cents: int = 0
    income_cents: int = 0
    kg: Decimal = Decimal(0)
    orders: int = 0
    buyers: int = 0
    on_time: int = 0
    families: int = 0
    ordered_kg: Decimal = Decimal("0.000")  # of the orders answered in the period (fill rate)
    answered_kg: Decimal = Decimal("0.000")  # what of those was delivered
    agreements: int = 0
    standing_orders: int = 0

    @property
    def average_order_cents(self) -> int | None:
        return cents_div(self.value_cents, self.orders)

    @property
    def income_per_family_cents(self) -> int | None:
        return cents_div(self.income_cents, self.families)

    @property
    def fill_rate(self) -> Decimal | None:
        return percent(self.answered_kg, self.ordered_kg)

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(self.on_time, self.orders)


def agreement_accepted():
    """Agreements both sides accepted and that were (or are) in force."""
    return sa.and_(
        Agreement.status.in_(AGREEMENT_IN_FORCE_STATUSES),
        Agreement.buyer_accepted_at.is_not(None),
        Agreement.association_accepted_at.is_not(None),
    )


def agreement_overlaps(p: Filters):
    """Agreements whose dates touch the period."""
    return sa.and_(
        Agreement.start_date <= p.end,
        sa.or_(Agreement.end_date.is_(None), Agreement.end_date >= p.start),
    )


def _standing_overlaps(p: Filters):
    return sa.and_(
        StandingOrder.start_date <= p.end,
        StandingOrder.created_at < p.end_utc,
        sa.or_(StandingOrder.end_date.is_(None), StandingOrder.end_date >= p.start),
        sa.or_(StandingOrder.cancelled_at.is_(None), StandingOrder.cancelled_at >= p.start_utc),
    )


def scoped_agreements(query, f: Filters, model, *, buyer_joined: bool = False):
    """Agreements and standing orders follow the association, buyer, city and kind filters
    (the buyer is joined for the city and kind unless the query has it already)."""
    if f.association_id is not None:
        query = query.where(model.association_id == f.association_id)
    if f.buyer_id is not None:
        query = query.where(model.buyer_id == f.buyer_id)
    if f.city or f.buyer_kind:
        if not buyer_joined:
            query = query.join(Buyer, Buyer.id == model.buyer_id)
        if f.city:
            query = query.where(Buyer.city == f.city)
        if f.buyer_kind:
            query = query.where(Buyer.kind == f.buyer_kind)
    return query


def _add_fill_rates(session: Session, periods: list[Filters], f: Filters, result) -> None:
    """Fill rate: kg ordered and delivered of the orders due in each period that were
    delivered or rejected (one query)."""
    period = period_case(periods, Order.delivery_date, utc=False)
    delivered = sa.case(
        (
            Order.status == st.DELIVERED,
            kg_millionths(OrderLine.delivered_quantity, OrderLine.weight_per_unit_kg),
        ),
        else_=0,
    )
    query = (
        sa.select(
            period.label("period"),
            sa.func.sum(kg_millionths(OrderLine.quantity, OrderLine.weight_per_unit_kg)).label(
                "ordered_kg"
            ),
            sa.func.sum(delivered).label("delivered_kg"),
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.status.in_(ANSWERED_STATUSES),
            Order.delivery_date >= min(p.start for p in periods),
            Order.delivery_date <= max(p.end for p in periods),
        )
        .group_by(period)
    )
    for row in session.execute(scoped(query, f)):
        if row.period is not None:
            result[int(row.period)].ordered_kg = kg_from_millionths(row.ordered_kg)
            result[int(row.period)].answered_kg = kg_from_millionths(row.delivered_kg)


def _add_in_force(session: Session, periods: list[Filters], f: Filters, result) -> None:
    """Agreements and standing orders in force at some time in each period (two queries).

    A renewal is a new version of the same agreement: buyer-association pairs are counted.
    """
    names = [f"p{i}" for i in range(len(periods))]
    pairs = sa.select(
        *(
            sa.func.max(sa.case((agreement_overlaps(p), 1), else_=0)).label(name)
            for name, p in zip(names, periods, strict=True)
        )
    ).where(agreement_accepted())
    pairs = scoped_agreements(pairs, f, Agreement)
    pairs = pairs.group_by(Agreement.buyer_id, Agreement.association_id).subquery()
    agreements = session.execute(
        sa.select(*(sa.func.coalesce(sa.func.sum(pairs.c[n]), 0).label(n) for n in names))
    ).one()
    standing_counts = [
        sa.func.count(sa.case((_standing_overlaps(p), StandingOrder.id), else_=None)).label(name)
        for name, p in zip(names, periods, strict=True)
    ]
    standing = session.execute(
        scoped_agreements(sa.select(*standing_counts), f, StandingOrder)
    ).one()
    for name, t in zip(names, result, strict=True):
        t.agreements = int(agreements._mapping[name])
        t.standing_orders = int(standing._mapping[name])


def totals_by_period(session: Session, periods: list[Filters], f: Filters) -> list[Totals]:
    """Totals of each period: a fixed number of GROUP BY queries, whatever the periods."""
    result = [Totals() for _ in periods]
    for (period,), e in sums(session, periods, f, ("period",)).items():
        t = result[period]
        t.value_cents, t.deductions_cents = e.value_cents, e.deductions_cents
        t.income_cents, t.kg, t.orders = e.income_cents, e.kg, e.orders
        t.buyers, t.on_time = e.buyers, e.on_time
    for period, families in families_by_period(session, periods, f).items():
        result[period].families = families
    _add_fill_rates(session, periods, f, result)
    _add_in_force(session, periods, f, result)
    return result


def totals(session: Session, filters: Filters) -> Totals:
    """Every total of the period (see `Totals`)."""
    return totals_by_period(session, [filters], filters)[0]


@dataclass
class Figure:
    key: str
    current: int | Decimal | None
    previous: int | Decimal | None
    kind: str  # money, kg, count, percent

    @property
    def change(self):
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        if self.kind == "percent" or not self.previous or self.current is None:
            return None
        return percent(self.current - self.previous, self.previous)


# The headline figures in the order pages show them: key, attribute of Totals, kind.
FIGURES = (
    ("value", "value_cents", "money"),
    ("income", "income_cents", "money"),
    ("kg", "kg", "kg"),
    ("orders", "orders", "count"),
    ("agreements", "agreements", "count"),
    ("buyers", "buyers", "count"),
    ("standing_orders", "standing_orders", "count"),
    ("fill_rate", "fill_rate", "percent"),
    ("on_time_rate", "on_time_rate", "percent"),
    ("average_order", "average_order_cents", "money"),
    ("income_per_family", "income_per_family_cents", "money"),
)


@dataclass
class Headline:
    filters: Filters
    previous_filters: Filters
    current: Totals
    previous: Totals
    figures: list[Figure] = field(default_factory=list)

    def __getitem__(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def headline(session: Session, filters: Filters) -> Headline:
    """The headline figures of the period and of the period before it."""
    previous_filters = filters.previous()
    current, previous = totals_by_period(session, [filters, previous_filters], filters)
    figures = [
        Figure(key, getattr(current, attr), getattr(previous, attr), kind)
        for key, attr, kind in FIGURES
    ]
    return Headline(filters, previous_filters, current, previous, figures)
