"""Staff back office: the buyer list and its filters, a buyer's page, verifying buyers."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Buyer
from tests.conftest import text
from tests.factories import (
    BuyerAddressFactory,
    BuyerFactory,
    BuyerUserFactory,
    StaffFactory,
)


@pytest.fixture
def staff(client, auth):
    user = StaffFactory()
    db.session.commit()
    assert auth.login(user).status_code == 303
    return user


@pytest.fixture
def buyers():
    BuyerFactory(trade_name="Chicha Cusco", city="cusco", verified_at=None)
    BuyerFactory(trade_name="Hotel Plaza Lima", city="lima", kind="hotel", verified_at=None)
    BuyerFactory(trade_name="Café Q'omer", city="cusco", kind="cafe")
    BuyerFactory(trade_name="Bodega Barranco", city="lima", kind="shop")
    db.session.commit()


NAMES = {"Chicha Cusco", "Hotel Plaza Lima", "Café Q&#39;omer", "Bodega Barranco"}


def shown(response) -> set[str]:
    html = response.data.decode()
    return {name for name in NAMES if name in html}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", NAMES),
        ("?status=all", NAMES),
        ("?status=pending", {"Chicha Cusco", "Hotel Plaza Lima"}),
        ("?status=verified", {"Café Q&#39;omer", "Bodega Barranco"}),
        ("?city=lima", {"Hotel Plaza Lima", "Bodega Barranco"}),
        ("?status=pending&city=cusco", {"Chicha Cusco"}),
        ("?status=nonsense&city=arequipa", NAMES),
    ],
)
def test_buyer_list_filters(client, staff, buyers, query, expected):
    response = client.get(f"/staff/buyers{query}")
    assert response.status_code == 200
    assert shown(response) == expected


def test_buyer_list_shows_kind_city_and_state(client, staff, buyers):
    page = text(client.get("/staff/buyers?city=lima").data)
    assert "Hotel" in page and "Tienda" in page and "Lima" in page
    assert "Por verificar" in page and "Verificado" in page
    assert "2 compradores" in page


def test_buyer_list_says_when_nothing_matches(client, staff):
    page = text(client.get("/staff/buyers?status=pending").data)
    assert "No hay compradores con estos filtros." in page


def test_htmx_filter_answers_only_the_results(client, staff, buyers):
    response = client.get("/staff/buyers?status=pending", headers={"HX-Request": "true"})
    html = response.data.decode()
    assert html.strip().startswith('<div id="buyer-results"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert shown(response) == {"Chicha Cusco", "Hotel Plaza Lima"}


def test_buyer_detail_shows_business_users_and_addresses(client, staff):
    user = BuyerUserFactory(
        name="Ana Torres",
        email="ana@chicha.pe",
        buyer__trade_name="Chicha",
        buyer__legal_name="Inversiones Chicha S.A.C.",
        buyer__phone="084 240520",
    )
    BuyerAddressFactory(buyer=user.buyer, label="Cocina", address="Calle Plateros 142")
    BuyerUserFactory(name="Otro negocio")
    db.session.commit()
    response = client.get(f"/staff/buyers/{user.buyer_id}")
    assert response.status_code == 200
    page = text(response.data)
    for fact in (
        "Inversiones Chicha S.A.C.",
        user.buyer.ruc,
        "Restaurante",
        "Cusco",
        "084 240520",
        "Ana Torres",
        "ana@chicha.pe",
        "Calle Plateros 142",
    ):
        assert fact in page
    assert "Otro negocio" not in page


def test_unknown_buyer_is_404(client, staff):
    assert client.get("/staff/buyers/999").status_code == 404
    assert client.post("/staff/buyers/999/verify").status_code == 404


def test_verify_and_unverify_a_buyer(client, staff):
    buyer = BuyerFactory(verified_at=None)
    db.session.commit()
    response = client.post(f"/staff/buyers/{buyer.id}/verify")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/buyers/{buyer.id}"
    db.session.refresh(buyer)
    assert buyer.verified_at is not None
    assert "Quitar verificación" in text(client.get(f"/staff/buyers/{buyer.id}").data)

    response = client.post(f"/staff/buyers/{buyer.id}/unverify")
    assert response.status_code == 303
    db.session.refresh(buyer)
    assert buyer.verified_at is None


def test_verify_from_the_filtered_list_returns_to_it(client, staff):
    buyer = BuyerFactory(verified_at=None)
    db.session.commit()
    response = client.post(
        f"/staff/buyers/{buyer.id}/verify",
        data={"next": "list", "status": "pending", "city": "cusco"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/buyers?status=pending&city=cusco"
    with sa.orm.Session(db.engine) as fresh:
        assert fresh.get(Buyer, buyer.id).verified_at is not None


def test_htmx_verify_swaps_the_buyer_row(client, staff):
    buyer = BuyerFactory(trade_name="Chicha", verified_at=None)
    db.session.commit()
    response = client.post(
        f"/staff/buyers/{buyer.id}/verify", data={"next": "list"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.data.decode()
    assert html.strip().startswith(f'<tr id="buyer-{buyer.id}"')
    assert "Chicha" in html and "Verificado" in html and "Quitar verificación" in html
    db.session.refresh(buyer)
    assert buyer.verified_at is not None


def test_verify_buttons_swap_rows_with_htmx(client, staff, buyers):
    html = client.get("/staff/buyers").data.decode()
    assert 'hx-target="closest tr"' in html and 'hx-swap="outerHTML"' in html
    assert 'name="csrf_token"' in html


def test_buyer_list_pages(client, staff, monkeypatch):
    from marketplace.web.staff import routes

    monkeypatch.setattr(routes, "BUYERS_PER_PAGE", 2)
    for n in range(3):
        BuyerFactory(trade_name=f"Negocio {n}", city="lima")
    db.session.commit()
    first = text(client.get("/staff/buyers?city=lima").data)
    assert "Página 1 de 2" in first and "Siguiente" in first
    second = client.get("/staff/buyers?city=lima&page=2").data.decode()
    assert "Página 2 de 2" in text(second)
    assert "page=1" in second and "city=lima" in second
