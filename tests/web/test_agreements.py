"""Agreement pages for staff, buyer and promoter, and the promoter's demand ahead."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import Agreement
from tests.conftest import text
from tests.factories import (
    StaffFactory,
    make_agreement,
    make_standing_order,
    ordering_world,
    place_order,
)

TODAY = datetime(2025, 3, 8, 10, 0, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def w(app):
    w = ordering_world(stock="30")
    w.staff = StaffFactory(email="equipo@qhatu.pe")
    db.session.commit()
    return w


def test_staff_drafts_and_proposes_then_both_sides_accept(client, auth, w):
    auth.login(w.staff)
    pick = client.get("/staff/agreements/new")
    assert "Comprador" in text(pick.data)
    url = f"/staff/agreements/new?buyer_id={w.buyer.id}&association_id={w.cheese_assoc.id}"
    assert "Precios acordados" in text(client.get(url).data)
    response = client.post(
        "/staff/agreements/new",
        data={
            "buyer_id": w.buyer.id,
            "association_id": w.cheese_assoc.id,
            "start_date": "2025-03-01",
            "end_date": "2026-02-28",
            "committed_kg_per_month": "80",
            "delivery_frequency": "weekly",
            "payment_terms_days": "15",
            f"price_{w.cheese.id}": "25.50",
            "flavour_standard": "Sal 1.5 %",
            "visits": "Una visita a Ocongate por trimestre",
        },
    )
    assert response.status_code == 303
    agreement = db.session.scalar(sa.select(Agreement))
    assert agreement.prices[0].price_cents == 2550
    detail = text(client.get(f"/staff/agreements/{agreement.id}").data)
    assert "Borrador" in detail and "Una visita a Ocongate por trimestre" in detail
    assert client.post(f"/staff/agreements/{agreement.id}/propose").status_code == 303
    auth.logout()

    auth.login(w.buyer_user)
    listing = text(client.get("/buyer/agreements").data)
    assert "espera tu respuesta" in listing
    assert "Aceptar el acuerdo" in text(client.get(f"/buyer/agreements/{agreement.id}").data)
    client.post(f"/buyer/agreements/{agreement.id}/accept")
    assert "Falta la aceptación de la asociación" in text(
        client.get(f"/buyer/agreements/{agreement.id}").data
    )
    auth.logout()

    auth.login(w.promoter)
    client.post(f"/producer/agreements/{agreement.id}/accept")
    body = text(client.get(f"/producer/agreements/{agreement.id}").data)
    assert "Vigente" in body and "Aceptado por la asociación" in body
    db.session.refresh(agreement)
    assert agreement.status == "active"


def test_staff_edit_validation_and_actions(client, auth, w):
    agreement = make_agreement(w.buyer, w.cheese_assoc, {w.cheese: 2500}, status="draft")
    db.session.commit()
    auth.login(w.staff)
    url = f"/staff/agreements/{agreement.id}/edit"
    assert "Guardar borrador" in text(client.get(url).data)
    response = client.post(
        url,
        data={
            "start_date": "2025-03-01",
            "end_date": "2025-01-01",
            "committed_kg_per_month": "80",
            "delivery_frequency": "weekly",
            "payment_terms_days": "0",
        },
    )
    assert response.status_code == 422
    assert "El fin no puede ser antes del inicio" in text(response.data)
    response = client.post(f"/staff/agreements/{agreement.id}/pause", follow_redirects=True)
    assert "Indica el motivo" in text(response.data)
    response = client.post(
        f"/staff/agreements/{agreement.id}/pause", data={"reason": "Lluvias"}, follow_redirects=True
    )
    assert "no puede pasar a en pausa" in text(response.data)
    response = client.post(
        f"/staff/agreements/{agreement.id}/end", data={"reason": "No se concretó"}
    )
    assert response.status_code == 303
    listing = text(client.get("/staff/agreements?status=ended").data)
    assert agreement.number in listing
    assert client.post(f"/staff/agreements/{agreement.id}/explode").status_code == 404


def test_buyer_declines_with_a_reason(client, auth, w):
    agreement = make_agreement(
        w.buyer,
        w.cheese_assoc,
        {w.cheese: 2500},
        status="proposed",
        buyer_accepted_at=None,
        association_accepted_at=None,
    )
    db.session.commit()
    auth.login(w.buyer_user)
    response = client.post(f"/buyer/agreements/{agreement.id}/decline", data={"reason": ""})
    assert response.status_code == 422
    response = client.post(
        f"/buyer/agreements/{agreement.id}/decline", data={"reason": "Pago a 30 días"}
    )
    assert response.status_code == 303
    db.session.refresh(agreement)
    assert agreement.status == "draft"
    assert client.get(f"/buyer/agreements/{agreement.id}").status_code == 404  # drafts hidden


def test_everyone_sees_committed_against_delivered_month_by_month(client, auth, w):
    agreement = make_agreement(
        w.buyer, w.cheese_assoc, {w.cheese: 2500}, start_date=date(2025, 2, 1)
    )
    place_order(w.buyer_user, w.address, [(w.cheese, 6)])
    db.session.commit()
    for user, url in (
        (w.buyer_user, f"/buyer/agreements/{agreement.id}"),
        (w.promoter, f"/producer/agreements/{agreement.id}"),
        (w.staff, f"/staff/agreements/{agreement.id}"),
    ):
        auth.login(user)
        body = text(client.get(url).data)
        assert "Mes a mes: comprometido, pedido y entregado" in body
        assert "febrero 2025" in body and "marzo 2025" in body
        assert "S/ 150.00" in body  # 6 kg at the agreed S/ 25.00
        auth.logout()


def test_another_association_or_buyer_gets_404(client, auth, w):
    agreement = make_agreement(w.buyer, w.cheese_assoc, {w.cheese: 2500})
    db.session.commit()
    auth.login(w.maize_promoter)
    assert client.get(f"/producer/agreements/{agreement.id}").status_code == 404
    assert agreement.number not in text(client.get("/producer/agreements").data)
    auth.logout()
    auth.login(w.other_buyer_user)
    assert client.get(f"/buyer/agreements/{agreement.id}").status_code == 404


def test_demand_ahead_highlights_short_weeks(client, auth, w):
    # 30 kg in stock; 8 kg a week (Tuesdays and Fridays): short in the fourth week.
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    auth.login(w.promoter)
    page = client.get("/producer/demand")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    body = text(html)
    assert "Semana del 10 mar" in body
    assert 'class="num short"' in html
    assert "faltan 2" in body  # 4 + 8 + 8 + 8 + 8 = 36 > 30 in the week of 31 March
    assert standing.number in body


def test_staff_sees_every_standing_order(client, auth, w):
    make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    make_standing_order(w.other_buyer_user, w.other_address, [(w.maize, 10)])
    db.session.commit()
    auth.login(w.staff)
    body = text(client.get("/staff/standing-orders").data)
    assert "PF-0001" in body and "PF-0002" in body
