from marketplace.extensions import db
from tests.conftest import text
from tests.factories import BuyerUserFactory


def test_home_page_answers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_login_and_logout(client, auth):
    user = BuyerUserFactory()
    db.session.commit()
    response = auth.login(user)
    assert response.status_code == 303
    assert response.headers["Location"] == "/buyer/"
    assert client.get("/buyer/").status_code == 200
    auth.logout()
    assert client.get("/buyer/").status_code == 302


def test_wrong_password_says_so_at_the_field(client, auth):
    user = BuyerUserFactory()
    db.session.commit()
    response = auth.login(user, "wrong password")
    assert response.status_code == 400
    assert "Correo o contraseña incorrectos." in text(response.data)


def test_a_deactivated_user_is_logged_out_at_the_next_request(client, auth):
    user = BuyerUserFactory()
    db.session.commit()
    auth.login(user)
    assert client.get("/buyer/").status_code == 200
    user.active = False  # switched off directly, without touching session_version
    db.session.commit()
    assert client.get("/buyer/").status_code == 302
