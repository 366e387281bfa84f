"""The public catalog: products, associations and their stories."""

from flask import render_template

from . import bp


@bp.route("/")
def index():
    return render_template("public/index.html")
