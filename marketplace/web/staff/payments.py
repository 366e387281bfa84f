"""Staff money pages: a buyer's credit terms, statement and payments received; overdue
invoices with reminders; each association's ledger, fee rate and payouts."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...extensions import db
from ...formatting import cents_from_soles, lima_today, soles
from ...models import Association, AssociationFee, Buyer, Invoice
from ...models.payments import PAYMENT_METHODS
from ...numbers import MAX_SOLES
from ...permissions import get_or_404, staff_required
from ...services import DomainError, credit, invoicing, payouts
from ..form_fields import DayField, FlaskForm, NumberField, WholeNumberField
from ..form_keys import FormKeyField, form_key
from ..invoice_pdf import pdf_response
from . import bp


class TermsForm(FlaskForm):
    net_days = WholeNumberField(
        _l("Plazo (días)"), validators=[InputRequired(), NumberRange(1, credit.MAX_NET_DAYS)]
    )
    limit = NumberField(
        _l("Línea de crédito (S/)"),
        places=2,
        max_value=MAX_SOLES,
        validators=[InputRequired(), NumberRange(0)],
    )


class PaymentForm(FlaskForm):
    method = SelectField(
        _l("Medio de pago"),
        choices=[SelectChoice(m, invoicing.METHOD_LABELS[m]) for m in PAYMENT_METHODS],
    )
    amount = NumberField(
        _l("Monto (S/)"),
        places=2,
        max_value=MAX_SOLES,
        validators=[InputRequired(), NumberRange(min=0.01)],
    )
    received_on = DayField(_l("Fecha de pago"), validators=[InputRequired()])
    reference = StringField(_l("Referencia (n.º de operación)"), validators=[Length(max=80)])
    form_key = FormKeyField()


class FeeForm(FlaskForm):
    fee_bps = WholeNumberField(
        _l("Comisión propia (puntos básicos; vacío: la general)"),
        validators=[Optional(), NumberRange(0, 10000)],
    )


class PayoutForm(FlaskForm):
    amount = NumberField(
        _l("Monto (S/)"),
        places=2,
        max_value=MAX_SOLES,
        validators=[InputRequired(), NumberRange(min=0.01)],
    )
    reference = StringField(
        _l("Referencia de la transferencia"), validators=[InputRequired(), Length(max=120)]
    )
    form_key = FormKeyField()


def _add_error(form, error: DomainError, default: str) -> None:
    name = error.field if error.field in form else default
    form[name].errors = [*form[name].errors, error.message]


def _buyer_page(buyer: Buyer, terms_form=None, payment_form=None, status=200):
    terms = credit.terms_for(db.session, buyer.id)
    if terms_form is None:
        terms_form = TermsForm(
            formdata=None,
            net_days=terms.net_days if terms else 30,
            limit=soles(terms.limit_cents) if terms else None,
        )
    if payment_form is None:
        payment_form = PaymentForm(formdata=None, received_on=lima_today())
    return (
        render_template(
            "payments/staff_buyer.html",
            buyer=buyer,
            terms=terms,
            exposure=credit.exposure(db.session, buyer.id),
            statement=invoicing.statement(db.session, buyer.id),
            terms_form=terms_form,
            payment_form=payment_form,
        ),
        status,
    )


@bp.route("/buyers/<int:buyer_id>/account")
@staff_required
def buyer_account(buyer_id: int):
    return _buyer_page(get_or_404(Buyer, buyer_id))


@bp.route("/buyers/<int:buyer_id>/terms", methods=["POST"])
@staff_required
def buyer_terms(buyer_id: int):
    buyer = get_or_404(Buyer, buyer_id)
    form = TermsForm()
    if not form.validate_on_submit():
        return _buyer_page(buyer, terms_form=form, status=422)
    try:
        credit.grant_terms(
            db.session,
            current_user,
            buyer.id,
            form.net_days.data,
            cents_from_soles(form.limit.data),
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _add_error(form, error, "limit")
        return _buyer_page(buyer, terms_form=form, status=409)
    flash(_("Crédito actualizado."), "success")
    return redirect(url_for("staff.buyer_account", buyer_id=buyer.id), code=303)


@bp.route("/buyers/<int:buyer_id>/terms/revoke", methods=["POST"])
@staff_required
def buyer_terms_revoke(buyer_id: int):
    buyer = get_or_404(Buyer, buyer_id)
    credit.revoke_terms(db.session, current_user, buyer.id)
    db.session.commit()
    flash(_("Este comprador ya no compra a crédito."), "success")
    return redirect(url_for("staff.buyer_account", buyer_id=buyer.id), code=303)


@bp.route("/buyers/<int:buyer_id>/payments", methods=["POST"])
@staff_required
def buyer_payment(buyer_id: int):
    buyer = get_or_404(Buyer, buyer_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return _buyer_page(buyer, payment_form=form, status=422)
    try:
        invoicing.record_payment(
            db.session,
            current_user,
            buyer.id,
            form.method.data,
            cents_from_soles(form.amount.data),
            form.received_on.data,
            form.reference.data,
            form_key=form_key(form),
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _add_error(form, error, "amount")
        return _buyer_page(buyer, payment_form=form, status=409)
    flash(_("Pago registrado."), "success")
    return redirect(url_for("staff.buyer_account", buyer_id=buyer.id), code=303)


@bp.route("/invoices/overdue")
@staff_required
def overdue_invoices():
    return render_template(
        "payments/staff_overdue.html", invoices=invoicing.overdue_invoices(db.session)
    )


@bp.route("/invoices/<int:invoice_id>")
@staff_required
def invoice(invoice_id: int):
    return render_template(
        "payments/invoice.html",
        invoice=get_or_404(Invoice, invoice_id),
        back=None,
        pdf_url=url_for("staff.invoice_pdf", invoice_id=invoice_id),
    )


@bp.route("/invoices/<int:invoice_id>.pdf")
@staff_required
def invoice_pdf(invoice_id: int):
    record = get_or_404(Invoice, invoice_id)
    return pdf_response(record)


@bp.route("/invoices/<int:invoice_id>/remind", methods=["POST"])
@staff_required
def invoice_remind(invoice_id: int):
    record = get_or_404(Invoice, invoice_id)
    try:
        sent = invoicing.send_reminder(db.session, current_user, record)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("staff.overdue_invoices"), code=303)
    flash(
        _(
            "Recordatorio de %(number)s enviado a %(count)d personas.",
            number=record.full_number,
            count=sent,
        ),
        "success",
    )
    return redirect(url_for("staff.overdue_invoices"), code=303)


def _ledger_page(association: Association, fee_form=None, payout_form=None, status=200):
    if fee_form is None:
        override = db.session.get(AssociationFee, association.id)
        fee_form = FeeForm(formdata=None, fee_bps=override.fee_bps if override else None)
    return (
        render_template(
            "payments/staff_ledger.html",
            association=association,
            ledger=payouts.ledger(db.session, association.id),
            fee_bps=payouts.fee_bps_for(db.session, association.id),
            global_bps=payouts.global_fee_bps(),
            fee_form=fee_form,
            payout_form=payout_form or PayoutForm(formdata=None),
        ),
        status,
    )


@bp.route("/associations/<int:association_id>/ledger")
@staff_required
def association_ledger(association_id: int):
    return _ledger_page(get_or_404(Association, association_id))


@bp.route("/associations/<int:association_id>/fee", methods=["POST"])
@staff_required
def association_fee(association_id: int):
    association = get_or_404(Association, association_id)
    form = FeeForm()
    if not form.validate_on_submit():
        return _ledger_page(association, fee_form=form, status=422)
    payouts.set_fee_override(db.session, current_user, association.id, form.fee_bps.data)
    db.session.commit()
    flash(_("Comisión actualizada; se aplica a las próximas entregas."), "success")
    return redirect(url_for("staff.association_ledger", association_id=association.id), code=303)


@bp.route("/associations/<int:association_id>/payouts", methods=["POST"])
@staff_required
def association_payout(association_id: int):
    association = get_or_404(Association, association_id)
    form = PayoutForm()
    if not form.validate_on_submit():
        return _ledger_page(association, payout_form=form, status=422)
    try:
        payouts.record_payout(
            db.session,
            current_user,
            association.id,
            cents_from_soles(form.amount.data),
            form.reference.data,
            form_key=form_key(form),
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _add_error(form, error, "amount")
        return _ledger_page(association, payout_form=form, status=409)
    flash(_("Pago a la asociación registrado."), "success")
    return redirect(url_for("staff.association_ledger", association_id=association.id), code=303)
