"""Staff and the payment of one order: orders waiting for payment, letting one leave unpaid,
and refunds of card payments."""

import sqlalchemy as sa
import stripe
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import InputRequired, Length, NumberRange

from ...database import begin_write
from ...extensions import db
from ...formatting import cents_from_soles
from ...models import Invoice, Order
from ...numbers import MAX_SOLES
from ...permissions import get_or_404, staff_required
from ...services import DomainError, card_payments, order_payments, ordering, payouts, refunds
from ..form_fields import FlaskForm, NumberField
from ..form_keys import FormKeyField, form_key
from . import bp
from .payments import _add_error


class RefundForm(FlaskForm):
    amount = NumberField(
        _l("Monto a devolver (S/)"),
        places=2,
        max_value=MAX_SOLES,
        validators=[InputRequired(), NumberRange(min=0.01)],
    )
    reason = StringField(
        _l("Motivo (el cliente lo leerá)"), validators=[InputRequired(), Length(max=120)]
    )
    form_key = FormKeyField()


@bp.route("/payments/waiting")
@staff_required
def payments_waiting():
    return render_template(
        "payments/staff_waiting.html", rows=order_payments.waiting_orders(db.session)
    )


def _order_page(order: Order, refund_form=None, status=200):
    return (
        render_template(
            "payments/staff_order.html",
            order=ordering.order_with_details(db.session, order.id),
            state=order_payments.state_of(db.session, order),
            invoice=db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id)),
            refunded_cents=payouts.refunded_cents(db.session, order.id),
            refund_form=refund_form or RefundForm(formdata=None),
        ),
        status,
    )


@bp.route("/orders/<int:order_id>/payment")
@staff_required
def order_payment(order_id: int):
    return _order_page(get_or_404(Order, order_id))


@bp.route("/orders/<int:order_id>/refund", methods=["POST"])
@staff_required
def order_refund(order_id: int):
    order = get_or_404(Order, order_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return _order_page(order, form, 422)
    amount = cents_from_soles(form.amount.data)
    key = form_key(form)
    if refunds.recorded_refund(db.session, order, key) is not None:
        return _refund_done(order)  # the same form again: the first answer
    try:
        plan = refunds.plan_refund(db.session, current_user, order, amount, form.reason.data)
        if plan.card is not None:
            db.session.rollback()  # no write transaction stays open while Stripe answers
            card_payments.send_refund(plan.card)
            db.session.rollback()  # the reads above; the refund is kept in a write transaction
            begin_write(db.session)
            order = get_or_404(Order, order_id)
        refunds.carry_out(db.session, current_user, order, plan, key)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _add_error(form, error, "amount")
        return _order_page(order, form, 409)
    except stripe.StripeError:
        db.session.rollback()
        form.amount.errors = [
            _("Stripe no respondió; la devolución no se hizo. Inténtalo de nuevo.")
        ]
        return _order_page(order, form, 502)
    return _refund_done(order)


def _refund_done(order: Order):
    flash(_("Devolución registrada; el cliente recibe el aviso."), "success")
    return redirect(url_for("staff.order_payment", order_id=order.id), code=303)


@bp.route("/orders/<int:order_id>/allow-dispatch", methods=["POST"])
@staff_required
def order_allow_dispatch(order_id: int):
    order = get_or_404(Order, order_id)
    if not FlaskForm().validate_on_submit():
        return _order_page(order, status=400)
    try:
        order_payments.allow_dispatch_unpaid(db.session, current_user, order)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("staff.order_payment", order_id=order.id), code=303)
    flash(
        _("La asociación ya puede despachar el pedido %(number)s.", number=order.number), "success"
    )
    return redirect(url_for("staff.order_payment", order_id=order.id), code=303)
