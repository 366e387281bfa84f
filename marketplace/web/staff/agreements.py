"""Staff set up and follow agreements: draft, propose, pause, resume, end, renew; volumes;
and see every standing order."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...extensions import db
from ...formatting import cents_from_soles, soles
from ...labels import (
    AGREEMENT_STATUS_LABELS,
    AGREEMENT_STATUS_TONES,
    STANDING_STATUS_LABELS,
    STANDING_STATUS_TONES,
)
from ...models import Association, Buyer, Product
from ...models.agreements import AGREEMENT_STATUSES, DRAFT, FREQUENCIES, Agreement
from ...numbers import MAX_QUANTITY, MAX_SOLES, NotANumber, parse_decimal, parse_id
from ...permissions import get_or_404, staff_required
from ...services import DomainError
from ...services import agreements as svc
from ...services import standing as so
from ..agreement_views import agreement_context, next_moves
from ..form_fields import DayField, FlaskForm, NumberField, WholeNumberField
from . import bp

TEXTS = ("flavour_standard", "activations", "merchandising", "visits")


class AgreementForm(FlaskForm):
    start_date = DayField(_l("Inicio"), validators=[InputRequired()])
    end_date = DayField(_l("Fin (opcional)"), validators=[Optional()])
    committed_kg_per_month = NumberField(
        _l("Volumen comprometido (kg al mes)"),
        places=3,
        max_value=MAX_QUANTITY,
        validators=[InputRequired(), NumberRange(min=0)],
    )
    delivery_frequency = SelectField(
        _l("Frecuencia de entrega"),
        choices=[SelectChoice(f, svc.FREQUENCY_LABELS[f]) for f in FREQUENCIES],
    )
    payment_terms_days = WholeNumberField(
        _l("Plazo de pago (días; 0 = contra entrega)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=120)],
    )
    payment_terms_note = StringField(
        _l("Condiciones de pago (opcional)"), validators=[Optional(), Length(max=300)]
    )
    flavour_standard = TextAreaField(_l("Estándar de sabor"), validators=[Optional()])
    activations = TextAreaField(_l("Activaciones promocionales"), validators=[Optional()])
    merchandising = TextAreaField(_l("Merchandising"), validators=[Optional()])
    visits = TextAreaField(_l("Visitas"), validators=[Optional()])
    buyer_commitments = TextAreaField(_l("El comprador se compromete a"), validators=[Optional()])
    association_commitments = TextAreaField(
        _l("La asociación se compromete a"), validators=[Optional()]
    )

    def terms(self) -> svc.AgreementTerms:
        return svc.AgreementTerms(
            **{
                name: (
                    getattr(self, name).data
                    if getattr(self, name).data is not None
                    else getattr(svc.AgreementTerms, name, None)
                )
                for name in svc.TERM_FIELDS
            }
        )


class ReasonForm(FlaskForm):
    reason = StringField(_l("Motivo"), validators=[Optional(), Length(max=300)])


def posted_prices(products) -> tuple[dict[int, int], dict[int, str]]:
    """`price_<product id>` in soles -> céntimos; an empty box means no agreed price."""
    prices, errors = {}, {}
    for product in products:
        try:
            value = parse_decimal(request.form.get(f"price_{product.id}"), max_value=MAX_SOLES)
        except NotANumber:
            errors[product.id] = _("Escribe un precio, por ejemplo 26.50.")
            continue
        if value is None:
            continue
        if value < 0:
            errors[product.id] = _("El precio no puede ser negativo.")
            continue
        prices[product.id] = cents_from_soles(value)
    return prices, errors


def products_of(association_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id)
            .order_by(Product.category, Product.name)
        )
    )


def render_form(form, buyer, association, prices, price_errors, agreement=None, status=200):
    page = render_template(
        "staff/agreements/form.html",
        form=form,
        buyer=buyer,
        association=association,
        products=products_of(association.id),
        prices={pid: soles(c) for pid, c in prices.items()},
        price_errors=price_errors,
        agreement=agreement,
    )
    return page, status


@bp.route("/agreements")
@staff_required
def agreements():
    status = request.args.get("status", "")
    rows = svc.list_agreements(db.session, status=status if status in AGREEMENT_STATUSES else None)
    return render_template(
        "staff/agreements/index.html",
        agreements=rows,
        totals=svc.totals_for(db.session, rows),
        labels=AGREEMENT_STATUS_LABELS,
        tones=AGREEMENT_STATUS_TONES,
        status=status,
        statuses=AGREEMENT_STATUSES,
    )


@bp.route("/agreements/new", methods=["GET", "POST"])
@staff_required
def agreement_new():
    source = request.form if request.method == "POST" else request.args
    buyer_id, association_id = source.get("buyer_id", ""), source.get("association_id", "")
    buyer = db.session.get(Buyer, parse_id(buyer_id)) if parse_id(buyer_id) else None
    association = (
        db.session.get(Association, parse_id(association_id)) if parse_id(association_id) else None
    )
    if buyer is None or association is None:
        page = render_template(
            "staff/agreements/pick.html",
            buyers=db.session.scalars(sa.select(Buyer).order_by(Buyer.trade_name)).all(),
            associations=db.session.scalars(
                sa.select(Association).order_by(Association.name)
            ).all(),
        )
        return page, 400 if request.method == "POST" else 200
    if request.method == "GET":
        form = AgreementForm(formdata=None)
        return render_form(form, buyer, association, {}, {})
    form = AgreementForm()
    prices, price_errors = posted_prices(products_of(association.id))
    if form.validate_on_submit() and not price_errors:
        try:
            agreement = svc.create_draft(
                db.session, current_user, buyer.id, association.id, form.terms(), prices
            )
            db.session.commit()
            flash(_("Borrador %(number)s creado.", number=agreement.number))
            return redirect(url_for("staff.agreement", agreement_id=agreement.id), code=303)
        except DomainError as error:
            db.session.rollback()
            if error.field in form._fields:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                price_errors["form"] = error.message
    return render_form(form, buyer, association, prices, price_errors, status=422)


@bp.route("/agreements/<int:agreement_id>")
@staff_required
def agreement(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id)
    return render_template(
        "staff/agreements/detail.html",
        reason_form=ReasonForm(formdata=None),
        standing_orders=so.list_standing_orders(db.session, buyer_id=agreement.buyer_id),
        describe=so.describe_schedule,
        moves=next_moves(agreement, current_user),
        **agreement_context(agreement),
    )


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@staff_required
def agreement_edit(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id)
    if agreement.status != DRAFT:
        flash(_("Solo un borrador se puede editar; devuélvelo a borrador."), "error")
        return redirect(url_for("staff.agreement", agreement_id=agreement.id), code=303)
    if request.method == "GET":
        form = AgreementForm(obj=agreement)
        prices = {p.product_id: p.price_cents for p in agreement.prices}
        return render_form(form, agreement.buyer, agreement.association, prices, {}, agreement)
    form = AgreementForm()
    prices, price_errors = posted_prices(products_of(agreement.association_id))
    if form.validate_on_submit() and not price_errors:
        try:
            svc.update_draft(db.session, current_user, agreement, form.terms(), prices)
            db.session.commit()
            flash(_("Guardamos el borrador."))
            return redirect(url_for("staff.agreement", agreement_id=agreement.id), code=303)
        except DomainError as error:
            db.session.rollback()
            if error.field in form._fields:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                price_errors["form"] = error.message
    return render_form(
        form, agreement.buyer, agreement.association, prices, price_errors, agreement, 422
    )


ACTIONS = {
    "propose": (lambda s, a, ag, r: svc.propose(s, a, ag), _l("Propuesto a ambas partes.")),
    "withdraw": (svc.withdraw, _l("Devuelto a borrador.")),
    "pause": (svc.pause, _l("Acuerdo en pausa: rigen los precios de lista.")),
    "resume": (lambda s, a, ag, r: svc.resume(s, a, ag), _l("Acuerdo reanudado.")),
    "end": (svc.end, _l("Acuerdo terminado.")),
}


@bp.route("/agreements/<int:agreement_id>/<action>", methods=["POST"])
@staff_required
def agreement_action(agreement_id: int, action: str):
    """propose, withdraw, pause, resume, end or renew an agreement."""
    agreement = get_or_404(Agreement, agreement_id)
    if action not in ACTIONS and action != "renew":
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("El formulario caducó; vuelve a intentarlo."), "error")
        return redirect(url_for("staff.agreement", agreement_id=agreement.id), code=303)
    try:
        if action == "renew":
            renewal = svc.renew(db.session, current_user, agreement)
            db.session.commit()
            flash(_("Borrador de la versión %(version)s creado.", version=renewal.version))
            return redirect(url_for("staff.agreement", agreement_id=renewal.id), code=303)
        do, message = ACTIONS[action]
        do(db.session, current_user, agreement, form.reason.data)
        db.session.commit()
        flash(str(message))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("staff.agreement", agreement_id=agreement.id), code=303)


@bp.route("/standing-orders")
@staff_required
def standing_orders():
    rows = so.list_standing_orders(db.session)
    return render_template(
        "staff/agreements/standing_orders.html",
        standing_orders=rows,
        next_dates=so.next_delivery_dates(db.session, rows),
        describe=so.describe_schedule,
        labels=STANDING_STATUS_LABELS,
        tones=STANDING_STATUS_TONES,
    )
