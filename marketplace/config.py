"""Settings read from the environment, with safe defaults for development."""

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def database_url(raw: str | None) -> str:
    """Normalise DATABASE_URL: plain postgres URLs use the psycopg 3 driver."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'qhatu.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Development defaults; every value can be overridden from the environment."""

    ENV_NAME = os.environ.get("QHATU_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # If Redis is unreachable, count per worker in memory rather than refusing every login.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Processes serving the app (gunicorn.conf.py reads the same variable); 0: its default.
    WEB_CONCURRENCY = int(os.environ.get("WEB_CONCURRENCY") or 0)
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or 0)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # one photo per request, re-encoded smaller
    PHOTO_MAX_BYTES = 5 * 1024 * 1024
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # As long as a login is kept on the server (services/logins.py LOGIN_MAX_AGE).
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    WTF_CSRF_TIME_LIMIT = (
        None  # tied to the session, not to a clock: phones stay on a page for long
    )
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = "America/Lima"
    LANGUAGES = ("es", "en", "qu")
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Qhatu <no-reply@qhatu.pe>")
    IGV_RATE_PERCENT = 18
    # Payments: the platform's fee on delivered value in basis points (100 = 1%), the
    # invoice series, and Stripe (no secret key: cards are not offered).
    PLATFORM_FEE_BPS = int(os.environ.get("PLATFORM_FEE_BPS") or 0)
    INVOICE_SERIES = os.environ.get("INVOICE_SERIES", "F001")
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # a local fake Stripe in tests
    # Where Checkout Sessions are created (default: STRIPE_API_BASE, else Stripe itself).
    STRIPE_CHECKOUT_API_BASE = os.environ.get("STRIPE_CHECKOUT_API_BASE")
    # Where the hosted card page lives: buyer pages' forms may be redirected there (CSP).
    STRIPE_CHECKOUT_ORIGIN = os.environ.get("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")
    # Inbound SMS webhook: requests must carry an HMAC made with this secret (no secret: refused).
    SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET")
    # Outgoing SMS: "console" writes them to the log; "http" posts To/From/Body with basic auth
    # to SMS_API_URL (e.g. Twilio's .../Accounts/<sid>/Messages.json), as SMS_FROM.
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "console")
    SMS_API_URL = os.environ.get("SMS_API_URL")
    SMS_API_USER = os.environ.get("SMS_API_USER")
    SMS_API_PASSWORD = os.environ.get("SMS_API_PASSWORD")
    SMS_FROM = os.environ.get("SMS_FROM")
    # Where the app is reached from outside: links in messages sent by scheduled commands.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:5000")
    # How long before a standing order's cut-off the buyer is reminded of the delivery.
    STANDING_ORDER_REMINDER_HOURS = int(os.environ.get("STANDING_ORDER_REMINDER_HOURS") or 24)
