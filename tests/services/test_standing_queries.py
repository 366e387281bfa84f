"""The demand ahead and a standing order's coming deliveries cost a fixed number of queries."""

from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.services import standing as so
from tests.factories import (
    BuyerAddressFactory,
    BuyerUserFactory,
    make_agreement,
    make_standing_order,
    ordering_world,
)

SATURDAY = datetime(2025, 3, 8, 10, 0, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def context(app):
    with app.test_request_context(), time_machine.travel(SATURDAY, tick=False):
        yield


@contextmanager
def counting():
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def add_buyers(w, count):
    for _ in range(count):
        user = BuyerUserFactory()
        make_standing_order(user, BuyerAddressFactory(buyer=user.buyer), [(w.cheese, 3)])
    db.session.commit()


def demand_queries(association_id: int) -> int:
    db.session.expire_all()
    with counting() as counter:
        so.demand_ahead(db.session, association_id)
    return counter["n"]


def test_demand_ahead_does_not_grow_with_standing_orders(app):
    w = ordering_world()
    association_id = w.cheese_assoc.id
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    so.change_delivery(
        db.session, w.buyer_user, standing, datetime(2025, 3, 11).date(), {w.cheese.id: "5"}
    )
    add_buyers(w, 2)
    few = demand_queries(association_id)
    add_buyers(w, 15)
    so.skip_delivery(db.session, w.buyer_user, standing, datetime(2025, 3, 14).date())
    db.session.commit()
    assert demand_queries(association_id) == few


def test_coming_deliveries_do_not_grow_with_changes(app):
    w = ordering_world()
    make_agreement(w.buyer, w.cheese_assoc, {w.cheese: 2500})
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    so.change_delivery(db.session, w.buyer_user, standing, date(2025, 3, 11), {w.cheese.id: "5"})
    db.session.commit()

    def queries() -> int:
        db.session.expire_all()
        fresh = so.standing_order_with_details(db.session, standing.id)
        with counting() as counter:
            deliveries = so.upcoming_deliveries(db.session, fresh)
        assert len(deliveries) == 12
        return counter["n"]

    before = queries()
    friday = datetime(2025, 3, 14).date()
    for week in range(4):
        day = friday + timedelta(weeks=week)
        so.change_delivery(db.session, w.buyer_user, standing, day, {w.cheese.id: "6"})
    db.session.commit()
    assert queries() == before
