"""The promoter's pages: the association's profile, story, photos, products and stock."""

from flask import Blueprint, render_template

from ...permissions import promoter_required

bp = Blueprint("producer", __name__)


@bp.route("/")
@promoter_required
def index():
    return render_template("producer/index.html")
