"""Staff back office: inviting promoters, their one-time links, switching accounts off and on."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import User
from marketplace.services.accounts import accept_invite, hash_token
from marketplace.types import utcnow
from tests.conftest import text
from tests.factories import PASSWORD, AssociationFactory, PromoterFactory, StaffFactory


@pytest.fixture
def staff(client, auth):
    user = StaffFactory()
    db.session.commit()
    assert auth.login(user).status_code == 303
    return user


def invite(client, association, **changes):
    data = {"name": "Rosa Quispe", "email": "Rosa@Example.pe", "phone": "984123456"}
    data.update(changes)
    return client.post(f"/staff/associations/{association.id}/promoters/new", data=data)


def invitation_link(html: bytes) -> str:
    match = re.search(r'id="invitation-url" type="text" readonly value="([^"]+)"', html.decode())
    assert match, "no invitation link on the page"
    return match.group(1)


def test_invite_page(client, staff):
    association = AssociationFactory(name="Huaroq Sara")
    db.session.commit()
    page = client.get(f"/staff/associations/{association.id}/promoters/new")
    assert page.status_code == 200
    assert "Invitar promotor a Huaroq Sara" in text(page.data)


def test_invitation_creates_a_promoter_without_password_and_shows_the_link_once(client, staff):
    association = AssociationFactory()
    db.session.commit()
    response = invite(client, association)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/associations/{association.id}"
    promoter = db.session.scalars(sa.select(User).where(User.role == "promoter")).one()
    assert promoter.email == "rosa@example.pe"
    assert promoter.association_id == association.id
    assert promoter.password_hash is None
    assert promoter.phone == "984123456"

    page = client.get(response.headers["Location"])
    link = invitation_link(page.data)
    token = link.rsplit("/", 1)[1]
    assert link.startswith("http://")
    assert promoter.invite_token_hash == hash_token(token)
    assert "Invitado" in text(page.data)
    # Shown once: the next visit no longer has it.
    assert 'id="invitation-url"' not in client.get(response.headers["Location"]).data.decode()


def test_invited_promoter_cannot_log_in_until_accepting(client, staff, auth):
    association = AssociationFactory()
    db.session.commit()
    invite(client, association, email="juan@example.pe")
    link = invitation_link(client.get(f"/staff/associations/{association.id}").data)
    auth.logout()
    assert auth.login("juan@example.pe", "").status_code == 400
    assert auth.login("juan@example.pe", PASSWORD).status_code == 400

    accept_invite(db.session, link.rsplit("/", 1)[1], PASSWORD)
    db.session.commit()
    response = auth.login("juan@example.pe", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/producer/home"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Escribe el nombre."),
        ({"email": ""}, "Escribe el correo."),
        ({"email": "rosa-at-example"}, "Escribe un correo válido."),
        ({"phone": "no tengo"}, "Escribe un teléfono: solo números y +."),
    ],
)
def test_invite_refuses_invalid_input_at_the_field(client, staff, changes, message):
    association = AssociationFactory()
    db.session.commit()
    response = invite(client, association, **changes)
    assert response.status_code == 422
    assert message in text(response.data)
    assert 'class="error"' in response.data.decode()
    assert db.session.scalar(sa.select(sa.func.count()).where(User.role == "promoter")) == 0


def test_invite_refuses_an_email_already_used(client, staff):
    association = AssociationFactory()
    PromoterFactory(email="rosa@example.pe")
    db.session.commit()
    response = invite(client, association, email="ROSA@example.pe")
    assert response.status_code == 409
    assert "Ya existe una cuenta con este correo." in text(response.data)
    assert 'id="email-err"' in response.data.decode()


def test_invite_refuses_a_phone_already_used(client, staff):
    association = AssociationFactory()
    PromoterFactory(phone="984123456")
    db.session.commit()
    response = invite(client, association, email="otra@example.pe")
    assert response.status_code == 409
    assert "Otra cuenta ya usa este teléfono." in text(response.data)


def test_promoter_list_with_status_filter(client, staff):
    association = AssociationFactory(name="Sumaq Ausangate")
    PromoterFactory(association=association, name="Activa Ccori")
    PromoterFactory(association=association, name="Invitado Huaman", password_hash=None)
    PromoterFactory(association=association, name="Apagado Condori", active=False)
    db.session.commit()
    page = text(client.get("/staff/promoters").data)
    for name in ("Activa Ccori", "Invitado Huaman", "Apagado Condori", "Sumaq Ausangate"):
        assert name in page
    for status, shown in [
        ("invited", "Invitado Huaman"),
        ("active", "Activa Ccori"),
        ("disabled", "Apagado Condori"),
    ]:
        page = text(client.get(f"/staff/promoters?status={status}").data)
        assert shown in page
        others = {"Activa Ccori", "Invitado Huaman", "Apagado Condori"} - {shown}
        assert not any(name in page for name in others)
    # An unknown filter shows everyone instead of failing.
    assert "Activa Ccori" in text(client.get("/staff/promoters?status=bogus").data)


def test_expired_invitation_is_shown_as_such(client, staff):
    PromoterFactory(
        name="Vencido Quispe", password_hash=None, invite_expires_at=utcnow() - timedelta(days=1)
    )
    db.session.commit()
    assert "Invitado, enlace vencido" in text(client.get("/staff/promoters").data)


def test_disable_and_enable_a_promoter(client, staff, app):
    promoter = PromoterFactory(email="rosa@example.pe")
    db.session.commit()
    other = app.test_client()
    assert other.post("/login", data={"email": promoter.email, "password": PASSWORD}).status_code
    assert other.get("/producer/").status_code == 200

    response = client.post(f"/staff/promoters/{promoter.id}/disable")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/associations/{promoter.association_id}"
    db.session.refresh(promoter)
    assert not promoter.active
    # Their open session ends and they cannot log in again.
    assert other.get("/producer/").status_code == 302
    login = other.post("/login", data={"email": promoter.email, "password": PASSWORD})
    assert login.status_code == 400

    response = client.post(f"/staff/promoters/{promoter.id}/enable", data={"next": "list"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/promoters"
    db.session.refresh(promoter)
    assert promoter.active
    login = other.post("/login", data={"email": promoter.email, "password": PASSWORD})
    assert login.status_code == 303


def test_htmx_disable_swaps_the_row(client, staff):
    promoter = PromoterFactory(name="Rosa Quispe")
    db.session.commit()
    response = client.post(
        f"/staff/promoters/{promoter.id}/disable",
        data={"next": "list"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.data.decode()
    assert html.strip().startswith(f'<tr id="promoter-{promoter.id}"')
    assert "Desactivado" in html and "Reactivar" in html
    assert promoter.association.name in html  # the list row keeps its association column


def test_disabling_an_invited_promoter_cancels_the_link(client, staff):
    association = AssociationFactory()
    db.session.commit()
    invite(client, association)
    link = invitation_link(client.get(f"/staff/associations/{association.id}").data)
    promoter = db.session.scalars(sa.select(User).where(User.role == "promoter")).one()
    client.post(f"/staff/promoters/{promoter.id}/disable")
    path = link.split("localhost", 1)[1]
    assert client.get(path).status_code == 404


def test_reissue_an_expired_invitation(client, staff):
    promoter = PromoterFactory(
        password_hash=None,
        invite_token_hash=hash_token("old-token"),
        invite_expires_at=utcnow() - timedelta(days=1),
    )
    db.session.commit()
    response = client.post(f"/staff/promoters/{promoter.id}/reinvite", data={"next": "list"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/promoters"
    link = invitation_link(client.get("/staff/promoters").data)
    db.session.refresh(promoter)
    assert promoter.invite_token_hash == hash_token(link.rsplit("/", 1)[1])
    assert promoter.invite_expires_at > utcnow() + timedelta(days=13)
    assert "Invitado, enlace vencido" not in text(client.get("/staff/promoters").data)


def test_reissue_is_refused_for_an_active_promoter(client, staff):
    promoter = PromoterFactory()
    db.session.commit()
    response = client.post(f"/staff/promoters/{promoter.id}/reinvite")
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]).data)
    assert "Esta persona ya aceptó su invitación." in page
    assert 'id="invitation-url"' not in page


def test_reissue_is_refused_for_a_disabled_promoter(client, staff):
    promoter = PromoterFactory(password_hash=None, active=False)
    db.session.commit()
    response = client.post(f"/staff/promoters/{promoter.id}/reinvite", data={"next": "list"})
    page = text(client.get(response.headers["Location"]).data)
    assert "Reactiva la cuenta antes de enviar una nueva invitación." in page


def test_promoter_actions_only_reach_promoters(client, staff):
    colleague = StaffFactory(email="colega@qhatu.pe")
    db.session.commit()
    for action in ("disable", "enable", "reinvite"):
        assert client.post(f"/staff/promoters/{colleague.id}/{action}").status_code == 404
        assert client.post(f"/staff/promoters/999/{action}").status_code == 404
    with sa.orm.Session(db.engine) as fresh:
        untouched = fresh.get(User, colleague.id)
        assert untouched.active and untouched.invite_token_hash is None
