"""Closures through the pages: the promoter's and staff's forms (with and without htmx), who
may touch which closure, and what buyers see where they choose dates."""

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import AssociationClosure, DeliveryRule, Order
from tests.conftest import text
from tests.factories import (
    AssociationFactory,
    PromoterFactory,
    StaffFactory,
    make_standing_order,
    ordering_world,
)

HTMX = {"HX-Request": "true"}
MONDAY = datetime(2026, 6, 15, 10, tzinfo=LIMA)  # Inti Raymi week in Cusco


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app):
    world = ordering_world()
    world.staff = StaffFactory(email="equipo@example.pe")
    db.session.commit()
    return world


def closures_in_db(association_id=None) -> list[tuple]:
    """Closures as committed, read through a session of their own."""
    with Session(db.engine) as fresh:
        query = sa.select(
            AssociationClosure.association_id,
            AssociationClosure.start_date,
            AssociationClosure.end_date,
            AssociationClosure.reason,
        ).order_by(AssociationClosure.id)
        if association_id is not None:
            query = query.where(AssociationClosure.association_id == association_id)
        return [tuple(row) for row in fresh.execute(query)]


def inti_raymi(w, association=None) -> AssociationClosure:
    closure = AssociationClosure(
        association_id=(association or w.cheese_assoc).id,
        start_date=date(2026, 6, 23),
        end_date=date(2026, 6, 24),
        reason="Inti Raymi: la comunidad baja al Cusco",
    )
    db.session.add(closure)
    db.session.commit()
    return closure


def field_error(html: str, field: str) -> str:
    """The error paragraph tied to a field (aria-describedby -> id)."""
    found = re.search(rf'<p class="error" id="{field}-err">(.*?)</p>', html, re.S)
    assert found, f"no error at {field}"
    return found.group(1)


# The promoter --------------------------------------------------------------------------------


def test_promoter_adds_a_closure_and_buyers_lose_those_days(client, auth, w):
    auth.login(w.promoter)
    page = client.get("/producer/closures")
    assert page.status_code == 200
    assert "Agregar un cierre" in text(page.data)
    response = client.post(
        "/producer/closures",
        data={"start_date": "2026-06-23", "end_date": "2026-06-24", "reason": "  Inti Raymi  "},
    )
    assert response.status_code == 303
    assert closures_in_db() == [
        (w.cheese_assoc.id, date(2026, 6, 23), date(2026, 6, 24), "Inti Raymi")
    ]
    listed = text(client.get(response.headers["Location"]).data)
    assert "Del 23 de junio de 2026 al 24 de junio de 2026" in listed
    assert "Inti Raymi" in listed
    assert "2 días sin entregas" in listed


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"start_date": "2026-06-24", "end_date": "2026-06-23"}, "end_date", "antes del primero"),
        ({"start_date": "2026-06-14", "end_date": "2026-06-20"}, "start_date", "antes de hoy"),
        ({"start_date": "2026-06-20", "end_date": "2026-12-31"}, "end_date", "120 días"),
        ({"start_date": "2026-13-40", "end_date": "2026-06-20"}, "start_date", "año-mes-día"),
        ({"start_date": "", "end_date": "2026-06-20"}, "start_date", "primer día"),
        ({"start_date": "2026-06-20", "end_date": "2026-06-20", "reason": ""}, "reason", "por qué"),
    ],
)
def test_bad_closures_are_refused_at_their_field(client, auth, w, data, field, message):
    auth.login(w.promoter)
    response = client.post("/producer/closures", data={"reason": "Fiesta", **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_error(html, field)
    assert 'aria-invalid="true"' in html
    assert closures_in_db() == []


def test_an_overlapping_closure_names_the_one_it_crosses(client, auth, w):
    inti_raymi(w)
    auth.login(w.promoter)
    response = client.post(
        "/producer/closures",
        data={"start_date": "2026-06-24", "end_date": "2026-06-26", "reason": "Otra fiesta"},
    )
    assert response.status_code == 422
    assert "Inti Raymi" in field_error(response.get_data(as_text=True), "start_date")
    assert len(closures_in_db()) == 1


def test_htmx_gets_the_section_back_with_the_message_or_the_errors(client, auth, w):
    auth.login(w.promoter)
    ok = client.post(
        "/producer/closures",
        data={"start_date": "2026-06-23", "end_date": "2026-06-23", "reason": "Inti Raymi"},
        headers=HTMX,
    )
    assert ok.status_code == 200
    html = ok.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="closures"')
    assert "<html" not in html
    assert "no se ofrecerán entregas del 23 de junio de 2026" in text(html)
    assert "HX-Request" in ok.headers.get("Vary", "")
    bad = client.post(
        "/producer/closures",
        data={"start_date": "2026-06-23", "end_date": "2026-06-22", "reason": "x"},
        headers=HTMX,
    )
    assert bad.status_code == 422
    assert "antes del primero" in field_error(bad.get_data(as_text=True), "end_date")
    assert len(closures_in_db()) == 1


def test_promoter_edits_and_deletes_its_closure(client, auth, w):
    closure = inti_raymi(w)
    auth.login(w.promoter)
    form = client.get(f"/producer/closures/{closure.id}")
    assert 'value="2026-06-23"' in form.get_data(as_text=True)
    response = client.post(
        f"/producer/closures/{closure.id}",
        data={"start_date": "2026-06-23", "end_date": "2026-06-25", "reason": "Inti Raymi"},
    )
    assert response.status_code == 303
    assert closures_in_db()[0][2] == date(2026, 6, 25)
    removed = client.post(f"/producer/closures/{closure.id}/delete", headers=HTMX)
    assert removed.status_code == 200
    assert "vuelven a ofrecerse" in text(removed.data)
    assert closures_in_db() == []


def test_another_associations_closure_is_a_404_and_stays(client, auth, w):
    theirs = inti_raymi(w, association=w.maize_assoc)
    auth.login(w.promoter)
    assert client.get(f"/producer/closures/{theirs.id}").status_code == 404
    data = {"start_date": "2026-06-23", "end_date": "2026-06-30", "reason": "Mío"}
    assert client.post(f"/producer/closures/{theirs.id}", data=data).status_code == 404
    assert client.post(f"/producer/closures/{theirs.id}/delete").status_code == 404
    assert closures_in_db() == [
        (w.maize_assoc.id, date(2026, 6, 23), date(2026, 6, 24), theirs.reason)
    ]
    assert theirs.reason not in text(client.get("/producer/closures").data)


def test_orders_already_placed_for_the_closed_days_are_pointed_out(client, auth, w):
    from tests.factories import place_order

    [order] = place_order(w.buyer_user, w.address, [(w.cheese, 2)], when=date(2026, 6, 23))
    db.session.commit()
    auth.login(w.promoter)
    response = client.post(
        "/producer/closures",
        data={"start_date": "2026-06-23", "end_date": "2026-06-23", "reason": "Inti Raymi"},
    )
    page = text(client.get(response.headers["Location"]).data)
    assert "Ya hay 1 pedido para esos días" in page
    assert order.number in page


# Staff ---------------------------------------------------------------------------------------


def test_staff_set_a_closure_from_the_association_page(client, auth, w):
    auth.login(w.staff)
    page = text(client.get(f"/staff/associations/{w.maize_assoc.id}").data)
    assert "Días sin entregas" in page
    url = f"/staff/associations/{w.maize_assoc.id}/closures"
    response = client.post(
        url, data={"start_date": "2026-07-01", "end_date": "2026-07-10", "reason": "Huaico"}
    )
    assert response.status_code == 303
    assert closures_in_db(w.maize_assoc.id) == [
        (w.maize_assoc.id, date(2026, 7, 1), date(2026, 7, 10), "Huaico")
    ]
    assert "Huaico" in text(client.get(f"/staff/associations/{w.maize_assoc.id}").data)


def test_staff_cannot_reach_a_closure_through_another_association(client, auth, w):
    theirs = inti_raymi(w, association=w.maize_assoc)
    auth.login(w.staff)
    base = f"/staff/associations/{w.cheese_assoc.id}/closures/{theirs.id}"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/delete").status_code == 404
    assert len(closures_in_db()) == 1


def test_a_promoter_of_another_association_never_reaches_staff_pages(client, auth, w):
    other = PromoterFactory(association=AssociationFactory())
    db.session.commit()
    auth.login(other)
    assert client.get(f"/staff/associations/{w.cheese_assoc.id}/closures").status_code == 403


class TestCSRF:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_closure_without_the_token_is_refused(self, client, w):
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text
        ).group(1)
        client.post(
            "/login",
            data={
                "email": w.promoter.email,
                "password": "correct horse battery",
                "csrf_token": token,
            },
        )
        data = {"start_date": "2026-06-23", "end_date": "2026-06-23", "reason": "Inti Raymi"}
        assert client.post("/producer/closures", data=data).status_code == 400
        assert closures_in_db() == []
        page = client.get("/producer/closures").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert (
            client.post("/producer/closures", data={**data, "csrf_token": token}).status_code == 303
        )
        assert len(closures_in_db()) == 1


# What buyers see ------------------------------------------------------------------------------


def test_the_cart_hides_closed_days_and_says_why(client, auth, w):
    inti_raymi(w)
    auth.login(w.buyer_user)
    client.post("/buyer/cart/items", data={"product_id": w.cheese.id, "quantity": "2"})
    html = client.get("/buyer/cart").get_data(as_text=True)
    options = re.search(
        rf'<select[^>]*name="date_{w.cheese_assoc.id}"[^>]*>(.*?)</select>', html, re.S
    )
    assert "2026-06-23" not in options.group(1) and "2026-06-24" not in options.group(1)
    assert "2026-06-22" in options.group(1)
    body = text(html)
    assert "Inti Raymi: la comunidad baja al Cusco" in body
    assert "Batalla de Arica" not in body  # 7 June has passed
    assert "San Pedro y San Pablo" in body  # 29 June, a national holiday ahead


def test_checkout_on_a_closed_day_is_refused_at_the_date(client, auth, w):
    inti_raymi(w)
    auth.login(w.buyer_user)
    client.post("/buyer/cart/items", data={"product_id": w.cheese.id, "quantity": "2"})
    html = client.get("/buyer/cart").get_data(as_text=True)
    data = dict(
        re.findall(r'name="(checkout_token|fingerprint)" type="hidden" value="([^"]*)"', html)
    )
    data[f"date_{w.cheese_assoc.id}"] = "2026-06-24"
    data[f"address_{w.cheese_assoc.id}"] = str(w.address.id)
    response = client.post("/buyer/checkout", data=data)
    assert response.status_code == 422
    assert "Inti Raymi" in text(response.data)
    with Session(db.engine) as fresh:
        assert fresh.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_the_public_page_shows_the_closures_with_their_reason(client, w):
    inti_raymi(w)
    page = text(client.get(f"/asociaciones/{w.cheese_assoc.slug}").data)
    assert "Días sin entregas" in page
    assert "del 23 de junio de 2026 al 24 de junio de 2026: Inti Raymi" in page


def test_standing_order_pages_show_the_moved_delivery(client, auth, w):
    rule = db.session.scalar(
        sa.select(DeliveryRule).where(DeliveryRule.association_id == w.cheese_assoc.id)
    )
    rule.weekdays = "25"
    inti_raymi(w)  # closes Tuesday 23 (and Wednesday 24)
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)], weekdays="2")
    db.session.commit()
    auth.login(w.buyer_user)
    page = text(client.get(f"/buyer/standing-orders/{standing.id}").data)
    assert "viernes, 19 de junio de 2026 Adelantada" in page
    assert "Adelantada del martes, 23 de junio de 2026" in page
    assert "Inti Raymi: la comunidad baja al Cusco" in page
    delivery = text(client.get(f"/buyer/standing-orders/{standing.id}/deliveries/2026-06-23").data)
    assert "Entrega del viernes, 19 de junio de 2026" in delivery
    assert "Cambia solo esta entrega" in delivery


@pytest.mark.calendar
def test_page_queries_do_not_grow_with_closures(client, auth, w):
    """The cart and the standing order's page read all closures in one query."""
    from tests.web.test_public import counted_queries

    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    auth.login(w.buyer_user)
    client.post("/buyer/cart/items", data={"product_id": w.cheese.id, "quantity": "2"})
    client.post("/buyer/cart/items", data={"product_id": w.maize.id, "quantity": "2"})
    urls = ["/buyer/cart", f"/buyer/standing-orders/{standing.id}", "/buyer/standing-orders"]
    association_ids = [w.cheese_assoc.id, w.maize_assoc.id]

    def counts():
        result = {}
        for url in urls:
            db.session.remove()
            with counted_queries() as statements:
                assert client.get(url).status_code == 200
            result[url] = len(statements)
        return result

    before = counts()
    start = date(2026, 6, 16)
    for n in range(6):
        for association_id in association_ids:
            db.session.add(
                AssociationClosure(
                    association_id=association_id,
                    start_date=start + timedelta(days=3 * n),
                    end_date=start + timedelta(days=3 * n + 1),
                    reason=f"Cierre {n}",
                )
            )
    db.session.commit()
    assert counts() == before
