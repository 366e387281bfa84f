"""Delivery-date rules: the association's days for the city, after its lead time, in Lima time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.extensions import db
from marketplace.services import DomainError, delivery
from tests.factories import DeliveryRuleFactory

LIMA = ZoneInfo("America/Lima")


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated for the person asking, so services run inside a request."""
    with app.test_request_context():
        yield


def test_dates_follow_weekdays_and_lead_time(app):
    rule = DeliveryRuleFactory(city="cusco", weekdays="25", lead_days=2)  # Tue, Fri
    monday = date(2026, 3, 2)
    offered = delivery.dates_for_rule(rule, today=monday)
    # Monday + 2 days = Wednesday: the first Tuesday/Friday from there is Friday 6.
    first_four = [date(2026, 3, 6), date(2026, 3, 10), date(2026, 3, 13), date(2026, 3, 17)]
    assert offered[:4] == first_four
    assert all(d.isoweekday() in (2, 5) for d in offered)
    assert max(offered) < date(2026, 3, 4) + timedelta(days=delivery.HORIZON_DAYS)


def test_lead_time_reaching_a_delivery_day_includes_it(app):
    rule = DeliveryRuleFactory(city="cusco", weekdays="3", lead_days=2)  # Wednesdays
    assert delivery.dates_for_rule(rule, today=date(2026, 3, 2))[0] == date(2026, 3, 4)
    assert delivery.dates_for_rule(rule, today=date(2026, 3, 3))[0] == date(2026, 3, 11)


def test_no_rule_for_the_city_offers_nothing_and_refuses(app):
    rule = DeliveryRuleFactory(city="cusco", weekdays="12345", lead_days=1)
    db.session.flush()
    assert delivery.offered_dates(db.session, rule.association_id, "lima") == []
    with pytest.raises(DomainError, match="no entrega en tu ciudad"):
        delivery.check_delivery_date(db.session, rule.association_id, "lima", date(2026, 3, 3))


def test_a_date_outside_the_rule_is_refused_at_the_field(app):
    rule = DeliveryRuleFactory(city="cusco", weekdays="25", lead_days=2)
    db.session.flush()
    monday = date(2026, 3, 2)
    for wrong in (date(2026, 3, 3), date(2026, 3, 5), date(2026, 3, 2), date(2026, 2, 27)):
        with pytest.raises(DomainError) as caught:
            delivery.check_delivery_date(
                db.session, rule.association_id, "cusco", wrong, field="date_1", today=monday
            )
        assert caught.value.field == "date_1"
    ok = delivery.check_delivery_date(
        db.session, rule.association_id, "cusco", date(2026, 3, 6), today=monday
    )
    assert ok == date(2026, 3, 6)


@pytest.mark.parametrize(
    ("lima_clock", "first_date"),
    [
        # 23:30 on Monday in Lima is already Tuesday 04:30 in UTC: still Monday's offer.
        (datetime(2026, 3, 2, 23, 30, tzinfo=LIMA), date(2026, 3, 3)),
        # Half an hour later it is Tuesday in Lima too.
        (datetime(2026, 3, 3, 0, 0, tzinfo=LIMA), date(2026, 3, 4)),
        # 19:30 on Monday in Lima is 00:30 Tuesday UTC: still Monday.
        (datetime(2026, 3, 2, 19, 30, tzinfo=LIMA), date(2026, 3, 3)),
    ],
)
def test_today_is_the_date_in_lima_around_midnight(app, lima_clock, first_date):
    rule = DeliveryRuleFactory(city="cusco", weekdays="1234567", lead_days=1)
    db.session.flush()
    with time_machine.travel(lima_clock, tick=False):
        assert delivery.offered_dates(db.session, rule.association_id, "cusco")[0] == first_date
