"""When Redis is unreachable, logins still work: the limiter counts in memory meanwhile."""

import pytest


@pytest.fixture
def app_config():
    # Nothing listens on this port: the limiter's storage is down from the start.
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}


def test_login_answers_while_the_limiter_storage_is_down(client):
    response = client.post("/login", data={"email": "nobody@example.pe", "password": "x" * 12})
    assert response.status_code == 400
    assert "Correo o contraseña incorrectos" in response.get_data(as_text=True)


def test_the_fallback_still_limits(client):
    for _ in range(10):
        client.post("/login", data={"email": "nobody@example.pe", "password": "x" * 12})
    response = client.post("/login", data={"email": "nobody@example.pe", "password": "x" * 12})
    assert response.status_code == 429
