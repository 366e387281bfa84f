"""Log in, log out, choose a language."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401  (route modules attach to bp; add yours here)
