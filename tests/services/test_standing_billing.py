"""Standing-order orders are billed when the job places them: on account they are invoiced at
delivery like a checkout; past the credit limit they are placed but held for payment."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from bench.queries_per_page import counting
from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import (
    BuyerCard,
    Invoice,
    Notification,
    Order,
    OrderBilling,
    Product,
    User,
)
from marketplace.services import DomainError, credit, order_payments, ordering
from marketplace.standing_cli import run_placement
from tests.factories import (
    BuyerAddressFactory,
    BuyerUserFactory,
    StaffFactory,
    make_standing_order,
    ordering_world,
)

MONDAY_NOON = datetime(2025, 3, 10, 12, 0, tzinfo=LIMA)  # Tuesday 11 is due (lead 1 day)


@pytest.fixture
def world(app):
    w = ordering_world(stock="50")
    w.staff = StaffFactory()
    db.session.commit()
    return w


def placed(world, limit_cents, quantity=4):
    credit.grant_terms(db.session, world.staff, world.buyer.id, 30, limit_cents)
    make_standing_order(world.buyer_user, world.address, [(world.cheese, quantity)])
    db.session.commit()
    report = run_placement(db.session)
    (order_id,) = report.orders
    return db.session.get(Order, order_id)


@time_machine.travel(MONDAY_NOON, tick=False)
def test_within_the_limit_the_order_is_on_account_and_invoiced_at_delivery(world):
    order = placed(world, 1_000_00)
    billing = db.session.get(OrderBilling, order.id)
    assert (billing.method, billing.net_days, billing.hold_reason) == ("account", 30, None)
    assert credit.exposure(db.session, world.buyer.id).open_orders_cents == order.total_cents

    ordering.confirm_order(db.session, world.promoter, order)
    ordering.dispatch_order(db.session, world.promoter, order)
    result = ordering.deliver_order(db.session, world.promoter, order)
    db.session.commit()
    assert result.invoice is not None
    assert db.session.scalar(sa.select(Invoice.total_cents)) == order.total_cents


@time_machine.travel(MONDAY_NOON, tick=False)
def test_past_the_limit_the_order_is_placed_but_held_and_both_sides_are_told(world):
    order = placed(world, 100_00)  # S/ 100 of credit; the delivery is S/ 134.52
    db.session.commit()
    assert order.status == "placed"  # the cheese is reserved all the same
    billing = db.session.get(OrderBilling, order.id)
    assert billing.method == "account" and "supera tu línea de crédito" in billing.hold_reason
    state = order_payments.state_of(db.session, order)
    assert state.needs_payment

    told = db.session.scalars(
        sa.select(Notification.recipient_id).where(Notification.kind == "order_needs_payment")
    ).all()
    assert world.buyer_user.id in told and world.promoter.id in told

    ordering.confirm_order(db.session, world.promoter, order)
    with pytest.raises(DomainError, match="espera el pago del cliente"):
        ordering.dispatch_order(db.session, world.promoter, order)
    order_payments.allow_dispatch_unpaid(db.session, world.staff, order)
    ordering.dispatch_order(db.session, world.promoter, order)
    result = ordering.deliver_order(db.session, world.promoter, order)
    db.session.commit()
    assert result.invoice is not None  # still owed on account, invoiced like any other


@time_machine.travel(MONDAY_NOON, tick=False)
def test_only_staff_may_let_an_unpaid_order_leave(world):
    order = placed(world, 100_00)
    with pytest.raises(DomainError, match="Solo el equipo"):
        order_payments.allow_dispatch_unpaid(db.session, world.promoter, order)


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_buyer_without_terms_or_cards_gets_orders_to_be_paid(world):
    make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()
    (order_id,) = run_placement(db.session).orders
    order = db.session.get(Order, order_id)
    assert db.session.get(OrderBilling, order_id) is None
    assert [o.id for o, _s in order_payments.waiting_orders(db.session)] == [order_id]
    ordering.confirm_order(db.session, world.promoter, order)
    ordering.dispatch_order(db.session, world.promoter, order)  # not held: staff follow it up


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_second_delivery_that_passes_the_limit_is_held_and_the_first_is_not(world):
    """Orders of one buyer are checked in turn: the first counts in what the second owes."""
    credit.grant_terms(db.session, world.staff, world.buyer.id, 30, 200_00)
    for _ in range(2):  # S/ 134.52 each: one fits in S/ 200, both do not
        make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()
    first, second = sorted(run_placement(db.session).orders)

    with sa.orm.Session(db.engine) as fresh:
        holds = dict(
            fresh.execute(
                sa.select(OrderBilling.order_id, OrderBilling.hold_reason).order_by(
                    OrderBilling.order_id
                )
            ).all()
        )
        told = fresh.scalars(
            sa.select(Notification.order_id).where(Notification.kind == "order_needs_payment")
        ).all()
    assert holds[first] is None
    reason = holds[second].replace("\xa0", " ")
    assert reason == (
        "Este pedido de S/ 134.52 supera tu línea de crédito: te quedan S/ 65.48 de S/ 200.00."
    )
    assert set(told) == {second}


class TestStatementsDoNotGrowWithBuyers:
    """Billing the placed orders reads terms, cards and what is owed for all buyers at once."""

    KINDS = ("within the limit", "past the limit", "card, none saved", "card saved")

    @pytest.fixture
    def app_config(self):
        # Cards are offered; nothing is sent to Stripe when standing orders are placed.
        return {"STRIPE_SECRET_KEY": "sk_test_not_called"}

    def add_buyers(self, world, per_kind: int) -> None:
        staff, cheese = (
            db.session.get(User, world.staff_id),
            db.session.get(Product, world.cheese_id),
        )
        for _ in range(per_kind):
            for kind in self.KINDS:
                user = BuyerUserFactory()
                if kind == "within the limit":
                    credit.grant_terms(db.session, staff, user.buyer_id, 30, 10_000_00)
                elif kind == "past the limit":
                    credit.grant_terms(db.session, staff, user.buyer_id, 30, 100_00)
                elif kind == "card saved":
                    db.session.add(
                        BuyerCard(
                            buyer_id=user.buyer_id,
                            customer_id=f"cus_{user.buyer_id}",
                            payment_method_id=f"pm_{user.buyer_id}",
                        )
                    )
                address = BuyerAddressFactory(buyer=user.buyer)
                make_standing_order(user, address, [(cheese, 4)])
        db.session.commit()

    def placement_statements(self, when) -> tuple[int, object]:
        db.session.remove()
        with time_machine.travel(when, tick=False), counting(db.engine) as counter:
            report = run_placement(db.session)
        assert report.failed == 0
        return counter["n"], report

    def test_one_buyer_of_each_kind_costs_as_many_statements_as_many(self, app):
        world = ordering_world(stock="1000")
        world.staff_id, world.cheese_id = StaffFactory().id, world.cheese.id
        self.add_buyers(world, 1)
        few, report = self.placement_statements(MONDAY_NOON)  # Tuesday's deliveries
        assert report.placed == len(self.KINDS)

        self.add_buyers(world, 5)
        many, report = self.placement_statements(MONDAY_NOON + timedelta(days=3))  # Friday's
        assert report.placed == 6 * len(self.KINDS)
        with sa.orm.Session(db.engine) as fresh:
            billed = fresh.execute(
                sa.select(OrderBilling.method, OrderBilling.hold_reason.is_not(None))
            ).all()
            asked_to_pay = fresh.scalar(
                sa.select(sa.func.count(sa.distinct(Notification.order_id))).where(
                    Notification.kind == "order_needs_payment"
                )
            )
        # Two rounds: 1 + 6 buyers of each kind; past the limit and no saved card are held.
        assert sorted(billed).count(("account", False)) == 7
        assert sorted(billed).count(("account", True)) == 7
        assert sorted(billed).count(("card", False)) == 14
        assert asked_to_pay == 14
        assert many == few
