"""The buyer's own pages: its business, colleagues and addresses."""

from flask import Blueprint

bp = Blueprint("buyer", __name__)

from . import cart, orders, routes  # noqa: E402,F401  (route modules attach to bp; add yours here)
from . import agreements, standing_orders  # noqa: E402,F401  (agreements and standing orders)
