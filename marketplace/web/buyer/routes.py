"""The buyer's own pages: its business, colleagues and addresses."""

from flask import render_template

from ...permissions import buyer_required
from . import bp


@bp.route("/")
@buyer_required
def index():
    return render_template("buyer/index.html")
