"""Platform staff: associations, verification, promoters."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import agreements, closures, dashboard, jobs, order_payments, payments, routes  # noqa: E402,F401  (route modules attach to bp; add yours here)
