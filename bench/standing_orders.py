"""Placing due standing-order deliveries: time and SQL statements, by size and by batches.

Builds N buyers, each with a standing order due now, against too little stock (so the fair
share runs too), then times `run_placement` and counts the statements it sends (a
SQLAlchemy `before_cursor_execute` listener; an executemany is one statement). Scenarios:

    100 deliveries in 1 batch, N in 1 batch, N in 4 batches (2 associations × 2 delivery
    dates); N is 10,000 unless --deliveries says otherwise

The count must grow with the number of batches, not with the number of deliveries or buyers
(multi-row INSERTs are sent in pages of 5,000 rows, which adds a statement per page and
table).

    python -m bench.standing_orders                  # SQLite in a temporary folder
    python -m bench.standing_orders --deliveries 1000
    DATABASE_URL=postgresql://... python -m bench.standing_orders   # an EMPTY database

Exits 1 if N deliveries in one batch take more than twice the statements of 100. The test
suite checks 100 against 1,000 deliveries, which must take the same statements
(tests/bench/test_benches.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.formatting import LIMA  # noqa: E402
from marketplace.models import (  # noqa: E402
    Association,
    Buyer,
    BuyerAddress,
    DeliveryRule,
    Order,
    Product,
    StandingOrder,
    StandingOrderLine,
    User,
)
from marketplace.models.catalog import REASON_PRODUCTION  # noqa: E402
from marketplace.services.stock import move_stock  # noqa: E402
from marketplace.standing_cli import run_placement  # noqa: E402

from .queries_per_page import counting  # noqa: E402

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=LIMA)  # a Monday: Tuesday and Thursday are due
LONG_AGO = datetime(2019, 1, 1, tzinfo=UTC)
SMALL = 100
LARGE = 10_000


def scenarios(deliveries: int = LARGE) -> list[tuple[str, int, int, str]]:
    """(name, deliveries, associations, weekdays): 1 batch small and large, 4 batches large."""
    return [
        (f"{SMALL:,} deliveries, 1 batch", SMALL, 1, "2"),
        (f"{deliveries:,} deliveries, 1 batch", deliveries, 1, "2"),
        (f"{deliveries:,} deliveries, 4 batches", deliveries, 2, "24"),
    ]


@dataclass(frozen=True)
class Placement:
    """What one run of the placement did, and what it cost."""

    placed: int
    short: int
    batches: int
    seconds: float
    statements: int


def place(deliveries: int, associations: int, weekdays: str) -> Placement:
    """Build the standing orders in empty tables, then place them once, counting statements."""
    build(deliveries, associations, weekdays)
    db.session.remove()
    started = time.perf_counter()
    with counting(db.engine) as counter:
        report = run_placement(db.session, NOW.astimezone(UTC))
    seconds = time.perf_counter() - started
    orders = db.session.scalar(sa.select(sa.func.count(Order.id)))
    assert orders == report.placed + report.short, (orders, report)
    assert report.failed == 0, report
    db.session.remove()
    return Placement(report.placed, report.short, report.batches, seconds, counter["n"])


def build(deliveries: int, associations: int, weekdays: str) -> None:
    """Standing orders whose deliveries add up to `deliveries`, due at NOW, stock 80 %."""
    per_order = len(weekdays)
    orders = deliveries // per_order
    products = []
    for a in range(associations):
        association = Association(
            slug=f"bench-{a}",
            name=f"Asociación {a}",
            district="Ocongate",
            province="Quispicanchi",
            region="Cusco",
        )
        db.session.add(association)
        db.session.flush()
        db.session.add(
            DeliveryRule(association_id=association.id, city="cusco", weekdays="12345", lead_days=3)
        )
        product = Product(
            association_id=association.id,
            slug="queso",
            name="Queso andino",
            category="cheese",
            variety="andino",
            unit="kg",
            weight_per_unit_kg=Decimal("1"),
            price_cents=2400,
        )
        db.session.add(product)
        db.session.flush()
        asked = Decimal(orders // associations * per_order * 2)
        move_stock(db.session, product.id, asked * Decimal("0.8"), REASON_PRODUCTION)
        products.append(product)
    db.session.commit()
    buyers = [
        {
            "legal_name": f"Horeca {n} S.A.C.",
            "trade_name": f"Horeca {n}",
            "ruc": f"2{n:010d}",
            "kind": "restaurant",
            "city": "cusco",
        }
        for n in range(orders)
    ]
    db.session.execute(sa.insert(Buyer), buyers)
    ids = db.session.scalars(sa.select(Buyer.id).order_by(Buyer.id)).all()
    db.session.execute(
        sa.insert(User),
        [
            {
                "email": f"compras{n}@bench.pe",
                "name": f"Compras {n}",
                "role": "buyer",
                "buyer_id": buyer_id,
            }
            for n, buyer_id in enumerate(ids)
        ],
    )
    db.session.execute(
        sa.insert(BuyerAddress),
        [
            {"buyer_id": b, "label": "Cocina", "address": "Calle Plateros 1", "city": "cusco"}
            for b in ids
        ],
    )
    addresses = dict(db.session.execute(sa.select(BuyerAddress.buyer_id, BuyerAddress.id)).all())
    db.session.execute(
        sa.insert(StandingOrder),
        [
            {
                "buyer_id": b,
                "association_id": products[n % associations].association_id,
                "address_id": addresses[b],
                "schedule_kind": "weekly",
                "weekdays": weekdays,
                "every_weeks": 1,
                "start_date": date(2020, 1, 6),
                "status": "active",
                "created_at": LONG_AGO,
                "updated_at": LONG_AGO,
                "rescheduled_at": LONG_AGO,
            }
            for n, b in enumerate(ids)
        ],
    )
    standing = db.session.execute(
        sa.select(StandingOrder.id, StandingOrder.association_id).order_by(StandingOrder.id)
    ).all()
    product_of = {p.association_id: p for p in products}
    db.session.execute(
        sa.insert(StandingOrderLine),
        [
            {
                "standing_order_id": s.id,
                "product_id": product_of[s.association_id].id,
                "quantity": Decimal("2"),
                "last_notified_price_cents": 2400,
            }
            for s in standing
        ],
    )
    db.session.commit()


def run(url: str, deliveries: int = LARGE) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    counts = {}
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        print(
            f"{'scenario':32} {'placed':>7} {'short':>6} {'batches':>8} {'seconds':>8} "
            f"{'statements':>11}"
        )
        for name, size, associations, weekdays in scenarios(deliveries):
            db.drop_all()
            db.create_all()
            result = place(size, associations, weekdays)
            counts[name] = result.statements
            print(
                f"{name:32} {result.placed:>7} {result.short:>6} {result.batches:>8} "
                f"{result.seconds:>8.1f} {result.statements:>11}"
            )
        db.drop_all()
    small, large = (name for name, *_rest in scenarios(deliveries)[:2])
    if counts[large] > 2 * counts[small]:
        print(f"FAIL: {large} took {counts[large]} statements, {small} took {counts[small]}")
        return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--deliveries",
        type=int,
        default=LARGE,
        help=f"deliveries in the large scenarios (default: {LARGE:,}; at least {SMALL})",
    )
    args = parser.parse_args(argv)
    if args.deliveries < SMALL:
        parser.error(f"--deliveries must be at least {SMALL}")
    url = os.environ.get("DATABASE_URL")
    if url:
        from marketplace.config import database_url

        return run(database_url(url), args.deliveries)
    with tempfile.TemporaryDirectory() as folder:
        return run(f"sqlite:///{Path(folder) / 'bench.db'}", args.deliveries)


if __name__ == "__main__":
    sys.exit(main())
