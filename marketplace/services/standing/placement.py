"""Placement: due deliveries become orders, one batch (association, delivery date) at a time.

A batch claims its rows with one conditional UPDATE (`placed_at IS NULL`) that also stamps
a random claim token; on PostgreSQL a second run blocks on those rows and then finds them
claimed, on SQLite writers are serialised (BEGIN IMMEDIATE). UNIQUE(standing_order_id,
delivery_date) keeps one row per delivery and UNIQUE(order_id) one delivery per order, so
each delivery is placed at most once however many runs overlap. The batch is read and
written with a fixed number of statements (set-based loads by claim token, batched
inserts, one stock UPDATE per product), so the cost grows with batches, not deliveries.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from ...database import insert_rows
from ...models import (
    Association,
    Order,
    OrderEvent,
    OrderLine,
    Product,
)
from ...models.agreements import Agreement, AgreementPrice
from ...models.catalog import REASON_RESERVATION
from ...models.orders import SOURCE_STANDING
from ...models.standing_orders import (
    OUTCOME_PLACED,
    OUTCOME_SHORT,
    OUTCOME_SKIPPED,
    OUTCOME_UNFILLED,
    StandingOccurrence,
    StandingOccurrenceLine,
    StandingOrder,
    StandingOrderLine,
)
from ...types import utcnow
from .. import agreements, delivery, order_payments, ordering
from .. import order_states as ost
from ..stock import reserve_many
from .fair_share import STEPS, WHOLE_UNITS, Claim, Request, share_stock
from .messages import notify_batch
from .occurrences import chunks, effective_quantities
from .schedule import lima_date_of


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


def _column_values(obj, table) -> dict:
    return {c.key: getattr(obj, c.key) for c in table.columns if c.key != "id"}


def _insert_orders(session: Session, association_id: int, orders: list) -> None:
    """Write new orders and their lines in a few statements; give each order its id."""
    if not orders:
        return
    insert_rows(session, Order, [_column_values(o, Order.__table__) for o in orders])
    by_token = {o.checkout_token: o for o in orders}
    for chunk in chunks(list(by_token)):
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
    for chunk in chunks(sorted(occurrence_ids)):
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

    requests: list[Request] = []
    updates: list[dict] = []
    for occurrence in occurrences:
        so = standing_orders[occurrence.standing_order_id]
        request = Request(
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
        for chunk in chunks(new_lines):
            session.execute(sa.insert(StandingOccurrenceLine), chunk)
    if price_updates:
        session.execute(sa.update(StandingOrderLine), price_updates)

    notify_batch(session, association, day, requests, orders_by_occurrence, products)
    session.flush()
    order_payments.bill_standing_orders(
        session, [o.id for o in orders_by_occurrence.values()], lima_date_of(now)
    )
    return report
