"""The buyer's orders: list with filters, one order with its history, cancel, reorder, samples."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ...extensions import db
from ...formatting import lima_date, lima_today, money
from ...labels import order_status_label
from ...models import Association, Order, Product
from ...numbers import parse_date, parse_id, parse_page
from ...permissions import buyer_required, get_or_404, order_for_buyer
from ...services import DomainError, accounts, calendar, delivery, invoicing, ordering
from ...services import order_states as st
from ..form_fields import DayField, FlaskForm
from ..htmx import render
from . import bp

PAGE_SIZE = 20


class OrderFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    status = SelectField(_l("Estado"), validators=[Optional()], validate_choice=False)
    association = SelectField(_l("Asociación"), validators=[Optional()], validate_choice=False)
    date_from = DayField(_l("Entrega desde"), validators=[Optional()])
    date_to = DayField(_l("Entrega hasta"), validators=[Optional()])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Motivo (opcional)"), validators=[Optional()])


def page_number() -> int:
    return parse_page(request.args.get("page"))


def filtered_orders(query, form: OrderFilterForm):
    if form.status.data in st.STATUSES:
        query = query.where(Order.status == form.status.data)
    if parse_id(form.association.data):
        query = query.where(Order.association_id == parse_id(form.association.data))
    if form.date_from.data:
        query = query.where(Order.delivery_date >= form.date_from.data)
    if form.date_to.data:
        query = query.where(Order.delivery_date <= form.date_to.data)
    return query


def status_choices():
    return [SelectChoice("", _("Todos"))] + [
        SelectChoice(s, order_status_label(s)) for s in st.STATUSES
    ]


@bp.route("/orders")
@buyer_required
def orders():
    form = OrderFilterForm(request.args)
    form.validate()
    form.status.choices = status_choices()
    associations = db.session.scalars(
        sa.select(Association)
        .where(
            Association.id.in_(
                sa.select(Order.association_id).where(Order.buyer_id == current_user.buyer_id)
            )
        )
        .order_by(Association.name)
    ).all()
    form.association.choices = [SelectChoice("", _("Todas"))] + [
        SelectChoice(str(a.id), a.name) for a in associations
    ]
    base = filtered_orders(sa.select(Order).where(Order.buyer_id == current_user.buyer_id), form)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    page = page_number()
    rows = db.session.scalars(
        base.options(joinedload(Order.association))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render(
        "buyer/orders.html",
        "buyer/_orders_list.html",
        form=form,
        orders=rows,
        total=total,
        page_no=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        args=args,
    )


def render_order(order: Order, cancel_form=None, status: int = 200):
    order = ordering.order_with_details(db.session, order.id)
    response = render(
        "buyer/orders_detail.html",
        "buyer/orders_detail.html",
        order=order,
        cancel_form=cancel_form or CancelForm(),
        can_cancel=st.can(order, st.CANCELLED, current_user),
        invoice=invoicing.invoice_of_order(db.session, order.id),
    )
    response.status_code = status
    return response


@bp.route("/orders/<int:order_id>")
@buyer_required
def order(order_id: int):
    return render_order(order_for_buyer(order_id))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@buyer_required
def order_cancel(order_id: int):
    order = order_for_buyer(order_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            ordering.cancel_order(db.session, current_user, order, form.reason.data)
            db.session.commit()
            flash(_("Cancelaste el pedido %(number)s.", number=order.number), "success")
            return redirect(url_for("buyer.order", order_id=order.id), code=303)
        except DomainError as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, error.message]
    return render_order(order, form, 409)


@bp.route("/orders/<int:order_id>/reorder", methods=["POST"])
@buyer_required
def order_reorder(order_id: int):
    order = order_for_buyer(order_id)
    if not FlaskForm().validate_on_submit():
        return render_order(order, status=400)
    try:
        result = ordering.reorder(db.session, current_user, order)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("buyer.order", order_id=order.id), code=303)
    if result.added:
        flash(_("Añadimos al carrito: %(names)s.", names=", ".join(result.added)), "success")
    for name, before, now in result.price_changes:
        flash(
            _(
                "%(name)s cambió de precio: antes %(before)s, hoy %(now)s.",
                name=name,
                before=money(before),
                now=money(now),
            ),
            "warning",
        )
    if result.unavailable:
        flash(
            _("Ya no están disponibles: %(names)s.", names=", ".join(result.unavailable)),
            "warning",
        )
    for name, _left, _unit in result.low_stock:
        flash(_("De %(name)s queda menos de lo que pediste la otra vez.", name=name), "warning")
    return redirect(url_for("buyer.cart"), code=303)


# Samples ------------------------------------------------------------------------------


class SampleForm(FlaskForm):
    delivery_date = SelectField(_l("Fecha de entrega"), validate_choice=False)
    address_id = SelectField(_l("Dirección de entrega"), validate_choice=False)


@bp.route("/samples/<int:product_id>", methods=["GET", "POST"])
@buyer_required
def sample_request(product_id: int):
    """Ask for a free sample of a product that offers them."""
    product = get_or_404(Product, product_id)
    if not product.active:
        abort(404)
    addresses = accounts.active_addresses(db.session, current_user.buyer_id)
    rules = delivery.rules_for(db.session, [product.association_id])
    work_calendar = calendar.load(db.session, [product.association_id])
    dates = []
    for city in sorted({a.city for a in addresses}):
        rule = rules.get((product.association_id, city))
        dates += delivery.dates_for_rule(rule, calendar=work_calendar)
    form = SampleForm()
    form.delivery_date.choices = [
        SelectChoice(d.isoformat(), lima_date(d, "full")) for d in sorted(set(dates))
    ]
    form.address_id.choices = [
        SelectChoice(str(a.id), f"{a.label} · {a.address}") for a in addresses
    ]
    pending = ordering.pending_sample(db.session, current_user.buyer_id, product.id)
    status = 200
    if form.validate_on_submit():
        when = parse_date(form.delivery_date.data)
        address_id = parse_id(form.address_id.data)
        try:
            order = ordering.request_sample(db.session, current_user, product.id, address_id, when)
            db.session.commit()
            flash(_("Pediste una muestra de %(name)s.", name=product.name), "success")
            return redirect(url_for("buyer.order", order_id=order.id), code=303)
        except DomainError as error:
            db.session.rollback()
            target = form._fields.get(error.field)
            if target is not None:
                target.errors = [*target.errors, error.message]
            else:
                form.form_errors.append(error.message)
            status = 422
    elif form.is_submitted():
        status = 400
    response = render(
        "buyer/orders_sample.html",
        "buyer/orders_sample.html",
        product=product,
        form=form,
        pending=pending,
        sample_quantity=ordering.sample_quantity(product),
        closed=work_calendar.spans(
            product.association_id, lima_today(), lima_today() + timedelta(days=35)
        ),
    )
    response.status_code = status
    return response
