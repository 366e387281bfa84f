"""Qhatu: a B2B marketplace between Andean producer associations and Horecas."""

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from . import cli, database, formatting, labels, security_headers
from .config import Config
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .ops import logging as ops_logging
from .ops import production, worker
from .ops.health import bp as health_bp
from .services.logins import user_for_login
from .web import errors, htmx
from .web import register as register_web

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
    security_headers.init_app(app)
    cli.init_app(app)
    return app


def check_production_settings(app: Flask) -> None:
    production.check_settings(app)


def register_logging(app: Flask) -> None:
    ops_logging.register(app)


def register_proxy(app: Flask) -> None:
    production.trust_proxies(app)


def select_locale() -> str:
    """The user's saved language, else the one chosen in this browser, else Spanish."""
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
    login_manager.user_loader(load_user)


def load_user(token: str):
    """The user of a session token "<id>:<session_version>:<login>", if still valid."""
    return user_for_login(db.session, token)


def register_blueprints(app: Flask) -> None:
    register_web(app)
    app.register_blueprint(health_bp)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    formatting.init_app(app)
    labels.init_app(app)
    htmx.init_app(app)
