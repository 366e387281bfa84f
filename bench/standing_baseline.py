"""The floor placement is measured against: the rows a placement of the bench's standing
orders writes, written with plain SQL through the same connection and nothing else.

Reads the due standing orders, the buyers' users and their credit terms, then writes, with
one executemany (or one UPDATE) per table: the occurrence rows, the orders (their ids read
back by checkout token), their lines, the stock ledger and the products' stock, the PLACED
events, the occurrences' outcomes and lines, the billing rows of buyers on credit terms, one
message per buyer user and one summary per promoter. No schedule, no checks, no fair share,
no translation: the same tables and the same number of rows (`bench.standing_orders` checks
the counts), as fast as the driver writes them.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.types import QUANTITY_SCALE

TABLES = (
    "orders",
    "order_lines",
    "order_events",
    "stock_movements",
    "standing_occurrences",
    "standing_occurrence_lines",
    "notifications",
    "order_billing",
)

_DUE = sa.text(
    """
    SELECT s.id, s.buyer_id, s.association_id, s.address_id, a.label, a.address, a.city,
           l.product_id, l.quantity, p.name, p.variety, p.unit, p.weight_per_unit_kg,
           p.price_cents, p.stock_on_hand
    FROM standing_orders s
    JOIN buyer_addresses a ON a.id = s.address_id
    JOIN standing_order_lines l ON l.standing_order_id = s.id
    JOIN products p ON p.id = l.product_id
    WHERE s.status = 'active' AND s.weekdays LIKE :weekday
    ORDER BY s.id
    """
)
_USERS = sa.text("SELECT buyer_id, id, email FROM users WHERE buyer_id IS NOT NULL")
_TERMS = sa.text("SELECT buyer_id, net_days FROM credit_terms WHERE active")


def _insert(session: Session, table: str, rows: list[dict]) -> None:
    if rows:
        columns = list(rows[0])
        session.execute(
            sa.text(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            rows,
        )


def write_rows(session: Session, day: date, now: datetime) -> int:
    """Write the placement's rows for the deliveries due on `day`; returns the orders."""
    due = session.execute(_DUE, {"weekday": f"%{day.isoweekday()}%"}).all()
    if not due:
        return 0
    user_of = {u.buyer_id: u for u in session.execute(_USERS)}
    net_days = dict(session.execute(_TERMS).all())
    stamp = now.replace(tzinfo=None) if session.get_bind().dialect.name == "sqlite" else now
    _insert(
        session,
        "standing_occurrences",
        [
            {
                "standing_order_id": r.id,
                "delivery_date": day,
                "skipped": False,
                "attempts": 0,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for r in due
        ],
    )
    occurrence_of = dict(
        session.execute(
            sa.text(
                "SELECT standing_order_id, id FROM standing_occurrences WHERE delivery_date = :d"
            ),
            {"d": day},
        ).all()
    )
    # Everyone gets 80 % of what they asked (the bench's stock), in grams.
    granted = {r.id: r.quantity * 8 // 10 for r in due}
    orders = []
    for r in due:
        total = granted[r.id] * r.price_cents // QUANTITY_SCALE
        orders.append(
            {
                "buyer_id": r.buyer_id,
                "association_id": r.association_id,
                "address_id": r.address_id,
                "delivery_label": r.label,
                "delivery_address": r.address,
                "delivery_city": r.city,
                "delivery_date": day,
                "status": "placed",
                "source": "standing",
                "checkout_token": f"standing:{occurrence_of[r.id]}",
                "subtotal_cents": total * 100 // 118,
                "igv_cents": total - total * 100 // 118,
                "total_cents": total,
                "notes": f"Pedido fijo SO-{r.id:05d}",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    _insert(session, "orders", orders)
    order_of = dict(
        session.execute(
            sa.text("SELECT checkout_token, id FROM orders WHERE delivery_date = :d"), {"d": day}
        ).all()
    )
    order_ids = {r.id: order_of[f"standing:{occurrence_of[r.id]}"] for r in due}
    _insert(
        session,
        "order_lines",
        [
            {
                "order_id": order_ids[r.id],
                "product_id": r.product_id,
                "product_name": r.name,
                "variety": r.variety,
                "unit": r.unit,
                "weight_per_unit_kg": r.weight_per_unit_kg,
                "unit_price_cents": r.price_cents,
                "quantity": granted[r.id],
                "requested_quantity": r.quantity,
                "line_total_cents": granted[r.id] * r.price_cents // QUANTITY_SCALE,
                "is_sample": False,
            }
            for r in due
        ],
    )
    taken = Counter()
    for r in due:
        taken[r.product_id] += granted[r.id]
    for product_id, grams in sorted(taken.items()):
        session.execute(
            sa.text("UPDATE products SET stock_on_hand = stock_on_hand - :g WHERE id = :p"),
            {"g": grams, "p": product_id},
        )
    balance = {r.product_id: r.stock_on_hand for r in due}
    movements = []
    for r in due:
        balance[r.product_id] -= granted[r.id]
        movements.append(
            {
                "product_id": r.product_id,
                "quantity": -granted[r.id],
                "balance_after": balance[r.product_id],
                "reason": "reservation",
                "order_id": order_ids[r.id],
                "note": f"Pedidos fijos del {day.isoformat()}",
                "created_at": stamp,
            }
        )
    _insert(session, "stock_movements", movements)
    _insert(
        session,
        "order_events",
        [
            {
                "order_id": order_ids[r.id],
                "to_status": "placed",
                "reason": f"Pedido fijo SO-{r.id:05d}",
                "created_at": stamp,
            }
            for r in due
        ],
    )
    token = secrets.token_hex(16)
    session.execute(
        sa.text(
            "UPDATE standing_occurrences SET placed_at = :now, outcome = 'short', "
            "order_id = :order_id, claim_token = :token, attempts = attempts + 1, "
            "updated_at = :now WHERE id = :id"
        ),
        [
            {"now": stamp, "order_id": order_ids[r.id], "token": token, "id": occurrence_of[r.id]}
            for r in due
        ],
    )
    _insert(
        session,
        "standing_occurrence_lines",
        [
            {
                "occurrence_id": occurrence_of[r.id],
                "product_id": r.product_id,
                "requested_quantity": r.quantity,
                "placed_quantity": granted[r.id],
            }
            for r in due
        ],
    )
    _insert(
        session,
        "order_billing",
        [
            {
                "order_id": order_ids[r.id],
                "method": "account",
                "net_days": net_days[r.buyer_id],
                "created_at": stamp,
            }
            for r in due
            if r.buyer_id in net_days
        ],
    )
    messages = [_message(r, user_of[r.buyer_id], order_ids[r.id], day, stamp) for r in due]
    promoters = session.execute(
        sa.text("SELECT id, email, association_id FROM users WHERE association_id IS NOT NULL")
    ).all()
    for promoter in promoters:
        lines = [
            f"Q-{order_ids[r.id]:05d} · Horeca {r.buyer_id}\n  - {r.name}: "
            f"{Decimal(granted[r.id]) / QUANTITY_SCALE} {r.unit}"
            for r in due
            if r.association_id == promoter.association_id
        ]
        subject = f"{len(lines)} pedidos fijos para el {day} (falta stock)"
        messages.append(
            {
                "recipient_id": promoter.id,
                "email": promoter.email,
                "channel": "email",
                "kind": "standing_batch",
                "subject": subject,
                "body": "\n".join([subject, "", *lines]),
                "order_id": None,
                "created_at": stamp,
                "attempts": 0,
            }
        )
    _insert(session, "notifications", messages)
    return len(orders)


def _message(r, user, order_id: int, day: date, stamp) -> dict:
    asked = Decimal(r.quantity) / QUANTITY_SCALE
    got = Decimal(r.quantity * 8 // 10) / QUANTITY_SCALE
    subject = f"Pedido Q-{order_id:05d}: tu pedido fijo salió con faltantes para el {day}"
    body = "\n".join(
        [
            subject,
            f"Pedido fijo SO-{r.id:05d}",
            f"Entrega: {day}, {r.address}",
            "",
            f"- {r.name}: pediste {asked} {r.unit}, hay {got} {r.unit} "
            f"(faltan {asked - got} {r.unit})",
            "",
            f"/buyer/standing-orders/{r.id}",
        ]
    )
    return {
        "recipient_id": user.id,
        "email": user.email,
        "channel": "email",
        "kind": "standing_placed",
        "subject": subject,
        "body": body,
        "order_id": order_id,
        "created_at": stamp,
        "attempts": 0,
    }


def row_counts(session: Session) -> dict[str, int]:
    """Rows in each table placement writes."""
    return {t: session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
