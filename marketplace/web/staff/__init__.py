"""Platform staff: associations, verification, promoters."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import routes  # noqa: E402,F401  (route modules attach to bp; add yours here)
from . import agreements  # noqa: E402,F401  (agreements and standing orders)
