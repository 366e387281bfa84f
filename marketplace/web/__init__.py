"""Web blueprints, one per audience: public catalog, auth, buyer, producer, staff."""

from flask import Flask
from flask_babel import get_locale

from ..labels import LANGUAGE_NAMES
from ..sms.routes import bp as sms_bp
from . import converters
from .auth.blueprint import bp as auth_bp
from .buyer.blueprint import bp as buyer_bp
from .media import bp as media_bp
from .offline import bp as offline_bp
from .producer.blueprint import bp as producer_bp
from .public.blueprint import bp as public_bp
from .staff.blueprint import bp as staff_bp
from .webhooks import bp as webhooks_bp


def register(app: Flask) -> None:
    converters.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(buyer_bp, url_prefix="/buyer")
    app.register_blueprint(producer_bp, url_prefix="/producer")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(media_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(sms_bp)
    init_app(app)


def init_app(app: Flask) -> None:
    """Template globals every page uses."""

    @app.context_processor
    def inject_globals():
        return {
            "current_locale": lambda: str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "language_names": LANGUAGE_NAMES,
            "view_functions": app.view_functions,
        }
