"""Creating and changing standing orders, and changing one delivery before its cut-off."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import Session

from ...formatting import lima_date, lima_datetime, word_list
from ...labels import WEEKDAY_WORDS
from ...models import Association, DeliveryRule, Product, User
from ...models.agreements import ACTIVE as AGREEMENT_ACTIVE
from ...models.agreements import Agreement
from ...models.standing_orders import (
    MONTHLY,
    SO_ACTIVE,
    SO_CANCELLED,
    SO_PAUSED,
    WEEKLY,
    StandingOccurrence,
    StandingOccurrenceLine,
    StandingOrder,
    StandingOrderLine,
)
from ...types import utcnow
from .. import DomainError, ordering
from .. import calendar as cal
from .occurrences import Delivery, delivery_on, ensure_occurrences, prices_for
from .schedule import MAX_EVERY_WEEKS, Schedule, earliest_start, lima_date_of


def _require_buyer(actor: User) -> None:
    if actor is None or not actor.is_buyer or actor.buyer_id is None:
        raise DomainError(_l("Solo los compradores pueden tener pedidos fijos."))


def _own(actor: User, standing_order: StandingOrder) -> None:
    _require_buyer(actor)
    if standing_order.buyer_id != actor.buyer_id:
        raise DomainError(_l("Este pedido fijo no es de tu negocio."))


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
            names = word_list(WEEKDAY_WORDS[n] for n in sorted(offered))
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
    address = ordering.check_address(session, actor.buyer_id, address_id, "address_id")
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
    prices = prices_for(session, actor.buyer_id, association_id, schedule.start_date, list(clean))
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
    address = ordering.check_address(session, actor.buyer_id, address_id, "address_id")
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
    prices = prices_for(
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
