"""The buyer pays an order by card: the hosted Stripe page, the saved card, the way back."""

from __future__ import annotations

import stripe
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField

from ...database import begin_write
from ...extensions import db
from ...models import CardCheckout, CardPayment, Order
from ...permissions import buyer_required, order_for_buyer
from ...security_headers import CONTENT_SECURITY_POLICY
from ...services import DomainError, card_checkout, card_payments, order_payments
from ..form_fields import FlaskForm
from ..htmx import render
from . import bp


class NewCardForm(FlaskForm):
    save_card = BooleanField(_l("Guardar la tarjeta para mis próximos pedidos"), default=True)


@bp.app_template_global()
def order_payment(order: Order) -> order_payments.State:
    """For order pages (macros too): how the order is paid, what it waits for, and where
    the person looking can act on it (the buyer pays, staff manage)."""
    state = order_payments.state_of(db.session, order)
    if current_user.is_authenticated and current_user.is_buyer and state.needs_payment:
        state.pay_url = url_for("buyer.order_pay", order_id=order.id)
    if current_user.is_authenticated and current_user.is_staff:
        state.manage_url = url_for("staff.order_payment", order_id=order.id)
    return state


@bp.after_request
def allow_forms_to_reach_checkout(response):
    """Buyer forms (checkout, pay) are answered with a redirect to Stripe's hosted page, and
    browsers apply the page's CSP form-action to that redirect: allow that one origin."""
    if card_payments.enabled():
        origin = current_app.config.get("STRIPE_CHECKOUT_ORIGIN") or ""
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origin}".strip()
        )
    return response


def redirect_to_checkout(order: Order, save_card: bool):
    """Open the hosted card page for the order and send the browser there (303). Call it
    with the request's changes committed: Stripe is asked with no write transaction open."""
    reused = card_checkout.checkout_to_reuse(db.session, current_user, order, save_card)
    if reused is not None:
        return redirect(reused.url, code=303)
    order_id = order.id
    db.session.rollback()  # no write transaction stays open while Stripe answers
    opened = card_checkout.open_checkout(
        db.session,
        db.session.get(Order, order_id),
        save_card,
        success_url=url_for("buyer.card_return", _external=True)
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=url_for("buyer.order_pay", order_id=order_id, _external=True),
    )
    db.session.rollback()  # the reads above; the page is kept in a write transaction
    begin_write(db.session)
    checkout = card_checkout.keep_checkout(db.session, db.session.get(Order, order_id), opened)
    db.session.commit()
    return redirect(checkout.url, code=303)


def pay_page(order: Order, form=None, message=None, status=200):
    response = render(
        "payments/buyer_pay.html",
        "payments/buyer_pay.html",
        order=order,
        state=order_payments.state_of(db.session, order),
        saved=order_payments.saved_card(db.session, order.buyer_id),
        card_enabled=card_payments.enabled(),
        form=form or NewCardForm(),
        message=message,
    )
    response.status_code = status
    return response


@bp.route("/orders/<int:order_id>/pay")
@buyer_required
def order_pay(order_id: int):
    return pay_page(order_for_buyer(order_id))


@bp.route("/orders/<int:order_id>/pay/card", methods=["POST"])
@buyer_required
def order_pay_checkout(order_id: int):
    order = order_for_buyer(order_id)
    form = NewCardForm()
    if not form.validate_on_submit():
        return pay_page(order, form, status=400)
    try:
        return redirect_to_checkout(order, form.save_card.data)
    except DomainError as error:
        db.session.rollback()
        return pay_page(order, form, error.message, 409)
    except stripe.StripeError:
        db.session.rollback()
        return pay_page(
            order, form, _("No pudimos abrir el pago con tarjeta; inténtalo de nuevo."), 502
        )


@bp.route("/orders/<int:order_id>/pay/saved", methods=["POST"])
@buyer_required
def order_pay_saved(order_id: int):
    order = order_for_buyer(order_id)
    if not FlaskForm().validate_on_submit():
        return pay_page(order, status=400)
    try:
        saved = order_payments.saved_card_to_pay(db.session, current_user, order)
    except DomainError as error:
        db.session.rollback()
        return pay_page(order, message=error.message, status=409)
    existing = db.session.get(CardPayment, order.id)
    db.session.rollback()  # no write transaction stays open while the bank answers
    outcome = card_payments.request_authorization(
        order, existing, saved.payment_method_id, saved.customer_id
    )
    db.session.rollback()  # the reads above; the answer is kept in a write transaction
    begin_write(db.session)
    order = order_for_buyer(order_id)
    try:
        order_payments.pay_with_saved_card(db.session, current_user, order, saved, outcome)
        db.session.commit()
    except DomainError as error:
        db.session.commit()  # keep the declined attempt: the next one is a new request
        return pay_page(order, message=error.message, status=409)
    flash(
        _(
            "Listo: el pago del pedido %(number)s está reservado en tu tarjeta.",
            number=order.number,
        ),
        "success",
    )
    return redirect(url_for("buyer.order", order_id=order.id), code=303)


@bp.route("/payments/return")
@buyer_required
def card_return():
    """Back from the hosted page: record the payment, then the next order left to pay."""
    checkout = db.session.get(CardCheckout, request.args.get("session_id", ""))
    if checkout is None or checkout.buyer_id != current_user.buyer_id:
        abort(404)
    try:
        outcome = card_checkout.complete_checkout(db.session, checkout.id)
        db.session.commit()
    except stripe.StripeError:
        db.session.rollback()  # Stripe's webhook will record it; the page says so meanwhile
        outcome = _("Stripe no respondió; lo confirmaremos en unos minutos")
    order = db.session.get(Order, checkout.order_id)
    state = order_payments.state_of(db.session, order)
    if state.needs_payment:
        return pay_page(
            order,
            message=_("El pago aún no se completó (%(outcome)s).", outcome=outcome),
            status=409,
        )
    flash(
        _(
            "Listo: el pago del pedido %(number)s está reservado en tu tarjeta.",
            number=order.number,
        ),
        "success",
    )
    following = [
        o
        for o, s in order_payments.waiting_for_buyer(db.session, current_user.buyer_id)
        if order.checkout_token and o.checkout_token == order.checkout_token
    ]
    if following:
        return redirect(url_for("buyer.order_pay", order_id=following[0].id), code=303)
    return redirect(url_for("buyer.order", order_id=order.id), code=303)


@bp.route("/payments/card/forget", methods=["POST"])
@buyer_required
def card_forget():
    if FlaskForm().validate_on_submit():
        order_payments.forget_card(db.session, current_user)
        db.session.commit()
        flash(_("Quitamos tu tarjeta guardada."), "success")
    return redirect(url_for("buyer.cart"), code=303)
