"""Platform staff: associations, verification, promoters."""

from flask import render_template

from ...permissions import staff_required
from . import bp


@bp.route("/")
@staff_required
def index():
    return render_template("staff/index.html")
