"""Platform staff: associations, verification, promoters."""

from flask import Blueprint, render_template

from ...permissions import staff_required

bp = Blueprint("staff", __name__)


@bp.route("/")
@staff_required
def index():
    return render_template("staff/index.html")
