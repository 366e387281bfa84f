"""Every dashboard figure, defined once: delivered value, producer income, kilograms, orders,
agreements, buyers, standing orders, fill rate, on-time rate, average order and extra income
per member family; by period, association, product, buyer and agreement.

All of it is aggregated in SQL (GROUP BY over order lines joined to their orders); the number
of queries never depends on the amount of data. Periods are Lima dates; an order counts on
the Lima day it was delivered (`delivered_at` in America/Lima), so a delivery at 23:30 Lima on
the 31st is in that month.

Reusable from any page (every function takes a Session and a `Filters`; scope it to one
association or one buyer with `dataclasses.replace(filters, association_id=...)` or
`Filters.for_period(..., association_id=...)`):

- `parse_filters(args, today=None) -> (Filters, errors)`: from a query string, validated.
- `Filters.for_period(preset, today=None, **scope)`: "month", "3m", "year", "12m".
- `headline(session, filters) -> Headline`: every headline figure with the previous period's
  value and the change.
- `totals(session, filters) -> Totals`: delivered value, income, kg, orders, buyers, fill
  and on-time counts, agreements and standing orders in the period.
- `series(session, filters, grain=None) -> Series`: value, kg and income per week or month,
  split by association (`Series.points`, `Series.by_association`).
- `income_by_month(session, filters) -> list[Point]`: income, value and kg per Lima month.
- `by_association`, `by_product`, `by_buyer(session, filters) -> list[Row]`.
- `by_agreement(session, filters) -> list[AgreementRow]`: committed vs ordered vs delivered
  per month (reuses `agreements.MonthVolume`).
- `line_page(session, filters, page) -> LinePage` and `iter_lines(session, filters)`: the
  order lines behind the figures (paginated / streamed), with their sums.
- `without_jit(session)`: once per request on PostgreSQL, before the aggregates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ..formatting import LIMA, lima_today
from ..models import (
    Agreement,
    Association,
    Buyer,
    LedgerEntry,
    Order,
    OrderLine,
    Product,
    StandingOrder,
)
from ..models.accounts import BUYER_KINDS, CITIES
from ..models.agreements import ACTIVE, ENDED, PAUSED
from ..models.catalog import CATEGORIES
from ..models.orders import SOURCE_SAMPLE
from ..models.payments import ENTRY_FEE, ENTRY_REFUND
from . import order_states as st
from .agreements import COUNTED_STATUSES, MILLION, MonthVolume

PRESETS = ("month", "3m", "year", "12m", "custom")
PRESET_LABELS = {
    "month": _l("Este mes"),
    "3m": _l("Últimos 3 meses"),
    "year": _l("Este año"),
    "12m": _l("Últimos 12 meses"),
    "custom": _l("Personalizado"),
}
GRAINS = ("week", "month")
MAX_DAYS = 5 * 366  # a custom period longer than five years is refused
PAGE_SIZE = 50
# Agreements whose both sides accepted and that were (or are) in force.
AGREEMENT_IN_FORCE_STATUSES = (ACTIVE, PAUSED, ENDED)
# For the fill rate: orders the association answered (delivered, perhaps short, or rejected).
ANSWERED_STATUSES = (st.DELIVERED, st.REJECTED)


# Lima dates in SQL -------------------------------------------------------------------------


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


def _raw(column):
    """A Quantity column as its stored integer (thousandths), so SQL can multiply and sum."""
    return sa.type_coerce(column, sa.BigInteger)


def lima_midnight_utc(day: date) -> datetime:
    """The UTC instant at which `day` starts in Lima."""
    return datetime.combine(day, time(0), LIMA).astimezone(UTC)


def without_jit(session: Session) -> None:
    """On PostgreSQL, no JIT compilation for the rest of this transaction.

    The dashboard sends a dozen short aggregates; compiling each one costs more (about a
    second apiece over a million lines) than it saves. Call it once per request.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))


# Filters ---------------------------------------------------------------------------------


def _month_start(day: date, back: int = 0) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def month_end(day: date) -> date:
    return _month_start(day, -1) - timedelta(days=1)


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
        today = today or lima_today()
        if preset == "3m":
            start, end = _month_start(today, 2), month_end(today)
        elif preset == "year":
            start, end = date(today.year, 1, 1), date(today.year, 12, 31)
        elif preset == "12m":
            start, end = _month_start(today, 11), month_end(today)
        else:
            preset, start, end = "month", _month_start(today), month_end(today)
        return cls(start=start, end=end, preset=preset, **scope)

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
            start = _month_start(self.start, months)
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


SCOPE_FIELDS = ("association_id", "buyer_id", "product_id", "city", "buyer_kind", "category", "by")
CHOICES = {"city": CITIES, "buyer_kind": BUYER_KINDS, "category": CATEGORIES, "by": GRAINS}


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def parse_filters(
    args: Mapping[str, str], today: date | None = None
) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string and the messages for what could not be used.

    A bad or missing custom date falls back to this month, with a message at the field.
    """
    today = today or lima_today()
    errors: dict[str, str] = {}
    scope: dict = {}
    for name in ("association_id", "buyer_id", "product_id"):
        raw = (args.get(name) or "").strip()
        if raw:
            if raw.isdigit():
                scope[name] = int(raw)
            else:
                errors[name] = str(_l("Elige una opción de la lista."))
    for name, allowed in CHOICES.items():
        raw = (args.get(name) or "").strip()
        if raw:
            if raw in allowed:
                scope[name] = raw
            else:
                errors[name] = str(_l("Elige una opción de la lista."))
    preset = args.get("period") or "month"
    if preset not in PRESETS:
        errors["period"] = str(_l("Elige un periodo de la lista."))
        preset = "month"
    if preset != "custom":
        return Filters.for_period(preset, today, **scope), errors
    start, end = _parse_date(args.get("start")), _parse_date(args.get("end"))
    if start is None:
        errors["start"] = str(_l("Escribe la fecha de inicio como AAAA-MM-DD."))
    if end is None:
        errors["end"] = str(_l("Escribe la fecha final como AAAA-MM-DD."))
    if start and end and end < start:
        errors["end"] = str(_l("La fecha final debe ser igual o posterior a la de inicio."))
    elif start and end and (end - start).days >= MAX_DAYS:
        errors["end"] = str(_l("El periodo puede durar hasta cinco años."))
    if errors.keys() & {"start", "end"}:
        return Filters.for_period("month", today, **scope), errors
    return Filters(start=start, end=end, preset="custom", **scope), errors


# The delivered orders every figure starts from --------------------------------------------


def _scoped(query, f: Filters, *, lines: bool = True):
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


def _delivered_between(start: datetime, end: datetime):
    return sa.and_(
        Order.status == st.DELIVERED, Order.delivered_at >= start, Order.delivered_at < end
    )


def _period_case(periods: list[Filters], column, utc: bool = True):
    """0 for the first period, 1 for the second... by the column's value."""
    whens = []
    for index, p in enumerate(periods):
        if utc:
            cond = sa.and_(column >= p.start_utc, column < p.end_utc)
        else:
            cond = sa.and_(column >= p.start, column <= p.end)
        whens.append((cond, index))
    return sa.case(*whens, else_=None)


def _bucket_starts(f: Filters, grain: str) -> list[date]:
    """The first day of each week (Monday) or month that the period touches."""
    if grain == "week":
        first = f.start - timedelta(days=f.start.weekday())
        step = lambda d: d + timedelta(days=7)  # noqa: E731
    else:
        first = _month_start(f.start)
        step = lambda d: _month_start(d, -1)  # noqa: E731
    starts, day = [], first
    while day <= f.end:
        starts.append(day)
        day = step(day)
    return starts


def _bucket_case(column, starts: list, first: int = 0):
    """Index of the bucket a value falls in (starts ascending, dates or instants).

    Nested in halves, so a row meets about log2(buckets) comparisons, not one per bucket.
    """
    if len(starts) <= 4:
        whens = [(column < starts[i + 1], first + i) for i in range(len(starts) - 1)]
        return sa.case(*whens, else_=first + len(starts) - 1) if whens else sa.literal(first)
    half = len(starts) // 2
    return sa.case(
        (column < starts[half], _bucket_case(column, starts[:half], first)),
        else_=_bucket_case(column, starts[half:], first + half),
    )


def _delivered_orders(periods: list[Filters], f: Filters, buckets: list[date] | None = None):
    """One row per delivered order in the periods: its filtered value, kg and income.

    income = value - (fee + refunds of the order) x value / the order's delivered subtotal:
    without a product or category filter value equals the subtotal and the whole fee and
    refunds count; with one, the order's fee and refunds are shared out by value (in whole
    céntimos, rounded down).
    """
    start = min(p.start_utc for p in periods)
    end = max(p.end_utc for p in periods)
    in_range = _delivered_between(start, end)
    # The lines' sums per order, and the fee and refunds per order, each grouped on its own
    # and then joined: hash joins, no per-order subquery.
    lines = _scoped(
        sa.select(
            OrderLine.order_id.label("order_id"),
            sa.func.sum(OrderLine.delivered_total_cents).label("value"),
            sa.func.sum(
                _raw(OrderLine.delivered_quantity) * _raw(OrderLine.weight_per_unit_kg)
            ).label("kg"),
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(in_range),
        f,
    )
    lines = lines.group_by(OrderLine.order_id).subquery("delivered_lines")
    taken = _scoped(
        sa.select(
            LedgerEntry.order_id.label("order_id"),
            (-sa.func.sum(LedgerEntry.amount_cents)).label("deductions"),
        )
        .select_from(Order)
        .join(LedgerEntry, LedgerEntry.order_id == Order.id)
        .where(in_range, LedgerEntry.kind.in_((ENTRY_FEE, ENTRY_REFUND))),
        f,
        lines=False,
    )
    taken = taken.group_by(LedgerEntry.order_id).subquery("taken")
    columns = [
        Order.id.label("order_id"),
        Order.association_id.label("association_id"),
        Order.buyer_id.label("buyer_id"),
        _period_case(periods, Order.delivered_at).label("period"),
        sa.case((lima_date(Order.delivered_at) <= Order.delivery_date, 1), else_=0).label(
            "on_time"
        ),
        Order.delivered_subtotal_cents.label("order_value"),
        sa.func.coalesce(lines.c.value, 0).label("value"),
        sa.func.coalesce(lines.c.kg, 0).label("kg"),
        sa.func.coalesce(taken.c.deductions, 0).label("deductions"),
    ]
    if buckets:
        columns.append(_bucket_case(lima_date(Order.delivered_at), buckets).label("bucket"))
    query = (
        sa.select(*columns)
        .select_from(Order)
        .join(lines, lines.c.order_id == Order.id)
        .outerjoin(taken, taken.c.order_id == Order.id)
    )
    return query.subquery("delivered")


def _income(d):
    """The order's income in SQL, from a `_delivered_orders` subquery."""
    share = sa.case(
        (d.c.order_value > 0, d.c.deductions * d.c.value / d.c.order_value),
        else_=d.c.deductions,
    )
    return d.c.value - share


@dataclass
class _Sums:
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


def _has_line_filter(f: Filters) -> bool:
    return f.product_id is not None or bool(f.category)


def _sums(
    session: Session,
    periods: list[Filters],
    f: Filters,
    keys: tuple[str, ...],
    buckets: list[date] | None = None,
) -> dict[tuple[int, ...], _Sums]:
    """Delivered sums grouped by `keys` ("period", "bucket", "association_id", "buyer_id").

    Without a product or category filter: three GROUP BYs straight to the keys (the lines'
    value and kg; the orders' count, on-time count and buyers; the ledger's fee and
    refunds), each with few groups. With one, the orders' fee and refunds are shared out by
    value, so it goes through one row per order (`_delivered_orders`).
    """
    result: dict[tuple[int, ...], _Sums] = {}

    def entry(row) -> _Sums | None:
        key = tuple(row[: len(keys)])
        if any(k is None for k in key):
            return None
        return result.setdefault(tuple(int(k) for k in key), _Sums())

    if _has_line_filter(f):
        d = _delivered_orders(periods, f, buckets)
        columns = [d.c[k] for k in keys]
        rows = session.execute(
            sa.select(
                *columns,
                sa.func.sum(d.c.value),
                sa.func.sum(d.c.value - _income(d)),
                sa.func.sum(d.c.kg),
                sa.func.count(),
                sa.func.sum(d.c.on_time),
                sa.func.count(sa.distinct(d.c.buyer_id)),
            ).group_by(*columns)
        )
        for row in rows:
            e = entry(row)
            if e is not None:
                n = len(keys)
                e.value_cents, e.deductions_cents = int(row[n]), int(row[n + 1])
                e.kg_millionths, e.orders = int(row[n + 2]), int(row[n + 3])
                e.on_time, e.buyers = int(row[n + 4]), int(row[n + 5])
        return result

    start = min(p.start_utc for p in periods)
    end = max(p.end_utc for p in periods)
    in_range = _delivered_between(start, end)
    expressions = {
        "period": _period_case(periods, Order.delivered_at),
        "association_id": Order.association_id,
        "buyer_id": Order.buyer_id,
    }
    if buckets:
        # Compared as UTC instants (each bucket starts at midnight in Lima): no time-zone
        # conversion per row.
        instants = [lima_midnight_utc(b) for b in buckets]
        expressions["bucket"] = _bucket_case(Order.delivered_at, instants)
    columns = [expressions[k] for k in keys]
    not_sample = Order.source != SOURCE_SAMPLE
    line_query = (
        sa.select(
            *columns,
            sa.func.sum(OrderLine.delivered_total_cents),
            sa.func.sum(_raw(OrderLine.delivered_quantity) * _raw(OrderLine.weight_per_unit_kg)),
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(in_range)
    )
    for row in session.execute(_scoped(line_query, f).group_by(*columns)):
        e = entry(row)
        if e is not None:
            e.value_cents += int(row[-2] or 0)
            e.kg_millionths += int(row[-1] or 0)
    on_time = sa.case((lima_date(Order.delivered_at) <= Order.delivery_date, 1), else_=0)
    order_query = (
        sa.select(
            *columns,
            sa.func.count(),
            sa.func.sum(on_time),
            sa.func.count(sa.distinct(Order.buyer_id)),
        )
        .select_from(Order)
        .where(in_range, not_sample)
    )
    for row in session.execute(_scoped(order_query, f, lines=False).group_by(*columns)):
        e = entry(row)
        if e is not None:
            e.orders, e.on_time, e.buyers = int(row[-3]), int(row[-2] or 0), int(row[-1])
    ledger_query = (
        sa.select(*columns, -sa.func.sum(LedgerEntry.amount_cents))
        .select_from(Order)
        .join(LedgerEntry, LedgerEntry.order_id == Order.id)
        .where(in_range, not_sample, LedgerEntry.kind.in_((ENTRY_FEE, ENTRY_REFUND)))
    )
    for row in session.execute(_scoped(ledger_query, f, lines=False).group_by(*columns)):
        e = entry(row)
        if e is not None:
            e.deductions_cents += int(row[-1] or 0)
    return result


def _families_by_period(session: Session, periods: list[Filters], f: Filters) -> dict[int, int]:
    """Member families of the associations that delivered, per period (one query)."""
    if _has_line_filter(f):
        d = _delivered_orders(periods, f)
        pairs = sa.select(d.c.period.label("period"), d.c.association_id.label("association_id"))
    else:
        start = min(p.start_utc for p in periods)
        end = max(p.end_utc for p in periods)
        pairs = _scoped(
            sa.select(
                _period_case(periods, Order.delivered_at).label("period"),
                Order.association_id.label("association_id"),
            ).where(_delivered_between(start, end), Order.source != SOURCE_SAMPLE),
            f,
            lines=False,
        )
    pairs = pairs.distinct().subquery()
    rows = session.execute(
        sa.select(pairs.c.period, sa.func.sum(Association.member_families))
        .join(Association, Association.id == pairs.c.association_id)
        .where(pairs.c.period.is_not(None))
        .group_by(pairs.c.period)
    )
    return {int(period): int(families or 0) for period, families in rows}


def kg_from_millionths(millionths) -> Decimal:
    """Exact kilograms (quantity and weight have three decimals each: up to six here), so
    sums of parts equal the whole; pages round only when they show them."""
    return Decimal(int(millionths or 0)) / MILLION


def _cents_div(cents: int, by: int) -> int | None:
    if not by:
        return None
    return int((Decimal(int(cents)) / by).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


# Totals and headline ----------------------------------------------------------------------


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
        return _cents_div(self.value_cents, self.orders)

    @property
    def income_per_family_cents(self) -> int | None:
        return _cents_div(self.income_cents, self.families)

    @property
    def fill_rate(self) -> Decimal | None:
        return _percent(self.answered_kg, self.ordered_kg)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _percent(self.on_time, self.orders)


def _totals_by_period(session: Session, periods: list[Filters], f: Filters) -> list[Totals]:
    """Totals of each period: three GROUP BY queries, whatever the number of periods."""
    result = [Totals() for _ in periods]
    for (period,), e in _sums(session, periods, f, ("period",)).items():
        t = result[period]
        t.value_cents, t.deductions_cents = e.value_cents, e.deductions_cents
        t.income_cents, t.kg, t.orders = e.income_cents, e.kg, e.orders
        t.buyers, t.on_time = e.buyers, e.on_time
    for period, families in _families_by_period(session, periods, f).items():
        result[period].families = families
    # Fill rate: orders due in the period that were delivered or rejected.
    period = _period_case(periods, Order.delivery_date, utc=False)
    ordered = _raw(OrderLine.quantity) * _raw(OrderLine.weight_per_unit_kg)
    delivered = sa.case(
        (
            Order.status == st.DELIVERED,
            _raw(OrderLine.delivered_quantity) * _raw(OrderLine.weight_per_unit_kg),
        ),
        else_=0,
    )
    query = (
        sa.select(period.label("period"), sa.func.sum(ordered), sa.func.sum(delivered))
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.status.in_(ANSWERED_STATUSES),
            Order.delivery_date >= min(p.start for p in periods),
            Order.delivery_date <= max(p.end for p in periods),
        )
        .group_by(period)
    )
    for index, ordered_kg, delivered_kg in session.execute(_scoped(query, f)):
        if index is not None:
            result[int(index)].ordered_kg = kg_from_millionths(ordered_kg)
            result[int(index)].answered_kg = kg_from_millionths(delivered_kg)
    # Agreements and standing orders in force at some time in each period.
    # A renewal is a new version of the same agreement: count buyer-association pairs.
    pairs = sa.select(
        *(
            sa.func.max(sa.case((_agreement_overlaps(p), 1), else_=0)).label(f"p{i}")
            for i, p in enumerate(periods)
        )
    ).where(_agreement_accepted())
    pairs = _scoped_agreements(pairs, f, Agreement)
    pairs = pairs.group_by(Agreement.buyer_id, Agreement.association_id).subquery()
    counts = session.execute(
        sa.select(*(sa.func.coalesce(sa.func.sum(c), 0) for c in pairs.c))
    ).one()
    for t, count in zip(result, counts, strict=True):
        t.agreements = int(count)
    standing_counts = [
        sa.func.count(sa.case((_standing_overlaps(p), StandingOrder.id), else_=None))
        for p in periods
    ]
    counts = session.execute(
        _scoped_agreements(sa.select(*standing_counts), f, StandingOrder)
    ).one()
    for t, count in zip(result, counts, strict=True):
        t.standing_orders = int(count)
    return result


def _agreement_accepted():
    return sa.and_(
        Agreement.status.in_(AGREEMENT_IN_FORCE_STATUSES),
        Agreement.buyer_accepted_at.is_not(None),
        Agreement.association_accepted_at.is_not(None),
    )


def _agreement_overlaps(p: Filters):
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


def _scoped_agreements(query, f: Filters, model):
    """Agreements and standing orders follow the association, buyer, city and kind filters."""
    if f.association_id is not None:
        query = query.where(model.association_id == f.association_id)
    if f.buyer_id is not None:
        query = query.where(model.buyer_id == f.buyer_id)
    if f.city or f.buyer_kind:
        query = query.join(Buyer, Buyer.id == model.buyer_id)
        if f.city:
            query = query.where(Buyer.city == f.city)
        if f.buyer_kind:
            query = query.where(Buyer.kind == f.buyer_kind)
    return query


def totals(session: Session, filters: Filters) -> Totals:
    """Every total of the period (see `Totals`)."""
    return _totals_by_period(session, [filters], filters)[0]


@dataclass
class Figure:
    key: str
    label: str
    current: int | Decimal | None
    previous: int | Decimal | None
    kind: str  # money, kg, count, percent
    help: str = ""

    @property
    def change(self):
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        if self.kind == "percent" or not self.previous or self.current is None:
            return None
        return _percent(self.current - self.previous, self.previous)


@dataclass
class Headline:
    filters: Filters
    previous_filters: Filters
    current: Totals
    previous: Totals
    figures: list[Figure] = field(default_factory=list)

    def __getitem__(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


FIGURE_HELP = {
    "value": _l("Suma del valor entregado (sin IGV) de las líneas de pedidos entregados."),
    "income": _l("Valor entregado menos la comisión de la plataforma y las devoluciones."),
    "kg": _l("Cantidad entregada × peso por unidad de cada línea."),
    "orders": _l("Pedidos entregados en el periodo (sin muestras)."),
    "agreements": _l("Acuerdos aceptados por ambas partes y vigentes en algún día del periodo."),
    "buyers": _l("Compradores con al menos un pedido entregado."),
    "standing_orders": _l("Pedidos fijos vigentes en algún día del periodo."),
    "fill_rate": _l("Kg entregados ÷ kg pedidos, en pedidos con fecha en el periodo."),
    "on_time_rate": _l("Pedidos entregados en la fecha prometida o antes."),
    "average_order": _l("Valor entregado ÷ pedidos entregados."),
    "income_per_family": _l("Ingreso ÷ familias socias de las asociaciones que entregaron."),
}


def headline(session: Session, filters: Filters) -> Headline:
    """The headline figures of the period and of the period before it."""
    previous_filters = filters.previous()
    current, previous = _totals_by_period(session, [filters, previous_filters], filters)
    h = Headline(filters, previous_filters, current, previous)
    spec = [
        ("value", _l("Valor entregado"), "value_cents", "money"),
        ("income", _l("Ingreso de productores"), "income_cents", "money"),
        ("kg", _l("Kilos entregados"), "kg", "kg"),
        ("orders", _l("Pedidos"), "orders", "count"),
        ("agreements", _l("Acuerdos vigentes"), "agreements", "count"),
        ("buyers", _l("Compradores activos"), "buyers", "count"),
        ("standing_orders", _l("Pedidos fijos vigentes"), "standing_orders", "count"),
        ("fill_rate", _l("Tasa de cumplimiento"), "fill_rate", "percent"),
        ("on_time_rate", _l("Entregas a tiempo"), "on_time_rate", "percent"),
        ("average_order", _l("Pedido promedio"), "average_order_cents", "money"),
        ("income_per_family", _l("Ingreso por familia"), "income_per_family_cents", "money"),
    ]
    for key, label, attr, kind in spec:
        h.figures.append(
            Figure(
                key,
                str(label),
                getattr(current, attr),
                getattr(previous, attr),
                kind,
                str(FIGURE_HELP[key]),
            )
        )
    return h


# Series -----------------------------------------------------------------------------------


@dataclass
class Point:
    start: date
    end: date
    value_cents: int = 0
    income_cents: int = 0
    kg: Decimal = Decimal(0)
    orders: int = 0


@dataclass
class Series:
    grain: str
    points: list[Point]
    # association id -> its own points (same buckets), and names
    by_association: dict[int, list[Point]]
    names: dict[int, str]


def series(session: Session, filters: Filters, grain: str | None = None) -> Series:
    """Value, kg and income per week or month of the period, by association."""
    grain = grain if grain in GRAINS else filters.grain
    starts = _bucket_starts(filters, grain)
    ends = [s - timedelta(days=1) for s in starts[1:]]
    ends.append(_bucket_end(starts[-1], grain))
    bounds = [
        (max(s, filters.start), min(e, filters.end)) for s, e in zip(starts, ends, strict=True)
    ]
    sums = _sums(session, [filters], filters, ("bucket", "association_id"), starts)
    names = _names(session, Association, Association.name, {a for _, a in sums})
    points = [Point(s, e) for s, e in bounds]
    by_association: dict[int, list[Point]] = {}
    for (bucket, association_id), e in sums.items():
        own = by_association.setdefault(association_id, [Point(s, e) for s, e in bounds])
        for p in (points[bucket], own[bucket]):
            p.value_cents += e.value_cents
            p.income_cents += e.income_cents
            p.kg += e.kg
            p.orders += e.orders
    ordered = dict(sorted(by_association.items(), key=lambda item: names[item[0]]))
    return Series(grain, points, ordered, names)


def _bucket_end(start: date, grain: str) -> date:
    return start + timedelta(days=6) if grain == "week" else month_end(start)


def income_by_month(session: Session, filters: Filters) -> list[Point]:
    """Income, value and kg per Lima month of the period (scope it with the filters)."""
    return series(session, filters, "month").points


# Tables -----------------------------------------------------------------------------------


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
        return _cents_div(self.income_cents, self.families)

    @property
    def average_order_cents(self) -> int | None:
        return _cents_div(self.value_cents, self.orders)


def _names(session: Session, model, name, ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(model.id, name).where(model.id.in_(sorted(ids)))).all())


def _buyers_by_association(session: Session, filters: Filters) -> dict[int, int]:
    """How many buyers each association delivered to (orders only, no lines)."""
    query = sa.select(Order.association_id, sa.func.count(sa.distinct(Order.buyer_id))).where(
        _delivered_between(filters.start_utc, filters.end_utc), Order.source != SOURCE_SAMPLE
    )
    query = _scoped(query, filters, lines=False).group_by(Order.association_id)
    return {int(a): int(n) for a, n in session.execute(query)}


def by_association(session: Session, filters: Filters, series: Series | None = None) -> list[Row]:
    """Per association: value, income, kg, orders, buyers, income per member family.

    Given the period's `series` (same filters), its sums per association are added up
    instead of grouping the lines again; only the buyers are counted anew.
    """
    if series is not None and not _has_line_filter(filters):
        buyers = _buyers_by_association(session, filters)
        sums = {}
        for association_id, points in series.by_association.items():
            e = sums[(association_id,)] = _Sums(buyers=buyers.get(association_id, 0))
            for p in points:
                e.value_cents += p.value_cents
                e.deductions_cents += p.value_cents - p.income_cents
                e.kg_millionths += int(p.kg * MILLION)
                e.orders += p.orders
    else:
        sums = _sums(session, [filters], filters, ("association_id",))
    if not sums:
        return []
    associations = session.execute(
        sa.select(Association.id, Association.name, Association.member_families)
        .where(Association.id.in_(sorted(k[0] for k in sums)))
        .order_by(Association.name)
    )
    rows = []
    for association_id, name, families in associations:
        e = sums[(association_id,)]
        rows.append(
            Row(
                id=association_id,
                name=name,
                families=int(families or 0),
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
    sums = _sums(session, [filters], filters, ("buyer_id",))
    if not sums:
        return []
    buyers = session.execute(
        sa.select(Buyer.id, Buyer.trade_name, Buyer.city, Buyer.kind).where(
            Buyer.id.in_(sorted(k[0] for k in sums))
        )
    )
    rows = []
    for buyer_id, name, city, kind in buyers:
        e = sums[(buyer_id,)]
        rows.append(
            Row(
                id=buyer_id,
                name=name,
                detail=f"{city}/{kind}",
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
    query = (
        sa.select(
            OrderLine.product_id,
            sa.func.sum(OrderLine.delivered_total_cents),
            sa.func.sum(_raw(OrderLine.delivered_quantity) * _raw(OrderLine.weight_per_unit_kg)),
            sa.func.sum(_raw(OrderLine.delivered_quantity)),
            sa.func.count(),  # a product is on an order once (unique order_id, product_id)
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(_delivered_between(filters.start_utc, filters.end_utc))
    )
    sums = {
        r[0]: r for r in session.execute(_scoped(query, filters).group_by(OrderLine.product_id))
    }
    if not sums:
        return []
    products = session.execute(
        sa.select(Product.id, Product.name, Product.unit, Product.category, Association.name)
        .join(Association, Association.id == Product.association_id)
        .where(Product.id.in_(sorted(sums)))
        .order_by(Association.name, Product.name)
    )
    rows = []
    for product_id, name, unit, category, association in products:
        r = sums[product_id]
        rows.append(
            Row(
                id=product_id,
                name=name,
                unit=unit,
                detail=f"{category}/{association}",
                value_cents=int(r[1] or 0),
                kg=kg_from_millionths(r[2]),
                quantity=(Decimal(int(r[3] or 0)) / 1000).quantize(Decimal("0.001")),
                orders=int(r[4]),
            )
        )
    return rows


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
        this_month = _month_start(lima_today())
        return any(m.behind and m.first_day < this_month for m in self.months)


def by_agreement(session: Session, filters: Filters) -> list[AgreementRow]:
    """Agreements in force in the period, month by month: committed, ordered, delivered.

    Two queries: the agreements, and one GROUP BY (agreement, month) over their orders.
    An order counts in the month of its day (the Lima day it was delivered, else its
    delivery date) if its delivery date is within the agreement's dates; cancelled and
    rejected orders and samples are left out; delivered kg and value count delivered ones.
    """
    query = (
        sa.select(Agreement, Buyer.trade_name, Association.name)
        .join(Buyer, Buyer.id == Agreement.buyer_id)
        .join(Association, Association.id == Agreement.association_id)
        .where(_agreement_accepted(), _agreement_overlaps(filters))
        .order_by(Association.name, Buyer.trade_name, Agreement.version)
    )
    if filters.association_id is not None:
        query = query.where(Agreement.association_id == filters.association_id)
    if filters.buyer_id is not None:
        query = query.where(Agreement.buyer_id == filters.buyer_id)
    if filters.city:
        query = query.where(Buyer.city == filters.city)
    if filters.buyer_kind:
        query = query.where(Buyer.kind == filters.buyer_kind)
    found = session.execute(query).all()
    if not found:
        return []
    starts = _bucket_starts(filters, "month")
    delivered = Order.status == st.DELIVERED
    # The month of the order's day: delivered ones by the instant (UTC bounds of Lima
    # months), the others by their delivery date.
    month = sa.case(
        (delivered, _bucket_case(Order.delivered_at, [lima_midnight_utc(m) for m in starts])),
        else_=_bucket_case(Order.delivery_date, starts),
    )
    in_period = sa.or_(
        sa.and_(
            delivered,
            Order.delivered_at >= filters.start_utc,
            Order.delivered_at < filters.end_utc,
        ),
        sa.and_(
            Order.status != st.DELIVERED,
            Order.delivery_date >= filters.start,
            Order.delivery_date <= filters.end,
        ),
    )
    ordered_kg = _raw(OrderLine.quantity) * _raw(OrderLine.weight_per_unit_kg)
    delivered_kg = _raw(OrderLine.delivered_quantity) * _raw(OrderLine.weight_per_unit_kg)
    volumes = (
        sa.select(
            Agreement.id,
            month.label("month"),
            sa.func.sum(ordered_kg),
            sa.func.sum(OrderLine.line_total_cents),
            sa.func.sum(sa.case((delivered, delivered_kg), else_=0)),
            sa.func.sum(sa.case((delivered, OrderLine.delivered_total_cents), else_=0)),
        )
        .select_from(Agreement)
        .join(
            Order,
            sa.and_(
                Order.buyer_id == Agreement.buyer_id,
                Order.association_id == Agreement.association_id,
                Order.delivery_date >= Agreement.start_date,
                sa.or_(Agreement.end_date.is_(None), Order.delivery_date <= Agreement.end_date),
            ),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Agreement.id.in_([a.id for a, _, _ in found]),
            Order.status.in_(COUNTED_STATUSES),
            in_period,
        )
    )
    volumes = _scoped(volumes, dataclasses.replace(filters, city=None, buyer_kind=None))
    cells = {
        (agreement_id, int(m)): (o_kg, o_cents, d_kg, d_cents)
        for agreement_id, m, o_kg, o_cents, d_kg, d_cents in session.execute(
            volumes.group_by(Agreement.id, month)
        )
    }
    result = []
    for agreement, buyer_name, association_name in found:
        months = []
        for index, first in enumerate(starts):
            last = month_end(first)
            if last < agreement.start_date or (agreement.end_date and first > agreement.end_date):
                continue
            volume = MonthVolume(first.year, first.month, agreement.committed_kg_per_month)
            cell = cells.get((agreement.id, index))
            if cell:
                volume.ordered_kg = kg_from_millionths(cell[0])
                volume.ordered_cents = int(cell[1] or 0)
                volume.delivered_kg = kg_from_millionths(cell[2])
                volume.delivered_cents = int(cell[3] or 0)
            months.append(volume)
        result.append(
            AgreementRow(
                agreement.id,
                agreement.buyer_id,
                agreement.association_id,
                buyer_name,
                association_name,
                agreement.status,
                agreement.start_date,
                agreement.end_date,
                agreement.committed_kg_per_month,
                months,
            )
        )
    return result


# The lines behind the figures -------------------------------------------------------------


@dataclass
class LinePage:
    lines: list  # rows of LINE_COLUMNS
    page: int
    pages: int
    count: int
    totals: Totals
    mode: str = "delivered"


LINE_MODES = ("delivered", "due")  # due: orders answered with a delivery date in the period


def _lines_query(f: Filters, mode: str = "delivered"):
    kg = _raw(OrderLine.delivered_quantity) * _raw(OrderLine.weight_per_unit_kg)
    ordered_kg = _raw(OrderLine.quantity) * _raw(OrderLine.weight_per_unit_kg)
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
            ordered_kg.label("ordered_kg"),
            sa.case((delivered, kg), else_=0).label("kg"),
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
        query = query.where(_delivered_between(f.start_utc, f.end_utc))
        order = (Order.delivered_at, Order.id, OrderLine.id)
    # _scoped joins Buyer itself for the kind filter; otherwise join it here.
    if not f.buyer_kind:
        query = query.join(Buyer, Buyer.id == Order.buyer_id)
    return _scoped(query, f).order_by(*order)


def line_page(session: Session, filters: Filters, page: int = 1, mode: str = "delivered"):
    """One page of the order lines behind the figures, and the sums of all of them."""
    t = totals(session, filters)
    count = session.scalar(
        sa.select(sa.func.count()).select_from(
            _lines_query(filters, mode).order_by(None).subquery()
        )
    )
    pages = max(1, -(-int(count) // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(
        _lines_query(filters, mode).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
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
        _lines_query(filters, mode),
        execution_options={"yield_per": batch, "stream_results": True},
    )
    yield from result
