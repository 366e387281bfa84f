"""The public catalog: products, associations and their stories."""

from flask import abort, render_template, request

from ...extensions import db
from ...numbers import parse_page
from ...services import calendar
from ..htmx import render
from . import bp
from .forms import CatalogFilterForm
from .queries import (
    association_choices,
    association_list,
    association_products,
    catalog,
    public_association,
    public_product,
)

PER_PAGE = 24


@bp.route("/")
def index():
    form = CatalogFilterForm(association_choices(db.session), formdata=request.args)
    filters = form.filters()
    results = db.paginate(
        catalog(filters),
        page=request.args.get("page", 1, type=parse_page),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render(
        "public/index.html", "public/_results.html", form=form, filters=filters, results=results
    )


@bp.route("/p/<int:product_id>")
def product(product_id: int):
    item = public_product(db.session, product_id)
    if item is None:
        abort(404)
    return render_template("public/product.html", product=item)


@bp.route("/asociaciones")
def associations():
    return render_template("public/associations.html", associations=association_list(db.session))


@bp.route("/asociaciones/<slug>")
def association(slug: str):
    found = public_association(db.session, slug)
    if found is None:
        abort(404)
    products = association_products(db.session, found)
    closed = calendar.upcoming_spans(db.session, [found.id])[found.id]
    return render_template(
        "public/association.html", association=found, products=products, closed=closed
    )
