"""An invited promoter or colleague chooses a password through the link and is logged in."""

from datetime import timedelta

import pytest
import time_machine

from marketplace.extensions import db
from marketplace.services.accounts import invite_colleague, invite_promoter
from marketplace.types import utcnow
from tests.conftest import text
from tests.factories import AssociationFactory, BuyerFactory, BuyerUserFactory

NEW_PASSWORD = "queso andino madurado"


@pytest.fixture
def colleague_invite(app):
    buyer = BuyerFactory(trade_name="Café Q'omer")
    with app.test_request_context():
        user, token = invite_colleague(db.session, buyer.id, "Lucía Mamani", "lucia@qomer.pe")
    db.session.commit()
    return user, token


@pytest.fixture
def promoter_invite(app):
    association = AssociationFactory(name="Sumaq Ausangate")
    with app.test_request_context():
        user, token = invite_promoter(db.session, association.id, "Yeni Huamán", "yeni@sumaq.pe")
    db.session.commit()
    return user, token


def accept(client, token, password=NEW_PASSWORD, confirm=None):
    return client.post(
        f"/invitacion/{token}",
        data={"password": password, "password_confirm": password if confirm is None else confirm},
    )


def test_the_page_greets_the_invited_colleague(client, colleague_invite):
    _user, token = colleague_invite
    response = client.get(f"/invitacion/{token}")
    assert response.status_code == 200
    page = text(response.data)
    assert "Hola, Lucía Mamani" in page
    assert "Café Q'omer" in page or "Café Q&#39;omer" in page
    assert "lucia@qomer.pe" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_colleague_sets_a_password_and_lands_on_the_business(client, auth, colleague_invite):
    user, token = colleague_invite
    response = accept(client, token)
    assert response.status_code == 303
    assert response.headers["Location"] == "/buyer/"
    assert client.get("/buyer/").status_code == 200
    db.session.refresh(user)
    assert user.invite_token_hash is None
    assert user.password_hash.startswith("scrypt:")
    auth.logout()
    assert auth.login("lucia@qomer.pe", NEW_PASSWORD).status_code == 303


def test_a_promoter_sets_a_password_and_lands_on_the_association(client, promoter_invite):
    _user, token = promoter_invite
    assert "Sumaq Ausangate" in text(client.get(f"/invitacion/{token}").data)
    response = accept(client, token)
    assert response.status_code == 303
    assert response.headers["Location"] == "/producer/"


def test_the_link_works_once(client, colleague_invite):
    _user, token = colleague_invite
    accept(client, token)
    client.post("/logout")
    response = client.get(f"/invitacion/{token}")
    assert response.status_code == 404
    assert "Esta invitación no es válida" in text(response.data)
    assert accept(client, token).status_code == 404


def test_an_unknown_token_gets_a_clear_404(client):
    response = client.get("/invitacion/not-a-real-token")
    assert response.status_code == 404
    page = text(response.data)
    assert "Esta invitación no es válida" in page
    assert "Pide a quien te invitó que te envíe un enlace nuevo." in page


def test_an_expired_link_gets_a_clear_404(client, colleague_invite):
    _user, token = colleague_invite
    with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
        response = client.get(f"/invitacion/{token}")
        assert response.status_code == 404
        assert "Esta invitación no es válida" in text(response.data)
        assert accept(client, token).status_code == 404


def test_a_deactivated_invitee_cannot_accept(client, colleague_invite):
    user, token = colleague_invite
    user.active = False
    db.session.commit()
    assert client.get(f"/invitacion/{token}").status_code == 404


def test_passwords_must_match_and_be_long_enough(client, colleague_invite):
    user, token = colleague_invite
    response = accept(client, token, confirm="otra frase distinta")
    assert response.status_code == 400
    assert "Las dos contraseñas no coinciden." in text(response.data)
    response = accept(client, token, password="corta de 11")
    assert response.status_code == 400
    assert "La contraseña necesita al menos 12 caracteres." in text(response.data)
    db.session.refresh(user)
    assert user.password_hash is None


def test_accepting_while_logged_in_as_someone_else_switches_account(client, auth, colleague_invite):
    other = BuyerUserFactory(email="otro@example.pe")
    db.session.commit()
    auth.login(other)
    _user, token = colleague_invite
    assert "al aceptar, ingresarás como lucia@qomer.pe" in text(
        client.get(f"/invitacion/{token}").data
    )
    accept(client, token)
    page = text(client.get("/buyer/").data)
    assert "Lucía Mamani (tú)" in page
