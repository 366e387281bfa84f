"""Security of accounts and pages: rate limits, sessions, redirects, passwords, CSRF, headers."""

import re
import secrets

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from marketplace.extensions import db
from marketplace.models import Buyer, User
from marketplace.services.ruc import make_ruc
from tests.conftest import text
from tests.factories import PASSWORD, BuyerUserFactory, PromoterFactory, StaffFactory


@pytest.fixture
def user(app):
    user = BuyerUserFactory(email="rosa@chicha.pe")
    db.session.commit()
    return user


def login(client, email="rosa@chicha.pe", password=PASSWORD, next_url=None, **extra):
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(url, data={"email": email, "password": password, **extra})


def stored(query):
    """What the requests committed, read through a session of its own."""
    with sa.orm.Session(db.engine) as session:
        return session.scalar(query)


def registered(email="julio@andino.pe") -> bool:
    """Whether a registration left its user and its business in the database."""
    user = stored(sa.select(User.id).where(User.email == email))
    business = stored(sa.select(Buyer.id).where(Buyer.ruc == registration()["ruc"]))
    assert (user is None) == (business is None), "half a registration was written"
    return user is not None


def logged_in(client, ip: str = "127.0.0.1") -> bool:
    """Whether this browser is in a buyer's session (the buyer's home answers).

    The session is tied to the address it logged in from (strong session protection).
    """
    return client.get("/buyer/", environ_base={"REMOTE_ADDR": ip}).status_code == 200


def registration(**changes) -> dict:
    data = {
        "legal_name": "Hotel Andino S.A.",
        "trade_name": "Hotel Andino",
        "ruc": make_ruc("2070000001"),
        "kind": "hotel",
        "city": "cusco",
        "address_label": "Recepción",
        "address": "Calle Saphi 500, Cusco",
        "name": "Julio Ccori",
        "email": "julio@andino.pe",
        "password": "cerro ausangate nevado",
        "password_confirm": "cerro ausangate nevado",
    }
    data.update(changes)
    return data


class TestLoginRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True}

    @pytest.fixture
    def ip(self):
        """A fresh address per test, so counters never carry over (even in a shared store)."""
        return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"

    def post(self, client, ip, password=""):
        """A login attempt; an empty password fails fast (no hashing) but still counts."""
        return client.post(
            "/login",
            data={"email": "rosa@chicha.pe", "password": password},
            environ_base={"REMOTE_ADDR": ip},
        )

    def test_the_eleventh_attempt_in_a_minute_is_refused(self, client, user, ip):
        for _ in range(10):
            assert self.post(client, ip).status_code == 400
        response = self.post(client, ip, password=PASSWORD)  # even the right password
        assert response.status_code == 429
        assert "Demasiados intentos; espera un momento" in text(response.data)
        assert "Retry-After" in response.headers
        assert not logged_in(client, ip)

    def test_the_limit_is_per_address(self, client, user, ip):
        for _ in range(11):
            self.post(client, ip)
        other_ip = ip.rsplit(".", 1)[0] + ".251"
        assert self.post(client, other_ip, password=PASSWORD).status_code == 303
        assert logged_in(client, other_ip)

    def test_showing_the_form_is_not_limited(self, client, ip):
        for _ in range(15):
            assert client.get("/login", environ_base={"REMOTE_ADDR": ip}).status_code == 200

    def test_the_limit_resets_after_a_minute(self, client, user, ip):
        import time_machine

        with time_machine.travel("2026-03-02 15:00:00 +0000", tick=False) as traveller:
            for _ in range(11):
                self.post(client, ip)
            assert self.post(client, ip, password=PASSWORD).status_code == 429
            assert not logged_in(client, ip)
            traveller.shift(61)
            assert self.post(client, ip, password=PASSWORD).status_code == 303
            assert logged_in(client, ip)


class TestSessions:
    def test_login_renews_the_session(self, client, user):
        with client.session_transaction() as session:
            session["planted"] = "fixation attempt"
        before = client.get_cookie("session").value
        assert login(client).status_code == 303
        after = client.get_cookie("session").value
        assert after != before
        with client.session_transaction() as session:
            assert "planted" not in session
            assert session["_user_id"].startswith(f"{user.id}:")

    def test_the_chosen_language_survives_login(self, client, user):
        client.post("/language/en")
        login(client)
        with client.session_transaction() as session:
            assert session["lang"] == "en"

    def test_session_cookie_is_http_only_and_same_site(self, client, user):
        response = login(client)
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie

    @pytest.mark.parametrize(
        ("factory", "home"),
        [
            (BuyerUserFactory, "/buyer/"),
            (PromoterFactory, "/producer/home"),
            (StaffFactory, "/staff/"),
        ],
    )
    def test_logged_in_user_visiting_login_goes_home(self, client, factory, home):
        person = factory()
        db.session.commit()
        login(client, email=person.email)
        response = client.get("/login")
        assert response.status_code == 302
        assert response.headers["Location"] == home

    def test_inactive_users_cannot_log_in(self, client, user):
        user.active = False
        db.session.commit()
        response = login(client)
        assert response.status_code == 400
        assert "Correo o contraseña incorrectos." in text(response.data)
        assert client.get("/buyer/").status_code == 302

    def test_unknown_email_and_wrong_password_read_the_same(self, client, user):
        unknown = text(login(client, email="nadie@example.pe").data)
        wrong = text(login(client, password="not it at all").data)
        assert "Correo o contraseña incorrectos." in unknown
        assert "Correo o contraseña incorrectos." in wrong

    def test_an_unknown_email_costs_a_password_hash_too(self, client, user, monkeypatch):
        from marketplace.services import accounts

        checked = []
        real = accounts.check_password_hash
        monkeypatch.setattr(
            accounts, "check_password_hash", lambda h, p: checked.append(h) or real(h, p)
        )
        login(client, email="nadie@example.pe")
        assert checked and checked[0].startswith("scrypt:")

    def test_an_invited_user_without_password_cannot_log_in(self, client, user):
        user.password_hash = None
        db.session.commit()
        assert login(client, password="").status_code == 400
        assert login(client, password="anything at all").status_code == 400
        assert not logged_in(client)

    def test_changing_password_logs_out_other_sessions(self, app, client, user):
        phone = app.test_client()
        login(phone, remember="y")
        assert phone.get("/buyer/").status_code == 200
        remembered = phone.get_cookie("remember_token")
        assert remembered is not None

        login(client)
        response = client.post(
            "/cuenta/contrasena",
            data={
                "current_password": PASSWORD,
                "password": "una frase nueva y larga",
                "password_confirm": "una frase nueva y larga",
            },
        )
        assert response.status_code == 303
        new_hash = stored(sa.select(User.password_hash).where(User.id == user.id))
        assert check_password_hash(new_hash, "una frase nueva y larga")
        assert client.get("/buyer/").status_code == 200  # this session goes on
        assert phone.get("/buyer/").status_code == 302  # the other one ended
        assert login(app.test_client()).status_code == 400  # the old password is gone

        # A "remember me" cookie from before the change does not bring it back either.
        stale = app.test_client()
        stale.set_cookie("remember_token", remembered.value)
        assert stale.get("/buyer/").status_code == 302


class TestSafeNext:
    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.com",
            "//evil.com",
            "/\\evil.com",
            "https:/evil.com",
            "javascript:alert(1)",
            "evil.com/buyer/",
            "///evil.com",
        ],
    )
    def test_foreign_targets_land_on_the_home(self, client, user, target):
        response = login(client, next_url=target)
        assert response.status_code == 303
        assert response.headers["Location"] == "/buyer/"

    def test_a_local_path_is_followed(self, client, user):
        response = login(client, next_url="/cuenta")
        assert response.headers["Location"] == "/cuenta"

    def test_login_required_pages_come_back_after_login(self, client, user):
        response = client.get("/cuenta")
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/login?next=")
        page = client.get(location)
        assert page.status_code == 200
        followed = client.post(location, data={"email": user.email, "password": PASSWORD})
        assert followed.headers["Location"] == "/cuenta"
        assert client.get("/cuenta").status_code == 200


class TestPasswords:
    def test_passwords_are_stored_with_scrypt(self, client):
        assert client.post("/registro", data=registration()).status_code == 303
        password_hash = stored(sa.select(User.password_hash).where(User.email == "julio@andino.pe"))
        assert password_hash.startswith("scrypt:")
        assert "cerro ausangate nevado" not in password_hash
        assert check_password_hash(password_hash, "cerro ausangate nevado")

    def test_eleven_characters_are_refused(self, client):
        response = client.post(
            "/registro", data=registration(password="ayni minka ", password_confirm="ayni minka ")
        )
        assert response.status_code == 400
        assert "La contraseña necesita al menos 12 caracteres." in text(response.data)
        assert not registered()

    def test_twelve_characters_are_enough(self, client):
        response = client.post(
            "/registro", data=registration(password="ayni minka 7", password_confirm="ayni minka 7")
        )
        assert response.status_code == 303
        assert registered()
        client.post("/logout")
        assert login(client, email="julio@andino.pe", password="ayni minka 7").status_code == 303

    def test_a_200_character_password_works_from_registration_to_login(self, client):
        long = ("chullpi tostado " * 13)[:200]
        assert len(long) == 200
        data = registration(password=long, password_confirm=long)
        assert client.post("/registro", data=data).status_code == 303
        client.post("/logout")
        assert login(client, email="julio@andino.pe", password=long).status_code == 303
        client.post("/logout")
        assert login(client, email="julio@andino.pe", password=long[:-1]).status_code == 400
        assert not logged_in(client)


class TestCSRF:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def token(self, client, path):
        html = client.get(path).data.decode()
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def test_login_without_token_is_refused(self, client, user):
        response = login(client)
        assert response.status_code == 400
        assert client.get("/buyer/").status_code == 302

    def test_registration_without_token_is_refused(self, client):
        response = client.post("/registro", data=registration())
        assert response.status_code == 400
        assert "Solicitud incorrecta" in text(response.data)
        assert not registered()

    def test_login_with_the_page_token_works(self, client, user):
        token = self.token(client, "/login")
        assert login(client, csrf_token=token).status_code == 303
        assert logged_in(client)

    def test_registration_with_the_page_token_works(self, client):
        token = self.token(client, "/registro")
        data = registration(csrf_token=token)
        assert client.post("/registro", data=data).status_code == 303
        assert registered()

    def test_a_logged_in_form_without_token_is_refused(self, client, user):
        login(client, csrf_token=self.token(client, "/login"))
        response = client.post("/buyer/colegas", data={"name": "X", "email": "x@example.pe"})
        assert response.status_code == 400
        assert "Solicitud incorrecta" in text(response.data)
        assert stored(sa.select(User.id).where(User.email == "x@example.pe")) is None

    def test_htmx_sends_the_token_in_a_header(self, client, user):
        login(client, csrf_token=self.token(client, "/login"))
        html = client.get("/buyer/").data.decode()
        header_token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
        response = client.post(
            "/buyer/colegas",
            data={"name": "Lucía", "email": "lucia@chicha.pe"},
            headers={"X-CSRFToken": header_token},
        )
        assert response.status_code == 303
        colleague = stored(sa.select(User.buyer_id).where(User.email == "lucia@chicha.pe"))
        assert colleague == user.buyer_id


class TestHeaders:
    # Each page with the answer it gives: an unknown invitation is a 404 page.
    PAGES = {
        "/": 200,
        "/login": 200,
        "/registro": 200,
        "/invitacion/unknown": 404,
        "/buyer/": 200,
        "/cuenta": 200,
    }

    @pytest.mark.parametrize("path", PAGES)
    def test_pages_carry_security_headers(self, client, user, path):
        if path in ("/buyer/", "/cuenta"):
            login(client)
        response = client.get(path)
        assert response.status_code == self.PAGES[path]
        csp = response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp
        assert "'unsafe-eval'" not in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")

    @pytest.mark.parametrize("path", PAGES)
    def test_pages_have_no_inline_script_or_style(self, client, user, path):
        if path in ("/buyer/", "/cuenta"):
            login(client)
        response = client.get(path)
        assert response.status_code == self.PAGES[path]
        html = response.data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
        assert not re.search(r"<style\b", html)
        assert not re.search(r"\sstyle=", html)
        assert " hx-on" not in html
