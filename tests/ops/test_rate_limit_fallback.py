"""When Redis is unreachable, logins still work: the limiter counts in memory meanwhile."""

import pytest

from marketplace.extensions import limiter


@pytest.fixture
def app_config():
    # Nothing listens on this port: the limiter's storage is down from the start.
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}


@pytest.fixture(autouse=True)
def forget_dead_storage():
    """The limiter is one object per process; don't let later tests' apps inherit
    the "storage is dead" state these tests put it in (a new process starts clean)."""
    yield
    limiter._storage_dead = False


def test_login_answers_while_the_limiter_storage_is_down(client):
    response = client.post("/login", data={"email": "nobody@example.pe", "password": "x" * 12})
    assert response.status_code == 400
    assert "Correo o contraseña incorrectos" in response.get_data(as_text=True)


def test_the_fallback_still_limits(client):
    for _ in range(10):
        client.post("/login", data={"email": "nobody@example.pe", "password": "x" * 12})
    response = client.post("/login", data={"email": "nobody@example.pe", "password": "x" * 12})
    assert response.status_code == 429
