"""Standing orders: schedules, cut-offs, per-delivery changes, placement, fair shares of short
stock, price-change notices, reminders and the demand ahead.

Schedule. Weekly: the chosen ISO weekdays, every N weeks counted from the Monday of the
week of the start date (N = 2 delivers in weeks 0, 2, 4 ...). Monthly: one day of the
month; a day the month does not have means its last day (31 → 30 April, 28 or 29
February). No delivery before the start date or after the end date, nor while paused: a
pause with a date covers deliveries before that date and ends by itself on it.

Cut-off. A delivery on day D to a city where the association needs L lead days (its
DeliveryRule; 2 if the association has none for the city any more) closes at 00:00
America/Lima on the L-th working day of the association before D (services/calendar.py:
national holidays and the association's closures are not working days). Before that instant
the buyer may skip the delivery, change its quantities or add a line; from then on it is
refused, and `flask standing-orders place` turns it into an order. A delivery whose cut-off
had already passed when the schedule was last changed (created, edited, resumed) is never
placed, so nobody gets less lead time.

Closed days. A delivery whose date is closed for the association (a national holiday, one of
its closures) moves to the latest earlier day, at most 6 days before, that is open, is one of
the association's delivery days for the address's city, comes after the schedule's previous
date (two deliveries never merge) and is not before the start date, provided that day's
cut-off was still ahead when the closure became known (and after the schedule's last
change); otherwise it is dropped. The delivery keeps its row, keyed by the schedule's date,
so a skip or a change made before the move carries over; it is placed on the new day
(`moved_to`), once. The reminder announces the new date (or that there will be none) to the
buyer and to the promoters.

Placement. Due deliveries are grouped in batches of one association and one delivery date.
A batch claims its rows with one conditional UPDATE (`placed_at IS NULL`) that also stamps
a random claim token; on PostgreSQL a second run blocks on those rows and then finds them
claimed, on SQLite writers are serialised (BEGIN IMMEDIATE). UNIQUE(standing_order_id,
delivery_date) keeps one row per delivery and UNIQUE(order_id) one delivery per order, so
each delivery is placed at most once however many runs overlap. The batch is read and
written with a fixed number of statements (set-based loads by claim token, batched
inserts, one stock UPDATE per product), so the cost grows with batches, not deliveries.

Fair share of short stock, per product and per batch, decided before any order is built:
1. deliveries whose buyer has an agreement in force with the association that day come
   first; the others share what the agreements leave;
2. within a group that asks for more than there is, each delivery gets the available
   quantity in proportion to what it asked, rounded down to the unit's step (0.1 kg for
   products sold by the kilo, 1 for pieces and sacks);
3. what rounding leaves over is handed out one step at a time to the oldest standing
   orders first (created earliest, then lowest id), never beyond what each asked.
The order is placed with what it got; the line keeps what was asked (requested_quantity)
and buyer and promoter are told. A delivery that got nothing makes no order.
"""

from __future__ import annotations

import logging
import secrets
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, selectinload

from ..database import insert_rows
from ..formatting import LIMA, lima_date, lima_datetime, money, quantity, word_list
from ..models import (
    Association,
    BuyerAddress,
    DeliveryRule,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    User,
)
from ..models.agreements import ACTIVE as AGREEMENT_ACTIVE
from ..models.agreements import Agreement, AgreementPrice
from ..models.catalog import REASON_RESERVATION
from ..models.notifications import Notification
from ..models.orders import SOURCE_STANDING
from ..models.standing_orders import (
    MONTHLY,
    OUTCOME_PLACED,
    OUTCOME_SHORT,
    OUTCOME_SKIPPED,
    OUTCOME_UNFILLED,
    SO_ACTIVE,
    SO_CANCELLED,
    SO_PAUSED,
    WEEKLY,
    StandingOccurrence,
    StandingOccurrenceLine,
    StandingOrder,
    StandingOrderLine,
)
from ..types import utcnow
from . import DomainError, agreements, delivery, order_payments, ordering, pricing
from . import calendar as cal
from . import order_states as ost
from .notifications import buyer_users, enqueue, outbox_rows, promoters
from .stock import reserve_many

log = logging.getLogger("qhatu.standing_orders")

DEFAULT_LEAD_DAYS = 2
UPCOMING_WEEKS = 6
DEMAND_WEEKS = 8
MAX_EVERY_WEEKS = 8
STEPS = {"kg": Decimal("0.1"), "piece": Decimal("1"), "sack50": Decimal("1")}
WHOLE_UNITS = ("piece", "sack50")
CHUNK = 5000  # rows per multi-row statement (SQLite allows 32766 parameters)

WEEKDAY_LABELS = {
    1: _l("lunes"),
    2: _l("martes"),
    3: _l("miércoles"),
    4: _l("jueves"),
    5: _l("viernes"),
    6: _l("sábado"),
    7: _l("domingo"),
}
STATUS_LABELS = {SO_ACTIVE: _l("Activo"), SO_PAUSED: _l("En pausa"), SO_CANCELLED: _l("Cancelado")}
STATUS_TONES = {SO_ACTIVE: "ok", SO_PAUSED: "warn", SO_CANCELLED: "bad"}


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Schedules and cut-offs ---------------------------------------------------------------------


@dataclass
class Schedule:
    """A schedule as typed in a form (StandingOrder has the same attributes)."""

    schedule_kind: str
    weekdays: str = ""
    every_weeks: int = 1
    month_day: int | None = None
    start_date: date | None = None
    end_date: date | None = None

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(ch) for ch in self.weekdays or ""]


def _months(first: date, last: date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def schedule_dates(schedule, first: date, last: date) -> list[date]:
    """The delivery dates of a schedule between `first` and `last`, both included."""
    first = max(first, schedule.start_date)
    if schedule.end_date is not None:
        last = min(last, schedule.end_date)
    if first > last:
        return []
    if schedule.schedule_kind == MONTHLY:
        days = []
        for y, m in _months(first, last):
            day = date(y, m, min(schedule.month_day, monthrange(y, m)[1]))
            if first <= day <= last:
                days.append(day)
        return days
    weekdays = set(schedule.weekday_numbers)
    every = max(1, schedule.every_weeks or 1)
    anchor = schedule.start_date - timedelta(days=schedule.start_date.weekday())
    days = []
    day = first
    while day <= last:
        if day.isoweekday() in weekdays and ((day - anchor).days // 7) % every == 0:
            days.append(day)
        day += timedelta(days=1)
    return days


def cutoff_at(
    delivery_date: date,
    lead_days: int,
    calendar: cal.WorkCalendar | None = None,
    association_id: int | None = None,
) -> datetime:
    """00:00 in Lima on the lead-th working day before the delivery date (aware UTC).

    Without a calendar only national holidays are closed (no association's closures)."""
    return (calendar or cal.NATIONAL).cutoff(association_id, delivery_date, lead_days)


def lima_date_of(moment: datetime) -> date:
    return moment.astimezone(LIMA).date()


def lead_days_for(rules: dict, association_id: int, city: str) -> int:
    rule = rules.get((association_id, city))
    return rule.lead_days if rule is not None else DEFAULT_LEAD_DAYS


def earliest_start(
    lead_days: int,
    now: datetime | None = None,
    calendar: cal.WorkCalendar | None = None,
    association_id: int | None = None,
) -> date:
    """The first open delivery date whose cut-off is still ahead."""
    calendar = calendar or cal.NATIONAL
    now = now or utcnow()
    day = lima_date_of(now) + timedelta(days=1)
    for _step in range(cal.MAX_STEPS):
        if calendar.is_working_day(association_id, day) and (
            calendar.cutoff(association_id, day, lead_days) > now
        ):
            return day
        day += timedelta(days=1)
    raise RuntimeError("no delivery date ahead")


@dataclass(frozen=True)
class Planned:
    """One delivery of a schedule once the calendar is applied."""

    day: date  # the schedule's date: the delivery's key
    when: date | None  # the day it is delivered: `day`, an earlier day, or None (dropped)
    cutoff: datetime  # changes close and the job places it (of `day` when dropped)
    closed_reason: str | None = None  # why `day` is closed, when it is

    @property
    def moved(self) -> bool:
        return self.when is not None and self.when != self.day

    @property
    def dropped(self) -> bool:
        return self.when is None

    @property
    def shown(self) -> date:
        return self.when or self.day


@dataclass(frozen=True)
class Terms:
    """What the calendar needs of a standing order's association and city."""

    calendar: cal.WorkCalendar
    lead_days: int
    weekdays: frozenset[int]


def terms_for(rules: dict, calendar: cal.WorkCalendar, standing_order) -> Terms:
    rule = rules.get((standing_order.association_id, standing_order.address.city))
    return Terms(
        calendar,
        rule.lead_days if rule is not None else DEFAULT_LEAD_DAYS,
        frozenset(rule.weekday_numbers if rule is not None else ()),
    )


def _plan_one(standing_order, day: date, previous: date | None, terms: Terms) -> Planned:
    calendar, aid, lead = terms.calendar, standing_order.association_id, terms.lead_days
    if calendar.is_working_day(aid, day):
        return Planned(day, day, calendar.cutoff(aid, day, lead))
    reason = calendar.closed_reason(aid, day)
    known = standing_order.rescheduled_at
    closure_known = calendar.known_since(aid, day)
    if closure_known is not None and (known is None or closure_known > known):
        known = closure_known
    floor = max(day - timedelta(days=cal.MOVE_WINDOW_DAYS), standing_order.start_date)
    if previous is not None:
        floor = max(floor, previous + timedelta(days=1))
    candidate = day - timedelta(days=1)
    while candidate >= floor:
        if candidate.isoweekday() in terms.weekdays and calendar.is_working_day(aid, candidate):
            cutoff = calendar.cutoff(aid, candidate, lead)
            if known is None or cutoff > known:
                return Planned(day, candidate, cutoff, reason)
            break  # earlier days close earlier still
        candidate -= timedelta(days=1)
    return Planned(day, None, calendar.cutoff(aid, day, lead), reason)


def plan(standing_order, terms: Terms, first: date, last: date) -> list[Planned]:
    """The schedule's deliveries shown between `first` and `last` (moved ones by their new
    day, dropped ones by their own), the calendar applied."""
    pad = timedelta(days=cal.MOVE_WINDOW_DAYS + 1)
    days = schedule_dates(standing_order, first - 2 * pad, last + pad)
    result, previous = [], None
    for day in days:
        planned = _plan_one(standing_order, day, previous, terms)
        previous = day
        if first <= planned.shown <= last:
            result.append(planned)
    return result


def plan_day(standing_order, terms: Terms, day: date) -> Planned | None:
    """The delivery the schedule has on `day` (its own date, not a moved one), or None."""
    pad = timedelta(days=cal.MOVE_WINDOW_DAYS + 1)
    days = schedule_dates(standing_order, day - pad, day)
    if not days or days[-1] != day:
        return None
    previous = days[-2] if len(days) > 1 else None
    return _plan_one(standing_order, day, previous, terms)


def is_paused(standing_order, planned: Planned) -> bool:
    """A pause covers a delivery when it covers its date or the day it moved to."""
    return standing_order.paused_on(planned.day) or (
        planned.when is not None and standing_order.paused_on(planned.when)
    )


def describe_schedule(schedule) -> str:
    """'martes y viernes, cada 2 semanas' / 'el día 31 de cada mes (o el último)'."""
    if schedule.schedule_kind == MONTHLY:
        if schedule.month_day and schedule.month_day >= 29:
            return str(
                _l(
                    "el día %(day)s de cada mes (o el último día del mes)",
                    day=schedule.month_day,
                )
            )
        return str(_l("el día %(day)s de cada mes", day=schedule.month_day))
    days = word_list(WEEKDAY_LABELS[n] for n in sorted(schedule.weekday_numbers))
    if (schedule.every_weeks or 1) == 1:
        return str(_l("cada semana: %(days)s", days=days))
    return str(_l("cada %(n)s semanas: %(days)s", n=schedule.every_weeks, days=days))


# Lines of one delivery ----------------------------------------------------------------------


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


def _prices_for(session: Session, buyer_id: int, association_id: int, day: date, products):
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
    terms = _terms_of(session, standing_order)
    planned = plan(standing_order, terms, today, today + timedelta(days=7 * weeks))
    return _deliveries(session, standing_order, planned, now)


def delivery_on(
    session: Session, standing_order: StandingOrder, day: date, now: datetime | None = None
) -> Delivery | None:
    """One delivery of the schedule (by the schedule's date), or None if it has none that day."""
    now = now or utcnow()
    if day not in schedule_dates(standing_order, day, day):
        return None
    planned = plan_day(standing_order, _terms_of(session, standing_order), day)
    return _deliveries(session, standing_order, [planned], now)[0]


def _terms_of(session: Session, standing_order: StandingOrder) -> Terms:
    """The calendar, lead time and delivery days of one standing order: two queries."""
    aid = standing_order.association_id
    rules = delivery.rules_for(session, [aid])
    return terms_for(rules, cal.load(session, [aid]), standing_order)


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
    # The pair's active agreements with their prices in one query; each day picks its own.
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
    for day in {p.shown for p in planned}:
        prices = {}
        for agreement in active:  # later versions win where two overlap
            if agreement.in_force_on(day):
                prices.update(
                    {
                        (standing_order.buyer_id, p.product_id): p.price_cents
                        for p in agreement.prices
                    }
                )
        agreed_by_day[day] = prices
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


# Creating and changing standing orders -----------------------------------------------------


def _require_buyer(actor: User) -> None:
    if actor is None or not actor.is_buyer or actor.buyer_id is None:
        raise DomainError(_l("Solo los compradores pueden tener pedidos fijos."))


def _own(actor: User, standing_order: StandingOrder) -> None:
    _require_buyer(actor)
    if standing_order.buyer_id != actor.buyer_id:
        raise DomainError(_l("Este pedido fijo no es de tu negocio."))


def _address(session: Session, buyer_id: int, address_id: int | None) -> BuyerAddress:
    address = session.get(BuyerAddress, address_id) if address_id else None
    if address is None or address.buyer_id != buyer_id or not address.active:
        raise DomainError(_l("Elige una de tus direcciones de entrega."), field="address_id")
    return address


def _rule(session: Session, association_id: int, city: str) -> DeliveryRule:
    rule = session.scalar(
        sa.select(DeliveryRule).where(
            DeliveryRule.association_id == association_id, DeliveryRule.city == city
        )
    )
    if rule is None or not rule.weekdays:
        raise DomainError(
            _l("Esta asociación aún no entrega en la ciudad de esa dirección."),
            field="address_id",
        )
    return rule


def _check_schedule(
    schedule: Schedule,
    rule: DeliveryRule,
    now: datetime,
    new_start: bool,
    calendar: cal.WorkCalendar | None = None,
):
    if schedule.schedule_kind not in (WEEKLY, MONTHLY):
        raise DomainError(_l("Elige cada cuánto quieres recibirlo."), field="schedule_kind")
    if schedule.schedule_kind == WEEKLY:
        days = schedule.weekday_numbers
        if not days:
            raise DomainError(_l("Elige al menos un día de entrega."), field="weekdays")
        offered = set(rule.weekday_numbers)
        if not set(days) <= offered:
            names = word_list(WEEKDAY_LABELS[n] for n in sorted(offered))
            raise DomainError(
                _l("La asociación entrega en tu ciudad: %(days)s.", days=names), field="weekdays"
            )
        if not 1 <= (schedule.every_weeks or 0) <= MAX_EVERY_WEEKS:
            raise DomainError(_l("Cada 1 a 8 semanas."), field="every_weeks")
        schedule.month_day = None
    else:
        if not schedule.month_day or not 1 <= schedule.month_day <= 31:
            raise DomainError(_l("Elige un día del mes, del 1 al 31."), field="month_day")
        schedule.weekdays = ""
        schedule.every_weeks = 1
    if schedule.start_date is None:
        raise DomainError(_l("Elige la fecha de la primera entrega."), field="start_date")
    first = earliest_start(rule.lead_days, now, calendar, rule.association_id)
    if new_start and schedule.start_date < first:
        raise DomainError(
            ngettext(
                "La asociación necesita %(num)s día para preparar el pedido: "
                "la primera entrega puede ser desde el %(date)s.",
                "La asociación necesita %(num)s días para preparar el pedido: "
                "la primera entrega puede ser desde el %(date)s.",
                rule.lead_days,
                date=lima_date(first, "long"),
            ),
            field="start_date",
        )
    if schedule.end_date is not None and schedule.end_date < schedule.start_date:
        raise DomainError(_l("El fin no puede ser antes del inicio."), field="end_date")


def _clean_lines(session: Session, association_id: int, raw: dict[int, object]):
    """{product id: quantity} checked: products of the association, on sale, valid amounts."""
    wanted = {int(pid): q for pid, q in raw.items() if str(q or "").strip() not in ("", "0")}
    if not wanted:
        raise DomainError(_l("Agrega al menos un producto con su cantidad."), field="lines")
    products = {
        p.id: p
        for p in session.scalars(
            sa.select(Product).where(
                Product.id.in_(wanted), Product.association_id == association_id
            )
        )
    }
    clean = {}
    for product_id, raw_qty in wanted.items():
        product = products.get(product_id)
        if product is None or not product.active:
            raise DomainError(_l("Un producto ya no está a la venta."), field="lines")
        clean[product] = ordering.clean_quantity(raw_qty, product.unit, field=f"qty_{product_id}")
    return clean


def _agreement_for(session, buyer_id, association_id, agreement_id) -> Agreement | None:
    if not agreement_id:
        return None
    agreement = session.get(Agreement, agreement_id)
    if (
        agreement is None
        or agreement.buyer_id != buyer_id
        or agreement.association_id != association_id
        or agreement.status != AGREEMENT_ACTIVE
    ):
        raise DomainError(_l("Ese acuerdo no está vigente."), field="agreement_id")
    return agreement


def create_standing_order(
    session: Session,
    actor: User,
    association_id: int,
    address_id: int | None,
    lines: dict[int, object],
    schedule: Schedule,
    *,
    agreement_id: int | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> StandingOrder:
    """A new standing order; its first delivery must leave the association its lead time."""
    _require_buyer(actor)
    now = now or utcnow()
    if session.get(Association, association_id) is None:
        raise DomainError(_l("Elige una asociación."), field="association_id")
    address = _address(session, actor.buyer_id, address_id)
    rule = _rule(session, association_id, address.city)
    calendar = cal.load(session, [association_id])
    _check_schedule(schedule, rule, now, new_start=True, calendar=calendar)
    agreement = _agreement_for(session, actor.buyer_id, association_id, agreement_id)
    clean = _clean_lines(session, association_id, lines)
    standing_order = StandingOrder(
        buyer_id=actor.buyer_id,
        association_id=association_id,
        agreement_id=agreement.id if agreement else None,
        address_id=address.id,
        created_by_id=actor.id,
        schedule_kind=schedule.schedule_kind,
        weekdays=schedule.weekdays,
        every_weeks=schedule.every_weeks or 1,
        month_day=schedule.month_day,
        start_date=schedule.start_date,
        end_date=schedule.end_date,
        status=SO_ACTIVE,
        notes=(notes or "").strip()[:300],
        created_at=now,
        updated_at=now,
        rescheduled_at=now,
    )
    prices = _prices_for(session, actor.buyer_id, association_id, schedule.start_date, list(clean))
    for product, qty in sorted(clean.items(), key=lambda pq: pq[0].id):
        standing_order.lines.append(
            StandingOrderLine(
                product_id=product.id, quantity=qty, last_notified_price_cents=prices[product.id]
            )
        )
    session.add(standing_order)
    session.flush()
    return standing_order


def update_standing_order(
    session: Session,
    actor: User,
    standing_order: StandingOrder,
    address_id: int | None,
    lines: dict[int, object],
    schedule: Schedule,
    *,
    notes: str = "",
    now: datetime | None = None,
) -> StandingOrder:
    """Change lines, address or schedule from now on; deliveries already placed stay as they are."""
    _own(actor, standing_order)
    now = now or utcnow()
    if standing_order.status == SO_CANCELLED:
        raise DomainError(_l("Este pedido fijo está cancelado."))
    address = _address(session, actor.buyer_id, address_id)
    rule = _rule(session, standing_order.association_id, address.city)
    _check_schedule(
        schedule,
        rule,
        now,
        new_start=schedule.start_date != standing_order.start_date,
        calendar=cal.load(session, [standing_order.association_id]),
    )
    clean = _clean_lines(session, standing_order.association_id, lines)
    rescheduled = address.id != standing_order.address_id or any(
        getattr(schedule, name) != getattr(standing_order, name)
        for name in ("schedule_kind", "weekdays", "every_weeks", "month_day", "start_date")
    )
    standing_order.address_id = address.id
    for name in ("schedule_kind", "weekdays", "every_weeks", "month_day", "start_date", "end_date"):
        setattr(standing_order, name, getattr(schedule, name))
    standing_order.every_weeks = schedule.every_weeks or 1
    standing_order.notes = (notes or "").strip()[:300]
    standing_order.updated_at = now
    if rescheduled:
        standing_order.rescheduled_at = now
    prices = _prices_for(
        session,
        actor.buyer_id,
        standing_order.association_id,
        max(lima_date_of(now), standing_order.start_date),
        list(clean),
    )
    current = {line.product_id: line for line in standing_order.lines}
    wanted = {product.id: qty for product, qty in clean.items()}
    for product_id, line in current.items():
        if product_id not in wanted:
            standing_order.lines.remove(line)
    for product_id, qty in sorted(wanted.items()):
        line = current.get(product_id)
        if line is None:
            line = StandingOrderLine(product_id=product_id)
            standing_order.lines.append(line)
        line.quantity = qty
        line.last_notified_price_cents = prices[product_id]  # the buyer just saw it
    session.flush()
    return standing_order


def pause(
    session: Session,
    actor: User,
    standing_order: StandingOrder,
    until: date | None,
    now: datetime | None = None,
) -> StandingOrder:
    """No deliveries before `until` (then it resumes by itself), or until resumed."""
    _own(actor, standing_order)
    now = now or utcnow()
    if standing_order.status == SO_CANCELLED:
        raise DomainError(_l("Este pedido fijo está cancelado."))
    if until is not None and until <= lima_date_of(now):
        raise DomainError(_l("Elige una fecha futura para reanudar."), field="until")
    standing_order.status = SO_PAUSED
    standing_order.paused_until = until
    standing_order.updated_at = now
    session.flush()
    return standing_order


def resume(
    session: Session, actor: User, standing_order: StandingOrder, now: datetime | None = None
) -> StandingOrder:
    """Deliveries again, from the first one whose cut-off is still ahead."""
    _own(actor, standing_order)
    now = now or utcnow()
    if standing_order.status != SO_PAUSED:
        raise DomainError(_l("Este pedido fijo no está en pausa."))
    standing_order.status = SO_ACTIVE
    standing_order.paused_until = None
    standing_order.updated_at = now
    standing_order.rescheduled_at = now
    session.flush()
    return standing_order


def cancel(
    session: Session, actor: User, standing_order: StandingOrder, now: datetime | None = None
) -> StandingOrder:
    """No more deliveries; orders already placed are not touched (cancel them one by one)."""
    _own(actor, standing_order)
    now = now or utcnow()
    if standing_order.status == SO_CANCELLED:
        raise DomainError(_l("Este pedido fijo ya está cancelado."))
    standing_order.status = SO_CANCELLED
    standing_order.paused_until = None
    standing_order.cancelled_at = now
    standing_order.updated_at = now
    session.flush()
    return standing_order


# Changing one delivery ---------------------------------------------------------------------


def _insert_ignore(session: Session, model, rows: list[dict], keys: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, in chunks (rows that exist already are left alone)."""
    if not rows:
        return
    postgresql = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgresql else sqlite_insert
    statement = insert(model.__table__).on_conflict_do_nothing(index_elements=keys)
    for chunk in _chunks(rows):
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


def _closed_message(day: date, cutoff: datetime) -> str:
    return str(
        _l(
            "La entrega del %(day)s ya no se puede cambiar: el plazo terminó el %(cutoff)s. "
            "Puedes cambiar las siguientes entregas.",
            day=lima_date(day, "full"),
            cutoff=lima_datetime(cutoff, "long"),
        )
    )


def _open_delivery(
    session: Session, actor: User, standing_order: StandingOrder, day: date, now: datetime
) -> tuple[Delivery, StandingOccurrence]:
    """The delivery to change, its row made and held: refused after the cut-off or placement."""
    _own(actor, standing_order)
    if standing_order.status == SO_CANCELLED:
        raise DomainError(_l("Este pedido fijo está cancelado."))
    found = delivery_on(session, standing_order, day, now)
    if found is None:
        raise DomainError(_l("Este pedido fijo no tiene entrega ese día."))
    if found.paused:
        raise DomainError(_l("Esa entrega cae en la pausa del pedido fijo."))
    if found.dropped:
        raise DomainError(
            _l(
                "No habrá entrega el %(day)s: %(reason)s. La asociación no tiene otro día "
                "de entrega antes.",
                day=lima_date(day, "long"),
                reason=found.closed_reason,
            )
        )
    if found.placed:
        raise DomainError(_l("Esa entrega ya se pidió; cambia el pedido desde Mis pedidos."))
    if now >= found.cutoff:
        raise DomainError(_closed_message(day, found.cutoff))
    ensure_occurrences(session, [(standing_order.id, day)])
    occurrence_id = session.execute(
        sa.update(StandingOccurrence)
        .where(
            StandingOccurrence.standing_order_id == standing_order.id,
            StandingOccurrence.delivery_date == day,
            StandingOccurrence.placed_at.is_(None),
        )
        .values(updated_at=now, changed_by_id=actor.id)
        .returning(StandingOccurrence.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if occurrence_id is None:  # the job took it between our read and our write
        raise DomainError(_closed_message(day, found.cutoff))
    occurrence = session.get(StandingOccurrence, occurrence_id, populate_existing=True)
    return found, occurrence


def skip_delivery(
    session: Session,
    actor: User,
    standing_order: StandingOrder,
    day: date,
    skip: bool = True,
    now: datetime | None = None,
) -> StandingOccurrence:
    """Skip one delivery (or take the skip back) before its cut-off; the rest stays as it is."""
    now = now or utcnow()
    _, occurrence = _open_delivery(session, actor, standing_order, day, now)
    occurrence.skipped = skip
    session.flush()
    return occurrence


def change_delivery(
    session: Session,
    actor: User,
    standing_order: StandingOrder,
    day: date,
    quantities: dict[int, object],
    now: datetime | None = None,
) -> StandingOccurrence:
    """Set this delivery's quantities (0 leaves a product out this time; a new product adds
    a line) before its cut-off, without touching the standing order or other deliveries."""
    now = now or utcnow()
    found, occurrence = _open_delivery(session, actor, standing_order, day, now)
    standing = {line.product_id: line.quantity for line in standing_order.lines}
    wanted: dict[int, Decimal] = {}
    product_ids = [int(pid) for pid in quantities]
    products = {
        p.id: p
        for p in session.scalars(
            sa.select(Product).where(
                Product.id.in_(product_ids),
                Product.association_id == standing_order.association_id,
            )
        )
    }
    for pid, raw in quantities.items():
        product = products.get(int(pid))
        if product is None:
            raise DomainError(_l("Ese producto no es de esta asociación."), field="product_id")
        if str(raw or "").strip() == "":
            continue
        qty = ordering.clean_quantity(raw, product.unit, field=f"qty_{product.id}", allow_zero=True)
        if qty > 0 and int(pid) not in standing and not product.active:
            raise DomainError(_l("Ese producto ya no está a la venta."), field="product_id")
        wanted[product.id] = qty
    existing = {line.product_id: line for line in occurrence.lines}
    overrides = {pid: line.quantity for pid, line in existing.items()}
    for product_id, qty in wanted.items():
        if product_id in standing:
            overrides[product_id] = None if qty == standing[product_id] else qty
        else:
            overrides[product_id] = qty if qty > 0 else None
    left = dict(standing)
    for product_id, qty in overrides.items():
        if qty == 0:
            left.pop(product_id, None)
        elif qty is not None:
            left[product_id] = qty
    if not left:
        raise DomainError(
            _l("La entrega quedaría vacía; si no la necesitas, sáltala."), field="lines"
        )
    for product_id, qty in overrides.items():
        line = existing.get(product_id)
        if qty is None:
            if line is not None:
                occurrence.lines.remove(line)
        elif line is None:
            occurrence.lines.append(StandingOccurrenceLine(product_id=product_id, quantity=qty))
        else:
            line.quantity = qty
    session.flush()
    return occurrence


# Fair share of short stock ------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """What one delivery asks of one product in a batch."""

    key: object
    quantity: Decimal
    priority: int  # 0: an agreement is in force; 1: list prices
    seniority: tuple  # (standing order created_at, id): earlier first


def _floor_step(value: Decimal, step: Decimal) -> Decimal:
    return ((value / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(
        Decimal("0.001"), rounding=ROUND_FLOOR
    )


def share_stock(
    available: Decimal, claims: list[Claim], step: Decimal = Decimal("0.1"), whole=False
) -> dict[object, Decimal]:
    """Split `available` between the claims by the rule in this module's docstring."""
    result = {c.key: Decimal("0.000") for c in claims}
    left = max(Decimal(available), Decimal("0"))
    for tier in sorted({c.priority for c in claims}):
        group = [c for c in claims if c.priority == tier]
        asked = sum((c.quantity for c in group), Decimal("0"))
        if asked <= left:
            for c in group:
                result[c.key] = c.quantity
            left -= asked
            continue
        if left <= 0:
            break
        for c in group:
            result[c.key] = min(_floor_step(c.quantity * left / asked, step), c.quantity)
        remainder = left - sum(result[c.key] for c in group)
        oldest_first = sorted(group, key=lambda c: c.seniority)
        while remainder > 0:
            gave = False
            for c in oldest_first:
                room = c.quantity - result[c.key]
                extra = min(step, room, remainder)
                if extra <= 0 or (whole and extra < step):
                    continue
                result[c.key] += extra
                remainder -= extra
                gave = True
            if not gave:
                break
        left = Decimal("0")
    return result


# Placement ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    occurrence_id: int
    standing_order_id: int
    association_id: int
    delivery_date: date


@dataclass
class PlacementReport:
    placed: int = 0
    short: int = 0
    skipped: int = 0
    failed: int = 0
    batches: int = 0
    orders: list[int] = field(default_factory=list)

    def add(self, other: PlacementReport) -> None:
        self.placed += other.placed
        self.short += other.short
        self.skipped += other.skipped
        self.failed += other.failed
        self.batches += other.batches
        self.orders += other.orders

    def summary(self) -> str:
        return (
            f"standing orders: {self.placed} placed, {self.short} short, "
            f"{self.skipped} skipped, {self.failed} failed ({self.batches} batches)"
        )


def resume_finished_pauses(session: Session, today: date) -> int:
    """Pauses whose date has come show as active again (deliveries already resumed by date)."""
    result = session.execute(
        sa.update(StandingOrder)
        .where(StandingOrder.status == SO_PAUSED, StandingOrder.paused_until <= today)
        .values(status=SO_ACTIVE, paused_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _live_standing_orders(session: Session, association_id: int | None = None):
    query = (
        sa.select(StandingOrder)
        .where(StandingOrder.status.in_((SO_ACTIVE, SO_PAUSED)))
        .options(joinedload(StandingOrder.address))
        .order_by(StandingOrder.id)
    )
    if association_id is not None:
        query = query.where(StandingOrder.association_id == association_id)
    return list(session.scalars(query))


def _planned_ahead(session: Session, now: datetime, extra_days: int = 0):
    """(standing order, Planned) of live standing orders, shown from today until the day
    their lead time (plus `extra_days`) reaches, the calendar applied; a fixed number of
    queries. Dropped and paused deliveries are included: callers decide."""
    today = lima_date_of(now)
    standing_orders = _live_standing_orders(session)
    association_ids = {so.association_id for so in standing_orders}
    rules = delivery.rules_for(session, association_ids)
    calendar = cal.load(session, association_ids)
    for so in standing_orders:
        terms = terms_for(rules, calendar, so)
        # Past this day the lead time's working days are still ahead: nothing is due.
        last = calendar.ready_by(so.association_id, today, terms.lead_days + 1)
        for planned in plan(so, terms, today, last + timedelta(days=extra_days)):
            yield so, planned


def due_deliveries(session: Session, now: datetime) -> list[tuple[StandingOrder, Planned]]:
    """Every delivery whose cut-off has come, delivered today or later, not paused nor
    dropped by the calendar."""
    return [
        (so, planned)
        for so, planned in _planned_ahead(session, now)
        if not planned.dropped
        and planned.cutoff <= now
        and planned.cutoff > so.rescheduled_at
        and not is_paused(so, planned)
    ]


def find_due(session: Session, now: datetime | None = None) -> list[Due]:
    """Make the rows of due deliveries and return those not placed yet (caller commits).

    Rows are keyed by the schedule's date; `Due.delivery_date` is the day the order is for
    (an earlier one when the calendar moved the delivery)."""
    now = now or utcnow()
    pairs = due_deliveries(session, now)
    if not pairs:
        return []
    ensure_occurrences(session, [(so.id, p.day) for so, p in pairs])
    association_of = {so.id: so.association_id for so, _ in pairs}
    wanted = {(so.id, p.day): p.when for so, p in pairs}
    rows = session.execute(
        sa.select(
            StandingOccurrence.id,
            StandingOccurrence.standing_order_id,
            StandingOccurrence.delivery_date,
        ).where(
            StandingOccurrence.placed_at.is_(None),
            StandingOccurrence.delivery_date.in_(sorted({p.day for _, p in pairs})),
        )
    ).all()
    return sorted(
        (
            Due(
                r.id,
                r.standing_order_id,
                association_of[r.standing_order_id],
                wanted[(r.standing_order_id, r.delivery_date)],
            )
            for r in rows
            if (r.standing_order_id, r.delivery_date) in wanted
        ),
        key=lambda d: (d.delivery_date, d.association_id, d.occurrence_id),
    )


def batches_of(due: list[Due]) -> list[tuple[tuple[date, int], list[int]]]:
    """Due deliveries grouped by (delivery date, association), earliest dates first."""
    grouped: dict[tuple[date, int], list[int]] = defaultdict(list)
    for item in due:
        grouped[(item.delivery_date, item.association_id)].append(item.occurrence_id)
    return sorted(grouped.items())


def record_failure(session: Session, occurrence_id: int, error: BaseException | str) -> None:
    """Note why an occurrence could not be placed; it stays unplaced and is tried again."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    session.execute(
        sa.update(StandingOccurrence)
        .where(StandingOccurrence.id == occurrence_id, StandingOccurrence.placed_at.is_(None))
        .values(
            attempts=StandingOccurrence.attempts + 1,
            last_error=str(message)[:500],
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


@dataclass
class _Request:
    occurrence: StandingOccurrence
    standing_order: StandingOrder
    quantities: dict[int, Decimal]
    priority: int
    granted: dict[int, Decimal] = field(default_factory=dict)
    error: str | None = None
    price_news: list[tuple[Product, int | None, int]] = field(default_factory=list)


def _column_values(obj, table) -> dict:
    return {c.key: getattr(obj, c.key) for c in table.columns if c.key != "id"}


def _insert_orders(session: Session, association_id: int, orders: list) -> None:
    """Write new orders and their lines in a few statements; give each order its id."""
    if not orders:
        return
    insert_rows(session, Order, [_column_values(o, Order.__table__) for o in orders])
    by_token = {o.checkout_token: o for o in orders}
    for chunk in _chunks(list(by_token)):
        for order_id, token in session.execute(
            sa.select(Order.id, Order.checkout_token).where(
                Order.association_id == association_id, Order.checkout_token.in_(chunk)
            )
        ):
            by_token[token].id = order_id
    rows = []
    for order in orders:
        for line in order.lines:
            line.order_id = order.id
            rows.append(_column_values(line, OrderLine.__table__))
    insert_rows(session, OrderLine, rows)


def place_batch(
    session: Session,
    association_id: int,
    day: date,
    occurrence_ids: list[int],
    now: datetime | None = None,
) -> PlacementReport:
    """Place one batch (one association, one delivery date) in the caller's transaction.

    Claims the rows first, so a concurrent run places none of them; then shares short stock
    fairly, makes the orders, reserves stock, writes events and queues the messages.
    Texts stored on rows are in the default language (a job has no request to ask).
    """
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "es")):
        return _place_batch(session, association_id, day, occurrence_ids, now or utcnow())


def _place_batch(session, association_id, day, occurrence_ids, now) -> PlacementReport:
    report = PlacementReport(batches=1)
    ordering.begin_write(session)
    token = secrets.token_hex(16)
    claimed = 0
    for chunk in _chunks(sorted(occurrence_ids)):
        claimed += (
            session.execute(
                sa.update(StandingOccurrence)
                .where(
                    StandingOccurrence.id.in_(chunk),
                    # its own date, or a later one the calendar moved to this day
                    StandingOccurrence.delivery_date >= day,
                    StandingOccurrence.placed_at.is_(None),
                )
                .values(
                    placed_at=now,
                    outcome=OUTCOME_PLACED,
                    moved_to=sa.case((StandingOccurrence.delivery_date != day, day), else_=None),
                    claim_token=token,
                    attempts=StandingOccurrence.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
    if not claimed:
        return report
    mine = StandingOccurrence.claim_token == token
    occurrences = list(
        session.scalars(sa.select(StandingOccurrence).where(mine).order_by(StandingOccurrence.id))
    )
    standing_orders = {
        so.id: so
        for so in session.scalars(
            sa.select(StandingOrder)
            .join(StandingOccurrence, StandingOccurrence.standing_order_id == StandingOrder.id)
            .where(mine)
            .options(joinedload(StandingOrder.address), joinedload(StandingOrder.buyer))
        )
    }
    standing_lines: dict[int, list[StandingOrderLine]] = defaultdict(list)
    for line in session.scalars(
        sa.select(StandingOrderLine)
        .join(
            StandingOccurrence,
            StandingOccurrence.standing_order_id == StandingOrderLine.standing_order_id,
        )
        .where(mine)
        .order_by(StandingOrderLine.id)
    ):
        standing_lines[line.standing_order_id].append(line)
    overrides: dict[int, list[StandingOccurrenceLine]] = defaultdict(list)
    for line in session.scalars(
        sa.select(StandingOccurrenceLine)
        .join(StandingOccurrence, StandingOccurrence.id == StandingOccurrenceLine.occurrence_id)
        .where(mine)
    ):
        overrides[line.occurrence_id].append(line)
    # Lock the association's products in id order and read their stock afresh.
    products = {
        p.id: p
        for p in session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id)
            .order_by(Product.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    buyer_ids = (
        sa.select(StandingOrder.buyer_id)
        .join(StandingOccurrence, StandingOccurrence.standing_order_id == StandingOrder.id)
        .where(mine)
    )
    agreed = {
        (b, p): c
        for b, p, c in session.execute(
            sa.select(Agreement.buyer_id, AgreementPrice.product_id, AgreementPrice.price_cents)
            .join(AgreementPrice.agreement)
            .where(
                Agreement.buyer_id.in_(buyer_ids),
                Agreement.association_id == association_id,
                agreements.in_force(day),
            )
            .order_by(Agreement.version)
        )
    }
    with_agreement = set(
        session.scalars(
            sa.select(Agreement.buyer_id).where(
                Agreement.buyer_id.in_(buyer_ids),
                Agreement.association_id == association_id,
                agreements.in_force(day),
            )
        )
    )
    rules = delivery.rules_for(session, [association_id])
    association = session.get(Association, association_id)

    requests: list[_Request] = []
    updates: list[dict] = []
    for occurrence in occurrences:
        so = standing_orders[occurrence.standing_order_id]
        request = _Request(
            occurrence,
            so,
            effective_quantities(standing_lines[so.id], overrides[occurrence.id]),
            0 if so.buyer_id in with_agreement else 1,
        )
        if occurrence.skipped or not request.quantities:
            updates.append({"id": occurrence.id, "outcome": OUTCOME_SKIPPED, "last_error": None})
            report.skipped += 1
            continue
        if not so.address.active:
            request.error = str(_l("La dirección de entrega ya no está activa."))
        elif (association_id, so.address.city) not in rules:
            request.error = str(_l("La asociación ya no entrega en la ciudad de la dirección."))
        if request.error:
            updates.append(
                {
                    "id": occurrence.id,
                    "placed_at": None,
                    "outcome": None,
                    "moved_to": None,
                    "claim_token": None,
                    "last_error": request.error,
                }
            )
            report.failed += 1
        requests.append(request)
    live = [r for r in requests if r.error is None]

    # The fair share, product by product, before any order exists.
    for product_id in sorted({pid for r in live for pid in r.quantities}):
        product = products.get(product_id)
        claims = [
            Claim(
                r.occurrence.id,
                r.quantities[product_id],
                r.priority,
                (r.standing_order.created_at, r.standing_order.id),
            )
            for r in live
            if product_id in r.quantities
        ]
        available = product.stock_on_hand if product is not None and product.active else 0
        shares = share_stock(
            available,
            claims,
            STEPS.get(product.unit if product else "kg", Decimal("0.1")),
            whole=product is not None and product.unit in WHOLE_UNITS,
        )
        for r in live:
            if product_id in r.quantities:
                r.granted[product_id] = shares[r.occurrence.id]

    orders_by_occurrence = {}
    for r in live:
        so = r.standing_order
        if not any(q > 0 for q in r.granted.values()):
            continue
        # Built like a checkout's order (ordering's own helpers), written below in bulk.
        order = ordering._new_order(so.buyer_id, association_id, None, so.address, day)
        order.source = SOURCE_STANDING
        # One order per delivery, held by the database too: UNIQUE(checkout_token, association).
        order.checkout_token = f"standing:{r.occurrence.id}"
        order.notes = str(_l("Pedido fijo %(number)s", number=so.number))
        order.created_at = order.updated_at = now
        for product_id in sorted(r.granted):
            qty = r.granted[product_id]
            if qty <= 0:
                continue
            product = products[product_id]
            price = agreed.get((so.buyer_id, product_id), product.price_cents)
            line = ordering._snapshot_line(product, price, qty)
            if qty < r.quantities[product_id]:
                line.requested_quantity = r.quantities[product_id]
            order.lines.append(line)
        ordering._set_totals(order)
        orders_by_occurrence[r.occurrence.id] = order
    _insert_orders(session, association_id, list(orders_by_occurrence.values()))

    by_product: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for order in orders_by_occurrence.values():
        for line in order.lines:
            by_product[line.product_id].append((line.quantity, order.id))
    for product_id in sorted(by_product):
        reserve_many(
            session,
            product_id,
            by_product[product_id],
            REASON_RESERVATION,
            note=f"Pedidos fijos del {day.isoformat()}",
        )
    insert_rows(
        session,
        OrderEvent,
        [
            {
                "order_id": order.id,
                "from_status": None,
                "to_status": ost.PLACED,
                "actor_id": None,
                "reason": order.notes,
                "created_at": now,
            }
            for order in orders_by_occurrence.values()
        ],
    )

    new_lines, line_updates, price_updates = [], [], []
    for r in live:
        order = orders_by_occurrence.get(r.occurrence.id)
        short = any(r.granted[pid] < q for pid, q in r.quantities.items())
        outcome = OUTCOME_UNFILLED if order is None else OUTCOME_SHORT if short else OUTCOME_PLACED
        if outcome == OUTCOME_PLACED:
            report.placed += 1
        else:
            report.short += 1
        if order is not None:
            report.orders.append(order.id)
        updates.append(
            {
                "id": r.occurrence.id,
                "outcome": outcome,
                "order_id": order.id if order is not None else None,
                "last_error": None,
            }
        )
        existing = {ol.product_id: ol for ol in overrides[r.occurrence.id]}
        for product_id, asked in r.quantities.items():
            values = {"requested_quantity": asked, "placed_quantity": r.granted[product_id]}
            if product_id in existing:
                line_updates.append({"id": existing[product_id].id, **values})
            else:
                new_lines.append(
                    {"occurrence_id": r.occurrence.id, "product_id": product_id, **values}
                )
        for line in standing_lines[r.standing_order.id]:
            if line.product_id in products and order is not None:
                product = products[line.product_id]
                price = agreed.get((r.standing_order.buyer_id, product.id), product.price_cents)
                if line.last_notified_price_cents != price:
                    price_updates.append({"id": line.id, "last_notified_price_cents": price})
                    r.price_news.append((product, line.last_notified_price_cents, price))
    if updates:
        session.execute(sa.update(StandingOccurrence), updates)
    if line_updates:
        session.execute(sa.update(StandingOccurrenceLine), line_updates)
    if new_lines:
        for chunk in _chunks(new_lines):
            session.execute(sa.insert(StandingOccurrenceLine), chunk)
    if price_updates:
        session.execute(sa.update(StandingOrderLine), price_updates)

    _notify_batch(session, association, day, requests, orders_by_occurrence, products)
    session.flush()
    order_payments.bill_standing_orders(
        session, [o.id for o in orders_by_occurrence.values()], lima_date_of(now)
    )
    return report


# Messages ---------------------------------------------------------------------------------------


def public_url(endpoint: str, **values) -> str:
    """An absolute link for messages sent outside a request (PUBLIC_URL is the site's root)."""
    base = urlsplit(current_app.config.get("PUBLIC_URL") or "http://localhost:5000")
    adapter = current_app.url_map.bind(
        base.netloc, url_scheme=base.scheme or "http", script_name=base.path or "/"
    )
    return adapter.build(endpoint, values, force_external=True)


def _locale(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "es")


def _unit(product_or_unit) -> str:
    return getattr(product_or_unit, "unit", product_or_unit)


def _buyer_message(
    r: _Request, order, association: Association, day: date, products, calendar=None
) -> tuple:
    so = r.standing_order
    when = lima_date(day, "full")
    if r.error:
        subject = _(
            "No pudimos pedir tu entrega del %(when)s (pedido fijo %(number)s)",
            when=when,
            number=so.number,
        )
        body = [subject, "", str(r.error), _("Revisa tu pedido fijo en Qhatu.")]
        return subject, body
    if order is None:
        subject = _(
            "%(association)s no tiene stock para tu entrega del %(when)s",
            association=association.name,
            when=when,
        )
    elif any(r.granted[pid] < q for pid, q in r.quantities.items()):
        subject = _(
            "Pedido %(number)s: tu pedido fijo salió con faltantes para el %(when)s",
            number=order.number,
            when=when,
        )
    else:
        subject = _(
            "Pedido %(number)s: tu pedido fijo para el %(when)s", number=order.number, when=when
        )
    body = [
        _(
            "Pedido fijo %(number)s · %(association)s",
            number=so.number,
            association=association.name,
        ),
        _("Entrega: %(when)s, %(address)s", when=when, address=so.address.address),
    ]
    scheduled = r.occurrence.delivery_date
    if scheduled != day and calendar is not None:
        body.append(
            _(
                "Adelantada del %(day)s: la asociación no atiende ese día (%(reason)s).",
                day=lima_date(scheduled, "full"),
                reason=calendar.closed_reason(association.id, scheduled),
            )
        )
    body += [""]
    for product_id, asked in r.quantities.items():
        product = products.get(product_id)
        name = product.name if product else str(product_id)
        got = r.granted[product_id]
        if got < asked:
            body.append(
                _(
                    "- %(name)s: pediste %(asked)s %(unit)s, hay %(got)s %(unit)s "
                    "(faltan %(short)s %(unit)s)",
                    name=name,
                    asked=quantity(asked),
                    got=quantity(got),
                    short=quantity(asked - got),
                    unit=_unit(product),
                )
            )
        else:
            body.append(f"- {name}: {quantity(got)} {_unit(product)}")
    for product, before, after in r.price_news:
        if before is not None:
            body.append(
                _(
                    "Precio de %(name)s: antes %(before)s, ahora %(after)s por %(unit)s.",
                    name=product.name,
                    before=money(before),
                    after=money(after),
                    unit=product.unit,
                )
            )
    body.append("")
    if order is not None:
        body.append(_("Total con IGV: %(total)s", total=money(order.total_cents)))
    body.append(public_url("buyer.standing_order", standing_order_id=so.id))
    return subject, body


def _notify_batch(session, association, day, requests, orders_by_occurrence, products) -> None:
    """One message per delivery to the buyer's users, one summary to the promoters."""
    if not requests:
        return
    outbox: list[dict] = []
    so_buyers = sa.select(StandingOrder.buyer_id).where(
        StandingOrder.id.in_(sorted({r.standing_order.id for r in requests}))
    )
    users_by_buyer: dict[int, list[User]] = defaultdict(list)
    for user in session.scalars(
        sa.select(User).where(User.buyer_id.in_(so_buyers), User.active.is_(True)).order_by(User.id)
    ):
        users_by_buyer[user.buyer_id].append(user)
    moved = any(r.occurrence.delivery_date != day for r in requests)
    calendar = cal.load(session, [association.id]) if moved else None
    for r in requests:
        if r.error and r.occurrence.attempts > 1:
            continue  # told on the first failed attempt
        order = orders_by_occurrence.get(r.occurrence.id)
        for user in users_by_buyer[r.standing_order.buyer_id]:
            with force_locale(_locale(user)):
                subject, body = _buyer_message(r, order, association, day, products, calendar)
                kind = "standing_failed" if r.error else "standing_placed"
                outbox += outbox_rows(
                    user,
                    kind,
                    str(subject),
                    "\n".join(str(x) for x in body),
                    order_id=order.id if order is not None else None,
                )
    live = [r for r in requests if r.error is None]
    if live:
        outbox += _promoter_summaries(
            session, association, day, live, orders_by_occurrence, products
        )
    insert_rows(session, Notification, outbox)


def _promoter_summaries(session, association, day, live, orders_by_occurrence, products):
    """The batch in one message per promoter: the orders, and what stock could not cover."""
    rows: list[dict] = []
    asked: dict[int, Decimal] = defaultdict(Decimal)
    got: dict[int, Decimal] = defaultdict(Decimal)
    for r in live:
        for pid, q in r.quantities.items():
            asked[pid] += q
            got[pid] += r.granted[pid]
    short = [pid for pid in sorted(asked) if got[pid] < asked[pid]]
    for user in promoters(session, association.id):
        with force_locale(_locale(user)):
            subject = _(
                "%(count)s pedidos fijos para el %(when)s",
                count=len(orders_by_occurrence),
                when=lima_date(day, "full"),
            )
            if short:
                subject = _("%(subject)s (falta stock)", subject=subject)
            body = [str(subject), ""]
            for r in live:
                order = orders_by_occurrence.get(r.occurrence.id)
                label = order.number if order is not None else _("sin pedido")
                body.append(f"{label} · {r.standing_order.buyer.trade_name}")
                for pid in sorted(r.granted):
                    if r.granted[pid] > 0:
                        product = products[pid]
                        body.append(
                            f"  - {product.name}: {quantity(r.granted[pid])} {product.unit}"
                        )
            if short:
                body += ["", _("Faltó stock:")]
                for pid in short:
                    product = products.get(pid)
                    body.append(
                        _(
                            "- %(name)s: pedían %(asked)s %(unit)s, había %(got)s %(unit)s",
                            name=product.name if product else pid,
                            asked=quantity(asked[pid]),
                            got=quantity(got[pid]),
                            unit=_unit(product) if product else "",
                        )
                    )
            rows += outbox_rows(
                user, "standing_batch", str(subject), "\n".join(str(x) for x in body), sms=True
            )
    return rows


# Reminders and price notices ------------------------------------------------------------------


def _next_deliveries(session: Session, now: datetime, horizon_days: int):
    """(standing order, Planned) of live standing orders whose cut-off is ahead, not paused
    (dropped ones included: the reminder says there will be none)."""
    for so, planned in _planned_ahead(session, now, horizon_days):
        if planned.cutoff > now and not is_paused(so, planned):
            yield so, planned


def send_reminders(session: Session, now: datetime | None = None, hours: int | None = None) -> int:
    """Remind buyers of each delivery `hours` before its cut-off, once; returns how many.

    A delivery the calendar moved is announced with its new date (and cut-off) to the buyer
    and to the association's promoters; one it dropped, with the reason, as soon as the scan
    reaches it (a few days ahead). A closure changed after the reminder makes it due again
    (services.calendar), so the new date is told too.
    """
    now = now or utcnow()
    if hours is None:
        hours = int(current_app.config.get("STANDING_ORDER_REMINDER_HOURS", 24))
    until = now + timedelta(hours=hours)
    soon = [
        (so, planned)
        for so, planned in _next_deliveries(session, now, hours // 24 + 2)
        if planned.cutoff <= until or planned.dropped  # no delivery: say so at once
    ]
    if not soon:
        return 0
    ensure_occurrences(session, [(so.id, p.day) for so, p in soon])
    by_pair = {(so.id, p.day): (so, p) for so, p in soon}
    candidates = [
        occ
        for occ in session.scalars(
            sa.select(StandingOccurrence).where(
                StandingOccurrence.delivery_date.in_(sorted({p.day for _, p in soon})),
                StandingOccurrence.reminded_at.is_(None),
                StandingOccurrence.placed_at.is_(None),
                StandingOccurrence.skipped.is_(False),
            )
        )
        if (occ.standing_order_id, occ.delivery_date) in by_pair
    ]
    sent = 0
    for occ in candidates:
        taken = session.execute(
            sa.update(StandingOccurrence)
            .where(StandingOccurrence.id == occ.id, StandingOccurrence.reminded_at.is_(None))
            .values(reminded_at=now)
            .returning(StandingOccurrence.id),
            execution_options={"synchronize_session": False},
        ).scalar_one_or_none()
        if taken is None:
            continue
        so, planned = by_pair[(occ.standing_order_id, occ.delivery_date)]
        found = delivery_on(session, so, occ.delivery_date, now)
        link = public_url(
            "buyer.standing_delivery",
            standing_order_id=so.id,
            day=occ.delivery_date.isoformat(),
        )
        for user in buyer_users(session, so.buyer_id):
            with force_locale(_locale(user)):
                subject, body = _reminder_text(so, planned, found)
                if not planned.dropped:
                    body += ["", _("Para saltar o cambiar esta entrega:")]
                body.append(link)
                enqueue(session, user, "standing_reminder", str(subject), "\n".join(body))
        if planned.moved or planned.dropped:
            _tell_promoters_of_move(session, so, planned)
        sent += 1
    session.flush()
    return sent


def _reminder_text(so: StandingOrder, planned: Planned, found: Delivery | None):
    """The buyer's reminder: subject and body lines (without the link)."""
    day = lima_date(planned.day, "full")
    if planned.dropped:
        subject = _(
            "Tu pedido fijo de %(association)s: no habrá entrega el %(day)s",
            association=so.association.name,
            day=day,
        )
        return subject, [
            str(subject),
            "",
            _(
                "La asociación no atiende ese día (%(reason)s) y no tiene otro día de entrega "
                "antes a tiempo. La siguiente entrega sigue como siempre.",
                reason=planned.closed_reason,
            ),
            "",
        ]
    if planned.moved:
        subject = _(
            "Tu pedido fijo de %(association)s: la entrega del %(day)s pasa al %(when)s; "
            "cambios hasta el %(cutoff)s",
            association=so.association.name,
            day=day,
            when=lima_date(planned.when, "full"),
            cutoff=lima_datetime(planned.cutoff, "short"),
        )
        intro = [
            str(subject),
            "",
            _(
                "La asociación no atiende el %(day)s (%(reason)s): adelantamos la entrega "
                "a su día de entrega anterior.",
                day=day,
                reason=planned.closed_reason,
            ),
        ]
    else:
        subject = _(
            "Tu pedido fijo de %(association)s para el %(when)s: cambios hasta el %(cutoff)s",
            association=so.association.name,
            when=day,
            cutoff=lima_datetime(planned.cutoff, "short"),
        )
        intro = [str(subject)]
    body = [*intro, ""]
    for line in found.lines if found else []:
        body.append(
            f"- {line.product.name}: {quantity(line.quantity)} {line.product.unit} · "
            f"{money(line.unit_price_cents)}"
        )
    return subject, body


def _tell_promoters_of_move(session: Session, so: StandingOrder, planned: Planned) -> None:
    """The association's promoters learn that a standing delivery moved or will not be."""
    for user in promoters(session, so.association_id):
        with force_locale(_locale(user)):
            if planned.dropped:
                subject = _(
                    "Pedido fijo %(number)s de %(buyer)s: sin entrega el %(day)s (%(reason)s)",
                    number=so.number,
                    buyer=so.buyer.trade_name,
                    day=lima_date(planned.day, "full"),
                    reason=planned.closed_reason,
                )
            else:
                subject = _(
                    "Pedido fijo %(number)s de %(buyer)s: la entrega del %(day)s pasa al "
                    "%(when)s (%(reason)s)",
                    number=so.number,
                    buyer=so.buyer.trade_name,
                    day=lima_date(planned.day, "full"),
                    when=lima_date(planned.when, "full"),
                    reason=planned.closed_reason,
                )
            enqueue(session, user, "standing_moved", str(subject), str(subject), sms=True)


def notify_price_changes(session: Session, now: datetime | None = None) -> int:
    """Tell buyers, before the next cut-off, of a price that differs from the one they last
    saw; once per change (the line remembers what it told). Returns how many were told."""
    now = now or utcnow()
    first_open: dict[int, tuple[StandingOrder, date]] = {}
    skipped = {
        (o.standing_order_id, o.delivery_date)
        for o in session.scalars(
            sa.select(StandingOccurrence).where(
                StandingOccurrence.skipped.is_(True),
                StandingOccurrence.delivery_date >= lima_date_of(now),
            )
        )
    }
    for so, planned in _next_deliveries(session, now, 7 * DEMAND_WEEKS):
        if so.status != SO_ACTIVE and so.paused_until is None:
            continue
        if planned.dropped:
            continue
        if so.id not in first_open and (so.id, planned.day) not in skipped:
            first_open[so.id] = (so, planned.when)
    if not first_open:
        return 0
    lines_by_so: dict[int, list[StandingOrderLine]] = defaultdict(list)
    for line in session.scalars(
        sa.select(StandingOrderLine)
        .where(StandingOrderLine.standing_order_id.in_(sorted(first_open)))
        .options(joinedload(StandingOrderLine.product))
        .order_by(StandingOrderLine.id)
    ):
        lines_by_so[line.standing_order_id].append(line)
    groups: dict[tuple[int, date], list[StandingOrder]] = defaultdict(list)
    for so, day in first_open.values():
        groups[(so.association_id, day)].append(so)
    told = 0
    for (association_id, day), sos in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        agreed = agreements.agreed_prices(session, [so.buyer_id for so in sos], association_id, day)
        for so in sos:
            changes = []
            for line in lines_by_so[so.id]:
                price = agreed.get((so.buyer_id, line.product_id), line.product.price_cents)
                before = line.last_notified_price_cents
                if before == price:
                    continue
                changed = session.execute(
                    sa.update(StandingOrderLine)
                    .where(
                        StandingOrderLine.id == line.id,
                        StandingOrderLine.last_notified_price_cents.is_(None)
                        if before is None
                        else StandingOrderLine.last_notified_price_cents == before,
                    )
                    .values(last_notified_price_cents=price)
                    .returning(StandingOrderLine.id),
                    execution_options={"synchronize_session": False},
                ).scalar_one_or_none()
                if changed is not None and before is not None:
                    changes.append((line.product, before, price))
            if not changes:
                continue
            told += 1
            link = public_url("buyer.standing_order", standing_order_id=so.id)
            for user in buyer_users(session, so.buyer_id):
                with force_locale(_locale(user)):
                    subject = _("Cambio de precio en tu pedido fijo %(number)s", number=so.number)
                    body = [
                        _(
                            "Desde la entrega del %(when)s tu pedido fijo %(number)s "
                            "se pedirá a estos precios (antes de IGV):",
                            when=lima_date(day, "full"),
                            number=so.number,
                        ),
                        "",
                    ]
                    for product, before, after in changes:
                        body.append(
                            _(
                                "- %(name)s: antes %(before)s, ahora %(after)s por %(unit)s",
                                name=product.name,
                                before=money(before),
                                after=money(after),
                                unit=product.unit,
                            )
                        )
                    body += ["", _("Si quieres cambiar algo, hazlo antes del cierre:"), link]
                    enqueue(
                        session, user, "standing_price", str(subject), "\n".join(map(str, body))
                    )
    session.flush()
    return told


# Demand ahead ---------------------------------------------------------------------------------


@dataclass
class DemandWeek:
    monday: date
    needed: Decimal = Decimal("0")
    balance: Decimal = Decimal("0")  # stock on hand less everything needed up to this week

    @property
    def short(self) -> bool:
        return self.balance < 0


@dataclass
class DemandRow:
    product: Product
    weeks: list[DemandWeek]

    @property
    def total(self) -> Decimal:
        return sum((w.needed for w in self.weeks), Decimal("0"))

    @property
    def first_short(self) -> DemandWeek | None:
        return next((w for w in self.weeks if w.short), None)


def demand_ahead(
    session: Session, association_id: int, now: datetime | None = None, weeks: int = DEMAND_WEEKS
) -> tuple[list[date], list[DemandRow]]:
    """Per product and Lima week (Monday first) for the next `weeks`, what the association's
    standing orders will need against its stock on hand; a fixed number of queries.

    Each delivery counts in the week of the day it is delivered: moved by the calendar to an
    earlier day, it counts there; dropped (closed, not moved), it needs nothing."""
    now = now or utcnow()
    today = lima_date_of(now)
    first_monday = today - timedelta(days=today.weekday())
    mondays = [first_monday + timedelta(weeks=n) for n in range(weeks)]
    last = mondays[-1] + timedelta(days=6)
    standing_orders = list(
        session.scalars(
            sa.select(StandingOrder)
            .where(
                StandingOrder.association_id == association_id,
                StandingOrder.status.in_((SO_ACTIVE, SO_PAUSED)),
            )
            .options(selectinload(StandingOrder.lines), joinedload(StandingOrder.address))
        )
    )
    rules = delivery.rules_for(session, [association_id])
    calendar = cal.load(session, [association_id])
    occurrences = {
        (o.standing_order_id, o.delivery_date): o
        for o in session.scalars(
            sa.select(StandingOccurrence)
            .join(StandingOrder)
            .where(
                StandingOrder.association_id == association_id,
                StandingOccurrence.delivery_date >= today,
                StandingOccurrence.delivery_date <= last + timedelta(days=cal.MOVE_WINDOW_DAYS),
            )
            .options(selectinload(StandingOccurrence.lines))
        )
    }
    products = list(
        session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id)
            .order_by(Product.category, Product.name)
        )
    )
    needed: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for so in standing_orders:
        for planned in plan(so, terms_for(rules, calendar, so), today, last):
            if planned.dropped or is_paused(so, planned):
                continue
            occ = occurrences.get((so.id, planned.day))
            if occ is not None and (occ.skipped or occ.placed_at is not None):
                continue  # skipped, or placed already (its stock is reserved)
            quantities = effective_quantities(so.lines, occ.lines if occ else [])
            monday = planned.when - timedelta(days=planned.when.weekday())
            for product_id, qty in quantities.items():
                needed[(product_id, monday)] += qty
    rows = []
    for product in products:
        balance = product.stock_on_hand
        product_weeks = []
        for monday in mondays:
            qty = needed.get((product.id, monday), Decimal("0"))
            balance -= qty
            product_weeks.append(DemandWeek(monday, qty, balance))
        if any(w.needed for w in product_weeks) or product.active:
            rows.append(DemandRow(product, product_weeks))
    return mondays, rows


def calendar_changes(
    session: Session, association_id: int, now: datetime | None = None, weeks: int = DEMAND_WEEKS
) -> list[tuple[StandingOrder, Planned]]:
    """The association's standing deliveries of the coming weeks that the calendar moves to
    an earlier day or drops (not paused, not skipped, not placed), earliest first."""
    now = now or utcnow()
    today = lima_date_of(now)
    last = today + timedelta(weeks=weeks)
    standing_orders = session.scalars(
        sa.select(StandingOrder)
        .where(
            StandingOrder.association_id == association_id,
            StandingOrder.status.in_((SO_ACTIVE, SO_PAUSED)),
        )
        .options(joinedload(StandingOrder.address), joinedload(StandingOrder.buyer))
        .order_by(StandingOrder.id)
    ).all()
    rules = delivery.rules_for(session, [association_id])
    calendar = cal.load(session, [association_id])
    changed = [
        (so, planned)
        for so in standing_orders
        for planned in plan(so, terms_for(rules, calendar, so), today, last)
        if (planned.moved or planned.dropped) and not is_paused(so, planned)
    ]
    if not changed:
        return []
    done = {
        (o.standing_order_id, o.delivery_date)
        for o in session.scalars(
            sa.select(StandingOccurrence).where(
                StandingOccurrence.standing_order_id.in_({so.id for so, _p in changed}),
                StandingOccurrence.delivery_date.in_({p.day for _so, p in changed}),
                sa.or_(
                    StandingOccurrence.skipped.is_(True),
                    StandingOccurrence.placed_at.is_not(None),
                ),
            )
        )
    }
    return sorted(
        ((so, p) for so, p in changed if (so.id, p.day) not in done),
        key=lambda pair: (pair[1].shown, pair[0].id),
    )


def recent_shortfalls(
    session: Session, association_id: int, since: date, limit: int = 30
) -> list[StandingOccurrenceLine]:
    """Lines of placed deliveries that got less than asked, newest first (promoter's view)."""
    return list(
        session.scalars(
            sa.select(StandingOccurrenceLine)
            .join(StandingOccurrence)
            .join(StandingOrder)
            .where(
                StandingOrder.association_id == association_id,
                StandingOccurrence.delivery_date >= since,
                StandingOccurrenceLine.placed_quantity < StandingOccurrenceLine.requested_quantity,
            )
            .options(
                joinedload(StandingOccurrenceLine.product),
                joinedload(StandingOccurrenceLine.occurrence)
                .joinedload(StandingOccurrence.standing_order)
                .joinedload(StandingOrder.buyer),
                joinedload(StandingOccurrenceLine.occurrence).joinedload(StandingOccurrence.order),
            )
            .order_by(StandingOccurrence.delivery_date.desc(), StandingOccurrenceLine.id)
            .limit(limit)
        )
    )


# Reading ----------------------------------------------------------------------------------------


def list_standing_orders(
    session: Session, *, buyer_id: int | None = None, association_id: int | None = None
) -> list[StandingOrder]:
    """Standing orders with their lines, products, association, buyer and address loaded."""
    query = (
        sa.select(StandingOrder)
        .options(
            joinedload(StandingOrder.association),
            joinedload(StandingOrder.buyer),
            joinedload(StandingOrder.address),
            selectinload(StandingOrder.lines).joinedload(StandingOrderLine.product),
        )
        .order_by(StandingOrder.status == SO_CANCELLED, StandingOrder.id.desc())
    )
    if buyer_id is not None:
        query = query.where(StandingOrder.buyer_id == buyer_id)
    if association_id is not None:
        query = query.where(StandingOrder.association_id == association_id)
    return list(session.scalars(query).unique())


def standing_order_with_details(session: Session, standing_order_id: int) -> StandingOrder | None:
    return session.scalar(
        sa.select(StandingOrder)
        .where(StandingOrder.id == standing_order_id)
        .options(
            joinedload(StandingOrder.association),
            joinedload(StandingOrder.address),
            joinedload(StandingOrder.agreement),
            selectinload(StandingOrder.lines).joinedload(StandingOrderLine.product),
        )
    )


def next_delivery_dates(
    session: Session, standing_orders: list[StandingOrder], now: datetime | None = None
) -> dict[int, date | None]:
    """The next day each standing order delivers (moved by the calendar where it is closed;
    not paused, not dropped), for lists; two queries for any number of standing orders."""
    now = now or utcnow()
    today = lima_date_of(now)
    live = [so for so in standing_orders if so.status != SO_CANCELLED]
    association_ids = {so.association_id for so in live}
    rules = delivery.rules_for(session, association_ids)
    calendar = cal.load(session, association_ids)
    result: dict[int, date | None] = {so.id: None for so in standing_orders}
    for so in live:
        for planned in plan(so, terms_for(rules, calendar, so), today, today + timedelta(days=70)):
            if not planned.dropped and not is_paused(so, planned):
                result[so.id] = planned.when
                break
    return result
