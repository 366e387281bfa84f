"""Staff back office: the overview, creating and editing associations, and verifying them."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Association
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.services.onboarding import slugify
from marketplace.services.ruc import make_ruc
from marketplace.services.stock import move_stock
from marketplace.types import utcnow
from tests.conftest import text
from tests.factories import (
    PASSWORD,
    AssociationFactory,
    BuyerFactory,
    ProductFactory,
    PromoterFactory,
    StaffFactory,
)

VALID_RUC = make_ruc("2049000001")
WRONG_CHECK_DIGIT_RUC = VALID_RUC[:10] + str((int(VALID_RUC[10]) + 1) % 10)


@pytest.fixture
def staff(client, auth):
    user = StaffFactory()
    db.session.commit()
    assert auth.login(user).status_code == 303
    return user


def new_association_form(**changes) -> dict:
    form = {
        "name": "Sumaq Ausangate",
        "tagline": "Quesos de Ocongate",
        "district": "Ocongate",
        "province": "Quispicanchi",
        "region": "Cusco",
        "member_families": "30",
        "founded_year": "2008",
        "min_order": "150.50",
        "ruc": VALID_RUC,
        "sanitary_registration": "DIGESA-1234",
        "contact_phone": "984 123 456",
        "delivery_city": "cusco",
        "delivery_weekdays": ["5", "2"],
        "delivery_lead_days": "2",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def only_association() -> Association:
    return db.session.scalars(sa.select(Association)).one()


def test_overview_counts_what_waits_for_staff(client, staff):
    AssociationFactory(verified_at=None)
    AssociationFactory()
    verified = AssociationFactory()
    BuyerFactory(verified_at=None)
    BuyerFactory()
    PromoterFactory(association=verified, password_hash=None)
    PromoterFactory(association=verified)
    db.session.commit()
    page = text(client.get("/staff/").data)
    assert "2 verificadas · 1 por verificar" in page
    assert "Compradores 1 por verificar" in page
    assert "1 con invitación pendiente" in page


def test_list_shows_associations_and_their_state(client, staff):
    AssociationFactory(name="Sumaq Ausangate", verified_at=None)
    AssociationFactory(name="Huaroq Sara")
    db.session.commit()
    page = text(client.get("/staff/associations").data)
    assert "Huaroq Sara" in page and "Sumaq Ausangate" in page
    assert "Verificado" in page and "Por verificar" in page


def test_create_association_with_its_first_delivery_rule(client, staff):
    assert client.get("/staff/associations/new").status_code == 200
    response = client.post("/staff/associations/new", data=new_association_form())
    assert response.status_code == 303
    association = only_association()
    assert response.headers["Location"] == f"/staff/associations/{association.id}"
    assert association.slug == "sumaq-ausangate"
    assert association.min_order_cents == 15050
    assert association.ruc == VALID_RUC
    assert association.contact_phone == "984 123 456"
    assert association.verified_at is None
    (rule,) = association.delivery_rules
    assert (rule.city, rule.weekdays, rule.lead_days) == ("cusco", "25", 2)
    page = text(client.get(response.headers["Location"]).data)
    assert "S/ 150.50" in page
    assert "Cusco: Martes, Viernes; pedidos con 2 días de anticipación" in page


def test_create_without_optional_credentials(client, staff):
    data = new_association_form(ruc="", sanitary_registration="", founded_year="", tagline="")
    assert client.post("/staff/associations/new", data=data).status_code == 303
    association = only_association()
    assert association.ruc is None and association.sanitary_registration is None
    assert association.founded_year is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Escribe el nombre."),
        ({"district": ""}, "Escribe el distrito."),
        ({"member_families": "-1"}, "Entre 0 y 100 000."),
        ({"member_families": "muchas"}, "Escribe un número entero."),
        ({"min_order": "abc"}, "Escribe un número, por ejemplo 12.5."),
        ({"min_order": "-5"}, "Entre 0 y 1 000 000 soles."),
        ({"founded_year": "1850"}, "Escribe un año desde 1900."),
        ({"founded_year": "2999"}, "El año no puede ser futuro."),
        ({"ruc": WRONG_CHECK_DIGIT_RUC}, "el dígito verificador no coincide"),
        ({"ruc": "2049000001"}, "El RUC tiene 11 dígitos; escribiste 10."),
        ({"ruc": "2049000001A"}, "El RUC solo lleva números"),
        ({"contact_phone": "llámame"}, "Escribe un teléfono: solo números y +."),
        ({"delivery_weekdays": None}, "Elige al menos un día de entrega."),
        ({"delivery_weekdays": ["8"]}, "Elige días de la lista."),
        ({"delivery_city": "arequipa"}, "Elige una opción de la lista."),
        ({"delivery_lead_days": "-1"}, "Escribe un número entre 0 y 60."),
        ({"delivery_lead_days": "dos"}, "Escribe un número entero."),
    ],
)
def test_create_refuses_invalid_input_at_the_field(client, staff, changes, message):
    response = client.post("/staff/associations/new", data=new_association_form(**changes))
    assert response.status_code == 422
    html = response.data.decode()
    assert 'class="error"' in html
    assert message in text(html)
    assert db.session.scalar(sa.select(sa.func.count(Association.id))) == 0


def test_invalid_ruc_is_marked_on_the_ruc_field(client, staff):
    data = new_association_form(ruc=WRONG_CHECK_DIGIT_RUC)
    html = client.post("/staff/associations/new", data=data).data.decode()
    assert 'aria-describedby="ruc-err ruc-hint"' in html
    assert '<p class="error" id="ruc-err">Este RUC no es válido' in html


def test_duplicate_name_is_refused(client, staff):
    AssociationFactory(name="Huaroq Sara", slug="huaroq-sara")
    db.session.commit()
    response = client.post(
        "/staff/associations/new", data=new_association_form(name="Huaroq  SARA", ruc="")
    )
    assert response.status_code == 409
    assert "Ya existe una asociación con este nombre" in text(response.data)
    assert db.session.scalar(sa.select(sa.func.count(Association.id))) == 1


def test_duplicate_ruc_is_refused(client, staff):
    AssociationFactory(ruc=VALID_RUC)
    db.session.commit()
    response = client.post("/staff/associations/new", data=new_association_form())
    assert response.status_code == 409
    html = response.data.decode()
    assert 'id="ruc-err"' in html
    assert "Otra asociación ya tiene este RUC." in text(html)


def test_name_without_letters_is_refused(client, staff):
    response = client.post("/staff/associations/new", data=new_association_form(name="¡¡!!"))
    assert response.status_code == 409
    assert "El nombre necesita letras o números." in text(response.data)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Sumaq Ausangate", "sumaq-ausangate"),
        ("Huaroq Sara", "huaroq-sara"),
        ("Asociación de Productores Lácteos Ñuñoa", "asociacion-de-productores-lacteos-nunoa"),
        ("  Q'omer -- Café  ", "q-omer-cafe"),
        ("x" * 200, "x" * 80),
    ],
)
def test_slug_comes_from_the_name(name, slug):
    assert slugify(name) == slug


def test_edit_association(client, staff):
    association = AssociationFactory(
        name="Sumaq", slug="sumaq", min_order_cents=12345, ruc_verified_at=None
    )
    db.session.commit()
    url = f"/staff/associations/{association.id}/edit"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="123.45"' in page.data.decode()
    data = new_association_form(name="Sumaq Ausangate", min_order="80", member_families="31")
    response = client.post(url, data=data)
    assert response.status_code == 303
    db.session.refresh(association)
    assert association.name == "Sumaq Ausangate"
    assert association.slug == "sumaq"  # the public address does not move
    assert association.min_order_cents == 8000
    assert association.member_families == 31


def test_edit_refuses_invalid_input(client, staff):
    association = AssociationFactory()
    db.session.commit()
    url = f"/staff/associations/{association.id}/edit"
    response = client.post(url, data=new_association_form(region="", ruc="123"))
    assert response.status_code == 422
    page = text(response.data)
    assert "Escribe la región." in page and "El RUC tiene 11 dígitos; escribiste 3." in page


def test_edit_refuses_the_ruc_of_another_association(client, staff):
    AssociationFactory(ruc=VALID_RUC)
    association = AssociationFactory()
    db.session.commit()
    response = client.post(
        f"/staff/associations/{association.id}/edit", data=new_association_form()
    )
    assert response.status_code == 409
    assert "Otra asociación ya tiene este RUC." in text(response.data)


def test_changing_a_credential_needs_verifying_it_again(client, staff):
    association = AssociationFactory(
        ruc_verified_at=utcnow(), sanitary_registration="A-1", sanitary_verified_at=None
    )
    db.session.commit()
    db.session.refresh(association)
    old_ruc = association.ruc
    assert association.ruc_verified_at is not None
    url = f"/staff/associations/{association.id}/edit"
    client.post(url, data=new_association_form(ruc=old_ruc, sanitary_registration="A-1"))
    db.session.refresh(association)
    assert association.ruc_verified_at is not None
    client.post(url, data=new_association_form(ruc=VALID_RUC, sanitary_registration="A-1"))
    db.session.refresh(association)
    assert association.ruc_verified_at is None


def test_detail_shows_promoters_and_credentials(client, staff):
    association = AssociationFactory(
        name="Huaroq Sara", sanitary_registration="DIGESA-77", ruc_verified_at=None
    )
    PromoterFactory(association=association, name="Rosa Quispe")
    PromoterFactory(association=association, name="Juan Mamani", password_hash=None)
    PromoterFactory(name="De otra asociación")
    db.session.commit()
    page = text(client.get(f"/staff/associations/{association.id}").data)
    assert "Huaroq Sara" in page
    assert "Rosa Quispe" in page and "Activo" in page
    assert "Juan Mamani" in page and "Invitado" in page
    assert "De otra asociación" not in page
    assert association.ruc in page and "DIGESA-77" in page


def test_detail_links_to_the_public_page_once_verified(client, staff):
    association = AssociationFactory(slug="huaroq-sara", verified_at=None)
    db.session.commit()
    url = f"/staff/associations/{association.id}"
    assert 'href="/asociaciones/huaroq-sara"' not in client.get(url).data.decode()
    client.post(f"/staff/associations/{association.id}/verify/association")
    assert 'href="/asociaciones/huaroq-sara"' in client.get(url).data.decode()


def test_unknown_association_is_404(client, staff):
    assert client.get("/staff/associations/999").status_code == 404
    assert client.get("/staff/associations/999/edit").status_code == 404
    assert client.post("/staff/associations/999/verify/association").status_code == 404


def stored(association) -> Association:
    """The association as the requests left it, read through a session of its own."""
    with sa.orm.Session(db.engine, expire_on_commit=False) as fresh:
        return fresh.get(Association, association.id)


def stocked_product(association, name="Queso andino de prueba"):
    product = ProductFactory(association=association, name=name)
    db.session.flush()
    move_stock(db.session, product.id, Decimal("10"), REASON_PRODUCTION)
    db.session.commit()
    return product


def test_verifying_an_association_shows_its_products_in_the_catalog(client, staff):
    association = AssociationFactory(verified_at=None)
    stocked_product(association)
    assert "Queso andino de prueba" not in text(client.get("/").data)

    response = client.post(f"/staff/associations/{association.id}/verify/association")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/associations/{association.id}"
    db.session.refresh(association)
    assert association.verified_at is not None
    assert "Queso andino de prueba" in text(client.get("/").data)

    response = client.post(f"/staff/associations/{association.id}/unverify/association")
    assert response.status_code == 303
    db.session.refresh(association)
    assert association.verified_at is None
    assert "Queso andino de prueba" not in text(client.get("/").data)


def test_verify_from_the_list_returns_to_the_list(client, staff):
    association = AssociationFactory(verified_at=None)
    db.session.commit()
    response = client.post(
        f"/staff/associations/{association.id}/verify/association", data={"next": "list"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/associations"
    assert stored(association).verified_at is not None


def test_htmx_verify_swaps_the_list_row(client, staff):
    association = AssociationFactory(name="Huaroq Sara", verified_at=None)
    db.session.commit()
    response = client.post(
        f"/staff/associations/{association.id}/verify/association",
        data={"next": "list"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.data.decode()
    assert html.strip().startswith("<tr")
    assert "<html" not in html
    assert "Huaroq Sara" in html and "Quitar verificación" in html


def test_htmx_verify_on_the_detail_swaps_the_credential_row(client, staff):
    association = AssociationFactory(sanitary_registration="DIGESA-9")
    db.session.commit()
    response = client.post(
        f"/staff/associations/{association.id}/verify/sanitary", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.data.decode()
    assert html.strip().startswith('<tr id="check-sanitary"')
    assert "DIGESA-9" in html and "Verificado" in html


def test_verify_and_unverify_the_ruc(client, staff):
    association = AssociationFactory(ruc_verified_at=None)
    db.session.commit()
    assert client.post(f"/staff/associations/{association.id}/verify/ruc").status_code == 303
    db.session.refresh(association)
    assert association.ruc_verified_at is not None
    assert client.post(f"/staff/associations/{association.id}/unverify/ruc").status_code == 303
    db.session.refresh(association)
    assert association.ruc_verified_at is None


def test_verifying_a_missing_ruc_is_refused(client, staff):
    association = AssociationFactory(ruc=None)
    db.session.commit()
    response = client.post(f"/staff/associations/{association.id}/verify/ruc")
    assert response.status_code == 409
    assert "La asociación no tiene RUC registrado." in text(response.data)
    db.session.refresh(association)
    assert association.ruc_verified_at is None


def test_verifying_a_missing_sanitary_registration_is_refused(client, staff):
    association = AssociationFactory(sanitary_registration=None)
    db.session.commit()
    response = client.post(f"/staff/associations/{association.id}/verify/sanitary")
    assert response.status_code == 409
    assert "La asociación no tiene registro sanitario." in text(response.data)
    response = client.post(
        f"/staff/associations/{association.id}/verify/sanitary", headers={"HX-Request": "true"}
    )
    assert "La asociación no tiene registro sanitario." in text(response.data)
    db.session.refresh(association)
    assert association.sanitary_verified_at is None


def test_verify_sanitary_registration(client, staff):
    association = AssociationFactory(sanitary_registration="DIGESA-1")
    db.session.commit()
    client.post(f"/staff/associations/{association.id}/verify/sanitary")
    db.session.refresh(association)
    assert association.sanitary_verified_at is not None


def test_unknown_check_is_404(client, staff):
    association = AssociationFactory(verified_at=None, ruc_verified_at=None)
    db.session.commit()
    assert client.post(f"/staff/associations/{association.id}/verify/tax").status_code == 404
    unchanged = stored(association)
    assert (unchanged.verified_at, unchanged.ruc_verified_at) == (None, None)


def test_verify_buttons_carry_csrf_and_htmx_row_swap(client, staff):
    AssociationFactory(verified_at=None)
    db.session.commit()
    html = client.get("/staff/associations").data.decode()
    assert 'name="csrf_token"' in html
    assert 'hx-target="closest tr"' in html and 'hx-swap="outerHTML"' in html


def csrf_token_in(html: bytes) -> str:
    return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html).group(1).decode()


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_verify_needs_the_csrf_token(client, app_config):
    association = AssociationFactory(verified_at=None)
    user = StaffFactory()
    db.session.commit()
    token = csrf_token_in(client.get("/login").data)
    login = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=login).status_code == 303
    url = f"/staff/associations/{association.id}/verify/association"
    assert client.post(url).status_code == 400
    db.session.refresh(association)
    assert association.verified_at is None
    token = csrf_token_in(client.get("/staff/associations").data)
    assert client.post(url, data={"csrf_token": token}).status_code == 303
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 303
    db.session.refresh(association)
    assert association.verified_at is not None
