"""Sessions end on the server: logout, "sign out everywhere", staff ending a user's sessions.

Each test copies cookies out of one browser's jar and replays them in a new browser, as
someone who copied them (a shared computer, a stolen phone) would.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.http import parse_date

from marketplace.extensions import db
from marketplace.models import UserLogin
from tests.conftest import text
from tests.factories import PASSWORD, BuyerUserFactory, PromoterFactory, StaffFactory


@pytest.fixture
def user(app):
    user = BuyerUserFactory(email="rosa@chicha.pe")
    db.session.commit()
    return user


def login(client, email="rosa@chicha.pe", remember=False):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 303
    return response


def replay(app, **cookies):
    """A new browser that holds only these cookies."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser


def logins_of(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(UserLogin.id)).where(UserLogin.user_id == user.id)
    )


class TestLogout:
    def test_the_old_session_cookie_is_refused_after_logout(self, app, client, user):
        login(client)
        copied = client.get_cookie("session").value
        assert replay(app, session=copied).get("/buyer/").status_code == 200

        assert client.post("/logout").status_code == 303
        assert client.get("/buyer/").status_code == 302
        assert replay(app, session=copied).get("/buyer/").status_code == 302

    def test_the_old_remember_cookie_is_refused_after_logout(self, app, client, user):
        login(client, remember=True)
        remembered = client.get_cookie("remember_token").value
        # The cookie alone opens a session in another browser...
        assert replay(app, remember_token=remembered).get("/buyer/").status_code == 200

        client.post("/logout")
        assert client.get_cookie("remember_token") is None  # deleted in this browser
        # ...and no longer once its owner logged out.
        assert replay(app, remember_token=remembered).get("/buyer/").status_code == 302

    def test_logging_out_one_browser_leaves_the_others_logged_in(self, app, client, user):
        phone = app.test_client()
        login(phone)
        login(client)
        client.post("/logout")
        assert phone.get("/buyer/").status_code == 200
        assert logins_of(user) == 1

    def test_the_remember_cookie_is_lax_httponly_and_lasts_thirty_days(self, client, user, clock):
        response = login(client, remember=True)
        header = next(
            value
            for value in response.headers.getlist("Set-Cookie")
            if value.startswith("remember_token=")
        )
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        expires = parse_date(re.search(r"Expires=([^;]+)", header).group(1))
        assert abs(expires - (clock + timedelta(days=30))) < timedelta(minutes=1)


class TestSignOutEverywhere:
    def test_every_session_of_the_user_ends(self, app, client, user):
        phone = app.test_client()
        login(phone, remember=True)
        remembered = phone.get_cookie("remember_token").value
        login(client)
        page = text(client.get("/cuenta").data)
        assert "Cerrar sesión en todos los dispositivos" in page

        response = client.post("/cuenta/cerrar-sesiones")
        assert response.status_code == 303
        assert "Cerramos tu sesión en todos tus dispositivos." in text(client.get("/").data)
        assert client.get("/buyer/").status_code == 302
        assert phone.get("/buyer/").status_code == 302
        assert replay(app, remember_token=remembered).get("/buyer/").status_code == 302
        assert logins_of(user) == 0
        login(client)  # the password still works
        assert client.get("/buyer/").status_code == 200

    def test_it_needs_a_post(self, client, user):
        login(client)
        assert client.get("/cuenta/cerrar-sesiones").status_code == 405
        assert client.get("/buyer/").status_code == 200


class TestStaffEndsSessions:
    @pytest.fixture
    def staff(self, app):
        staff = StaffFactory(email="equipo@qhatu.pe")
        db.session.commit()
        return staff

    def test_staff_end_a_buyer_users_sessions(self, app, client, user, staff):
        phone = app.test_client()
        login(phone, remember=True)
        remembered = phone.get_cookie("remember_token").value
        login(client, email=staff.email)
        page = text(client.get(f"/staff/buyers/{user.buyer_id}").data)
        assert "Cerrar sesiones" in page

        response = client.post(f"/staff/users/{user.id}/end-sessions")
        assert response.status_code == 303
        assert response.headers["Location"] == f"/staff/buyers/{user.buyer_id}"
        assert phone.get("/buyer/").status_code == 302
        assert replay(app, remember_token=remembered).get("/buyer/").status_code == 302
        assert client.get("/staff/").status_code == 200  # staff's own session goes on

    def test_staff_end_a_promoters_sessions(self, app, client, staff):
        promoter = PromoterFactory(email="julia@sumaq.pe")
        db.session.commit()
        phone = app.test_client()
        login(phone, email=promoter.email)
        login(client, email=staff.email)
        assert "Cerrar sesiones" in text(client.get("/staff/promoters").data)
        response = client.post(f"/staff/users/{promoter.id}/end-sessions", data={"next": "list"})
        assert response.headers["Location"] == "/staff/promoters"
        assert phone.get("/producer/").status_code == 302

    def test_only_staff_may(self, app, client, user):
        other = BuyerUserFactory(buyer=user.buyer, email="luis@chicha.pe")
        db.session.commit()
        phone = app.test_client()
        login(phone, email=other.email)
        login(client)
        assert client.post(f"/staff/users/{other.id}/end-sessions").status_code == 403
        assert phone.get("/buyer/").status_code == 200

    def test_staff_accounts_are_not_ended_here(self, client, staff):
        colleague = StaffFactory()
        db.session.commit()
        login(client, email=staff.email)
        assert client.post(f"/staff/users/{colleague.id}/end-sessions").status_code == 404
