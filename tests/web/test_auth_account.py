"""One's own account: name, language and password."""

import pytest

from marketplace.extensions import db
from tests.conftest import text
from tests.factories import PASSWORD, BuyerUserFactory, PromoterFactory, StaffFactory

NEW_PASSWORD = "una frase nueva y larga"


@pytest.fixture
def user(app):
    user = BuyerUserFactory(name="Rosa Quispe", email="rosa@chicha.pe")
    db.session.commit()
    return user


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/cuenta/contrasena",
        data={
            "current_password": current,
            "password": new,
            "password_confirm": new if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize("factory", [BuyerUserFactory, PromoterFactory, StaffFactory])
def test_every_role_sees_its_account_from_the_menu(client, auth, factory):
    person = factory()
    db.session.commit()
    auth.login(person)
    home = client.get("/").data.decode()
    assert 'href="/cuenta"' in home
    response = client.get("/cuenta")
    assert response.status_code == 200
    page = text(response.data)
    assert person.email in page
    assert "Cambiar la contraseña" in page


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/cuenta")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_change_name_and_language(client, auth, user):
    auth.login(user)
    response = client.post("/cuenta", data={"name": "  Rosa Quispe Huamán ", "locale": "en"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.name == "Rosa Quispe Huamán"
    assert user.locale == "en"
    page = client.get("/cuenta").data.decode()
    assert '<html lang="en">' in page
    client.post("/cuenta", data={"name": "Rosa", "locale": "es"})
    assert '<html lang="es">' in client.get("/cuenta").data.decode()


def test_profile_errors_are_shown_at_the_field(client, auth, user):
    auth.login(user)
    response = client.post("/cuenta", data={"name": "", "locale": "fr"})
    assert response.status_code == 400
    page = text(response.data)
    assert "Escribe tu nombre." in page
    assert "Elige uno de los idiomas de la lista." in page
    db.session.refresh(user)
    assert user.name == "Rosa Quispe"


def test_change_password_keeps_this_session_and_the_new_password_works(client, auth, user):
    auth.login(user)
    response = change_password(client)
    assert response.status_code == 303
    assert "Cambiamos tu contraseña" in text(client.get("/cuenta").data)
    assert client.get("/buyer/").status_code == 200
    db.session.refresh(user)
    assert user.password_hash.startswith("scrypt:")
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 400
    assert auth.login(user, NEW_PASSWORD).status_code == 303


def test_the_current_password_is_required(client, auth, user):
    auth.login(user)
    response = change_password(client, current="not my password")
    assert response.status_code == 400
    assert "La contraseña actual no es correcta." in text(response.data)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("corta de 11", None, "La contraseña necesita al menos 12 caracteres."),
        (NEW_PASSWORD, "otra cosa", "Las dos contraseñas no coinciden."),
        ("x" * 1025, None, "La contraseña es demasiado larga."),
    ],
)
def test_the_new_password_follows_the_policy(client, auth, user, new, confirm, message):
    auth.login(user)
    response = change_password(client, new=new, confirm=confirm)
    assert response.status_code == 400
    assert message in text(response.data)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)
