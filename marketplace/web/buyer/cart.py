"""The buyer's cart and checkout: add from the catalog, review per association, place orders."""

from __future__ import annotations

import stripe
from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ...extensions import db
from ...formatting import lima_date
from ...labels import city_label
from ...models import Product
from ...models.payments import METHOD_ACCOUNT, METHOD_CARD
from ...numbers import parse_date, parse_id
from ...permissions import buyer_required, get_or_404
from ...services import DomainError, order_payments, ordering
from ...services.stock import InsufficientStock
from ..form_fields import FlaskForm, WholeNumberField
from ..htmx import is_partial_request, render
from ..redirects import safe_next
from . import bp
from .payments import redirect_to_checkout

CART_CHANGED = "cartChanged"  # HX-Trigger event the nav badge listens for


class AddToCartForm(FlaskForm):
    product_id = WholeNumberField(validators=[InputRequired()])
    quantity = StringField(_l("Cantidad"), validators=[InputRequired(_l("Escribe una cantidad."))])
    next = HiddenField()


class CartQuantityForm(FlaskForm):
    quantity = StringField(_l("Cantidad"), validators=[InputRequired(_l("Escribe una cantidad."))])


@bp.app_context_processor
def cart_badge_context():
    """`cart_count()` for the nav badge, computed only on pages that show it."""

    def cart_count() -> int:
        if not (current_user.is_authenticated and current_user.is_buyer):
            return 0
        return ordering.cart_count(db.session, current_user.id)

    return {"cart_count": cart_count}


def with_cart_changed(response):
    response.headers["HX-Trigger"] = CART_CHANGED
    return response


# Add from the catalog -----------------------------------------------------------------


@bp.route("/cart/items", methods=["POST"])
@buyer_required
def cart_add():
    form = AddToCartForm()
    product = get_or_404(Product, form.product_id.data or 0)
    status = 200
    added = None
    if form.validate_on_submit():
        try:
            item = ordering.add_to_cart(db.session, current_user, product.id, form.quantity.data)
            db.session.commit()
            added = item
        except DomainError as error:
            db.session.rollback()
            form.quantity.errors = [*form.quantity.errors, error.message]
            status = 422
    else:
        status = 422
    if added is not None and not is_partial_request():
        flash(
            _("Añadido al carrito: %(name)s.", name=product.name),
            "success",
        )
        return redirect(safe_next(form.next.data, url_for("buyer.cart")), code=303)
    context = {"product": product, "cart_form": form, "added": added}
    response = make_response(
        render("buyer/cart_add.html", "buyer/_add_to_cart.html", **context), status
    )
    return with_cart_changed(response) if added is not None else response


@bp.route("/cart/badge")
@buyer_required
def cart_badge():
    return render_template("buyer/_cart_badge.html")


# The cart page ------------------------------------------------------------------------


def date_choices(group: ordering.CartGroup) -> list[SelectChoice]:
    """Delivery dates per city of the buyer's addresses, as options grouped by city."""
    grouped = sum(1 for dates in group.dates_by_city.values() if dates) > 1
    return [
        SelectChoice(
            d.isoformat(), lima_date(d, "full"), optgroup=city_label(city) if grouped else None
        )
        for city, dates in group.dates_by_city.items()
        for d in dates
    ]


def payment_choices(options: order_payments.Options) -> list[SelectChoice]:
    labels = {
        METHOD_ACCOUNT: ngettext(
            "A crédito: factura a %(num)d día",
            "A crédito: factura a %(num)d días",
            options.terms.net_days,
        )
        if options.terms
        else "",
        METHOD_CARD: _l("Tarjeta (%(card)s)", card=f"{options.saved.brand} ••{options.saved.last4}")
        if options.saved
        else _l("Tarjeta: pagas en la página segura de Stripe"),
    }
    return [SelectChoice(m, labels[m]) for m in options.methods]


def checkout_form_for(view: ordering.CartView, formdata=None):
    """The checkout form: a token, the cart's fingerprint, a date and address per group, and
    how to pay (on account with credit terms, card when Stripe is configured)."""
    options = order_payments.options_for(db.session, current_user.buyer_id)

    class CheckoutForm(FlaskForm):
        checkout_token = HiddenField()
        fingerprint = HiddenField()
        payment_method = RadioField(
            _l("Forma de pago"), choices=payment_choices(options), validate_choice=False
        )
        save_card = BooleanField(_l("Guardar la tarjeta para mis próximos pedidos"), default=True)

    address_choices = [SelectChoice(str(a.id), f"{a.label} · {a.address}") for a in view.addresses]
    for group in view.groups:
        aid = group.association.id
        setattr(
            CheckoutForm,
            ordering.date_field(aid),
            SelectField(_l("Fecha de entrega"), choices=date_choices(group), validate_choice=False),
        )
        setattr(
            CheckoutForm,
            ordering.address_field(aid),
            SelectField(_l("Dirección de entrega"), choices=address_choices, validate_choice=False),
        )
    form = CheckoutForm() if formdata is None else CheckoutForm(formdata=formdata)
    form.options = options
    if not form.is_submitted():
        form.checkout_token.data = view.cart.checkout_token if view.cart else ""
        form.fingerprint.data = view.fingerprint
        form.payment_method.data = options.default
        for group in view.groups:
            aid = group.association.id
            served = [a for a in view.addresses if group.dates_by_city.get(a.city)]
            if served:
                form[ordering.address_field(aid)].data = str(served[0].id)
                form[ordering.date_field(aid)].data = group.dates_by_city[served[0].city][
                    0
                ].isoformat()
    return form


def render_cart(view, form, status=200, shortages=None, group_errors=None, message=None):
    response = render(
        "buyer/cart.html",
        "buyer/_cart.html",
        view=view,
        form=form,
        shortages=shortages or {},
        group_errors=group_errors or {},
        message=message,
        group_field=ordering.group_field,
        date_field=ordering.date_field,
        address_field=ordering.address_field,
    )
    response.status_code = status
    return response


def current_view():
    """The cart as it stands; a read only (every cart gets its checkout token when made)."""
    return ordering.cart_view(db.session, current_user)


@bp.route("/cart")
@buyer_required
def cart():
    view = current_view()
    return render_cart(view, checkout_form_for(view))


@bp.route("/cart/items/<int:product_id>", methods=["POST"])
@buyer_required
def cart_update(product_id: int):
    form = CartQuantityForm()
    errors = {}
    if form.validate_on_submit():
        try:
            ordering.set_cart_quantity(db.session, current_user, product_id, form.quantity.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            errors[product_id] = error.message
    else:
        errors[product_id] = _("Escribe una cantidad.")
    if not errors and not is_partial_request():
        return redirect(url_for("buyer.cart"), code=303)
    view = current_view()
    response = render_cart(view, checkout_form_for(view), 422 if errors else 200, errors)
    return response if errors else with_cart_changed(response)


@bp.route("/cart/items/<int:product_id>/delete", methods=["POST"])
@buyer_required
def cart_remove(product_id: int):
    try:
        ordering.set_cart_quantity(db.session, current_user, product_id, "0")
        db.session.commit()
    except DomainError:
        db.session.rollback()  # already gone: the cart shows what is there
    if not is_partial_request():
        return redirect(url_for("buyer.cart"), code=303)
    view = current_view()
    return with_cart_changed(render_cart(view, checkout_form_for(view)))


@bp.route("/checkout", methods=["POST"])
@buyer_required
def checkout():
    view = ordering.cart_view(db.session, current_user)
    form = checkout_form_for(view, request.form)
    form.validate_on_submit()  # CSRF; every other rule is the service's
    choices = {
        g.association.id: ordering.DeliveryChoice(
            parse_date(form[ordering.date_field(g.association.id)].data),
            parse_id(form[ordering.address_field(g.association.id)].data),
        )
        for g in view.groups
    }
    if form.errors:
        return render_cart(view, form, 400)
    try:
        orders = ordering.checkout_cart(
            db.session,
            current_user,
            choices,
            form.checkout_token.data,
            form.fingerprint.data or None,
            payment_method=form.payment_method.data or None,
        )
        db.session.commit()
    except InsufficientStock as error:
        db.session.rollback()
        units = {row.product.id: row.product.unit for g in view.groups for row in g.rows}
        shortages = {
            s.product_id: ordering.shortage_message(s, units.get(s.product_id, ""))
            for s in error.shortages
        }
        view = ordering.cart_view(db.session, current_user)
        return render_cart(view, form, 409, shortages)
    except ordering.InvalidFields as error:
        db.session.rollback()
        group_errors = {}
        for name, message in error.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, message]
            else:
                group_errors[name] = message
        return render_cart(view, form, 422, group_errors=group_errors)
    except DomainError as error:
        db.session.rollback()
        view = current_view()
        if error.field == "payment_method":
            form = checkout_form_for(view, request.form)
            form.payment_method.errors = [error.message]
            return render_cart(view, form, 409)
        return render_cart(view, checkout_form_for(view), 409, message=error.message)
    numbers = ", ".join(o.number for o in orders)
    states = [(o, order_payments.state_of(db.session, o)) for o in orders]
    to_pay = [o for o, s in states if s.needs_payment and s.method == METHOD_CARD]
    if to_pay:
        try:
            return redirect_to_checkout(to_pay[0], bool(form.save_card.data))
        except (DomainError, stripe.StripeError):
            db.session.rollback()
            return redirect(url_for("buyer.order_pay", order_id=to_pay[0].id), code=303)
    flash(
        ngettext(
            "Pedido %(numbers)s enviado a la asociación.",
            "Hicimos %(num)d pedidos, uno por asociación: %(numbers)s.",
            len(orders),
            numbers=numbers,
        ),
        "success",
    )
    if any(s.method == METHOD_CARD for _o, s in states):
        flash(_("Reservaremos el pago en tu tarjeta cuando la asociación confirme."), "info")
    elif not any(s.method for _o, s in states):
        flash(_("El equipo de Qhatu te contactará para coordinar el pago."), "info")
    return redirect(url_for("buyer.orders"), code=303)
