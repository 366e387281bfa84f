"""The promoter's pages: the association's profile, story, photos, products and stock."""

from flask import render_template

from ...permissions import promoter_required
from . import bp


@bp.route("/")
@promoter_required
def index():
    return render_template("producer/index.html")
