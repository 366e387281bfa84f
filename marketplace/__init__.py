"""Qhatu: a B2B marketplace between Andean producer associations and Horecas."""

from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from . import database
from .config import Config
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .ops import worker
from .web.security import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides settings (tests pass their own)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    check_production_settings(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    register_logging(app)
    register_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def check_production_settings(app: Flask) -> None:
    from .ops.production import check_settings

    check_settings(app)


def register_logging(app: Flask) -> None:
    from .ops.logging import register as register_ops_logging

    register_ops_logging(app)


def register_proxy(app: Flask) -> None:
    from .ops.production import trust_proxies

    trust_proxies(app)


def select_locale() -> str:
    """The user's saved language, else the one chosen in this browser, else Spanish."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    database.init_app(app)
    worker.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    from . import models  # noqa: F401  (register every table)
    from .models import User

    @login_manager.user_loader
    def load_user(token: str):
        user_id, _, version = token.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or str(user.session_version) != version:
            return None
        return user


def register_blueprints(app: Flask) -> None:
    from .ops.health import bp as health_bp
    from .web import register

    register(app)
    app.register_blueprint(health_bp)


def register_errorhandlers(app: Flask) -> None:
    from .web.errors import register as register_errors

    register_errors(app)


def register_template_helpers(app: Flask) -> None:
    from . import formatting
    from .web import htmx

    formatting.init_app(app)
    htmx.init_app(app)


def register_security_headers(app: Flask) -> None:
    csp = CONTENT_SECURITY_POLICY

    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.before_request
    def remember_request_start():
        g.request_started = True


def register_commands(app: Flask) -> None:
    from .cli import register as register_cli

    register_cli(app)
