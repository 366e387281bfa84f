"""Making an order: the one way an order, its lines and totals are built, written and marked
placed. A checkout and a sample write a few orders through the session (`new_order`,
`add_orders`); standing-order placement builds the same columns as plain rows
(`new_order_rows`) and writes a batch of them in a fixed number of statements
(`insert_orders`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..database import ROWS_PER_INSERT, insert_rows
from ..models import BuyerAddress, Order, OrderLine, Product, User
from ..models.orders import order_number
from . import order_states as st
from . import pricing


def line_values(
    product: Product,
    unit_price_cents: int,
    qty: Decimal,
    *,
    sample: bool = False,
    requested: Decimal | None = None,
) -> dict:
    """A line's columns: the product as it is now (name, unit, weight) and its price.

    `requested` is what was asked when less could be given (standing orders short of stock).
    """
    return {
        "product_id": product.id,
        "product_name": product.name,
        "variety": product.variety,
        "unit": product.unit,
        "weight_per_unit_kg": product.weight_per_unit_kg,
        "unit_price_cents": unit_price_cents,
        "quantity": qty,
        "line_total_cents": pricing.line_total_cents(unit_price_cents, qty),
        "is_sample": sample,
        "requested_quantity": requested,
    }


def order_line(product: Product, unit_price_cents: int, qty: Decimal, **options) -> OrderLine:
    """A line (not written yet) with `line_values` (options: `sample`, `requested`)."""
    return OrderLine(**line_values(product, unit_price_cents, qty, **options))


def set_totals(order: Order) -> None:
    """Subtotal, IGV (once per order) and total from the order's lines."""
    t = pricing.totals(line.line_total_cents for line in order.lines)
    order.subtotal_cents, order.igv_cents, order.total_cents = (
        t.subtotal_cents,
        t.igv_cents,
        t.total_cents,
    )


def set_delivered(order: Order, delivered: dict[int, Decimal]) -> None:
    """What reached the buyer (line id: quantity) and the amount now due, same rounding."""
    for line in order.lines:
        line.delivered_quantity = delivered[line.id]
        line.delivered_total_cents = pricing.line_total_cents(
            line.unit_price_cents, line.delivered_quantity
        )
    t = pricing.totals(line.delivered_total_cents for line in order.lines)
    order.delivered_subtotal_cents = t.subtotal_cents
    order.delivered_igv_cents = t.igv_cents
    order.delivered_total_cents = t.total_cents


def order_values(
    buyer_id: int,
    association_id: int,
    actor: User | None,
    address: BuyerAddress,
    when: date,
    *,
    source: str,
    checkout_token: str | None = None,
    notes: str | None = None,
    at: datetime | None = None,
) -> dict:
    """A placed order's columns but its totals: to this address for `when`."""
    values = {
        "buyer_id": buyer_id,
        "association_id": association_id,
        "placed_by_id": actor.id if actor is not None else None,
        "address_id": address.id,
        "delivery_label": address.label,
        "delivery_address": address.address,
        "delivery_city": address.city,
        "delivery_date": when,
        "status": st.PLACED,
        "source": source,
        "checkout_token": checkout_token,
        "notes": notes,
    }
    if at is not None:
        values["created_at"] = values["updated_at"] = at
    return values


def new_order(
    buyer_id: int,
    association_id: int,
    actor: User | None,
    address: BuyerAddress,
    when: date,
    lines: Iterable[OrderLine],
    **options,
) -> Order:
    """A placed order (not written yet) with `order_values`, its lines and totals."""
    order = Order(**order_values(buyer_id, association_id, actor, address, when, **options))
    order.lines.extend(lines)
    set_totals(order)
    return order


@dataclass
class NewOrder:
    """An order of a batch as plain rows: its columns and its lines' (`new_order_rows`)."""

    values: dict
    lines: list[dict]
    id: int | None = None

    @property
    def number(self) -> str:
        return order_number(self.id)

    @property
    def total_cents(self) -> int:
        return self.values["total_cents"]

    @property
    def notes(self) -> str | None:
        return self.values["notes"]


def new_order_rows(
    buyer_id: int,
    association_id: int,
    actor: User | None,
    address: BuyerAddress,
    when: date,
    lines: list[dict],
    **options,
) -> NewOrder:
    """What `new_order` makes, as rows for `insert_orders`: lines from `line_values`."""
    values = order_values(buyer_id, association_id, actor, address, when, **options)
    t = pricing.totals(line["line_total_cents"] for line in lines)
    values.update(subtotal_cents=t.subtotal_cents, igv_cents=t.igv_cents, total_cents=t.total_cents)
    return NewOrder(values, lines)


def add_orders(session: Session, orders: list[Order]) -> None:
    """Write a few orders through the session (a token used already fails here)."""
    session.add_all(orders)
    session.flush()


def insert_orders(session: Session, association_id: int, orders: list[NewOrder]) -> None:
    """Write many orders of one association (each with its own checkout token) and their
    lines in a few statements whatever their number; give each order its id."""
    if not orders:
        return
    insert_rows(session, Order, [o.values for o in orders])
    by_token = {o.values["checkout_token"]: o for o in orders}
    tokens = list(by_token)
    for start in range(0, len(tokens), ROWS_PER_INSERT):
        for order_id, token in session.execute(
            sa.select(Order.id, Order.checkout_token).where(
                Order.association_id == association_id,
                Order.checkout_token.in_(tokens[start : start + ROWS_PER_INSERT]),
            )
        ):
            by_token[token].id = order_id
    insert_rows(
        session, OrderLine, [{**line, "order_id": o.id} for o in orders for line in o.lines]
    )


def record_placed(
    session: Session,
    orders: list[Order] | list[NewOrder],
    actor: User | None = None,
    at: datetime | None = None,
) -> None:
    """The PLACED event of each new order (its notes as the reason), in one INSERT."""
    st.record_events(
        session,
        [st.event_values(o.id, None, st.PLACED, actor, o.notes, at) for o in orders],
    )
