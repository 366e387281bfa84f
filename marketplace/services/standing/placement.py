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

from ...database import begin_write, insert_rows
from ...labels import WHOLE_UNITS
from ...models import Association, Product
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
from .. import agreements, delivery, order_payments
from ..order_making import NewOrder, insert_orders, line_values, new_order_rows, record_placed
from ..stock import reserve_many
from .fair_share import STEPS, Claim, Request, share_stock
from .messages import Texts, notify_batch
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


@dataclass
class Batch:
    """One association's deliveries for one day, as the pipeline reads and fills it."""

    association: Association
    day: date
    now: datetime
    report: PlacementReport
    occurrences: list[StandingOccurrence] = field(default_factory=list)
    standing_orders: dict[int, StandingOrder] = field(default_factory=dict)
    standing_lines: dict[int, list[StandingOrderLine]] = field(default_factory=dict)
    overrides: dict[int, list[StandingOccurrenceLine]] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    agreed: dict[tuple[int, int], int] = field(default_factory=dict)  # (buyer, product): price
    with_agreement: set[int] = field(default_factory=set)  # buyers
    rules: dict = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # occurrence rows
    orders: dict[int, NewOrder] = field(default_factory=dict)  # by occurrence id

    @property
    def live(self) -> list[Request]:
        return [r for r in self.requests if r.error is None]

    def price(self, buyer_id: int, product: Product) -> int:
        return self.agreed.get((buyer_id, product.id), product.price_cents)


def _place_batch(session, association_id, day, occurrence_ids, now) -> PlacementReport:
    """The pipeline: claim, load, check, share, build, write, reserve, record, tell, bill."""
    report = PlacementReport(batches=1)
    begin_write(session)
    token = _claim(session, day, occurrence_ids, now)
    if token is None:
        return report
    batch = _load(session, association_id, day, now, token, report)
    _check_requests(batch)
    _share(batch)
    _build_orders(batch)
    orders = list(batch.orders.values())
    insert_orders(session, association_id, orders)
    _reserve(session, batch)
    record_placed(session, orders, None, now)
    _record_outcomes(session, batch)
    notify_batch(session, batch.association, day, batch.requests, batch.orders, batch.products)
    session.flush()
    order_payments.bill_standing_orders(session, [o.id for o in orders], lima_date_of(now))
    return report


def _claim(session: Session, day: date, occurrence_ids: list[int], now: datetime) -> str | None:
    """Stamp the rows not placed yet with a new claim token; None when none was left."""
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
    return token if claimed else None


def _load(session, association_id, day, now, token, report) -> Batch:
    """The claimed rows, their standing orders and lines, and the association's products
    (locked in id order, stock read afresh): a fixed number of queries."""
    mine = StandingOccurrence.claim_token == token
    batch = Batch(session.get(Association, association_id), day, now, report)
    batch.occurrences = list(
        session.scalars(sa.select(StandingOccurrence).where(mine).order_by(StandingOccurrence.id))
    )
    batch.standing_orders = {
        so.id: so
        for so in session.scalars(
            sa.select(StandingOrder)
            .join(StandingOccurrence, StandingOccurrence.standing_order_id == StandingOrder.id)
            .where(mine)
            .options(joinedload(StandingOrder.address))
        )
    }
    batch.standing_lines = defaultdict(list)
    for line in session.scalars(
        sa.select(StandingOrderLine)
        .join(
            StandingOccurrence,
            StandingOccurrence.standing_order_id == StandingOrderLine.standing_order_id,
        )
        .where(mine)
        .order_by(StandingOrderLine.id)
    ):
        batch.standing_lines[line.standing_order_id].append(line)
    batch.overrides = defaultdict(list)
    for line in session.scalars(
        sa.select(StandingOccurrenceLine)
        .join(StandingOccurrence, StandingOccurrence.id == StandingOccurrenceLine.occurrence_id)
        .where(mine)
    ):
        batch.overrides[line.occurrence_id].append(line)
    batch.products = {
        p.id: p
        for p in session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id)
            .order_by(Product.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    _load_agreements(session, batch, mine)
    batch.rules = delivery.rules_for(session, [association_id])
    return batch


def _load_agreements(session: Session, batch: Batch, mine) -> None:
    """The agreed prices in force that day, and which buyers have an agreement at all."""
    association_id = batch.association.id
    buyer_ids = (
        sa.select(StandingOrder.buyer_id)
        .join(StandingOccurrence, StandingOccurrence.standing_order_id == StandingOrder.id)
        .where(mine)
    )
    in_force = (
        Agreement.buyer_id.in_(buyer_ids),
        Agreement.association_id == association_id,
        agreements.in_force(batch.day),
    )
    batch.agreed = {
        (b, p): c
        for b, p, c in session.execute(
            sa.select(Agreement.buyer_id, AgreementPrice.product_id, AgreementPrice.price_cents)
            .join(AgreementPrice.agreement)
            .where(*in_force)
            .order_by(Agreement.version)
        )
    }
    batch.with_agreement = set(session.scalars(sa.select(Agreement.buyer_id).where(*in_force)))


def _check_requests(batch: Batch) -> None:
    """What each delivery asks; skipped ones are done, ones that cannot go are failed."""
    for occurrence in batch.occurrences:
        so = batch.standing_orders[occurrence.standing_order_id]
        request = Request(
            occurrence,
            so,
            effective_quantities(batch.standing_lines[so.id], batch.overrides[occurrence.id]),
            0 if so.buyer_id in batch.with_agreement else 1,
        )
        if occurrence.skipped or not request.quantities:
            batch.updates.append(
                {"id": occurrence.id, "outcome": OUTCOME_SKIPPED, "last_error": None}
            )
            batch.report.skipped += 1
            continue
        if not so.address.active:
            request.error = str(_l("La dirección de entrega ya no está activa."))
        elif (batch.association.id, so.address.city) not in batch.rules:
            request.error = str(_l("La asociación ya no entrega en la ciudad de la dirección."))
        if request.error:
            batch.updates.append(
                {
                    "id": occurrence.id,
                    "placed_at": None,
                    "outcome": None,
                    "moved_to": None,
                    "claim_token": None,
                    "last_error": request.error,
                }
            )
            batch.report.failed += 1
        batch.requests.append(request)


def _share(batch: Batch) -> None:
    """The fair share, product by product, before any order exists."""
    live = batch.live
    for product_id in sorted({pid for r in live for pid in r.quantities}):
        product = batch.products.get(product_id)
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


def _build_orders(batch: Batch) -> None:
    """One order per delivery that got something, built as a checkout builds its orders."""
    _ = Texts()
    for r in batch.live:
        so = r.standing_order
        lines = [
            line_values(
                batch.products[product_id],
                batch.price(so.buyer_id, batch.products[product_id]),
                qty,
                requested=r.quantities[product_id] if qty < r.quantities[product_id] else None,
            )
            for product_id, qty in sorted(r.granted.items())
            if qty > 0
        ]
        if not lines:
            continue
        batch.orders[r.occurrence.id] = new_order_rows(
            so.buyer_id,
            batch.association.id,
            None,
            so.address,
            batch.day,
            lines,
            source=SOURCE_STANDING,
            # One order per delivery, held by the database too: UNIQUE(checkout_token, association).
            checkout_token=f"standing:{r.occurrence.id}",
            notes=_("Pedido fijo %(number)s", number=so.number),
            at=batch.now,
        )


def _reserve(session: Session, batch: Batch) -> None:
    """The stock of every order, one conditional UPDATE per product, in product-id order."""
    by_product: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for order in batch.orders.values():
        for line in order.lines:
            by_product[line["product_id"]].append((line["quantity"], order.id))
    for product_id in sorted(by_product):
        reserve_many(
            session,
            product_id,
            by_product[product_id],
            REASON_RESERVATION,
            note=f"Pedidos fijos del {batch.day.isoformat()}",
        )


def _record_outcomes(session: Session, batch: Batch) -> None:
    """Each delivery's outcome and order, what each line asked and got, the prices told."""
    new_lines, line_updates, price_updates = [], [], []
    for r in batch.live:
        order = batch.orders.get(r.occurrence.id)
        _count(batch, r, order)
        existing = {ol.product_id: ol for ol in batch.overrides[r.occurrence.id]}
        for product_id, asked in r.quantities.items():
            values = {"requested_quantity": asked, "placed_quantity": r.granted[product_id]}
            if product_id in existing:
                line_updates.append({"id": existing[product_id].id, **values})
            else:
                new_lines.append(
                    {"occurrence_id": r.occurrence.id, "product_id": product_id, **values}
                )
        if order is not None:
            price_updates += _price_news(batch, r)
    _update_by_id(session, StandingOccurrence, batch.updates)
    _update_by_id(session, StandingOccurrenceLine, line_updates)
    insert_rows(session, StandingOccurrenceLine, new_lines)
    _update_by_id(session, StandingOrderLine, price_updates)


def _update_by_id(session: Session, model, rows: list[dict]) -> None:
    """Change rows by id, one executemany per set of columns changed (a fixed few)."""
    table = model.__table__
    by_columns: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        by_columns[tuple(sorted(row))].append(row)
    for group in by_columns.values():
        session.execute(
            # The other keys of each row are the columns SET (Core names them itself).
            sa.update(table).where(table.c.id == sa.bindparam("row_id")),
            [{"row_id": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in group],
        )


def _count(batch: Batch, r: Request, order: NewOrder | None) -> None:
    """The delivery's outcome on its row and in the report."""
    short = any(r.granted[pid] < q for pid, q in r.quantities.items())
    outcome = OUTCOME_UNFILLED if order is None else OUTCOME_SHORT if short else OUTCOME_PLACED
    if outcome == OUTCOME_PLACED:
        batch.report.placed += 1
    else:
        batch.report.short += 1
    if order is not None:
        batch.report.orders.append(order.id)
    batch.updates.append(
        {
            "id": r.occurrence.id,
            "outcome": outcome,
            "order_id": order.id if order is not None else None,
            "last_error": None,
        }
    )


def _price_news(batch: Batch, r: Request) -> list[dict]:
    """Prices that differ from the last ones the buyer saw: told in the placement message."""
    updates = []
    for line in batch.standing_lines[r.standing_order.id]:
        product = batch.products.get(line.product_id)
        if product is None:
            continue
        price = batch.price(r.standing_order.buyer_id, product)
        if line.last_notified_price_cents != price:
            updates.append({"id": line.id, "last_notified_price_cents": price})
            r.price_news.append((product, line.last_notified_price_cents, price))
    return updates
