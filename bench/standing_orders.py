"""Placing due standing-order deliveries: time and SQL statements, by size, batches and
buyers, next to a raw SQL baseline that writes the same rows.

Builds standing orders due now (each buyer with one or more, every other buyer with credit
terms), against too little stock (so the fair share runs too), then times `run_placement`
and counts the statements it sends (a SQLAlchemy `before_cursor_execute` listener; an
executemany is one statement). The same standing orders, built again, are then written by
`bench.standing_baseline`: plain SQL through the same connection, the same rows in the
same tables (checked). Scenarios:

    100 deliveries in 1 batch, N in 1 batch, N in 1 batch from N/100 buyers, N in 4 batches
    (2 associations x 2 delivery dates); N is 10,000 unless --deliveries says otherwise

The count must grow with the number of batches, not with the number of deliveries or buyers
(multi-row INSERTs are sent in pages of 5,000 rows, which adds a statement per page and
table).

    python -m bench.standing_orders                  # SQLite in a temporary folder
    python -m bench.standing_orders --deliveries 1000
    python -m bench.standing_orders --repeat 3      # medians of 3 pairs per scenario
    DATABASE_URL=postgresql://... python -m bench.standing_orders   # an EMPTY database

Exits 1 if N deliveries in one batch take more than twice the statements of 100, or if N
deliveries from fewer buyers take other statements than N from N buyers. The test suite
checks 100 against 1,000 deliveries and 1,000 buyers against 10, which must take the same
statements (tests/bench/test_benches.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median

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
    CreditTerms,
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

from . import standing_baseline  # noqa: E402
from .queries_per_page import counting  # noqa: E402

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=LIMA)  # a Monday: Tuesday and Thursday are due
LONG_AGO = datetime(2019, 1, 1, tzinfo=UTC)
SMALL = 100
LARGE = 10_000


def scenarios(deliveries: int = LARGE) -> list[tuple[str, int, int, str, int]]:
    """(name, deliveries, associations, weekdays, buyers)."""
    few = max(1, deliveries // SMALL)
    return [
        (f"{SMALL:,} deliveries, 1 batch", SMALL, 1, "2", SMALL),
        (f"{deliveries:,} deliveries, 1 batch", deliveries, 1, "2", deliveries),
        (f"{deliveries:,} from {few:,} buyers", deliveries, 1, "2", few),
        (f"{deliveries:,} deliveries, 4 batches", deliveries, 2, "24", deliveries // 2),
    ]


@dataclass(frozen=True)
class Placement:
    """What one run of the placement did, and what it cost."""

    placed: int
    short: int
    batches: int
    seconds: float
    statements: int
    rows: dict = field(default_factory=dict)


def place(deliveries: int, associations: int, weekdays: str, buyers: int | None = None):
    """Build the standing orders in empty tables, then place them once, counting statements."""
    build(deliveries, associations, weekdays, buyers)
    db.session.remove()
    started = time.perf_counter()
    with counting(db.engine) as counter:
        report = run_placement(db.session, NOW.astimezone(UTC))
    seconds = time.perf_counter() - started
    orders = db.session.scalar(sa.select(sa.func.count(Order.id)))
    assert orders == report.placed + report.short, (orders, report)
    assert report.failed == 0, report
    rows = standing_baseline.row_counts(db.session)
    db.session.remove()
    return Placement(report.placed, report.short, report.batches, seconds, counter["n"], rows)


def baseline(deliveries: int, associations: int, weekdays: str, buyers: int | None = None):
    """Build the same standing orders, then write the placement's rows with plain SQL."""
    build(deliveries, associations, weekdays, buyers)
    db.session.remove()
    now = NOW.astimezone(UTC)
    days = [NOW.date() + timedelta(days=int(d) - NOW.isoweekday()) for d in weekdays]
    started = time.perf_counter()
    with counting(db.engine) as counter:
        orders = sum(standing_baseline.write_rows(db.session, day, now) for day in days)
        db.session.commit()
    seconds = time.perf_counter() - started
    rows = standing_baseline.row_counts(db.session)
    db.session.remove()
    return Placement(0, orders, len(days), seconds, counter["n"], rows)


def build(deliveries: int, associations: int, weekdays: str, buyers: int | None = None) -> None:
    """Standing orders whose deliveries add up to `deliveries`, due at NOW, stock 80 %;
    `buyers` share them in turn (one each by default), every other buyer on credit terms;
    each association has a promoter (who gets the batch's summary)."""
    per_order = len(weekdays)
    orders = deliveries // per_order
    buyers = min(buyers or orders, orders)
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
        db.session.add(
            User(
                email=f"promotora{a}@bench.pe",
                name=f"Promotora {a}",
                role="promoter",
                association_id=association.id,
            )
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
        for n in range(buyers)
    ]
    db.session.execute(sa.insert(Buyer), buyers)
    ids = db.session.scalars(sa.select(Buyer.id).order_by(Buyer.id)).all()
    db.session.execute(
        sa.insert(CreditTerms),
        [{"buyer_id": b, "net_days": 30, "limit_cents": 10**9} for b in ids[::2]],
    )
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
                "buyer_id": ids[n % len(ids)],
                "association_id": products[n % associations].association_id,
                "address_id": addresses[ids[n % len(ids)]],
                "schedule_kind": "weekly",
                "weekdays": weekdays,
                "every_weeks": 1,
                "start_date": date(2020, 1, 6),
                "status": "active",
                "created_at": LONG_AGO,
                "updated_at": LONG_AGO,
                "rescheduled_at": LONG_AGO,
            }
            for n in range(orders)
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


def run(url: str, deliveries: int = LARGE, repeat: int = 1) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    counts, failures = {}, []
    with app.app_context():
        print(f"database: {db.engine.dialect.name}; medians of {repeat} pair(s)")
        print(
            f"{'scenario':32} {'placed':>7} {'short':>6} {'batches':>8} {'seconds':>8} "
            f"{'statements':>11} {'raw SQL s':>10} {'ratio':>6}"
        )
        for name, *scenario in scenarios(deliveries):
            pairs = [pair(*scenario) for _ in range(repeat)]
            result, floor = pairs[0]
            counts[name] = result.statements
            if result.rows != floor.rows:
                failures.append(f"{name}: placement wrote {result.rows}, baseline {floor.rows}")
            print(
                f"{name:32} {result.placed:>7} {result.short:>6} {result.batches:>8} "
                f"{median(p.seconds for p, _f in pairs):>8.2f} {result.statements:>11} "
                f"{median(f.seconds for _p, f in pairs):>10.2f} "
                f"{median(p.seconds / f.seconds for p, f in pairs):>5.1f}x"
            )
        db.drop_all()
    small, large, few, _batches = (name for name, *_rest in scenarios(deliveries))
    if counts[large] > 2 * counts[small]:
        failures.append(f"{large} took {counts[large]} statements, {small} {counts[small]}")
    if counts[few] != counts[large]:
        failures.append(f"{few} took {counts[few]} statements, {large} {counts[large]}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def pair(size: int, associations: int, weekdays: str, buyers: int):
    """The baseline, then the placement, each in fresh tables: close in time, so that the
    ratio holds while the machine's load changes."""
    fresh()
    floor = baseline(size, associations, weekdays, buyers)
    fresh()
    return place(size, associations, weekdays, buyers), floor


def fresh() -> None:
    db.session.remove()
    db.drop_all()
    db.create_all()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--deliveries",
        type=int,
        default=LARGE,
        help=f"deliveries in the large scenarios (default: {LARGE:,}; at least {SMALL})",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="pairs (baseline, placement) per scenario; medians are shown (default: 1)",
    )
    args = parser.parse_args(argv)
    if args.deliveries < SMALL:
        parser.error(f"--deliveries must be at least {SMALL}")
    url = os.environ.get("DATABASE_URL")
    if url:
        from marketplace.config import database_url

        return run(database_url(url), args.deliveries, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        return run(f"sqlite:///{Path(folder) / 'bench.db'}", args.deliveries, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
