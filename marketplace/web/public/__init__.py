"""The public catalog: products, associations and their stories."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import routes  # noqa: E402,F401  (route modules attach to bp; add yours here)
