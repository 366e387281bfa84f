"""Reading standing orders for lists and pages, with what they show loaded."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from ...models.standing_orders import SO_CANCELLED, StandingOrder, StandingOrderLine
from ...types import utcnow
from .. import calendar as cal
from .. import delivery
from .schedule import is_paused, lima_date_of, plan, terms_for


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
