"""The buyer's standing-order pages: create, see the coming deliveries, skip, change, pause."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from babel.dates import format_date

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import AssociationClosure, StandingOccurrence, StandingOrder
from marketplace.standing_cli import run_placement
from tests.conftest import text
from tests.factories import (
    AssociationFactory,
    DeliveryRuleFactory,
    ProductFactory,
    make_agreement,
    make_standing_order,
    ordering_world,
)

SATURDAY = datetime(2025, 3, 8, 10, 0, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(SATURDAY, tick=False):
        yield


@pytest.fixture
def w(app, auth):
    w = ordering_world(stock="100")
    db.session.commit()
    auth.login(w.buyer_user)
    return w


def test_create_a_weekly_standing_order_from_an_agreement(client, w):
    agreement = make_agreement(w.buyer, w.cheese_assoc, {w.cheese: 2500})
    db.session.commit()
    page = client.get(f"/buyer/standing-orders/new?agreement_id={agreement.id}")
    assert page.status_code == 200
    body = text(page.data)
    assert "Nuevo pedido fijo con Sumaq Ausangate" in body
    assert "S/ 25.00 / kg · precio del acuerdo" in body

    response = client.post(
        "/buyer/standing-orders/new",
        data={
            "agreement_id": agreement.id,
            f"qty_{w.cheese.id}": "5",
            "schedule_kind": "weekly",
            "weekdays": ["2"],
            "every_weeks": "1",
            "start_date": "2025-03-11",
            "address_id": w.address.id,
        },
    )
    assert response.status_code == 303
    standing = db.session.scalar(sa.select(StandingOrder))
    assert standing.agreement_id == agreement.id
    page = client.get(response.headers["Location"])
    body = text(page.data)
    assert "cada semana: martes" in body
    assert "martes, 11 de marzo de 2025" in body
    assert "Puedes cambiarla hasta el" in body


def test_create_shows_errors_at_the_fields(client, w):
    response = client.post(
        "/buyer/standing-orders/new",
        data={
            "association_id": w.cheese_assoc.id,
            f"qty_{w.cheese.id}": "5",
            "schedule_kind": "weekly",
            "weekdays": ["6"],
            "every_weeks": "1",
            "start_date": "2025-03-11",
            "address_id": w.address.id,
        },
    )
    assert response.status_code == 422
    assert "La asociación entrega en tu ciudad: lunes, martes" in text(response.data)


def test_pick_page_lists_agreements_and_associations(client, w):
    make_agreement(w.buyer, w.cheese_assoc, {w.cheese: 2500})
    db.session.commit()
    body = text(client.get("/buyer/standing-orders/new").data)
    assert "Desde un acuerdo vigente" in body and "Huaroq Sara" in body


def test_skip_with_htmx_swaps_only_that_delivery(client, w):
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    response = client.post(
        f"/buyer/standing-orders/{standing.id}/deliveries/2025-03-11/skip",
        data={"skip": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = text(response.data)
    assert "Saltada" in body and "Recibir esta entrega" in body
    assert "<html" not in response.get_data(as_text=True)
    occurrence = db.session.scalar(sa.select(StandingOccurrence))
    assert occurrence.skipped and occurrence.delivery_date == date(2025, 3, 11)
    # Without JavaScript: a redirect back to the list of deliveries.
    response = client.post(
        f"/buyer/standing-orders/{standing.id}/deliveries/2025-03-11/skip", data={"skip": "0"}
    )
    assert response.status_code == 303
    db.session.refresh(occurrence)
    assert not occurrence.skipped


def test_change_one_delivery_and_add_a_line(client, w):
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    url = f"/buyer/standing-orders/{standing.id}/deliveries/2025-03-14"
    assert "Cambia solo esta entrega" in text(client.get(url).data)
    from tests.factories import ProductFactory, add_stock

    other = ProductFactory(association=w.cheese_assoc, name="Queso paria")
    add_stock(other, "5")
    db.session.commit()
    response = client.post(
        url, data={f"qty_{w.cheese.id}": "2", "add_product_id": other.id, "add_quantity": "1"}
    )
    assert response.status_code == 303
    body = text(client.get(f"/buyer/standing-orders/{standing.id}").data)
    assert "cambiado (normal: 4)" in body and "solo esta vez" in body


def test_change_after_the_cut_off_is_refused_with_the_reason(client, w):
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    with time_machine.travel(datetime(2025, 3, 10, 9, tzinfo=LIMA), tick=False):
        url = f"/buyer/standing-orders/{standing.id}/deliveries/2025-03-11"
        assert "ya no se puede cambiar" in text(client.get(url).data)
        response = client.post(url, data={f"qty_{w.cheese.id}": "9"})
        assert response.status_code == 409
        assert "terminó el" in text(response.data)


def test_pause_resume_cancel_and_history(client, w):
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    monday = time_machine.travel(datetime(2025, 3, 10, 9, tzinfo=LIMA), tick=False)
    monday.start()  # the session cookie is signed "now": stay on Monday from here on
    run_placement(db.session)
    body = text(client.get(f"/buyer/standing-orders/{standing.id}").data)
    assert "Entregas pedidas" in body and "Q-00001" in body

    base = f"/buyer/standing-orders/{standing.id}"
    assert client.post(f"{base}/pause", data={"until": "2025-04-01"}).status_code == 303
    body = text(client.get(base).data)
    assert "En pausa hasta" in body
    assert client.post(f"{base}/resume").status_code == 303
    assert client.post(f"{base}/cancel").status_code == 303
    db.session.refresh(standing)
    assert standing.status == "cancelled"
    assert "Cancelado" in text(client.get("/buyer/standing-orders").data)
    monday.stop()


def test_edit_changes_lines_and_schedule(client, w):
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    url = f"/buyer/standing-orders/{standing.id}/edit"
    assert "Cambiar PF-0001" in text(client.get(url).data)
    response = client.post(
        url,
        data={
            f"qty_{w.cheese.id}": "7",
            "schedule_kind": "monthly",
            "month_day": "31",
            "every_weeks": "1",
            "start_date": standing.start_date.isoformat(),
            "address_id": w.address.id,
        },
    )
    assert response.status_code == 303
    db.session.refresh(standing)
    assert standing.schedule_kind == "monthly" and standing.month_day == 31
    assert standing.lines[0].quantity == Decimal("7")
    body = text(client.get(f"/buyer/standing-orders/{standing.id}").data)
    assert "lunes, 31 de marzo de 2025" in body


def test_another_buyers_standing_order_is_not_found(client, w, auth):
    standing = make_standing_order(w.other_buyer_user, w.other_address, [(w.cheese, 4)])
    db.session.commit()
    assert client.get(f"/buyer/standing-orders/{standing.id}").status_code == 404
    assert "PF-" not in text(client.get("/buyer/standing-orders").data)


def long_date(day: date) -> str:
    return format_date(day, format="long", locale="es")


def first_possible(today: date, weekdays: str, lead_days: int, closed=()) -> date:
    """The first delivery weekday after `today` whose cut-off (lead_days before) is still
    ahead of the clock and that is not closed (no holiday falls in these weeks)."""
    day = today + timedelta(days=1)
    while not (
        str(day.isoweekday()) in weekdays
        and day - timedelta(days=lead_days) > today
        and day not in closed
    ):
        day += timedelta(days=1)
    return day


@pytest.fixture
def demo_rules(w):
    """The demo's days: Cusco on Tuesday and Friday, Lima on Thursday."""
    assoc = AssociationFactory(name="Tejidos Chinchero")
    DeliveryRuleFactory(association=assoc, city="cusco", weekdays="25", lead_days=2)
    DeliveryRuleFactory(association=assoc, city="lima", weekdays="4", lead_days=2)
    ProductFactory(association=assoc, name="Manta de alpaca", price_cents=12000)
    db.session.commit()
    return assoc


def test_the_first_possible_delivery_is_a_delivery_day_of_each_city(client, demo_rules):
    today = SATURDAY.date()
    cusco = first_possible(today, "25", 2)
    lima = first_possible(today, "4", 2)
    assert (cusco.isoweekday(), lima.isoweekday()) == (2, 4)
    body = text(client.get(f"/buyer/standing-orders/new?association_id={demo_rules.id}").data)
    cusco_hint = "Entrega en Cusco: martes, viernes; necesita 2 días; primera entrega posible"
    assert f"{cusco_hint}: {long_date(cusco)}." in body
    assert (
        f"Entrega en Lima: jueves; necesita 2 días; primera entrega posible: {long_date(lima)}."
        in body
    )


def test_a_closure_moves_the_first_possible_delivery(client, demo_rules):
    today = SATURDAY.date()
    closed = first_possible(today, "25", 2)
    db.session.add(
        AssociationClosure(
            association_id=demo_rules.id, start_date=closed, end_date=closed, reason="Fiesta"
        )
    )
    db.session.commit()
    expected = first_possible(today, "25", 2, closed={closed})
    assert expected.isoweekday() == 5
    body = text(client.get(f"/buyer/standing-orders/new?association_id={demo_rules.id}").data)
    cusco_hint = "Entrega en Cusco: martes, viernes; necesita 2 días; primera entrega posible"
    assert f"{cusco_hint}: {long_date(expected)}." in body


def test_only_the_associations_delivery_days_are_offered(client, demo_rules):
    html = client.get(f"/buyer/standing-orders/new?association_id={demo_rules.id}").get_data(
        as_text=True
    )
    offered = re.findall(r'name="weekdays" type="checkbox" value="(\d)"', html)
    assert offered == ["2", "4", "5"]


def test_weekly_and_monthly_fields_show_one_at_a_time_without_script(client, demo_rules):
    html = client.get(f"/buyer/standing-orders/new?association_id={demo_rules.id}").get_data(
        as_text=True
    )
    kind = html[html.index('<fieldset class="schedule-kind">') :]
    weekly, monthly = kind.index('class="schedule-weekly"'), kind.index('class="schedule-monthly"')
    radios = [m.start() for m in re.finditer(r'class="schedule-choice"', kind)]
    assert len(radios) == 2 and max(radios) < weekly < monthly  # radios are the groups' siblings
    assert kind.index('name="weekdays"') < monthly < kind.index('name="month_day"')
    css = client.get("/static/css/standing-form.css").get_data(as_text=True)
    assert '.schedule-choice[value="weekly"]:checked ~ .schedule-monthly' in css
    assert '.schedule-choice[value="monthly"]:checked ~ .schedule-weekly' in css
    assert "css/standing-form.css" in html
