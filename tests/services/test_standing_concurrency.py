"""`flask standing-orders place` on two machines at once: each delivery is placed once.

Real threads, each with its own app context and session, start together. The same test
runs on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (claims by a
conditional UPDATE under row locks) through TEST_DATABASE_URL.
"""

from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import Order, Product, StandingOccurrence
from marketplace.services.stock import ledger_balance
from marketplace.standing_cli import run_placement
from tests.concurrency import raised, run_together
from tests.factories import (
    BuyerAddressFactory,
    BuyerUserFactory,
    make_standing_order,
    ordering_world,
)

MONDAY_NOON = datetime(2025, 3, 10, 12, 0, tzinfo=LIMA)
RUNS = 4


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY_NOON, tick=False):
        yield


def place_once(_thread: int):
    """One `flask standing-orders place` run, as cron on one machine would start it."""
    return run_placement(db.session)


def competing_world(buyers=12, stock="30"):
    """`buyers` standing orders of 4 kg of cheese each, due Tuesday, against `stock` kg."""
    w = ordering_world(stock=stock)
    w.standing = []
    for i in range(buyers):
        user = BuyerUserFactory(email=f"horeca{i}@example.pe")
        address = BuyerAddressFactory(buyer=user.buyer)
        created = datetime(2024, 1, 1 + i, tzinfo=LIMA)
        w.standing.append(
            make_standing_order(
                user, address, [(w.cheese, 4)], created_at=created, updated_at=created
            )
        )
    db.session.commit()
    return w


def test_concurrent_runs_place_each_delivery_exactly_once(app):
    w = competing_world()
    cheese_id = w.cheese.id

    results = run_together(app, RUNS, place_once, in_request=False)

    errors = raised(results)
    assert not errors, errors
    db.session.rollback()  # a fresh snapshot: see what the runs committed
    assert sum(r.placed + r.short for r in results) == 12  # each delivery counted once
    occurrences = db.session.scalars(sa.select(StandingOccurrence)).all()
    assert len(occurrences) == 12
    assert all(o.placed_at is not None and o.order_id is not None for o in occurrences)
    orders = db.session.scalars(sa.select(Order)).all()
    assert len(orders) == 12 == len({o.order_id for o in occurrences})
    # 48 kg asked, 30 kg on the shelf: 2.5 each, all of it sold, nothing below zero.
    quantities = sorted(line.quantity for o in orders for line in o.lines)
    assert quantities == [Decimal("2.5")] * 12
    stock = db.session.get(Product, cheese_id).stock_on_hand
    assert stock == 0 == ledger_balance(db.session, cheese_id)


def test_sequential_runs_twice_then_concurrent_again_change_nothing(app):
    w = competing_world(buyers=3, stock="50")
    first = run_placement(db.session)
    assert first.placed == 3

    results = run_together(app, 2, place_once, in_request=False)

    assert not raised(results), results
    assert sum(r.placed + r.short + r.skipped + r.failed for r in results) == 0
    db.session.rollback()  # a fresh snapshot: see what the runs committed
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 3
    assert db.session.get(Product, w.cheese.id).stock_on_hand == Decimal("38")
