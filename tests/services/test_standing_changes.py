"""What a buyer may do to a standing order and to one delivery, and until when."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import Notification, Order
from marketplace.services import DomainError
from marketplace.services import standing as so
from marketplace.standing_cli import run_placement, run_reminders
from tests.factories import ProductFactory, make_agreement, make_standing_order, ordering_world

SATURDAY = datetime(2025, 3, 8, 10, 0, tzinfo=LIMA)
TUESDAY, FRIDAY, NEXT_TUESDAY = date(2025, 3, 11), date(2025, 3, 14), date(2025, 3, 18)


@pytest.fixture(autouse=True)
def request_context(app):
    """Services speak to a person: their messages are translated in a request."""
    with app.test_request_context():
        yield


@pytest.fixture
def world(app):
    w = ordering_world(stock="100")
    w.standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    return w


def run_week():
    """The job as cron runs it: Monday morning (Tuesday due) and Thursday (Friday due)."""
    for moment in (datetime(2025, 3, 10, 8, tzinfo=LIMA), datetime(2025, 3, 13, 8, tzinfo=LIMA)):
        with time_machine.travel(moment, tick=False):
            run_placement(db.session)


def placed_quantities(standing):
    orders = db.session.scalars(
        sa.select(Order).where(Order.buyer_id == standing.buyer_id).order_by(Order.delivery_date)
    ).all()
    return {o.delivery_date: {line.product_id: line.quantity for line in o.lines} for o in orders}


def test_change_before_the_cut_off_touches_only_that_delivery(world):
    with time_machine.travel(SATURDAY, tick=False):
        so.change_delivery(
            db.session, world.buyer_user, world.standing, TUESDAY, {world.cheese.id: "6.5"}
        )
        db.session.commit()
        deliveries = {d.day: d for d in so.upcoming_deliveries(db.session, world.standing)}
    assert deliveries[TUESDAY].lines[0].quantity == Decimal("6.5")
    assert deliveries[TUESDAY].lines[0].changed
    assert deliveries[FRIDAY].lines[0].quantity == Decimal("4")
    run_week()
    assert placed_quantities(world.standing) == {
        TUESDAY: {world.cheese.id: Decimal("6.5")},
        FRIDAY: {world.cheese.id: Decimal("4")},
    }


def test_adding_a_line_to_one_delivery(world):
    queso_madurado = ProductFactory(association=world.cheese_assoc, name="Queso madurado")
    db.session.flush()
    from tests.factories import add_stock

    add_stock(queso_madurado, "10")
    db.session.commit()
    with time_machine.travel(SATURDAY, tick=False):
        so.change_delivery(
            db.session, world.buyer_user, world.standing, FRIDAY, {queso_madurado.id: "2"}
        )
        db.session.commit()
    run_week()
    placed = placed_quantities(world.standing)
    assert placed[FRIDAY] == {world.cheese.id: Decimal("4"), queso_madurado.id: Decimal("2")}
    assert placed[TUESDAY] == {world.cheese.id: Decimal("4")}


def test_zero_leaves_a_product_out_but_not_every_product(world):
    with time_machine.travel(SATURDAY, tick=False), pytest.raises(DomainError) as error:
        so.change_delivery(
            db.session, world.buyer_user, world.standing, TUESDAY, {world.cheese.id: "0"}
        )
    assert "sáltala" in str(error.value.message)


def test_changes_after_the_cut_off_are_refused_with_a_clear_message(world):
    # Tuesday's cut-off is Monday 00:00 in Lima (lead 1 day): Sunday 23:59 is the last minute.
    with time_machine.travel(datetime(2025, 3, 9, 23, 59, tzinfo=LIMA), tick=False):
        so.skip_delivery(db.session, world.buyer_user, world.standing, TUESDAY)
        db.session.commit()
    with time_machine.travel(datetime(2025, 3, 10, 0, 0, tzinfo=LIMA), tick=False):
        with pytest.raises(DomainError) as error:
            so.skip_delivery(db.session, world.buyer_user, world.standing, TUESDAY, skip=False)
        db.session.rollback()
        assert "ya no se puede cambiar" in str(error.value.message)
        with pytest.raises(DomainError):
            so.change_delivery(
                db.session, world.buyer_user, world.standing, TUESDAY, {world.cheese.id: "1"}
            )
        db.session.rollback()
        # Friday is still open.
        so.change_delivery(
            db.session, world.buyer_user, world.standing, FRIDAY, {world.cheese.id: "1"}
        )


def test_a_placed_delivery_cannot_be_changed(world):
    with time_machine.travel(datetime(2025, 3, 10, 8, tzinfo=LIMA), tick=False):
        run_placement(db.session)
        with pytest.raises(DomainError):
            so.skip_delivery(db.session, world.buyer_user, world.standing, TUESDAY)


def test_another_buyer_cannot_change_it(world):
    with time_machine.travel(SATURDAY, tick=False), pytest.raises(DomainError):
        so.skip_delivery(db.session, world.other_buyer_user, world.standing, TUESDAY)


def test_a_date_off_the_schedule_is_refused(world):
    with time_machine.travel(SATURDAY, tick=False), pytest.raises(DomainError):
        so.skip_delivery(db.session, world.buyer_user, world.standing, date(2025, 3, 12))


def test_pause_until_a_date_resumes_by_itself(world):
    with time_machine.travel(SATURDAY, tick=False):
        so.pause(db.session, world.buyer_user, world.standing, until=NEXT_TUESDAY)
        db.session.commit()
        states = {d.day: d.state for d in so.upcoming_deliveries(db.session, world.standing)}
    assert states[TUESDAY] == states[FRIDAY] == "paused"
    assert states[NEXT_TUESDAY] == "scheduled"
    with time_machine.travel(datetime(2025, 3, 17, 6, tzinfo=LIMA), tick=False):
        run_placement(db.session)
    assert list(placed_quantities(world.standing)) == [NEXT_TUESDAY]
    with time_machine.travel(datetime(2025, 3, 18, 6, tzinfo=LIMA), tick=False):
        run_placement(db.session)  # the pause's date has come: it shows as active again
    db.session.refresh(world.standing)
    assert world.standing.status == "active" and world.standing.paused_until is None


def test_pause_without_date_waits_for_resume_and_late_deliveries_are_not_placed(world):
    with time_machine.travel(SATURDAY, tick=False):
        so.pause(db.session, world.buyer_user, world.standing, until=None)
        db.session.commit()
    with time_machine.travel(datetime(2025, 3, 10, 8, tzinfo=LIMA), tick=False):
        assert run_placement(db.session).placed == 0
        # Resumed after Tuesday's cut-off: Tuesday stays unplaced, Friday comes.
        so.resume(db.session, world.buyer_user, world.standing)
        db.session.commit()
    with time_machine.travel(datetime(2025, 3, 13, 8, tzinfo=LIMA), tick=False):
        run_placement(db.session)
    assert list(placed_quantities(world.standing)) == [FRIDAY]


def test_cancel_stops_future_deliveries(world):
    with time_machine.travel(SATURDAY, tick=False):
        so.cancel(db.session, world.buyer_user, world.standing)
        db.session.commit()
    with time_machine.travel(datetime(2025, 3, 13, 8, tzinfo=LIMA), tick=False):
        assert run_placement(db.session).placed == 0


def test_create_checks_weekdays_lead_time_and_products(world):
    def create(**overrides):
        values = {
            "schedule_kind": "weekly",
            "weekdays": "2",
            "every_weeks": 1,
            "start_date": date(2025, 3, 11),
        }
        values.update(overrides)
        return so.create_standing_order(
            db.session,
            world.buyer_user,
            world.cheese_assoc.id,
            world.address.id,
            {world.cheese.id: "3"},
            so.Schedule(**values),
        )

    with time_machine.travel(SATURDAY, tick=False):
        with pytest.raises(DomainError) as error:
            create(weekdays="6")  # the association delivers Monday to Friday
        assert error.value.field == "weekdays"
        with pytest.raises(DomainError) as error:
            create(start_date=date(2025, 3, 9))  # lead 1 day: Monday 10 is the first
        assert error.value.field == "start_date"
        standing = create(start_date=date(2025, 3, 10))
        assert standing.lines[0].last_notified_price_cents == 2850
        with pytest.raises(DomainError):
            so.create_standing_order(
                db.session,
                world.buyer_user,
                world.cheese_assoc.id,
                world.address.id,
                {world.maize.id: "3"},  # another association's product
                so.Schedule("weekly", "2", 1, None, date(2025, 3, 11)),
            )


def test_reminder_goes_once_before_the_cut_off_with_a_link(world, app):
    app.config["STANDING_ORDER_REMINDER_HOURS"] = 24
    app.config["PUBLIC_URL"] = "https://qhatu.example"
    with time_machine.travel(datetime(2025, 3, 9, 1, 0, tzinfo=LIMA), tick=False):
        assert run_reminders(db.session) == (0, 1)  # Tuesday's cut-off is in 23 hours
        assert run_reminders(db.session) == (0, 0)
    [reminder] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "standing_reminder")
    ).all()
    assert "https://qhatu.example/buyer/standing-orders/" in reminder.body
    assert "/deliveries/2025-03-11" in reminder.body


def test_price_change_is_announced_once_with_old_and_new_price(world):
    world.cheese.price_cents = 3100
    db.session.commit()
    with time_machine.travel(SATURDAY, tick=False):
        assert run_reminders(db.session)[0] == 1
        assert run_reminders(db.session)[0] == 0
    [notice] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "standing_price")
    ).all()
    assert "S/\xa028.50" in notice.body and "S/\xa031.00" in notice.body
    with time_machine.travel(datetime(2025, 3, 10, 8, tzinfo=LIMA), tick=False):
        run_placement(db.session)
    [order] = db.session.scalars(sa.select(Order)).all()
    assert order.lines[0].unit_price_cents == 3100


def test_agreement_prices_apply_and_the_switch_is_announced(world):
    make_agreement(world.buyer, world.cheese_assoc, {world.cheese: 2500})
    db.session.commit()
    with time_machine.travel(SATURDAY, tick=False):
        assert run_reminders(db.session)[0] == 1
    with time_machine.travel(datetime(2025, 3, 10, 8, tzinfo=LIMA), tick=False):
        run_placement(db.session)
    [order] = db.session.scalars(sa.select(Order)).all()
    assert order.lines[0].unit_price_cents == 2500


def test_demand_ahead_per_product_and_week_against_stock(world):
    # 4 kg on Tuesdays and Fridays = 8 kg a week; 100 kg in stock, 20 more kg on one Friday.
    with time_machine.travel(SATURDAY, tick=False):
        so.change_delivery(
            db.session, world.buyer_user, world.standing, FRIDAY, {world.cheese.id: "24"}
        )
        so.skip_delivery(db.session, world.buyer_user, world.standing, NEXT_TUESDAY)
        db.session.commit()
        mondays, rows = so.demand_ahead(db.session, world.cheese_assoc.id)
    assert len(mondays) == 8 and mondays[0] == date(2025, 3, 3)
    row = next(r for r in rows if r.product.id == world.cheese.id)
    needed = [w.needed for w in row.weeks]
    assert needed[:4] == [Decimal("0"), Decimal("28"), Decimal("4"), Decimal("8")]
    assert row.total == Decimal("28") + 4 + 8 * 5
    assert not any(w.short for w in row.weeks)  # 80 kg needed, 100 in stock
    with time_machine.travel(SATURDAY, tick=False):
        so.change_delivery(
            db.session, world.buyer_user, world.standing, TUESDAY, {world.cheese.id: "60"}
        )
        db.session.commit()
        _, rows = so.demand_ahead(db.session, world.cheese_assoc.id)
    row = next(r for r in rows if r.product.id == world.cheese.id)
    assert row.first_short.monday == date(2025, 3, 31)  # 84 + 4 + 8 + 8 > 100 kg
