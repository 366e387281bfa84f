"""Racing buyers and double submits, with real threads and one session each.

Runs on SQLite (BEGIN IMMEDIATE serialises writers) and on PostgreSQL (conditional updates
under row locks, unique checkout tokens) with the same assertions.
"""

import random
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Order, Product, StockMovement, User
from marketplace.services import delivery, ordering
from marketplace.services.stock import InsufficientStock, ledger_balance
from tests.concurrency import raised, run_together
from tests.factories import (
    AssociationFactory,
    BuyerAddressFactory,
    BuyerUserFactory,
    DeliveryRuleFactory,
    ProductFactory,
    add_stock,
)

BUYERS = 50
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


def make_market(buyers: int):
    association = AssociationFactory(name="Sumaq Ausangate")
    DeliveryRuleFactory(association=association, city="cusco", weekdays="12345", lead_days=1)
    product = ProductFactory(association=association, name="Queso andino", price_cents=2850)
    add_stock(product, 10)
    users = []
    for i in range(buyers):
        user = BuyerUserFactory(email=f"buyer{i}@example.pe")
        BuyerAddressFactory(buyer=user.buyer)
        users.append(user)
    db.session.commit()
    when = delivery.offered_dates(db.session, association.id, "cusco")[0]
    return association.id, product.id, [u.id for u in users], when


def checkout_as(user_id, product_id, association_id, qty, when, token):
    ordering.begin_write(db.session)  # as the request hook does: writer from the first query
    user = db.session.get(User, user_id)
    address = user.buyer.addresses[0]
    choices = {association_id: ordering.DeliveryChoice(when, address.id)}
    orders = ordering.checkout(
        db.session, user, [ordering.LineRequest(product_id, qty)], choices, token
    )
    db.session.commit()
    return [o.id for o in orders]


def test_fifty_buyers_race_for_ten_kilos(app):
    association_id, product_id, user_ids, when = make_market(BUYERS)
    rng = random.Random(3)
    wanted = [Decimal(rng.randrange(5, 31)) / 10 for _ in range(BUYERS)]  # 0.5 to 3 kg
    assert sum(wanted) > 10

    def work(i):
        try:
            checkout_as(user_ids[i], product_id, association_id, wanted[i], when, f"race-{i}")
            return ("won", wanted[i])
        except InsufficientStock as error:
            db.session.rollback()
            return ("lost", error)

    results = run_together(app, BUYERS, work)
    unexpected = raised(results)
    assert not unexpected, unexpected

    db.session.rollback()  # end the read snapshot taken before the threads ran
    on_hand = db.session.scalar(sa.select(Product.stock_on_hand).where(Product.id == product_id))
    sold = sum(qty for outcome, qty in results if outcome == "won")
    losers = [error for outcome, error in results if outcome == "lost"]
    assert on_hand >= 0
    assert sold + on_hand == Decimal("10"), "exactly the stock that existed was sold"
    assert losers, "more was asked than existed, someone must have lost"
    for error in losers:
        (shortage,) = error.shortages
        # The loser was told how much was left then: less than it asked, never less than now.
        assert shortage.available < shortage.requested
        assert shortage.available >= on_hand
        with app.test_request_context():
            assert "quedan" in ordering.shortage_message(shortage, "kg")
    winners = len(results) - len(losers)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == winners
    assert ledger_balance(db.session, product_id) == on_hand
    negative = db.session.scalar(
        sa.select(sa.func.count(StockMovement.id)).where(StockMovement.balance_after < 0)
    )
    assert negative == 0


def test_the_same_checkout_posted_at_once_makes_one_set_of_orders(app):
    association_id, product_id, user_ids, when = make_market(1)
    copies = 6

    def work(_):
        return checkout_as(user_ids[0], product_id, association_id, Decimal("2"), when, "twice")

    results = run_together(app, copies, work)
    unexpected = raised(results)
    assert not unexpected, unexpected
    assert len({tuple(r) for r in results}) == 1, "every submit got the same orders"
    db.session.rollback()  # end the read snapshot taken before the threads ran
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
    assert db.session.get(Product, product_id).stock_on_hand == Decimal("8")
    assert ledger_balance(db.session, product_id) == Decimal("8")
