"""A Horeca registers its business and its first user, and lands logged in on its page."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Buyer, BuyerAddress, User
from marketplace.services import DomainError, accounts
from marketplace.services.accounts import register_buyer
from marketplace.services.ruc import make_ruc
from tests.conftest import text
from tests.factories import BuyerFactory, BuyerUserFactory

RUC = make_ruc("2060500123")


def form(**changes) -> dict:
    data = {
        "legal_name": "Inversiones Chicha S.A.C.",
        "trade_name": "Chicha por Gastón",
        "ruc": RUC,
        "kind": "restaurant",
        "city": "cusco",
        "address_label": "Cocina",
        "address": "Plaza Regocijo 261, Cusco",
        "name": "Rosa Quispe",
        "email": "Rosa@Chicha.pe",
        "password": "maiz chullpi tostado",
        "password_confirm": "maiz chullpi tostado",
    }
    data.update(changes)
    return data


def test_the_registration_page_has_every_field(client):
    response = client.get("/registro")
    assert response.status_code == 200
    page = text(response.data)
    for label in (
        "Razón social",
        "Nombre comercial",
        "RUC",
        "Tipo de negocio",
        "Ciudad",
        "Dirección de entrega",
        "Tu nombre",
        "Correo electrónico",
        "Repite la contraseña",
    ):
        assert label in page
    for kind in ("Hotel", "Restaurante", "Café", "Tienda"):
        assert f">{kind}</option>" in response.data.decode()


def test_the_home_page_links_to_registration(client):
    assert 'href="/registro"' in client.get("/").data.decode()


def test_registering_creates_business_address_and_user_and_logs_in(client):
    response = client.post("/registro", data=form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/buyer/"

    buyer = db.session.scalar(sa.select(Buyer).where(Buyer.ruc == RUC))
    assert buyer.legal_name == "Inversiones Chicha S.A.C."
    assert buyer.trade_name == "Chicha por Gastón"
    assert (buyer.kind, buyer.city) == ("restaurant", "cusco")
    assert buyer.verified_at is None
    [address] = buyer.addresses
    assert (address.label, address.address, address.city) == (
        "Cocina",
        "Plaza Regocijo 261, Cusco",
        "cusco",
    )
    [user] = buyer.users
    assert user.email == "rosa@chicha.pe"
    assert user.role == "buyer"
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("maiz chullpi tostado")

    page = text(client.get("/buyer/").data)
    assert "Chicha por Gastón" in page
    assert "verificará" in page
    assert "Pendiente de verificación" in page


def test_registered_user_can_log_out_and_in_again(client, auth):
    client.post("/registro", data=form())
    auth.logout()
    assert client.get("/buyer/").status_code == 302
    assert auth.login("rosa@chicha.pe", "maiz chullpi tostado").status_code == 303
    assert client.get("/buyer/").status_code == 200


def test_registration_gets_a_fresh_session(client):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    client.post("/registro", data=form())
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


@pytest.mark.parametrize(
    ("ruc", "message"),
    [
        ("2060500A23X", "El RUC solo lleva números"),
        ("2060500123", "El RUC tiene 11 dígitos; escribiste 10."),
        ("206050012345", "El RUC tiene 11 dígitos; escribiste 12."),
        (RUC[:10] + str((int(RUC[10]) + 1) % 10), "el dígito verificador no coincide"),
        (make_ruc("3060500123"), "Un RUC empieza con 10, 15, 16, 17 o 20"),
        ("", "Escribe el RUC del negocio."),
    ],
)
def test_a_bad_ruc_is_explained_at_its_field(client, ruc, message):
    response = client.post("/registro", data=form(ruc=ruc))
    assert response.status_code == 400
    html = response.data.decode()
    assert 'id="ruc-err"' in html
    assert message in text(html)
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count(Buyer.id))) == 0


def test_an_already_registered_ruc_is_refused(client):
    BuyerFactory(ruc=RUC)
    db.session.commit()
    response = client.post("/registro", data=form())
    assert response.status_code == 400
    assert "Ya hay un negocio registrado con este RUC" in text(response.data)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_ruc_registered_a_moment_earlier_is_explained_not_crashed(client, monkeypatch):
    """Two registrations racing: the database's UNIQUE catches what the checks missed."""
    BuyerFactory(ruc=RUC)
    db.session.commit()
    real = accounts.ruc_taken
    calls = []

    def not_yet(session, ruc):  # the form's and the service's checks ran before the commit
        calls.append(ruc)
        return False if len(calls) <= 2 else real(session, ruc)

    monkeypatch.setattr(accounts, "ruc_taken", not_yet)
    response = client.post("/registro", data=form())
    assert response.status_code == 400
    assert "Ya hay un negocio registrado con este RUC" in text(response.data)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_an_email_in_use_is_refused_whatever_its_case(client):
    BuyerUserFactory(email="rosa@chicha.pe")
    db.session.commit()
    response = client.post("/registro", data=form(email=" ROSA@chicha.PE "))
    assert response.status_code == 400
    assert "Ya existe una cuenta con este correo." in text(response.data)
    assert db.session.scalar(sa.select(Buyer).where(Buyer.ruc == RUC)) is None


def test_a_bad_field_keeps_every_other_typed_value(client):
    response = client.post("/registro", data=form(ruc="123", kind="cafe", city="lima"))
    assert response.status_code == 400
    html = response.data.decode()
    for value in (
        "Inversiones Chicha S.A.C.",
        "Chicha por Gastón",
        'value="123"',
        "Plaza Regocijo 261, Cusco",
        "Cocina",
        "Rosa Quispe",
        "Rosa@Chicha.pe",
    ):
        assert value in html
    assert '<option selected value="cafe">' in html
    assert '<option selected value="lima">' in html
    # Passwords are never sent back into the page.
    assert "maiz chullpi tostado" not in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"legal_name": ""}, "legal_name", "Escribe la razón social."),
        ({"trade_name": "  "}, "trade_name", "Escribe el nombre comercial."),
        ({"kind": ""}, "kind", "Elige el tipo de negocio."),
        ({"kind": "bar"}, "kind", "Elige el tipo de negocio."),
        ({"city": "arequipa"}, "city", "Elige la ciudad."),
        ({"address": ""}, "address", "Escribe la dirección de entrega."),
        ({"name": ""}, "name", "Escribe tu nombre."),
        ({"email": "rosa-at-chicha"}, "email", "Escribe un correo válido"),
        (
            {"password": "corta de 11", "password_confirm": "corta de 11"},
            "password",
            "La contraseña necesita al menos 12 caracteres.",
        ),
        ({"password_confirm": "otra cosa"}, "password_confirm", "no coinciden"),
    ],
)
def test_each_bad_field_is_explained_in_spanish_at_the_field(client, changes, field, message):
    response = client.post("/registro", data=form(**changes))
    assert response.status_code == 400
    html = response.data.decode()
    start = html.index(f'id="{field}-err"')
    assert message in html[start : start + 300]


def test_a_long_password_is_accepted_and_a_too_long_one_refused(client):
    long = "pacha " * 170  # 1020 characters
    assert (
        client.post("/registro", data=form(password=long, password_confirm=long)).status_code == 303
    )
    client.post("/logout")
    too_long = "x" * 1025
    response = client.post(
        "/registro",
        data=form(
            ruc=make_ruc("2060500124"),
            email="otra@chicha.pe",
            password=too_long,
            password_confirm=too_long,
        ),
    )
    assert response.status_code == 400
    assert "La contraseña es demasiado larga." in text(response.data)


@pytest.mark.parametrize("kind", ["hotel", "restaurant", "cafe", "shop"])
def test_every_kind_and_city_can_register(client, kind):
    city = "lima" if kind in ("cafe", "shop") else "cusco"
    response = client.post("/registro", data=form(kind=kind, city=city))
    assert response.status_code == 303
    buyer = db.session.scalar(sa.select(Buyer))
    assert (buyer.kind, buyer.city) == (kind, city)
    assert buyer.addresses[0].city == city


def test_a_logged_in_user_is_sent_home(client, auth):
    user = BuyerUserFactory()
    db.session.commit()
    auth.login(user)
    assert client.get("/registro").headers["Location"] == "/buyer/"


class TestService:
    """register_buyer enforces the rules on its own, whatever form calls it."""

    @pytest.fixture(autouse=True)
    def request_context(self, app):
        with app.test_request_context():
            yield

    def values(self, **changes):
        data = form(**changes)
        data.pop("password_confirm")
        return data

    def test_one_business_one_address_one_user(self, app):
        user = register_buyer(db.session, **self.values())
        assert user.buyer.ruc == RUC
        assert db.session.scalar(sa.select(sa.func.count(BuyerAddress.id))) == 1

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"ruc": "20131312954"}, "ruc"),
            ({"kind": "bar"}, "kind"),
            ({"city": "puno"}, "city"),
            ({"password": "corta de 11"}, "password"),
        ],
    )
    def test_refuses_bad_values(self, app, changes, field):
        with pytest.raises(DomainError) as error:
            register_buyer(db.session, **self.values(**changes))
        assert error.value.field == field

    def test_refuses_a_taken_ruc_and_email(self, app):
        register_buyer(db.session, **self.values())
        with pytest.raises(DomainError) as error:
            register_buyer(db.session, **self.values(email="otra@chicha.pe"))
        assert error.value.field == "ruc"
        with pytest.raises(DomainError) as error:
            register_buyer(db.session, **self.values(ruc=make_ruc("2060500124")))
        assert error.value.field == "email"
