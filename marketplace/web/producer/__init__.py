"""The promoter's pages: the association's profile, story, photos, products and stock."""

from flask import Blueprint

bp = Blueprint("producer", __name__)

from . import agreements, closures, demand, figures, home, ledger, orders, routes  # noqa: E402,F401  (route modules attach to bp; add yours here)
