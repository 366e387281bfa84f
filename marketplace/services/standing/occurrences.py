"""One delivery of a standing order: its row, its lines with that delivery's changes, its
prices and state as the buyer sees it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, selectinload

from ...models import Product
from ...models.agreements import ACTIVE as AGREEMENT_ACTIVE
from ...models.agreements import Agreement
from ...models.standing_orders import (
    OUTCOME_PLACED,
    OUTCOME_SHORT,
    OUTCOME_SKIPPED,
    OUTCOME_UNFILLED,
    SO_CANCELLED,
    StandingOccurrence,
    StandingOccurrenceLine,
    StandingOrder,
    StandingOrderLine,
)
from ...types import utcnow
from .. import agreements, pricing
from .schedule import (
    UPCOMING_WEEKS,
    Planned,
    is_paused,
    lima_date_of,
    plan,
    plan_day,
    schedule_dates,
    terms_of,
)

CHUNK = 5000  # rows per multi-row statement (SQLite allows 32766 parameters)


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def effective_quantities(
    standing_lines: Iterable[StandingOrderLine], overrides: Iterable[StandingOccurrenceLine]
) -> dict[int, Decimal]:
    """Product id -> quantity for one delivery: the standing lines with that delivery's changes."""
    result = {line.product_id: line.quantity for line in standing_lines}
    for override in overrides:
        if override.quantity is None:
            continue
        if override.quantity == 0:
            result.pop(override.product_id, None)
        else:
            result[override.product_id] = override.quantity
    return result


@dataclass
class DeliveryLine:
    product: Product
    quantity: Decimal
    standing_quantity: Decimal | None  # None: added for this delivery only
    unit_price_cents: int
    placed_quantity: Decimal | None = None

    @property
    def changed(self) -> bool:
        return self.standing_quantity is not None and self.quantity != self.standing_quantity

    @property
    def added(self) -> bool:
        return self.standing_quantity is None

    @property
    def line_total_cents(self) -> int:
        return pricing.line_total_cents(self.unit_price_cents, self.quantity)


@dataclass
class Delivery:
    """One delivery of a standing order as the buyer sees it.

    `day` is the schedule's date (the delivery's key, in its URL); `when` is the day it is
    delivered: the same, an earlier day when the association is closed on `day`, or None
    when it could not be moved (`closed_reason` says why).
    """

    standing_order: StandingOrder
    day: date
    cutoff: datetime
    occurrence: StandingOccurrence | None
    paused: bool
    lines: list[DeliveryLine]
    now: datetime
    when: date | None = None
    closed_reason: str | None = None

    @property
    def moved(self) -> bool:
        return self.when is not None and self.when != self.day

    @property
    def dropped(self) -> bool:
        return self.when is None and not self.placed

    @property
    def skipped(self) -> bool:
        return self.occurrence is not None and self.occurrence.skipped

    @property
    def placed(self) -> bool:
        return self.occurrence is not None and self.occurrence.placed_at is not None

    @property
    def open(self) -> bool:
        """Whether the buyer may still change it."""
        return (
            not self.placed
            and not self.paused
            and not self.dropped
            and self.now < self.cutoff
            and self.standing_order.status != SO_CANCELLED
        )

    @property
    def changed(self) -> bool:
        return any(line.changed or line.added for line in self.lines) or any(
            o.quantity == 0 for o in (self.occurrence.lines if self.occurrence else [])
        )

    @property
    def state(self) -> str:
        if self.placed:
            return self.occurrence.outcome
        if self.paused:
            return "paused"
        if self.skipped:
            return OUTCOME_SKIPPED
        if self.dropped:
            return "closed_day"
        if self.now >= self.cutoff:
            return "closed"
        if self.moved:
            return "moved"
        return "scheduled"

    @property
    def subtotal_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)


DELIVERY_STATE_LABELS = {
    "scheduled": _l("Programada"),
    "moved": _l("Adelantada"),
    "closed_day": _l("Sin entrega: no atienden"),
    "closed": _l("Cerrada, por pedir"),
    "paused": _l("En pausa"),
    OUTCOME_SKIPPED: _l("Saltada"),
    OUTCOME_PLACED: _l("Pedida"),
    OUTCOME_SHORT: _l("Pedida con faltante"),
    OUTCOME_UNFILLED: _l("Sin stock"),
}


DELIVERY_STATE_TONES = {
    "scheduled": "ok",
    "moved": "warn",
    "closed_day": "bad",
    "closed": "muted",
    "paused": "warn",
    OUTCOME_SKIPPED: "muted",
    OUTCOME_PLACED: "ok",
    OUTCOME_SHORT: "warn",
    OUTCOME_UNFILLED: "bad",
}


def prices_for(session: Session, buyer_id: int, association_id: int, day: date, products):
    agreed = agreements.agreed_prices(session, [buyer_id], association_id, day)
    return {p.id: agreed.get((buyer_id, p.id), p.price_cents) for p in products}


def upcoming_deliveries(
    session: Session,
    standing_order: StandingOrder,
    now: datetime | None = None,
    weeks: int = UPCOMING_WEEKS,
) -> list[Delivery]:
    """The deliveries of the next weeks with their changes, prices and state; few queries."""
    now = now or utcnow()
    today = lima_date_of(now)
    terms = terms_of(session, standing_order)
    planned = plan(standing_order, terms, today, today + timedelta(days=7 * weeks))
    return _deliveries(session, standing_order, planned, now)


def delivery_on(
    session: Session, standing_order: StandingOrder, day: date, now: datetime | None = None
) -> Delivery | None:
    """One delivery of the schedule (by the schedule's date), or None if it has none that day."""
    now = now or utcnow()
    if day not in schedule_dates(standing_order, day, day):
        return None
    planned = plan_day(standing_order, terms_of(session, standing_order), day)
    return _deliveries(session, standing_order, [planned], now)[0]


def _deliveries(session, standing_order, planned: list[Planned], now) -> list[Delivery]:
    if not planned:
        return []
    days = [p.day for p in planned]
    occurrences = {
        o.delivery_date: o
        for o in session.scalars(
            sa.select(StandingOccurrence)
            .where(
                StandingOccurrence.standing_order_id == standing_order.id,
                StandingOccurrence.delivery_date.in_(days),
            )
            .options(selectinload(StandingOccurrence.lines), joinedload(StandingOccurrence.order))
        )
    }
    product_ids = {line.product_id for line in standing_order.lines} | {
        ol.product_id for o in occurrences.values() for ol in o.lines
    }
    products = {
        p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_(product_ids)))
    }
    agreed_by_day = _agreed_by_day(session, standing_order, {p.shown for p in planned})
    standing = {line.product_id: line.quantity for line in standing_order.lines}
    result = []
    for p in planned:
        occurrence = occurrences.get(p.day)
        overrides = occurrence.lines if occurrence else []
        quantities = effective_quantities(standing_order.lines, overrides)
        placed = {ol.product_id: ol.placed_quantity for ol in overrides}
        lines = []
        for product_id, qty in quantities.items():
            product = products[product_id]
            price = agreed_by_day[p.shown].get((standing_order.buyer_id, product_id))
            lines.append(
                DeliveryLine(
                    product,
                    qty,
                    standing.get(product_id),
                    product.price_cents if price is None else price,
                    placed.get(product_id),
                )
            )
        when = p.when
        if occurrence is not None and occurrence.placed_at is not None:
            when = occurrence.moved_to or occurrence.delivery_date  # what was placed stays
        result.append(
            Delivery(
                standing_order,
                p.day,
                p.cutoff,
                occurrence,
                is_paused(standing_order, p),
                lines,
                now,
                when,
                p.closed_reason,
            )
        )
    return result


def _agreed_by_day(session: Session, standing_order, days) -> dict[date, dict]:
    """Day: {(buyer, product): agreed price}. The pair's active agreements with their prices
    in one query; each day picks its own, later versions winning where two overlap."""
    active = list(
        session.scalars(
            sa.select(Agreement)
            .where(
                Agreement.buyer_id == standing_order.buyer_id,
                Agreement.association_id == standing_order.association_id,
                Agreement.status == AGREEMENT_ACTIVE,
            )
            .options(selectinload(Agreement.prices))
            .order_by(Agreement.version)
        )
    )
    agreed_by_day = {}
    for day in days:
        prices = {}
        for agreement in active:
            if agreement.in_force_on(day):
                prices.update(
                    {
                        (standing_order.buyer_id, p.product_id): p.price_cents
                        for p in agreement.prices
                    }
                )
        agreed_by_day[day] = prices
    return agreed_by_day


def past_deliveries(
    session: Session, standing_order: StandingOrder, limit: int = 12
) -> list[StandingOccurrence]:
    """The deliveries the job handled, newest first, with their orders and lines."""
    return list(
        session.scalars(
            sa.select(StandingOccurrence)
            .where(
                StandingOccurrence.standing_order_id == standing_order.id,
                StandingOccurrence.placed_at.is_not(None),
            )
            .options(
                joinedload(StandingOccurrence.order),
                selectinload(StandingOccurrence.lines).joinedload(StandingOccurrenceLine.product),
            )
            .order_by(StandingOccurrence.delivery_date.desc())
            .limit(limit)
        )
    )


def _insert_ignore(session: Session, model, rows: list[dict], keys: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, in chunks (rows that exist already are left alone)."""
    if not rows:
        return
    postgresql = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgresql else sqlite_insert
    statement = insert(model.__table__).on_conflict_do_nothing(index_elements=keys)
    for chunk in chunks(rows):
        session.execute(statement, chunk)


def ensure_occurrences(session: Session, pairs: Iterable[tuple[int, date]]) -> None:
    """Make the occurrence rows of these (standing order id, date) pairs if missing."""
    now = utcnow()
    rows = [
        {
            "standing_order_id": so_id,
            "delivery_date": day,
            "skipped": False,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for so_id, day in sorted(set(pairs))
    ]
    _insert_ignore(session, StandingOccurrence, rows, ["standing_order_id", "delivery_date"])
