"""/healthz and /readyz: what a load balancer sees."""

import os

import pytest

from marketplace import create_app
from marketplace.extensions import limiter
from tests.conftest import make_config

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def broken_db_app(tmp_path):
    """An app whose database cannot be opened (its folder does not exist)."""
    url = f"sqlite:///{tmp_path / 'missing' / 'qhatu.db'}"
    return create_app(make_config(url, tmp_path))


def test_healthz_says_ok_without_a_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_does_not_need_the_database(broken_db_app):
    assert broken_db_app.test_client().get("/healthz").status_code == 200


def test_readyz_is_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}
    assert "Set-Cookie" not in response.headers


def test_readyz_names_the_database_when_it_is_down(broken_db_app):
    response = broken_db_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "checks": {"database": "failed"}}


@pytest.mark.parametrize("app_config", [{"REDIS_URL": UNREACHABLE_REDIS}])
def test_readyz_names_redis_when_it_is_down(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "redis": "failed"}


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
@pytest.mark.parametrize("app_config", [{"REDIS_URL": os.environ.get("TEST_REDIS_URL")}])
def test_readyz_pings_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute"}]
)
def test_health_checks_are_never_rate_limited(client):
    try:
        assert [client.get("/").status_code for _ in range(3)][-1] == 429
        assert {client.get("/healthz").status_code for _ in range(5)} == {200}
        assert {client.get("/readyz").status_code for _ in range(5)} == {200}
    finally:
        limiter.limit_manager.set_default_limits([])  # the limiter outlives this app
