"""Production safety: refuse to start with unsafe settings; trust the proxy in front."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ..sms import PROVIDERS

DEV_SECRET_KEYS = {"dev-only-not-secret"}
MIN_SECRET_KEY_LENGTH = 32


def is_production(app: Flask) -> bool:
    return app.config.get("ENV_NAME") == "production"


def expected_workers(app: Flask) -> int:
    """Processes expected to serve the app: WEB_CONCURRENCY, else gunicorn.conf.py's default.

    The default (2 x cores + 1, capped at 4) is never below 3, so only an explicit
    WEB_CONCURRENCY=1 means one process.
    """
    return app.config.get("WEB_CONCURRENCY") or 3


def settings_problems(app: Flask) -> list[str]:
    """What makes these settings unsafe for production (empty when they are fine)."""
    config = app.config
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if not secret or secret in DEV_SECRET_KEYS:
        problems.append("SECRET_KEY is not set (the development key is refused)")
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE must be 1 (cookies only over HTTPS)")
    storage = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if storage.startswith("memory://") and expected_workers(app) > 1:
        problems.append(
            "rate limits are counted in memory but several workers are expected: "
            "set REDIS_URL (or RATELIMIT_STORAGE_URI)"
        )
    problems += sms_problems(config)
    return problems


def sms_problems(config) -> list[str]:
    """An unknown SMS provider, or the HTTP one without its endpoint and credentials."""
    provider = (config.get("SMS_PROVIDER") or "console").lower()
    if provider not in PROVIDERS:
        return [f"SMS_PROVIDER must be one of {', '.join(PROVIDERS)}"]
    if provider == "http":
        needed = ("SMS_API_URL", "SMS_API_USER", "SMS_API_PASSWORD", "SMS_FROM")
        missing = [name for name in needed if not config.get(name)]
        if missing:
            return [f"SMS_PROVIDER=http needs {', '.join(missing)}"]
        if not str(config["SMS_API_URL"]).startswith("https://"):
            return ["SMS_API_URL must be an https:// URL (credentials travel with each message)"]
    return []


def check_settings(app: Flask) -> None:
    """In production (QHATU_ENV=production), raise RuntimeError naming every unsafe setting."""
    if not is_production(app):
        return
    problems = settings_problems(app)
    if problems:
        raise RuntimeError("Qhatu refuses to start in production: " + "; ".join(problems) + ".")
    app.config["REMEMBER_COOKIE_SECURE"] = True


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client address and scheme from them.

    Without this, every request behind nginx comes from 127.0.0.1 and the per-IP login
    limit would be shared by all users.
    """
    count = app.config.get("TRUSTED_PROXIES") or 0
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)
