"""In production the app refuses to start with settings that are unsafe there."""

import os
import subprocess
import sys

import pytest

from marketplace import create_app
from tests.conftest import ROOT, make_config

GOOD_SECRET = "7d1f0c5e9a3b48e2b6a1c0d9e8f7a6b5"


def production_config(tmp_path, **overrides) -> dict:
    settings = {
        "ENV_NAME": "production",
        "SECRET_KEY": GOOD_SECRET,
        "SESSION_COOKIE_SECURE": True,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "WEB_CONCURRENCY": 0,
    }
    settings.update(overrides)
    return make_config(f"sqlite:///{tmp_path / 'prod.db'}", tmp_path, **settings)


def refusal(tmp_path, **overrides) -> str:
    with pytest.raises(RuntimeError) as error:
        create_app(production_config(tmp_path, **overrides))
    assert str(error.value).startswith("Qhatu refuses to start in production")
    return str(error.value)


def test_safe_production_settings_start(tmp_path):
    app = create_app(production_config(tmp_path))
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize("secret", [None, "", "dev-only-not-secret"])
def test_refuses_a_missing_or_development_secret_key(tmp_path, secret):
    assert "SECRET_KEY is not set" in refusal(tmp_path, SECRET_KEY=secret)


def test_refuses_a_short_secret_key(tmp_path):
    assert "SECRET_KEY is shorter than 32" in refusal(tmp_path, SECRET_KEY="s3cr3t")


def test_refuses_cookies_that_travel_without_https(tmp_path):
    assert "SESSION_COOKIE_SECURE" in refusal(tmp_path, SESSION_COOKIE_SECURE=False)


@pytest.mark.parametrize("workers", [0, 2])
def test_refuses_in_memory_rate_limits_with_several_workers(tmp_path, workers):
    message = refusal(tmp_path, RATELIMIT_STORAGE_URI="memory://", WEB_CONCURRENCY=workers)
    assert "set REDIS_URL" in message


def test_in_memory_rate_limits_are_fine_for_a_single_worker(tmp_path):
    create_app(production_config(tmp_path, RATELIMIT_STORAGE_URI="memory://", WEB_CONCURRENCY=1))


SMS_HTTP = {
    "SMS_PROVIDER": "http",
    "SMS_API_URL": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
    "SMS_API_USER": "AC1",
    "SMS_API_PASSWORD": "token",
    "SMS_FROM": "+5115550000",
}


def test_the_http_sms_provider_with_its_settings_starts(tmp_path):
    create_app(production_config(tmp_path, **SMS_HTTP))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SMS_PROVIDER": "carrier-pigeon"}, "SMS_PROVIDER must be one of console, http"),
        ({"SMS_API_PASSWORD": None, "SMS_FROM": ""}, "needs SMS_API_PASSWORD, SMS_FROM"),
        ({"SMS_API_URL": "http://sms.example.pe/send"}, "SMS_API_URL must be an https://"),
    ],
)
def test_refuses_an_sms_provider_it_cannot_use(tmp_path, overrides, expected):
    assert expected in refusal(tmp_path, **{**SMS_HTTP, **overrides})


def test_every_problem_is_named_at_once(tmp_path):
    message = refusal(
        tmp_path, SECRET_KEY=None, SESSION_COOKIE_SECURE=False, RATELIMIT_STORAGE_URI=None
    )
    assert "SECRET_KEY" in message
    assert "SESSION_COOKIE_SECURE" in message
    assert "REDIS_URL" in message


def test_development_does_not_check(tmp_path):
    create_app(
        production_config(
            tmp_path,
            ENV_NAME="development",
            SECRET_KEY="dev-only-not-secret",
            SESSION_COOKIE_SECURE=False,
            RATELIMIT_STORAGE_URI="memory://",
        )
    )


def test_qhatu_env_production_from_the_environment_refuses_the_defaults(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "SESSION_COOKIE_SECURE", "REDIS_URL", "RATELIMIT_STORAGE_URI"}
    }
    env.update(QHATU_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'env.db'}")
    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RuntimeError: Qhatu refuses to start in production" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}])
def test_behind_a_trusted_proxy_the_client_address_comes_from_it(client, capsys):
    capsys.readouterr()
    client.get("/healthz", headers={"X-Forwarded-For": "190.40.1.2"})
    [line] = [x for x in capsys.readouterr().err.splitlines() if "qhatu.access" in x]
    assert " ip=190.40.1.2" in line


def test_without_trusted_proxies_forwarded_addresses_are_ignored(client, capsys):
    capsys.readouterr()
    client.get("/healthz", headers={"X-Forwarded-For": "190.40.1.2"})
    [line] = [x for x in capsys.readouterr().err.splitlines() if "qhatu.access" in x]
    assert " ip=127.0.0.1" in line
