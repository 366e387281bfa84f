"""The buyer's business page: details, verification, colleagues and delivery addresses."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import BuyerAddress, User
from marketplace.types import utcnow
from tests.conftest import text
from tests.factories import PASSWORD, BuyerAddressFactory, BuyerFactory, BuyerUserFactory


@pytest.fixture
def me(app):
    buyer = BuyerFactory(
        legal_name="Q'omer Café E.I.R.L.",
        trade_name="Café Qomer",
        city="lima",
        kind="cafe",
        verified_at=None,
    )
    user = BuyerUserFactory(buyer=buyer, name="Ana Torres", email="ana@qomer.pe")
    BuyerAddressFactory(buyer=buyer, label="Barra", address="Av. Larco 101", city="lima")
    db.session.commit()
    return user


@pytest.fixture
def logged_in(client, auth, me):
    auth.login(me)
    return client


def invite(client, name="Lucía Mamani", email="lucia@qomer.pe"):
    return client.post("/buyer/colegas", data={"name": name, "email": email})


def invite_url(html: str) -> str:
    match = re.search(r'value="(http://localhost/invitacion/[^"]+)"', html)
    assert match, "no invitation link on the page"
    return match.group(1)


class TestBusiness:
    def test_details_and_pending_verification(self, logged_in):
        page = text(logged_in.get("/buyer/").data)
        for value in (
            "Café Qomer",
            "Q&#39;omer Café E.I.R.L.",
            "Café",
            "Lima",
            "Pendiente de verificación",
        ):
            assert value in page

    def test_verified_business_shows_it(self, logged_in, me):
        me.buyer.verified_at = utcnow()
        db.session.commit()
        page = text(logged_in.get("/buyer/").data)
        assert "Verificado" in page
        assert "Pendiente de verificación" not in page


class TestColleagues:
    def test_inviting_shows_a_one_time_link_that_works(self, app, logged_in, me):
        response = invite(logged_in)
        assert response.status_code == 303
        page = logged_in.get("/buyer/").data.decode()
        url = invite_url(page)
        assert "Lucía Mamani" in page and "Invitación pendiente" in page
        # The link is shown once: a reload no longer carries it.
        assert "/invitacion/" not in logged_in.get("/buyer/").data.decode()

        new = app.test_client()
        path = url.removeprefix("http://localhost")
        assert new.get(path).status_code == 200
        response = new.post(
            path, data={"password": "lucía entra ya", "password_confirm": "lucía entra ya"}
        )
        assert response.status_code == 303
        assert "Café Qomer" in text(new.get("/buyer/").data)
        colleague = db.session.scalar(sa.select(User).where(User.email == "lucia@qomer.pe"))
        assert colleague.buyer_id == me.buyer_id
        assert "Activo" in text(logged_in.get("/buyer/").data)

    def test_a_taken_email_is_refused_at_the_field(self, logged_in):
        BuyerUserFactory(email="lucia@qomer.pe")
        db.session.commit()
        response = invite(logged_in, email="Lucia@Qomer.pe")
        assert response.status_code == 409
        html = response.data.decode()
        assert "Ya existe una cuenta con este correo." in html
        assert 'value="Lucía Mamani"' in html

    def test_missing_fields_are_explained(self, logged_in):
        response = invite(logged_in, name="", email="nope")
        assert response.status_code == 400
        page = text(response.data)
        assert "Escribe el nombre de tu colega." in page
        assert "Escribe un correo válido" in page

    def test_a_new_link_replaces_the_old_one(self, app, logged_in):
        invite(logged_in)
        first = invite_url(logged_in.get("/buyer/").data.decode())
        colleague = db.session.scalar(sa.select(User).where(User.email == "lucia@qomer.pe"))
        assert logged_in.post(f"/buyer/colegas/{colleague.id}/enlace").status_code == 303
        second = invite_url(logged_in.get("/buyer/").data.decode())
        assert first != second
        anon = app.test_client()
        assert anon.get(first.removeprefix("http://localhost")).status_code == 404
        assert anon.get(second.removeprefix("http://localhost")).status_code == 200

    def test_an_expired_invitation_says_so(self, logged_in):
        invite(logged_in)
        logged_in.get("/buyer/")
        with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
            assert "Invitación vencida" in text(logged_in.get("/buyer/").data)

    def test_deactivating_a_colleague_ends_access_and_sessions(self, app, logged_in, me):
        colleague = BuyerUserFactory(buyer=me.buyer, name="Luis Pari", email="luis@qomer.pe")
        db.session.commit()
        other = app.test_client()
        other.post("/login", data={"email": "luis@qomer.pe", "password": PASSWORD})
        assert other.get("/buyer/").status_code == 200

        response = logged_in.post(f"/buyer/colegas/{colleague.id}/desactivar")
        assert response.status_code == 303
        assert "Desactivado" in text(logged_in.get("/buyer/").data)
        assert other.get("/buyer/").status_code == 302  # the open session ended
        response = other.post("/login", data={"email": "luis@qomer.pe", "password": PASSWORD})
        assert response.status_code == 400

    def test_deactivating_a_pending_colleague_kills_the_link(self, app, logged_in):
        invite(logged_in)
        url = invite_url(logged_in.get("/buyer/").data.decode())
        colleague = db.session.scalar(sa.select(User).where(User.email == "lucia@qomer.pe"))
        logged_in.post(f"/buyer/colegas/{colleague.id}/desactivar")
        assert app.test_client().get(url.removeprefix("http://localhost")).status_code == 404

    def test_one_cannot_deactivate_oneself(self, logged_in, me):
        page = logged_in.get("/buyer/").data.decode()
        assert f"/buyer/colegas/{me.id}/desactivar" not in page
        response = logged_in.post(f"/buyer/colegas/{me.id}/desactivar")
        assert response.status_code == 409
        assert "No puedes desactivar tu propia cuenta." in text(response.data)
        db.session.refresh(me)
        assert me.active

    def test_another_business_colleague_is_404(self, logged_in):
        stranger = BuyerUserFactory()
        db.session.commit()
        assert logged_in.post(f"/buyer/colegas/{stranger.id}/desactivar").status_code == 404
        assert logged_in.post(f"/buyer/colegas/{stranger.id}/enlace").status_code == 404
        db.session.refresh(stranger)
        assert stranger.active


class TestAddresses:
    def test_add_an_address(self, logged_in, me):
        response = logged_in.post(
            "/buyer/direcciones",
            data={
                "label": "Almacén",
                "address": "Jr. Tacna 220, Lima",
                "city": "lima",
                "notes": "Recepción de 7 a 10",
            },
        )
        assert response.status_code == 303
        page = text(logged_in.get("/buyer/").data)
        assert "Almacén" in page and "Jr. Tacna 220, Lima" in page and "Recepción de 7 a 10" in page

    def test_the_new_address_form_starts_in_the_business_city(self, logged_in):
        html = logged_in.get("/buyer/").data.decode()
        assert '<option selected value="lima">' in html

    def test_add_errors_keep_what_was_typed(self, logged_in):
        response = logged_in.post(
            "/buyer/direcciones", data={"label": "", "address": "Jr. Tacna 220", "city": "lima"}
        )
        assert response.status_code == 400
        html = response.data.decode()
        assert "Dale un nombre a este lugar de entrega." in html
        assert 'value="Jr. Tacna 220"' in html

    def test_edit_an_address(self, logged_in, me):
        address = me.buyer.addresses[0]
        page = logged_in.get(f"/buyer/direcciones/{address.id}")
        assert page.status_code == 200
        assert 'value="Av. Larco 101"' in page.data.decode()
        response = logged_in.post(
            f"/buyer/direcciones/{address.id}",
            data={"label": "Barra principal", "address": "Av. Larco 105", "city": "lima"},
        )
        assert response.status_code == 303
        db.session.refresh(address)
        assert (address.label, address.address) == ("Barra principal", "Av. Larco 105")

    def test_edit_errors_are_shown_at_the_field(self, logged_in, me):
        address = me.buyer.addresses[0]
        response = logged_in.post(
            f"/buyer/direcciones/{address.id}",
            data={"label": "Barra", "address": "", "city": "cusco"},
        )
        assert response.status_code == 400
        assert "Escribe la dirección." in text(response.data)

    def test_deactivate_an_address_but_never_the_last_one(self, logged_in, me):
        first = me.buyer.addresses[0]
        second = BuyerAddressFactory(buyer=me.buyer, label="Depósito Surquillo", city="lima")
        db.session.commit()
        assert logged_in.post(f"/buyer/direcciones/{second.id}/desactivar").status_code == 303
        assert "Quitamos la dirección «Depósito Surquillo»" in text(logged_in.get("/buyer/").data)
        assert "Depósito Surquillo" not in text(logged_in.get("/buyer/").data)
        db.session.refresh(second)
        assert second.active is False
        response = logged_in.post(f"/buyer/direcciones/{first.id}/desactivar")
        assert response.status_code == 409
        assert "al menos una dirección de entrega activa" in text(response.data)
        # A deactivated address can no longer be edited.
        assert logged_in.get(f"/buyer/direcciones/{second.id}").status_code == 404

    def test_another_business_address_is_404(self, logged_in):
        theirs = BuyerAddressFactory()
        db.session.commit()
        assert logged_in.get(f"/buyer/direcciones/{theirs.id}").status_code == 404
        response = logged_in.post(
            f"/buyer/direcciones/{theirs.id}",
            data={"label": "Mía", "address": "Otra", "city": "cusco"},
        )
        assert response.status_code == 404
        assert logged_in.post(f"/buyer/direcciones/{theirs.id}/desactivar").status_code == 404
        db.session.refresh(theirs)
        assert theirs.label == "Cocina" and theirs.active
        assert db.session.scalar(sa.select(sa.func.count(BuyerAddress.id))) == 2
