"""Password rules: 12 characters or more, not a common password, not the user's e-mail or
business name; said at the field, in the user's language; weak old passwords are changed
at the next login."""

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from marketplace.demo import DEMO_PASSWORD, seed_demo
from marketplace.extensions import db
from marketplace.models import User
from marketplace.services.accounts import invite_colleague, password_needs_change
from tests.conftest import text
from tests.factories import PASSWORD, BuyerFactory, BuyerUserFactory, PromoterFactory
from tests.test_security import registration

TOO_SHORT = "La contraseña necesita al menos 12 caracteres."
TOO_COMMON = "Esta contraseña es muy común y fácil de adivinar."
TOO_PERSONAL = "La contraseña se parece demasiado a tu correo o al nombre de tu negocio."


def field_error(response, field: str = "password") -> str:
    """The error shown under one field of the page."""
    html = response.get_data(as_text=True)
    start = html.find(f'id="{field}-err"')
    assert start != -1, f"no error at {field}"
    return text(html[start : html.index("</p>", start)])


def stored_user(email: str):
    with sa.orm.Session(db.engine) as session:
        return session.scalar(sa.select(User).where(User.email == email))


class TestNewPasswords:
    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("12345678", TOO_SHORT),
            ("password", TOO_SHORT),
            ("qwertyui", TOO_SHORT),
            ("aaaaaaaa", TOO_SHORT),
            ("12345678901", TOO_SHORT),
            ("password1234", TOO_COMMON),
            ("123456789012", TOO_COMMON),
            ("aaaaaaaaaaaa", TOO_COMMON),
            ("qwertyuiop12", TOO_COMMON),
            ("abababababab", TOO_COMMON),
            ("Contraseña2026!", TOO_COMMON),
            ("julio@andino.pe", TOO_PERSONAL),
            ("julio.andino.pe", TOO_PERSONAL),
            ("HotelAndino2026", TOO_PERSONAL),
            ("hotel andino s.a.", TOO_PERSONAL),
        ],
    )
    def test_registration_refuses_weak_passwords_at_the_field(self, client, password, message):
        data = registration(email="julio@andino.pe", password=password, password_confirm=password)
        response = client.post("/registro", data=data)
        assert response.status_code == 400
        assert message in field_error(response)
        assert stored_user("julio@andino.pe") is None

    def test_a_passphrase_is_accepted(self, client):
        data = registration(password="chullpi tostado", password_confirm="chullpi tostado")
        assert client.post("/registro", data=data).status_code == 303

    @pytest.mark.parametrize(
        ("lang", "message"),
        [
            ("en", "This password is very common and easy to guess."),
            ("qu", "Kay contraseñaqa ancha riqsisqam, yachanapaq facil."),
        ],
    )
    def test_the_message_speaks_the_users_language(self, client, lang, message):
        client.post(f"/language/{lang}")
        data = registration(password="password1234", password_confirm="password1234")
        response = client.post("/registro", data=data)
        assert response.status_code == 400
        assert message in field_error(response)

    def test_an_invited_colleague_may_not_use_the_business_name(self, client):
        buyer = BuyerFactory(legal_name="Chicharronería Rosa S.A.C.", trade_name="La Chicha")
        user, token = invite_colleague(db.session, buyer.id, "Luis Huamán", "luis@chicha.pe")
        db.session.commit()
        weak = "chicharroneriarosa"
        response = client.post(
            f"/invitacion/{token}", data={"password": weak, "password_confirm": weak}
        )
        assert response.status_code == 400
        assert TOO_PERSONAL in field_error(response)
        assert stored_user("luis@chicha.pe").password_hash is None

    def test_a_change_of_password_follows_the_rules(self, client, auth):
        user = BuyerUserFactory(email="rosa.quispe@chicha.pe")
        db.session.commit()
        auth.login(user)
        for weak, message in (("iloveyou2026", TOO_COMMON), ("rosaquispe2026", TOO_PERSONAL)):
            response = client.post(
                "/cuenta/contrasena",
                data={"current_password": PASSWORD, "password": weak, "password_confirm": weak},
            )
            assert response.status_code == 400
            assert message in field_error(response)

    def test_the_demo_password_meets_the_rules_for_every_demo_account(self, app):
        seed_demo(db.session)
        db.session.commit()
        users = db.session.scalars(sa.select(User)).all()
        assert users
        for user in users:
            assert not password_needs_change(user, DEMO_PASSWORD), user.email


class TestWeakOldPasswords:
    @pytest.fixture
    def weak(self, app):
        """An account made before the rules, with an 8-character password."""
        user = BuyerUserFactory(
            email="rosa@chicha.pe",
            password_hash=generate_password_hash("12345678", method="scrypt:1024:8:1"),
        )
        db.session.commit()
        return user

    def test_a_weak_password_still_logs_in_and_is_asked_to_change(self, client, weak):
        response = client.post("/login", data={"email": weak.email, "password": "12345678"})
        assert response.status_code == 303
        assert stored_user(weak.email).password_change_required
        # Every page leads to the change of password until it is done.
        for page in ("/buyer/", "/cuenta", "/"):
            answer = client.get(page)
            assert answer.status_code == 302, page
            assert answer.headers["Location"] == "/cuenta/contrasena-nueva"
        page = client.get("/cuenta/contrasena-nueva")
        assert page.status_code == 200
        assert "Tu contraseña ya no cumple nuestras reglas" in text(page.data)

        refused = client.post(
            "/cuenta/contrasena-nueva",
            data={"current_password": "12345678", "password": "abc", "password_confirm": "abc"},
        )
        assert refused.status_code == 400
        assert TOO_SHORT in field_error(refused)

        new = "queso andino de ocongate"
        done = client.post(
            "/cuenta/contrasena-nueva",
            data={"current_password": "12345678", "password": new, "password_confirm": new},
        )
        assert done.status_code == 303
        assert done.headers["Location"] == "/buyer/"
        assert client.get("/buyer/").status_code == 200
        assert not stored_user(weak.email).password_change_required

    def test_logging_out_is_still_possible(self, client, weak):
        client.post("/login", data={"email": weak.email, "password": "12345678"})
        assert client.post("/logout").status_code == 303
        assert client.get("/buyer/").status_code == 302
        assert client.get("/buyer/").headers["Location"].startswith("/login")

    def test_a_password_like_the_association_name_is_asked_to_change(self, client):
        promoter = PromoterFactory(
            email="julia@sumaq.pe",
            association__name="Sumaq Quesos",
            password_hash=generate_password_hash("sumaqquesos2020", method="scrypt:1024:8:1"),
        )
        db.session.commit()
        client.post("/login", data={"email": promoter.email, "password": "sumaqquesos2020"})
        assert client.get("/producer/").headers["Location"] == "/cuenta/contrasena-nueva"

    def test_a_good_password_is_not_asked_to_change(self, client, auth):
        user = BuyerUserFactory()
        db.session.commit()
        assert auth.login(user).status_code == 303
        assert client.get("/buyer/").status_code == 200
        assert client.get("/cuenta/contrasena-nueva").headers["Location"] == "/buyer/"
