"""`flask standing-orders place`: due deliveries become orders, once, with fair shares."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import Notification, Order, OrderLine, StandingOccurrence
from marketplace.services import ordering
from marketplace.services import standing as so
from marketplace.services.stock import ledger_balance
from marketplace.standing_cli import run_placement
from tests.factories import (
    BuyerAddressFactory,
    BuyerUserFactory,
    make_agreement,
    make_standing_order,
    ordering_world,
)

MONDAY_NOON = datetime(2025, 3, 10, 12, 0, tzinfo=LIMA)  # Tuesday 11 is due (lead 1 day)
TUESDAY = date(2025, 3, 11)


@pytest.fixture
def world(app):
    w = ordering_world(stock="50")
    db.session.commit()
    return w


def orders_for(standing_order):
    return list(
        db.session.scalars(
            sa.select(Order)
            .join(StandingOccurrence, StandingOccurrence.order_id == Order.id)
            .where(StandingOccurrence.standing_order_id == standing_order.id)
            .order_by(Order.delivery_date)
        )
    )


@time_machine.travel(MONDAY_NOON, tick=False)
def test_due_delivery_becomes_an_order_with_stock_reserved(world):
    standing = make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()

    report = run_placement(db.session)

    assert (report.placed, report.short, report.skipped, report.failed) == (1, 0, 0, 0)
    [order] = orders_for(standing)
    assert order.delivery_date == TUESDAY
    assert order.source == "standing"
    assert order.status == "placed"
    [line] = order.lines
    assert line.quantity == Decimal("4") and line.unit_price_cents == 2850
    assert line.requested_quantity is None
    assert order.total_cents == 2850 * 4 + round(2850 * 4 * 0.18)
    db.session.refresh(world.cheese)
    assert world.cheese.stock_on_hand == Decimal("46")
    assert ledger_balance(db.session, world.cheese.id) == Decimal("46")
    assert [e.to_status for e in order.events] == ["placed"]
    kinds = {n.kind for n in db.session.scalars(sa.select(Notification))}
    assert {"standing_placed", "standing_batch"} <= kinds


@time_machine.travel(MONDAY_NOON, tick=False)
def test_running_twice_places_each_delivery_once(world):
    standing = make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()

    first = run_placement(db.session)
    second = run_placement(db.session)

    assert first.placed == 1
    assert (second.placed, second.short, second.skipped, second.failed) == (0, 0, 0, 0)
    assert len(orders_for(standing)) == 1
    db.session.refresh(world.cheese)
    assert world.cheese.stock_on_hand == Decimal("46")


def test_nothing_is_placed_before_the_cut_off(world):
    standing = make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()
    # Sunday 23:59 in Lima: Tuesday's cut-off (Monday 00:00) has not come yet.
    with time_machine.travel(datetime(2025, 3, 9, 23, 59, tzinfo=LIMA), tick=False):
        assert run_placement(db.session).placed == 0
    with time_machine.travel(datetime(2025, 3, 10, 0, 0, tzinfo=LIMA), tick=False):
        assert run_placement(db.session).placed == 1
    assert [o.delivery_date for o in orders_for(standing)] == [TUESDAY]


@time_machine.travel(MONDAY_NOON, tick=False)
def test_skipped_delivery_is_counted_and_makes_no_order(world):
    standing = make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()
    with time_machine.travel(datetime(2025, 3, 8, 10, 0, tzinfo=LIMA), tick=False):
        so.skip_delivery(db.session, world.buyer_user, standing, TUESDAY)
        db.session.commit()

    report = run_placement(db.session)

    assert (report.placed, report.skipped) == (0, 1)
    assert orders_for(standing) == []
    assert run_placement(db.session).skipped == 0  # counted once


@time_machine.travel(MONDAY_NOON, tick=False)
def test_short_stock_places_what_there_is_and_records_the_shortfall(world):
    standing = make_standing_order(
        world.buyer_user, world.address, [(world.cheese, 60)]
    )  # 50 in stock
    db.session.commit()

    report = run_placement(db.session)

    assert (report.placed, report.short) == (0, 1)
    [order] = orders_for(standing)
    [line] = order.lines
    assert line.quantity == Decimal("50")
    assert line.requested_quantity == Decimal("60")
    assert line.stock_shortfall == Decimal("10")
    occurrence = db.session.scalar(sa.select(StandingOccurrence))
    assert occurrence.outcome == "short"
    [occ_line] = occurrence.lines
    assert (occ_line.requested_quantity, occ_line.placed_quantity) == (Decimal("60"), Decimal("50"))
    bodies = {n.kind: n.body for n in db.session.scalars(sa.select(Notification))}
    assert "faltan 10 kg" in bodies["standing_placed"]
    assert "Faltó stock" in bodies["standing_batch"]
    db.session.refresh(world.cheese)
    assert world.cheese.stock_on_hand == 0


@time_machine.travel(MONDAY_NOON, tick=False)
def test_competing_standing_orders_share_short_stock_by_the_documented_rule(world):
    # 50 kg of cheese. An agreement buyer asks 20; three list-price buyers ask 30, 20, 10.
    agreement_user = BuyerUserFactory()
    make_agreement(agreement_user.buyer, world.cheese_assoc, {world.cheese: 2500})
    asked = [(agreement_user, 20)]
    for qty in (30, 20, 10):
        asked.append((BuyerUserFactory(), qty))
    standing = []
    for n, (user, qty) in enumerate(asked):
        address = BuyerAddressFactory(buyer=user.buyer)
        created = datetime(2024, 1, 1 + n, tzinfo=LIMA)
        standing.append(
            make_standing_order(
                user, address, [(world.cheese, qty)], created_at=created, updated_at=created
            )
        )
    db.session.commit()

    report = run_placement(db.session)

    got = [orders_for(s)[0].lines[0].quantity for s in standing]
    # Agreement first: 20. The other 30 kg go to 60 kg asked: half each, 15 + 10 + 5.
    assert got == [Decimal("20"), Decimal("15"), Decimal("10"), Decimal("5")]
    assert (report.placed, report.short) == (1, 3)
    assert orders_for(standing[0])[0].lines[0].unit_price_cents == 2500  # agreed price


def test_share_rounds_down_to_the_step_and_gives_the_rest_to_the_oldest():
    claims = [
        so.Claim("a", Decimal("10"), 1, (1,)),
        so.Claim("b", Decimal("10"), 1, (2,)),
        so.Claim("c", Decimal("10"), 1, (3,)),
    ]
    # 10 kg for 30 asked: 3.333 each, rounded down to 3.3, 0.1 left over goes to the oldest.
    shares = so.share_stock(Decimal("10"), claims, Decimal("0.1"))
    assert shares == {"a": Decimal("3.4"), "b": Decimal("3.3"), "c": Decimal("3.3")}
    # Pieces: 5 for 3 × 3 asked: 1 each, 2 left: to a then b.
    shares = so.share_stock(
        Decimal("5"),
        [so.Claim(k, Decimal("3"), 1, (i,)) for i, k in enumerate("abc")],
        Decimal("1"),
        whole=True,
    )
    assert shares == {"a": Decimal("2"), "b": Decimal("2"), "c": Decimal("1")}
    assert sum(shares.values()) == 5


@time_machine.travel(MONDAY_NOON, tick=False)
def test_one_failing_delivery_does_not_stop_the_others(world):
    good = make_standing_order(world.buyer_user, world.address, [(world.cheese, 2)])
    other_address = BuyerAddressFactory(buyer=world.other_buyer_user.buyer)
    bad = make_standing_order(world.other_buyer_user, other_address, [(world.cheese, 2)])
    other_address.active = False
    db.session.commit()

    report = run_placement(db.session)

    assert (report.placed, report.failed) == (1, 1)
    assert len(orders_for(good)) == 1 and orders_for(bad) == []
    occurrence = db.session.scalar(
        sa.select(StandingOccurrence).where(StandingOccurrence.standing_order_id == bad.id)
    )
    assert occurrence.placed_at is None
    assert "dirección" in occurrence.last_error


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_batch_that_breaks_is_retried_one_delivery_at_a_time(world, monkeypatch):
    first = make_standing_order(world.buyer_user, world.address, [(world.cheese, 2)])
    second = make_standing_order(
        world.other_buyer_user,
        BuyerAddressFactory(buyer=world.other_buyer_user.buyer),
        [(world.cheese, 3)],
    )
    db.session.commit()
    real = so.place_batch

    def flaky(session, association_id, day, ids, now=None):
        if len(ids) > 1 or ids == [second_occurrence()]:
            raise RuntimeError("boom")
        return real(session, association_id, day, ids, now)

    def second_occurrence():
        return db.session.scalar(
            sa.select(StandingOccurrence.id).where(
                StandingOccurrence.standing_order_id == second.id
            )
        )

    monkeypatch.setattr(so, "place_batch", flaky)
    report = run_placement(db.session)

    assert (report.placed, report.failed) == (1, 1)
    assert len(orders_for(first)) == 1 and orders_for(second) == []
    occurrence = db.session.get(StandingOccurrence, second_occurrence())
    assert occurrence.attempts == 1 and "boom" in occurrence.last_error


@time_machine.travel(MONDAY_NOON, tick=False)
def test_placed_order_can_be_cancelled_like_any_order(world):
    standing = make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()
    run_placement(db.session)
    [order] = orders_for(standing)
    ordering.cancel_order(db.session, world.buyer_user, order)
    db.session.commit()
    db.session.refresh(world.cheese)
    assert world.cheese.stock_on_hand == Decimal("50")
    assert db.session.scalar(sa.select(sa.func.count(OrderLine.id))) == 1


@time_machine.travel(MONDAY_NOON, tick=False)
def test_the_commands_report_what_they_did(world, runner):
    make_standing_order(world.buyer_user, world.address, [(world.cheese, 4)])
    db.session.commit()

    result = runner.invoke(args=["standing-orders", "place"])
    assert result.exit_code == 0, result.output
    assert "standing orders: 1 placed, 0 short, 0 skipped, 0 failed (1 batches)" in result.output
    result = runner.invoke(args=["standing-orders", "place"])
    assert "0 placed" in result.output
    result = runner.invoke(args=["standing-orders", "remind"])
    assert result.exit_code == 0, result.output
    assert "price notices" in result.output and "reminders" in result.output


@time_machine.travel(MONDAY_NOON, tick=False)
def test_expired_agreements_end_when_the_job_runs(world):
    agreement = make_agreement(
        world.buyer, world.cheese_assoc, {world.cheese: 2500}, end_date=date(2025, 3, 9)
    )
    db.session.commit()
    run_placement(db.session)
    db.session.refresh(agreement)
    assert agreement.status == "ended"
    assert run_placement(db.session).failed == 0
