"""Schedules and cut-offs: weekdays, every N weeks, the 31st in short months, Lima midnight."""

from datetime import UTC, date, datetime

from marketplace.formatting import LIMA
from marketplace.services.standing import (
    Schedule,
    cutoff_at,
    describe_schedule,
    earliest_start,
    schedule_dates,
)


def weekly(weekdays, every=1, start=date(2025, 3, 3), end=None):
    return Schedule("weekly", weekdays, every, None, start, end)


def test_weekly_on_chosen_weekdays():
    days = schedule_dates(weekly("25"), date(2025, 3, 3), date(2025, 3, 16))
    assert days == [date(2025, 3, 4), date(2025, 3, 7), date(2025, 3, 11), date(2025, 3, 14)]
    assert {d.isoweekday() for d in days} == {2, 5}


def test_every_two_weeks_counts_from_the_week_of_the_start_date():
    # Starts Wednesday 5 March: weeks of 3 March, 17 March, 31 March deliver on Tuesdays.
    schedule = weekly("2", every=2, start=date(2025, 3, 5))
    days = schedule_dates(schedule, date(2025, 3, 1), date(2025, 4, 10))
    assert days == [date(2025, 3, 18), date(2025, 4, 1)]  # 4 March is before the start


def test_every_three_weeks():
    schedule = weekly("1", every=3, start=date(2025, 1, 6))
    days = schedule_dates(schedule, date(2025, 1, 1), date(2025, 2, 28))
    assert days == [date(2025, 1, 6), date(2025, 1, 27), date(2025, 2, 17)]


def test_monthly_on_the_31st_is_the_last_day_of_short_months():
    schedule = Schedule("monthly", "", 1, 31, date(2024, 1, 1), None)
    days = schedule_dates(schedule, date(2024, 1, 1), date(2024, 6, 30))
    assert days == [
        date(2024, 1, 31),
        date(2024, 2, 29),  # leap year
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    assert schedule_dates(schedule, date(2025, 2, 1), date(2025, 2, 28)) == [date(2025, 2, 28)]


def test_monthly_on_the_15th():
    schedule = Schedule("monthly", "", 1, 15, date(2025, 1, 20), None)
    assert schedule_dates(schedule, date(2025, 1, 1), date(2025, 3, 31)) == [
        date(2025, 2, 15),
        date(2025, 3, 15),
    ]


def test_start_and_end_dates_bound_the_schedule():
    schedule = weekly("135", start=date(2025, 3, 5), end=date(2025, 3, 12))
    days = schedule_dates(schedule, date(2025, 3, 1), date(2025, 3, 31))
    assert days == [date(2025, 3, 5), date(2025, 3, 7), date(2025, 3, 10), date(2025, 3, 12)]
    assert schedule_dates(schedule, date(2025, 4, 1), date(2025, 4, 30)) == []


def test_cut_off_is_lima_midnight_lead_days_before():
    # Lima is UTC-5 all year: 00:00 in Lima is 05:00 UTC.
    assert cutoff_at(date(2025, 3, 11), 2) == datetime(2025, 3, 9, 5, 0, tzinfo=UTC)
    assert cutoff_at(date(2025, 3, 11), 0) == datetime(2025, 3, 11, 0, 0, tzinfo=LIMA)


def test_earliest_start_leaves_the_lead_time_after_lima_midnight():
    # 23:30 in Lima on the 9th is already the 10th in UTC; it is still the 9th for us.
    late = datetime(2025, 3, 9, 23, 30, tzinfo=LIMA)
    assert late.astimezone(UTC).date() == date(2025, 3, 10)
    assert earliest_start(2, late) == date(2025, 3, 12)
    assert cutoff_at(earliest_start(2, late), 2) > late


def test_descriptions(app):
    with app.test_request_context():
        assert describe_schedule(weekly("25")) == "cada semana: martes y viernes"
        assert describe_schedule(weekly("2", every=2)) == "cada 2 semanas: martes"
        monthly = Schedule("monthly", "", 1, 31, date(2025, 1, 1))
        assert describe_schedule(monthly) == "el día 31 de cada mes (o el último día del mes)"
