"""The buyer's own pages: its business, colleagues and addresses."""

from flask import Blueprint, render_template

from ...permissions import buyer_required

bp = Blueprint("buyer", __name__)


@bp.route("/")
@buyer_required
def index():
    return render_template("buyer/index.html")
