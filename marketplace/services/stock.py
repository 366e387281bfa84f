"""The stock ledger: every change of stock is a movement, and stock never goes below zero.

`products.stock_on_hand` is kept equal to the sum of the product's movements: both are
written in one statement pair inside the caller's transaction. The change itself is a
conditional UPDATE (`... WHERE stock_on_hand + delta >= 0`), so two transactions racing for
the last kilos cannot both win: PostgreSQL re-checks the condition after the row lock, and
SQLite writers are serialised by BEGIN IMMEDIATE (see database.begin_write).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..models import Product, StockMovement
from ..models.catalog import REASON_COUNT, STOCK_REASONS
from ..types import utcnow
from . import DomainError


@dataclass(frozen=True)
class Shortage:
    product_id: int
    product_name: str
    requested: Decimal
    available: Decimal


class InsufficientStock(DomainError):
    """Raised with every short line at once, so the buyer can fix them all."""

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        super().__init__(_l("No hay stock suficiente."))


class StockChanged(DomainError):
    """Stock moved since the promoter looked at it; show the difference, do not overwrite."""

    def __init__(self, seen: Decimal, current: Decimal):
        self.seen = seen
        self.current = current
        super().__init__(_l("El stock cambió mientras lo editabas."), field="quantity")


def move_stock(
    session: Session,
    product_id: int,
    delta: Decimal,
    reason: str,
    *,
    actor_id: int | None = None,
    order_id: int | None = None,
    note: str | None = None,
    expected_on_hand: Decimal | None = None,
) -> StockMovement:
    """Add `delta` (signed) to the product's stock and record the movement.

    Raises InsufficientStock if the stock would go below zero, and StockChanged if
    `expected_on_hand` is given and the stock is no longer that figure.
    """
    if reason not in STOCK_REASONS:
        raise ValueError(f"unknown stock reason {reason!r}")
    delta = Decimal(delta)
    condition = [Product.id == product_id, Product.stock_on_hand + delta >= 0]
    if expected_on_hand is not None:
        condition.append(Product.stock_on_hand == Decimal(expected_on_hand))
    new_balance = session.execute(
        sa.update(Product)
        .where(*condition)
        .values(stock_on_hand=Product.stock_on_hand + delta)
        .returning(Product.stock_on_hand),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if new_balance is None:
        product = session.execute(
            sa.select(Product.name, Product.stock_on_hand).where(Product.id == product_id)
        ).one()
        if expected_on_hand is not None and product.stock_on_hand != Decimal(expected_on_hand):
            raise StockChanged(Decimal(expected_on_hand), product.stock_on_hand)
        raise InsufficientStock([Shortage(product_id, product.name, -delta, product.stock_on_hand)])
    cached = session.identity_map.get(identity_key(Product, product_id))
    if cached is not None:
        set_committed_value(cached, "stock_on_hand", new_balance)
    movement = StockMovement(
        product_id=product_id,
        quantity=delta,
        balance_after=new_balance,
        reason=reason,
        actor_id=actor_id,
        order_id=order_id,
        note=note,
    )
    session.add(movement)
    session.flush()
    return movement


def move_many(
    session: Session,
    moves: list[tuple[int, Decimal, int | None, str | None]],
    reason: str,
    *,
    actor_id: int | None = None,
) -> None:
    """Several moves (product id, signed quantity, order id, note), rows changed in product-id
    order so two callers never wait on each other in a circle; one InsufficientStock names
    every product that fell short."""
    shortages: list[Shortage] = []
    for product_id, delta, order_id, note in sorted(moves, key=lambda move: move[0]):
        try:
            move_stock(
                session, product_id, delta, reason, actor_id=actor_id, order_id=order_id, note=note
            )
        except InsufficientStock as error:
            shortages.extend(error.shortages)
    if shortages:
        raise InsufficientStock(shortages)


def reserve_many(
    session: Session,
    product_id: int,
    parts: list[tuple[Decimal, int | None]],
    reason: str,
    *,
    actor_id: int | None = None,
    note: str | None = None,
) -> list[dict]:
    """Take several quantities of one product at once, one movement per (quantity, order id).

    One conditional UPDATE for the sum (all or nothing, never below zero) and one multi-row
    INSERT of the movements, each with its running balance: a batch of orders costs the
    same few statements per product whatever its size (standing orders use it). Returns the
    movements written, as rows.
    """
    if reason not in STOCK_REASONS:
        raise ValueError(f"unknown stock reason {reason!r}")
    parts = [(Decimal(q), order_id) for q, order_id in parts if Decimal(q) > 0]
    total = sum((q for q, _ in parts), Decimal("0"))
    if not parts:
        return []
    new_balance = session.execute(
        sa.update(Product)
        .where(Product.id == product_id, Product.stock_on_hand - total >= 0)
        .values(stock_on_hand=Product.stock_on_hand - total)
        .returning(Product.stock_on_hand),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if new_balance is None:
        product = session.execute(
            sa.select(Product.name, Product.stock_on_hand).where(Product.id == product_id)
        ).one()
        raise InsufficientStock([Shortage(product_id, product.name, total, product.stock_on_hand)])
    cached = session.identity_map.get(identity_key(Product, product_id))
    if cached is not None:
        set_committed_value(cached, "stock_on_hand", new_balance)
    balance = new_balance + total
    now = utcnow()
    movements = []
    for quantity, order_id in parts:
        balance -= quantity
        movements.append(
            {
                "product_id": product_id,
                "quantity": -quantity,
                "balance_after": balance,
                "reason": reason,
                "actor_id": actor_id,
                "order_id": order_id,
                "note": note,
                "created_at": now,
            }
        )
    for start in range(0, len(movements), 5000):
        session.execute(sa.insert(StockMovement.__table__), movements[start : start + 5000])
    return movements


def set_counted_stock(
    session: Session,
    product_id: int,
    counted: Decimal,
    *,
    actor_id: int | None,
    seen_on_hand: Decimal | None = None,
    note: str | None = None,
) -> StockMovement | None:
    """Record a shelf count: the movement is the difference from what the ledger says.

    With `seen_on_hand` (the figure the promoter was looking at), a change made meanwhile
    by an order raises StockChanged instead of being silently overwritten.
    """
    counted = Decimal(counted)
    if counted < 0:
        raise DomainError(_l("La cantidad no puede ser negativa."), field="quantity")
    current = session.execute(
        sa.select(Product.stock_on_hand).where(Product.id == product_id)
    ).scalar_one()
    if seen_on_hand is not None and current != Decimal(seen_on_hand):
        raise StockChanged(Decimal(seen_on_hand), current)
    if counted == current:
        return None
    return move_stock(
        session,
        product_id,
        counted - current,
        REASON_COUNT,
        actor_id=actor_id,
        note=note,
        expected_on_hand=current,
    )


def ledger_balance(session: Session, product_id: int) -> Decimal:
    """The sum of a product's movements (what stock_on_hand must equal)."""
    total = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(StockMovement.quantity), 0)).where(
            StockMovement.product_id == product_id
        )
    ).scalar_one()
    return Decimal(total)


def ledger_mismatches(session: Session) -> list[tuple[int, Decimal, Decimal]]:
    """Products whose stock on hand differs from the sum of their movements (audit)."""
    sums = (
        sa.select(
            StockMovement.product_id,
            sa.func.sum(StockMovement.quantity).label("total"),
        )
        .group_by(StockMovement.product_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Product.id, Product.stock_on_hand, sa.func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.product_id == Product.id)
        .where(Product.stock_on_hand != sa.func.coalesce(sums.c.total, 0))
    ).all()
    return [(pid, on_hand, Decimal(total)) for pid, on_hand, total in rows]
