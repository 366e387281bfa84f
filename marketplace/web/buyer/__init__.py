"""The buyer's own pages: its business, colleagues and addresses."""

from flask import Blueprint

bp = Blueprint("buyer", __name__)

from . import agreements, cart, invoices, orders, payments, routes, spend, standing_orders  # noqa: E402,F401  (route modules attach to bp; add yours here)
