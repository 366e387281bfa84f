"""Standing deliveries on closed days: moved to the previous delivery day or dropped, placed
once on the new day, announced in the reminder, counted on the new day by demand and reports."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import (
    AssociationClosure,
    DeliveryRule,
    Notification,
    Order,
    StandingOccurrence,
)
from marketplace.services import DomainError, ordering, reporting
from marketplace.services import calendar as cal
from marketplace.services import standing as so
from marketplace.standing_cli import run_placement, run_reminders
from tests.factories import (
    BuyerAddressFactory,
    BuyerUserFactory,
    make_standing_order,
    ordering_world,
)

pytestmark = pytest.mark.calendar  # every test travels to its own dates


def lima(*args) -> datetime:
    return datetime(*args, tzinfo=LIMA)


def weekday_before(day: date, isoweekday: int) -> date:
    """The last `isoweekday` strictly before `day`."""
    back = (day.isoweekday() - isoweekday) % 7 or 7
    return day - timedelta(days=back)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def world_with_rule(weekdays: str, lead_days: int, stock="100"):
    w = ordering_world(stock=stock)
    rule = db.session.scalar(
        sa.select(DeliveryRule).where(DeliveryRule.association_id == w.cheese_assoc.id)
    )
    rule.weekdays, rule.lead_days = weekdays, lead_days
    db.session.flush()
    return w


def orders_of(standing) -> list[Order]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Order)
            .join(StandingOccurrence, StandingOccurrence.order_id == Order.id)
            .where(StandingOccurrence.standing_order_id == standing.id)
            .order_by(Order.delivery_date)
        )
    )


def occurrence(standing, day: date) -> StandingOccurrence | None:
    return db.session.scalar(
        sa.select(StandingOccurrence).where(
            StandingOccurrence.standing_order_id == standing.id,
            StandingOccurrence.delivery_date == day,
        )
    )


def add_closure(association, start, end, reason, known):
    db.session.add(
        AssociationClosure(
            association_id=association.id,
            start_date=start,
            end_date=end,
            reason=reason,
            created_at=known,
            updated_at=known,
            dates_set_at=known,
        )
    )
    db.session.commit()


# Year end: Christmas and New Year on Fridays (2026) -----------------------------------------

CHRISTMAS, NEW_YEAR = date(2026, 12, 25), date(2027, 1, 1)


@pytest.fixture
def fridays(app):
    """Weekly on Fridays; the association delivers Tuesdays and Fridays, 1 day ahead."""
    w = world_with_rule("25", 1)
    w.standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)], weekdays="5")
    db.session.commit()
    return w


def test_christmas_and_new_year_move_to_the_tuesday_before(fridays):
    with time_machine.travel(lima(2026, 12, 14, 9), tick=False):
        deliveries = {d.day: d for d in so.upcoming_deliveries(db.session, fridays.standing)}
    christmas, new_year = deliveries[CHRISTMAS], deliveries[NEW_YEAR]
    assert christmas.when == weekday_before(CHRISTMAS, 2) == date(2026, 12, 22)
    assert new_year.when == weekday_before(NEW_YEAR, 2) == date(2026, 12, 29)
    assert christmas.closed_reason == "Navidad del Señor"
    assert new_year.closed_reason == "Año Nuevo"
    assert christmas.state == "moved" and christmas.open
    # The cut-off is the new day's: one working day before Tuesday 22 is Monday 21.
    assert christmas.cutoff == lima(2026, 12, 21).astimezone(UTC)
    assert deliveries[date(2026, 12, 18)].when == date(2026, 12, 18)
    assert not deliveries[date(2026, 12, 18)].moved


def test_the_moved_delivery_is_placed_on_its_new_day_once(fridays):
    with time_machine.travel(lima(2026, 12, 20, 23, 59), tick=False):
        assert run_placement(db.session).placed == 0  # Monday 21, 00:00 has not come
    placed_before = len(orders_of(fridays.standing))
    with time_machine.travel(lima(2026, 12, 21, 0, 0), tick=False):
        first = run_placement(db.session)
        second = run_placement(db.session)
    assert (first.placed, second.placed, second.skipped, second.failed) == (1, 0, 0, 0)
    orders = orders_of(fridays.standing)
    assert len(orders) == placed_before + 1
    moved = orders[-1]
    assert moved.delivery_date == date(2026, 12, 22)
    row = occurrence(fridays.standing, CHRISTMAS)
    assert (row.order_id, row.moved_to) == (moved.id, date(2026, 12, 22))
    assert occurrence(fridays.standing, date(2026, 12, 22)) is None  # one row, keyed by the 25th
    buyer_note = db.session.scalar(
        sa.select(Notification).where(
            Notification.kind == "standing_placed", Notification.order_id == moved.id
        )
    )
    assert "Adelantada del viernes, 25 de diciembre de 2026" in buyer_note.body
    assert "Navidad del Señor" in buyer_note.body


def test_new_year_is_placed_in_the_old_year(fridays):
    with time_machine.travel(lima(2026, 12, 28, 0, 0), tick=False):
        run_placement(db.session)
        run_placement(db.session)
    [order] = [o for o in orders_of(fridays.standing) if o.delivery_date >= date(2026, 12, 26)]
    assert order.delivery_date == date(2026, 12, 29)
    assert occurrence(fridays.standing, NEW_YEAR).order_id == order.id


def test_reminder_announces_the_new_date_once_to_buyer_and_promoter(fridays):
    # 24 hours before the new cut-off (Monday 21, 00:00): Sunday 20 at 01:00.
    with time_machine.travel(lima(2026, 12, 20, 1, 0), tick=False):
        _, reminders = run_reminders(db.session)
        _, again = run_reminders(db.session)
    assert (reminders, again) == (1, 0)
    [buyer_note] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "standing_reminder")
    ).all()
    assert "pasa al martes, 22 de diciembre de 2026" in buyer_note.subject
    assert "Navidad del Señor" in buyer_note.body
    assert f"/deliveries/{CHRISTMAS.isoformat()}" in buyer_note.body
    [promoter_note] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "standing_moved")
    ).all()
    assert promoter_note.recipient_id == fridays.promoter.id
    assert "pasa al martes, 22 de diciembre de 2026" in promoter_note.subject


def test_a_closure_after_the_reminder_is_announced_again_with_what_changed(fridays):
    with time_machine.travel(lima(2026, 12, 20, 1, 0), tick=False):
        run_reminders(db.session)
    with time_machine.travel(lima(2026, 12, 20, 2, 0), tick=False):
        # The road to Cusco is cut on Tuesday 22: no delivery day is left before Christmas.
        cal.save_closure(
            db.session,
            fridays.promoter,
            fridays.cheese_assoc.id,
            date(2026, 12, 22),
            date(2026, 12, 22),
            "Huaico en la carretera",
        )
        db.session.commit()
        _, reminders = run_reminders(db.session)
        _, again = run_reminders(db.session)
    assert (reminders, again) == (1, 0)
    subjects = [
        n.subject
        for n in db.session.scalars(
            sa.select(Notification)
            .where(Notification.kind == "standing_reminder")
            .order_by(Notification.id)
        )
    ]
    assert len(subjects) == 2
    assert "no habrá entrega el viernes, 25 de diciembre de 2026" in subjects[1]
    with time_machine.travel(lima(2026, 12, 24, 0, 0), tick=False):
        run_placement(db.session)
    assert all(o.delivery_date != date(2026, 12, 22) for o in orders_of(fridays.standing))


def test_two_deliveries_never_merge_a_dropped_one_is_not_placed(app):
    """Tuesdays and Fridays: Christmas' Tuesday already has its own delivery."""
    w = world_with_rule("25", 1)
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)], weekdays="25")
    db.session.commit()
    with time_machine.travel(lima(2026, 12, 20, 9), tick=False):
        christmas = so.delivery_on(db.session, standing, CHRISTMAS)
        assert christmas.dropped and christmas.state == "closed_day"
        with pytest.raises(DomainError, match="No habrá entrega"):
            so.skip_delivery(db.session, w.buyer_user, standing, CHRISTMAS)
        db.session.rollback()
    with time_machine.travel(lima(2026, 12, 23, 1, 0), tick=False):  # 24 h before the 24th
        run_reminders(db.session)
    note = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "standing_reminder")
    )
    assert "no habrá entrega el viernes, 25 de diciembre de 2026" in note.subject
    for moment in (lima(2026, 12, 21, 0), lima(2026, 12, 24, 0), lima(2026, 12, 25, 0)):
        with time_machine.travel(moment, tick=False):
            run_placement(db.session)
    days = [o.delivery_date for o in orders_of(standing)]
    assert days == [date(2026, 12, 22)]  # Tuesday's own; nothing for Christmas


# Monthly on the 1st: New Year moves to 31 December; 23:30 in Lima is already the next day UTC


def test_monthly_first_moves_to_31_december_and_closes_at_lima_midnight(app):
    w = world_with_rule("12345", 1)
    standing = make_standing_order(
        w.buyer_user, w.address, [(w.cheese, 3)], schedule_kind="monthly", weekdays="", month_day=1
    )
    db.session.commit()
    late = lima(2026, 12, 29, 23, 30)
    assert late.astimezone(UTC).date() == date(2026, 12, 30)
    with time_machine.travel(late, tick=False):
        found = so.delivery_on(db.session, standing, NEW_YEAR)
        assert found.when == date(2026, 12, 31)
        assert found.open  # the cut-off is 00:00 on the 30th in Lima, half an hour away
        so.change_delivery(db.session, w.buyer_user, standing, NEW_YEAR, {w.cheese.id: "5"})
        db.session.commit()
        assert run_placement(db.session).placed == 0
    with time_machine.travel(lima(2026, 12, 30, 0, 0), tick=False):
        with pytest.raises(DomainError, match="ya no se puede cambiar"):
            so.change_delivery(db.session, w.buyer_user, standing, NEW_YEAR, {w.cheese.id: "6"})
        db.session.rollback()
        assert run_placement(db.session).placed == 1
    [order] = orders_of(standing)
    assert order.delivery_date == date(2026, 12, 31)
    assert order.lines[0].quantity == Decimal("5")  # the change made on the original date


# 29 February 2028: Carnival closes the association, month end moves to Friday the 25th ------


def test_leap_day_closure_moves_the_month_end_and_lengthens_lead_time(app):
    w = world_with_rule("12345", 2)
    add_closure(w.cheese_assoc, date(2028, 2, 28), date(2028, 3, 1), "Carnaval", lima(2027, 12, 1))
    monthly = make_standing_order(
        w.buyer_user, w.address, [(w.cheese, 2)], schedule_kind="monthly", weekdays="", month_day=31
    )
    weekly = make_standing_order(w.other_buyer_user, w.other_address, [(w.cheese, 1)], weekdays="4")
    db.session.commit()
    with time_machine.travel(lima(2028, 2, 20, 9), tick=False):
        leap = so.delivery_on(db.session, monthly, date(2028, 2, 29))
        thursday = so.delivery_on(db.session, weekly, date(2028, 3, 2))
    assert leap.when == weekday_before(date(2028, 2, 28), 5) == date(2028, 2, 25)
    assert leap.closed_reason == "Carnaval"
    assert leap.cutoff == lima(2028, 2, 23).astimezone(UTC)
    # 1 March, 29 and 28 February are closed: Sunday 27 and Saturday 26 are the two days.
    assert thursday.when == date(2028, 3, 2)
    assert thursday.cutoff == lima(2028, 2, 26).astimezone(UTC)
    with time_machine.travel(lima(2028, 2, 23, 0, 5), tick=False):
        run_placement(db.session)
    assert [o.delivery_date for o in orders_of(monthly)] == [date(2028, 2, 25)]

    def march_second():
        return [o for o in orders_of(weekly) if o.delivery_date == date(2028, 3, 2)]

    with time_machine.travel(lima(2028, 2, 25, 23, 0), tick=False):
        run_placement(db.session)
    assert march_second() == []  # not before Saturday 26, 00:00
    with time_machine.travel(lima(2028, 2, 26, 0, 0), tick=False):
        run_placement(db.session)
    assert len(march_second()) == 1


# Month end: a closure recorded in time, too late, and changes made before it ------------------


@pytest.fixture
def june(app):
    """Monthly on the 31st (30 June); the association delivers Tuesdays and Fridays, 1 day."""
    w = world_with_rule("25", 1)
    w.standing = make_standing_order(
        w.buyer_user, w.address, [(w.cheese, 4)], schedule_kind="monthly", weekdays="", month_day=31
    )
    db.session.commit()
    return w


MONTH_END = date(2026, 6, 30)  # Tuesday


def test_a_change_and_a_skip_made_before_the_closure_carry_over(june):
    with time_machine.travel(lima(2026, 6, 20, 9), tick=False):
        so.change_delivery(
            db.session, june.buyer_user, june.standing, MONTH_END, {june.cheese.id: "7"}
        )
        db.session.commit()
    add_closure(june.cheese_assoc, date(2026, 6, 27), date(2026, 7, 3), "Fiesta", lima(2026, 6, 21))
    with time_machine.travel(lima(2026, 6, 24, 9), tick=False):
        found = so.delivery_on(db.session, june.standing, MONTH_END)
        assert found.when == date(2026, 6, 26)  # Friday; Tuesday 30 is in the closure
        assert found.lines[0].quantity == Decimal("7")
    with time_machine.travel(lima(2026, 6, 25, 0, 0), tick=False):
        run_placement(db.session)
        run_placement(db.session)
    [order] = orders_of(june.standing)
    assert (order.delivery_date, order.lines[0].quantity) == (date(2026, 6, 26), Decimal("7"))


def test_a_skip_made_before_the_closure_stays_a_skip(june):
    with time_machine.travel(lima(2026, 6, 20, 9), tick=False):
        so.skip_delivery(db.session, june.buyer_user, june.standing, MONTH_END)
        db.session.commit()
    add_closure(
        june.cheese_assoc, date(2026, 6, 30), date(2026, 6, 30), "Fiesta", lima(2026, 6, 21)
    )
    with time_machine.travel(lima(2026, 6, 25, 0, 0), tick=False):
        report = run_placement(db.session)
    assert (report.placed, report.skipped) == (0, 1)
    assert orders_of(june.standing) == []


def test_a_closure_recorded_after_the_new_cut_off_drops_the_delivery(june):
    # Recorded on Thursday 25 at noon: Friday 26's cut-off (Thursday 00:00) has passed.
    add_closure(
        june.cheese_assoc, date(2026, 6, 30), date(2026, 6, 30), "Paro", lima(2026, 6, 25, 12)
    )
    with time_machine.travel(lima(2026, 6, 25, 13), tick=False):
        found = so.delivery_on(db.session, june.standing, MONTH_END)
        assert found.dropped and found.closed_reason == "Paro"
    for moment in (lima(2026, 6, 25, 13), lima(2026, 6, 29, 0), lima(2026, 6, 30, 0)):
        with time_machine.travel(moment, tick=False):
            run_placement(db.session)
    assert orders_of(june.standing) == []


def test_the_buyer_changes_the_moved_delivery_until_its_new_cut_off(june):
    add_closure(june.cheese_assoc, date(2026, 6, 30), date(2026, 6, 30), "Fiesta", lima(2026, 6, 1))
    with time_machine.travel(lima(2026, 6, 24, 23, 59), tick=False):
        so.change_delivery(
            db.session, june.buyer_user, june.standing, MONTH_END, {june.cheese.id: "2"}
        )
        db.session.commit()
    with time_machine.travel(lima(2026, 6, 25, 0, 1), tick=False):
        with pytest.raises(DomainError, match="ya no se puede cambiar"):
            so.skip_delivery(db.session, june.buyer_user, june.standing, MONTH_END)
        db.session.rollback()


# Demand ahead and the on-time rate -------------------------------------------------------------


def test_demand_ahead_counts_a_moved_delivery_in_its_new_week(app):
    """Mondays; San Pedro y San Pablo (Monday 29 June 2026) moves to Friday 26."""
    w = world_with_rule("15", 1)
    make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)], weekdays="1")
    db.session.commit()
    with time_machine.travel(lima(2026, 6, 15, 9), tick=False):
        mondays, rows = so.demand_ahead(db.session, w.cheese_assoc.id)
        changes = so.calendar_changes(db.session, w.cheese_assoc.id)
    [row] = [r for r in rows if r.product.id == w.cheese.id]
    needed = {week.monday: week.needed for week in row.weeks}
    assert needed[date(2026, 6, 22)] == Decimal("8")  # Monday 22 and the moved Monday 29
    assert needed[date(2026, 6, 29)] == Decimal("0")
    assert needed[date(2026, 7, 6)] == Decimal("4")
    [(_, planned)] = changes
    assert (planned.day, planned.when) == (date(2026, 6, 29), date(2026, 6, 26))


def test_on_time_rate_uses_the_moved_date(fridays):
    other = BuyerUserFactory()
    address = BuyerAddressFactory(buyer=other.buyer)
    make_standing_order(other, address, [(fridays.cheese, 2)], weekdays="5")
    db.session.commit()
    with time_machine.travel(lima(2026, 12, 21, 0, 0), tick=False):
        run_placement(db.session)
    orders = db.session.scalars(
        sa.select(Order).where(Order.delivery_date == date(2026, 12, 22))
    ).all()
    assert len(orders) == 2
    for order, moment in zip(orders, (lima(2026, 12, 22, 11), lima(2026, 12, 24, 11)), strict=True):
        with time_machine.travel(moment, tick=False):
            ordering.confirm_order(db.session, fridays.promoter, order)
            ordering.dispatch_order(db.session, fridays.promoter, order)
            ordering.deliver_order(db.session, fridays.promoter, order)
            db.session.commit()
    totals = reporting.totals(db.session, reporting.Filters(date(2026, 12, 1), date(2026, 12, 31)))
    # Delivered on the 24th is late for the 22nd, although before the original 25th.
    assert (totals.orders, totals.on_time) == (2, 1)
