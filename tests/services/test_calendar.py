"""Peru's calendar: national holidays by date against the law, closures, working-day lead time.

The official list is written here from the law (D. Leg. 713, art. 6, as amended by Leyes
31381, 31530 and 31788; Ley 31822 for 23 July) and Easter is computed with the Gregorian
algorithm, so the package's list is checked against something it did not produce.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import force_locale

from marketplace.extensions import db
from marketplace.formatting import LIMA, lima_today
from marketplace.models import AssociationClosure
from marketplace.services import DomainError, delivery
from marketplace.services import calendar as cal
from marketplace.types import utcnow
from tests.factories import (
    AssociationFactory,
    BuyerUserFactory,
    DeliveryRuleFactory,
    PromoterFactory,
    StaffFactory,
)

FIXED = [(1, 1), (5, 1), (6, 7), (6, 29), (7, 23), (7, 28), (7, 29), (8, 6), (8, 30), (10, 8)]
FIXED += [(11, 1), (12, 8), (12, 9), (12, 25)]


def easter_sunday(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def official(year: int) -> set[date]:
    """Art. 6 of D. Leg. 713 as in force, plus 23 July (Ley 31822)."""
    easter = easter_sunday(year)
    holy = {easter - timedelta(days=3), easter - timedelta(days=2)}
    return {date(year, m, d) for m, d in FIXED} | holy


def closed_by_law(day: date) -> bool:
    """What the calendar closes nationally: the law's days and Easter Sunday (a Sunday)."""
    return day in official(day.year) or day == easter_sunday(day.year)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize("year", [2025, 2026, 2027, 2028])
def test_the_package_lists_the_days_of_the_law_for_the_years_we_ship(year):
    listed = set(cal.national_holidays(date(year, 1, 1), date(year, 12, 31)))
    # The one difference: the package also lists Easter Sunday, which art. 6 does not.
    assert listed - official(year) == {easter_sunday(year)}
    assert official(year) <= listed
    assert len(listed) == 17


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 12, 25), "Navidad del Señor"),
        (date(2027, 1, 1), "Año Nuevo"),
        (date(2027, 7, 28), "Día de la Independencia"),
        (date(2027, 7, 29), "Día de la Gran Parada Militar"),
        (date(2027, 12, 8), "Inmaculada Concepción"),
        (date(2026, 6, 7), "Batalla de Arica y Día de la Bandera"),
        (date(2026, 7, 23), "Día de la Fuerza Aérea del Perú"),
        (date(2026, 8, 6), "Batalla de Junín"),
        (date(2026, 12, 9), "Batalla de Ayacucho"),
        (date(2027, 3, 25), "Jueves Santo"),
        (date(2027, 3, 26), "Viernes Santo"),
        (date(2028, 4, 14), "Viernes Santo"),
        (date(2028, 10, 8), "Combate de Angamos"),
    ],
)
def test_holidays_by_date(day, name):
    assert cal.is_holiday(day)
    assert cal.holiday_name(day) == name
    assert cal.NATIONAL.is_closed(None, day)


@pytest.mark.parametrize(
    "day",
    [
        date(2027, 9, 23),  # no 23 September holiday in any law
        date(2026, 12, 24),
        date(2026, 12, 31),
        date(2028, 2, 29),
        date(2026, 6, 24),  # Inti Raymi is Cusco's, not national: an association closes it
        date(2027, 7, 27),
    ],
)
def test_ordinary_days_are_working_days(day):
    assert not cal.is_holiday(day)
    assert cal.NATIONAL.is_working_day(None, day)


def test_holiday_names_follow_the_reader():
    with force_locale("en"):
        assert cal.holiday_name(date(2027, 7, 28)) == "Independence Day"
    with force_locale("qu"):
        assert cal.holiday_name(date(2027, 7, 28)) == "Día de la Independencia"


def test_cut_off_counts_working_days_across_holidays():
    # Friday 30 July 2027: the 29th and 28th are holidays, so two working days back is the 26th.
    assert cal.NATIONAL.cutoff_day(None, date(2027, 7, 30), 2) == date(2027, 7, 26)
    assert cal.NATIONAL.cutoff(None, date(2027, 7, 30), 2) == datetime(2027, 7, 26, 5, tzinfo=UTC)
    # Saturday 26 December 2026 with one day: Christmas does not count, the 24th does.
    assert cal.NATIONAL.cutoff_day(None, date(2026, 12, 26), 1) == date(2026, 12, 24)
    assert cal.NATIONAL.cutoff_day(None, date(2026, 12, 26), 0) == date(2026, 12, 26)
    assert cal.NATIONAL.working_days_between(None, date(2027, 7, 26), date(2027, 7, 30)) == 3


def closure(association_id, start, end, reason="Fiesta patronal", known=None):
    return AssociationClosure(
        association_id=association_id,
        start_date=start,
        end_date=end,
        reason=reason,
        dates_set_at=known or datetime(2020, 1, 1, tzinfo=UTC),
    )


def test_a_closure_closes_its_association_only_and_lengthens_its_lead_time():
    carnival = closure(7, date(2028, 2, 28), date(2028, 3, 1), "Carnaval")
    calendar = cal.WorkCalendar([carnival])
    assert calendar.is_closed(7, date(2028, 2, 29))
    assert calendar.closed_reason(7, date(2028, 2, 29)) == "Carnaval"
    assert not calendar.is_closed(8, date(2028, 2, 29))
    # Thursday 2 March with two days: 1 March, 29 and 28 February are closed, so Sunday 27
    # and Saturday 26 are the two working days; the other association closes on the 29th.
    assert calendar.cutoff_day(7, date(2028, 3, 2), 2) == date(2028, 2, 26)
    assert calendar.cutoff_day(8, date(2028, 3, 2), 2) == date(2028, 2, 29)
    assert calendar.previous_working_day(7, date(2028, 3, 2)) == date(2028, 2, 27)
    spans = calendar.spans(7, date(2028, 2, 20), date(2028, 3, 10))
    assert [(s.start, s.end, s.reason, s.kind) for s in spans] == [
        (date(2028, 2, 28), date(2028, 3, 1), "Carnaval", cal.CLOSURE)
    ]


@pytest.mark.calendar
def test_offered_dates_skip_closed_days_and_lead_counts_working_days(app):
    """At whatever date the clock says: compared with a count made day by day here."""
    rule = DeliveryRuleFactory(city="cusco", weekdays="1234567", lead_days=2)
    today = lima_today()
    start, end = today + timedelta(days=3), today + timedelta(days=5)
    db.session.add(closure(rule.association_id, start, end, "Corte de carretera"))
    db.session.flush()

    def closed(day):
        return closed_by_law(day) or start <= day <= end

    expected = []
    for n in range(60):
        day = today + timedelta(days=n)
        working_before = sum(1 for k in range(n) if not closed(today + timedelta(days=k)))
        if not closed(day) and working_before >= 2:
            expected.append(day)
    offered = delivery.offered_dates(db.session, rule.association_id, "cusco")
    assert offered == [d for d in expected if d < offered[-1] + timedelta(days=1)]
    assert offered[0] == expected[0]
    assert not any(start <= d <= end for d in offered)


@time_machine.travel(datetime(2026, 12, 22, 10, tzinfo=LIMA), tick=False)
def test_christmas_and_new_year_are_never_offered(app):
    rule = DeliveryRuleFactory(city="cusco", weekdays="12345", lead_days=2)
    db.session.flush()
    offered = delivery.offered_dates(db.session, rule.association_id, "cusco")
    # Tuesday 22nd and Wednesday 23rd are the two working days: Thursday 24th is the first.
    assert offered[:4] == [date(2026, 12, 24), date(2026, 12, 28), date(2026, 12, 29)] + [
        date(2026, 12, 30)
    ]
    assert date(2026, 12, 25) not in offered and date(2027, 1, 1) not in offered
    with pytest.raises(DomainError) as refused:
        delivery.check_delivery_date(
            db.session, rule.association_id, "cusco", date(2027, 1, 1), field="date_1"
        )
    assert refused.value.field == "date_1"
    assert "Año Nuevo" in str(refused.value.message)


@time_machine.travel(datetime(2026, 12, 23, 23, 30, tzinfo=LIMA), tick=False)
def test_lead_time_across_christmas_at_23_30_lima(app):
    """23:30 on the 23rd in Lima is the 24th in UTC: today is still the 23rd."""
    rule = DeliveryRuleFactory(city="cusco", weekdays="1234567", lead_days=2)
    db.session.flush()
    offered = delivery.offered_dates(db.session, rule.association_id, "cusco")
    # The 23rd and 24th are the two working days; the 25th is closed: the 26th comes first.
    assert offered[0] == date(2026, 12, 26)


def test_calendar_of_many_associations_is_one_query(app):
    associations = [AssociationFactory() for _ in range(5)]
    for n, association in enumerate(associations):
        db.session.add(closure(association.id, date(2030, 1, 1 + n), date(2030, 1, 2 + n)))
    ids = [a.id for a in associations]
    db.session.commit()
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        calendar = cal.load(db.session, ids, since=date(2029, 1, 1))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    assert all(calendar.is_closed(aid, date(2030, 1, 2 + n)) for n, aid in enumerate(ids))


# Closures: who may set them and what is refused ---------------------------------------------


@pytest.fixture
def place(app):
    association = AssociationFactory()
    promoter = PromoterFactory(association=association)
    db.session.flush()
    return association, promoter


def save(actor, association, start, end, reason="Qoyllur Rit'i", closure=None):
    return cal.save_closure(db.session, actor, association.id, start, end, reason, closure)


def refused_at(field, *args, **kwargs) -> str:
    with pytest.raises(DomainError) as caught:
        save(*args, **kwargs)
    assert caught.value.field == field
    return str(caught.value.message)


@pytest.mark.calendar
def test_promoter_and_staff_set_closures_and_bad_dates_are_named_at_their_field(place):
    association, promoter = place
    today = lima_today()
    day = today + timedelta(days=10)
    first = save(promoter, association, day, day + timedelta(days=3))
    assert (first.created_by_id, first.days) == (promoter.id, 4)
    save(StaffFactory(), association, day + timedelta(days=4), day + timedelta(days=4), "Asamblea")

    assert "antes del primero" in refused_at(
        "end_date", promoter, association, day, day - timedelta(days=1)
    )
    assert "antes de hoy" in refused_at(
        "start_date", promoter, association, today - timedelta(days=1), today
    )
    overlap = refused_at(
        "start_date", promoter, association, day + timedelta(days=2), day + timedelta(days=20)
    )
    assert "Qoyllur Rit'i" in overlap
    assert "120" in refused_at(
        "end_date", promoter, association, day + timedelta(days=30), day + timedelta(days=150)
    )
    far = today + timedelta(days=cal.MAX_AHEAD_DAYS + 1)
    refused_at("start_date", promoter, association, far, far)
    later = day + timedelta(days=40)
    refused_at("reason", promoter, association, later, later, reason="   ")
    refused_at("reason", promoter, association, later, later, reason="x" * 201)
    refused_at("start_date", promoter, association, None, day)
    refused_at("end_date", promoter, association, day, None)
    # One day long, starting today, right after nothing: fine.
    assert save(promoter, association, today, today).days == 1


@pytest.mark.calendar
def test_only_the_associations_promoter_or_staff_may_change_its_closures(place):
    association, _promoter = place
    day = lima_today() + timedelta(days=5)
    other_promoter = PromoterFactory(association=AssociationFactory())
    for actor in (other_promoter, BuyerUserFactory()):
        with pytest.raises(DomainError):
            save(actor, association, day, day)
    assert db.session.scalar(sa.select(sa.func.count(AssociationClosure.id))) == 0


def test_a_started_closure_keeps_its_start_and_an_ended_one_stays_as_history(place):
    association, promoter = place
    with time_machine.travel(datetime(2027, 1, 10, 9, tzinfo=LIMA), tick=False):
        road = save(promoter, association, date(2027, 1, 12), date(2027, 1, 20), "Huaico")
    with time_machine.travel(datetime(2027, 1, 15, 9, tzinfo=LIMA), tick=False):
        # The road stays cut longer: the start is in the past but unchanged.
        save(promoter, association, date(2027, 1, 12), date(2027, 1, 25), "Huaico", road)
        assert road.end_date == date(2027, 1, 25)
        refused_at(
            "start_date", promoter, association, date(2027, 1, 11), date(2027, 1, 25), "H", road
        )
    with time_machine.travel(datetime(2027, 2, 1, 9, tzinfo=LIMA), tick=False):
        with pytest.raises(DomainError, match="ya terminó"):
            save(promoter, association, date(2027, 2, 3), date(2027, 2, 4), "Huaico", road)
        with pytest.raises(DomainError, match="ya terminó"):
            cal.delete_closure(db.session, promoter, road)


def test_dates_set_at_moves_only_when_the_dates_change(place):
    association, promoter = place
    with time_machine.travel(datetime(2027, 5, 1, 9, tzinfo=LIMA), tick=False):
        fiesta = save(promoter, association, date(2027, 6, 1), date(2027, 6, 2))
        first = fiesta.dates_set_at
    with time_machine.travel(datetime(2027, 5, 10, 9, tzinfo=LIMA), tick=False):
        save(promoter, association, date(2027, 6, 1), date(2027, 6, 2), "Otro motivo", fiesta)
        assert fiesta.dates_set_at == first
        save(promoter, association, date(2027, 6, 1), date(2027, 6, 3), "Otro motivo", fiesta)
        assert fiesta.dates_set_at == utcnow()


def test_two_overlapping_closures_at_once_only_one_is_saved(app):
    """A promoter and staff save overlapping closures at the same moment."""
    from marketplace.database import begin_write
    from marketplace.models import User
    from tests.concurrency import raised, run_together

    association = AssociationFactory()
    actors = [PromoterFactory(association=association).id, StaffFactory().id]
    association_id = association.id
    db.session.commit()
    day = date(2031, 6, 20)

    def work(i):
        begin_write(db.session)  # as every POST request does before its view
        actor = db.session.get(User, actors[i])
        cal.save_closure(db.session, actor, association_id, day, day + timedelta(days=i + 1), "F")
        db.session.commit()

    with time_machine.travel(datetime(2031, 6, 1, 9, tzinfo=LIMA), tick=False):
        results = run_together(app, 2, work)
    errors = raised(results)
    assert len(errors) == 1 and isinstance(errors[0], DomainError)
    assert errors[0].field == "start_date"
    with db.engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(AssociationClosure.__table__))
        assert count.scalar_one() == 1
