"""Reminders before each cut-off (with the calendar's moves) and notices of price changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from ...formatting import lima_date, lima_datetime, money, quantity
from ...models.standing_orders import (
    SO_ACTIVE,
    StandingOccurrence,
    StandingOrder,
    StandingOrderLine,
)
from ...types import utcnow
from .. import agreements
from ..links import public_url
from ..notifications import buyer_users, enqueue, promoters
from .due import planned_ahead
from .messages import locale_of
from .occurrences import Delivery, delivery_on, ensure_occurrences
from .schedule import DEMAND_WEEKS, Planned, is_paused, lima_date_of


def _next_deliveries(session: Session, now: datetime, horizon_days: int):
    """(standing order, Planned) of live standing orders whose cut-off is ahead, not paused
    (dropped ones included: the reminder says there will be none)."""
    for so, planned in planned_ahead(session, now, horizon_days):
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
            with force_locale(locale_of(user)):
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
        with force_locale(locale_of(user)):
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
    first_open = _first_open_deliveries(session, now)
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
            changes = _take_price_changes(session, so, lines_by_so[so.id], agreed)
            if changes:
                told += 1
                _tell_price_changes(session, so, day, changes)
    session.flush()
    return told


def _first_open_deliveries(session: Session, now: datetime) -> dict[int, tuple]:
    """Standing order id: (standing order, day) of its next delivery still open to changes,
    not skipped nor dropped; for active standing orders and pauses that end by themselves."""
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
    return first_open


def _take_price_changes(session: Session, so, lines, agreed) -> list[tuple]:
    """(product, before, after) of the lines whose price changed, each remembered at once
    with a conditional UPDATE so two runs never tell the same change twice."""
    changes = []
    for line in lines:
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
    return changes


def _tell_price_changes(session: Session, so, day: date, changes: list[tuple]) -> None:
    link = public_url("buyer.standing_order", standing_order_id=so.id)
    for user in buyer_users(session, so.buyer_id):
        with force_locale(locale_of(user)):
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
            enqueue(session, user, "standing_price", str(subject), "\n".join(map(str, body)))
