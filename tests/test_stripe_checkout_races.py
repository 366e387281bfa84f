"""Buyers who press "pay by card" several times at once (five tabs, a double click on a
slow line): one Stripe Checkout Session per order, every request sent to it, no error.

Real threads released together; runs on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import CardCheckout, Order
from tests.concurrency import raised, run_together
from tests.test_card_checkout import app_config, card_checkout, frozen, last_order, w  # noqa: F401  (fixtures)
from tests.web.test_cart import add, checkout_form
from tests.web.test_payments import as_user

pytest.importorskip("localstripe.server")

TABS = 5


@pytest.fixture
def world(request):
    """The ordering world of the card tests (their `w`): buyers, an association, cheese."""
    return request.getfixturevalue("w")


def checkouts_of(order_id: int) -> list[CardCheckout]:
    db.session.expire_all()
    query = sa.select(CardCheckout).where(CardCheckout.order_id == order_id)
    return list(db.session.scalars(query.order_by(CardCheckout.created_at)))


def test_five_tabs_paying_one_order_by_card_open_one_session(app, world, fake_checkout):
    first = as_user(app, world.buyer_user)
    card_checkout(first, world, save=True)  # the page kept for "save the card"
    order_id = last_order().id
    assert len(checkouts_of(order_id)) == 1
    tabs = [as_user(app, world.buyer_user) for _ in range(TABS)]

    def work(i):  # the pay page, "save the card" unticked: a page not opened yet
        return tabs[i].post(f"/buyer/orders/{order_id}/pay/card", data={"save_card": ""})

    results = run_together(app, TABS, work)
    assert not raised(results)
    assert [r.status_code for r in results] == [303] * TABS
    opened = [c for c in checkouts_of(order_id) if not c.save_card]
    assert len(opened) == 1
    assert {r.location for r in results} == {opened[0].url}


def test_five_posts_of_the_card_checkout_open_one_session(app, world, fake_checkout):
    first = as_user(app, world.buyer_user)
    add(first, world.cheese, "4")
    data = checkout_form(first) | {"payment_method": "card", "save_card": "y"}
    tabs = [as_user(app, world.buyer_user) for _ in range(TABS)]

    def work(i):  # the same checkout form sent from five tabs
        return tabs[i].post("/buyer/checkout", data=data)

    results = run_together(app, TABS, work)
    assert not raised(results)
    assert [r.status_code for r in results] == [303] * TABS
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    opened = checkouts_of(last_order().id)
    assert len(opened) == 1
    assert {r.location for r in results} == {opened[0].url}
