"""The buyer's standing orders: create (from an agreement or on list prices), edit, pause,
resume, cancel; and each upcoming delivery: skip it, change its quantities or add a line."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...extensions import db
from ...formatting import lima_date
from ...labels import STANDING_STATUS_LABELS, STANDING_STATUS_TONES, WEEKDAY_WORDS
from ...models import Association, DeliveryRule, Product
from ...models.standing_orders import SO_CANCELLED
from ...numbers import parse_date, parse_id
from ...permissions import buyer_required, standing_order_for_buyer
from ...services import DomainError, accounts, agreements, calendar
from ...services import standing as so
from ...types import utcnow
from ..form_fields import DayField, FlaskForm, WholeNumberField, coerce_id
from ..htmx import is_partial_request, render
from . import bp


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StandingOrderForm(FlaskForm):
    address_id = SelectField(_l("Entregar en"), coerce=coerce_id, validate_choice=False)
    schedule_kind = RadioField(
        _l("Cada cuánto"),
        choices=[
            SelectChoice("weekly", _l("Por semanas")),
            SelectChoice("monthly", _l("Una vez al mes")),
        ],
        default="weekly",
    )
    weekdays = MultiCheckboxField(
        _l("Días de entrega"),
        choices=[SelectChoice(str(n), WEEKDAY_WORDS[n]) for n in range(1, 8)],
    )
    every_weeks = SelectField(
        _l("Repetir"),
        choices=[
            SelectChoice("1", _l("Cada semana")),
            SelectChoice("2", _l("Cada 2 semanas")),
            SelectChoice("3", _l("Cada 3 semanas")),
            SelectChoice("4", _l("Cada 4 semanas")),
        ],
        default="1",
    )
    month_day = WholeNumberField(
        _l("Día del mes"), validators=[Optional(), NumberRange(min=1, max=31)]
    )
    start_date = DayField(_l("Primera entrega desde"), validators=[InputRequired()])
    end_date = DayField(_l("Última entrega (opcional)"), validators=[Optional()])
    notes = StringField(
        _l("Nota para la asociación (opcional)"), validators=[Optional(), Length(max=300)]
    )
    association_id = HiddenField()
    agreement_id = HiddenField()

    def schedule(self) -> so.Schedule:
        return so.Schedule(
            schedule_kind=self.schedule_kind.data,
            weekdays="".join(sorted(self.weekdays.data or [])),
            every_weeks=int(self.every_weeks.data or 1),
            month_day=self.month_day.data,
            start_date=self.start_date.data,
            end_date=self.end_date.data,
        )


class PauseForm(FlaskForm):
    until = DayField(_l("Reanudar el (opcional)"), validators=[Optional()])


def posted_quantities() -> dict[int, str]:
    """`qty_<product id>` fields of the posted form."""
    result = {}
    for key, value in request.form.items():
        if key.startswith("qty_") and parse_id(key[4:]):
            result[parse_id(key[4:])] = value
    return result


def field_error(form, errors: dict, error: DomainError) -> None:
    """Show a service's message at its field (a form field, a product line, or the form)."""
    name = error.field or ""
    if name in form._fields:
        form[name].errors = [*form[name].errors, error.message]
    else:
        errors[name or "form"] = error.message


def address_choices() -> list[tuple[int, str]]:
    return [
        (a.id, f"{a.label} · {a.address}")
        for a in accounts.active_addresses(db.session, current_user.buyer_id)
    ]


def association_products(association_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id, Product.active.is_(True))
            .order_by(Product.category, Product.name)
        )
    )


def first_delivery(rule: DeliveryRule, work_calendar, now) -> date:
    """The first day this city can receive a standing order placed now: one of the rule's
    weekdays, open (no holiday, no closure), with its cut-off still ahead."""
    day = so.earliest_start(rule.lead_days, now, work_calendar, rule.association_id)
    weekdays = set(rule.weekday_numbers)
    for _step in range(calendar.MAX_STEPS):
        if day.isoweekday() in weekdays and work_calendar.is_working_day(rule.association_id, day):
            return day
        day += timedelta(days=1)
    raise RuntimeError(f"no delivery day ahead for {rule.city}")


def offer_delivery_weekdays(form, rules) -> None:
    """Offer only the weekdays the association delivers on (and any already chosen)."""
    offered = {n for rule in rules for n in rule.weekday_numbers}
    offered |= {int(n) for n in form.weekdays.data or [] if str(n).isdigit()}
    form.weekdays.choices = [
        SelectChoice(str(n), WEEKDAY_WORDS[n]) for n in range(1, 8) if n in offered
    ]


def render_form(association, form, quantities, errors=None, standing_order=None, status=200):
    products = association_products(association.id)
    if standing_order is not None:
        ids = {p.id for p in products}
        products += [line.product for line in standing_order.lines if line.product_id not in ids]
    day = form.start_date.data or so.lima_date_of(utcnow())
    agreed = agreements.agreed_prices(db.session, [current_user.buyer_id], association.id, day)
    prices = {p.id: agreed.get((current_user.buyer_id, p.id), p.price_cents) for p in products}
    rules = db.session.scalars(
        sa.select(DeliveryRule).where(DeliveryRule.association_id == association.id)
    ).all()
    work_calendar = calendar.load(db.session, [association.id])
    now = utcnow()
    today = so.lima_date_of(now)
    offer_delivery_weekdays(form, rules)
    page = render_template(
        "buyer/standing_orders/form.html",
        association=association,
        form=form,
        products=products,
        prices=prices,
        agreed={pid for (_b, pid) in agreed},
        quantities=quantities,
        errors=errors or {},
        standing_order=standing_order,
        rules=rules,
        rule_days={
            r.city: ", ".join(str(WEEKDAY_WORDS[n]) for n in r.weekday_numbers) for r in rules
        },
        earliest={r.city: first_delivery(r, work_calendar, now) for r in rules},
        closed=work_calendar.spans(association.id, today, today + timedelta(days=60)),
    )
    return page, status


@bp.route("/standing-orders")
@buyer_required
def standing_orders():
    rows = so.list_standing_orders(db.session, buyer_id=current_user.buyer_id)
    return render_template(
        "buyer/standing_orders/index.html",
        standing_orders=rows,
        next_dates=so.next_delivery_dates(db.session, rows),
        describe=so.describe_schedule,
        labels=STANDING_STATUS_LABELS,
        tones=STANDING_STATUS_TONES,
    )


def pick_page():
    """Choose the association first: agreements in force come first."""
    in_force = [
        a
        for a in agreements.list_agreements(db.session, buyer_id=current_user.buyer_id)
        if a.status == "active"
    ]
    associations = db.session.scalars(
        sa.select(Association)
        .where(Association.id.in_(sa.select(DeliveryRule.association_id)))
        .order_by(Association.name)
    ).all()
    return render_template(
        "buyer/standing_orders/pick.html", agreements=in_force, associations=associations
    )


@bp.route("/standing-orders/new", methods=["GET", "POST"])
@buyer_required
def standing_order_new():
    source = request.form if request.method == "POST" else request.args
    agreement = None
    if parse_id(source.get("agreement_id")):
        agreement = db.session.get(agreements.Agreement, parse_id(source["agreement_id"]))
        if agreement is None or agreement.buyer_id != current_user.buyer_id:
            abort(404)
    association_id = agreement.association_id if agreement else source.get("association_id", "")
    association_id = parse_id(str(association_id))
    association = db.session.get(Association, association_id) if association_id else None
    if association is None:
        return pick_page(), 400 if request.method == "POST" else 200
    form = StandingOrderForm()
    form.address_id.choices = address_choices()
    if request.method == "GET":
        form.association_id.data = str(association.id)
        form.agreement_id.data = str(agreement.id) if agreement else ""
        quantities = {}
        return render_form(association, form, quantities)
    quantities = posted_quantities()
    errors: dict = {}
    if form.validate_on_submit():
        try:
            created = so.create_standing_order(
                db.session,
                current_user,
                association.id,
                form.address_id.data,
                quantities,
                form.schedule(),
                agreement_id=agreement.id if agreement else None,
                notes=form.notes.data or "",
            )
            db.session.commit()
            flash(_("Listo: tu pedido fijo %(number)s está activo.", number=created.number))
            return redirect(url_for("buyer.standing_order", standing_order_id=created.id), code=303)
        except DomainError as error:
            db.session.rollback()
            field_error(form, errors, error)
    return render_form(
        association, form, quantities, errors, status=422 if errors or form.errors else 400
    )


def render_detail(standing_order, pause_form=None, status=200):
    now = utcnow()
    deliveries = so.upcoming_deliveries(db.session, standing_order, now)
    aid = standing_order.association_id
    page = render_template(
        "buyer/standing_orders/detail.html",
        standing_order=standing_order,
        deliveries=deliveries,
        closed=calendar.upcoming_spans(db.session, [aid], today=so.lima_date_of(now))[aid],
        history=so.past_deliveries(db.session, standing_order),
        describe=so.describe_schedule,
        labels=STANDING_STATUS_LABELS,
        tones=STANDING_STATUS_TONES,
        state_labels=so.DELIVERY_STATE_LABELS,
        state_tones=so.DELIVERY_STATE_TONES,
        pause_form=pause_form or PauseForm(formdata=None),
    )
    return page, status


@bp.route("/standing-orders/<int:standing_order_id>")
@buyer_required
def standing_order(standing_order_id: int):
    standing_order = so.standing_order_with_details(
        db.session, standing_order_for_buyer(standing_order_id).id
    )
    return render_detail(standing_order)


@bp.route("/standing-orders/<int:standing_order_id>/edit", methods=["GET", "POST"])
@buyer_required
def standing_order_edit(standing_order_id: int):
    standing_order = standing_order_for_buyer(standing_order_id)
    if standing_order.status == SO_CANCELLED:
        abort(404)
    association = standing_order.association
    if request.method == "GET":
        form = StandingOrderForm(
            formdata=None,
            data={
                "address_id": standing_order.address_id,
                "schedule_kind": standing_order.schedule_kind,
                "weekdays": list(standing_order.weekdays),
                "every_weeks": str(standing_order.every_weeks),
                "month_day": standing_order.month_day,
                "start_date": standing_order.start_date,
                "end_date": standing_order.end_date,
                "notes": standing_order.notes,
            },
        )
        form.address_id.choices = address_choices()
        quantities = {line.product_id: line.quantity for line in standing_order.lines}
        return render_form(association, form, quantities, standing_order=standing_order)
    form = StandingOrderForm()
    form.address_id.choices = address_choices()
    quantities = posted_quantities()
    errors: dict = {}
    if form.validate_on_submit():
        try:
            so.update_standing_order(
                db.session,
                current_user,
                standing_order,
                form.address_id.data,
                quantities,
                form.schedule(),
                notes=form.notes.data or "",
            )
            db.session.commit()
            flash(_("Guardamos los cambios de %(number)s.", number=standing_order.number))
            return redirect(
                url_for("buyer.standing_order", standing_order_id=standing_order.id), code=303
            )
        except DomainError as error:
            db.session.rollback()
            field_error(form, errors, error)
    return render_form(
        association, form, quantities, errors, standing_order, status=422 if errors else 400
    )


@bp.route("/standing-orders/<int:standing_order_id>/pause", methods=["POST"])
@buyer_required
def standing_order_pause(standing_order_id: int):
    standing_order = standing_order_for_buyer(standing_order_id)
    form = PauseForm()
    if form.validate_on_submit():
        try:
            so.pause(db.session, current_user, standing_order, form.until.data)
            db.session.commit()
            if form.until.data:
                flash(
                    _(
                        "Pausado; vuelve solo desde la entrega del %(day)s.",
                        day=lima_date(form.until.data, "long"),
                    )
                )
            else:
                flash(_("Pausado hasta que lo reanudes."))
            return redirect(
                url_for("buyer.standing_order", standing_order_id=standing_order.id), code=303
            )
        except DomainError as error:
            db.session.rollback()
            form.until.errors = [*form.until.errors, error.message]
    standing_order = so.standing_order_with_details(db.session, standing_order.id)
    return render_detail(standing_order, form, 422)


def simple_action(standing_order_id: int, action, message: str):
    standing_order = standing_order_for_buyer(standing_order_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, current_user, standing_order)
        db.session.commit()
        flash(message)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("buyer.standing_order", standing_order_id=standing_order.id), code=303)


@bp.route("/standing-orders/<int:standing_order_id>/resume", methods=["POST"])
@buyer_required
def standing_order_resume(standing_order_id: int):
    return simple_action(standing_order_id, so.resume, _("Reanudado: vuelven las entregas."))


@bp.route("/standing-orders/<int:standing_order_id>/cancel", methods=["POST"])
@buyer_required
def standing_order_cancel(standing_order_id: int):
    return simple_action(
        standing_order_id,
        so.cancel,
        _("Cancelado. Los pedidos ya hechos siguen en Mis pedidos."),
    )


def delivery_day(raw: str) -> date:
    when = parse_date(raw)
    if when is None:
        abort(404)
    return when


def render_delivery(standing_order, found, errors=None, status=200):
    products = association_products(standing_order.association_id)
    on_it = {line.product.id for line in found.lines}
    page = render_template(
        "buyer/standing_orders/delivery.html",
        standing_order=standing_order,
        delivery=found,
        addable=[p for p in products if p.id not in on_it],
        errors=errors or {},
        state_labels=so.DELIVERY_STATE_LABELS,
        state_tones=so.DELIVERY_STATE_TONES,
    )
    return page, status


@bp.route("/standing-orders/<int:standing_order_id>/deliveries/<day>", methods=["GET", "POST"])
@buyer_required
def standing_delivery(standing_order_id: int, day: str):
    """One delivery: change its quantities or add a line, before its cut-off."""
    standing_order = standing_order_for_buyer(standing_order_id)
    when = delivery_day(day)
    found = so.delivery_on(db.session, standing_order, when)
    if found is None:
        abort(404)
    if request.method == "GET":
        return render_delivery(standing_order, found)
    errors: dict = {}
    if FlaskForm().validate_on_submit():
        quantities = posted_quantities()
        added = parse_id(request.form.get("add_product_id"))
        if added and request.form.get("add_quantity", "").strip():
            quantities[added] = request.form["add_quantity"]
        try:
            so.change_delivery(db.session, current_user, standing_order, when, quantities)
            db.session.commit()
            flash(
                _(
                    "Cambiamos solo la entrega del %(day)s; las demás siguen igual.",
                    day=lima_date(found.day, "long"),
                )
            )
            return redirect(
                url_for("buyer.standing_order", standing_order_id=standing_order.id), code=303
            )
        except DomainError as error:
            db.session.rollback()
            errors[error.field or "form"] = error.message
    else:
        errors["form"] = _("El formulario caducó; vuelve a intentarlo.")
    found = so.delivery_on(db.session, standing_order, when)
    return render_delivery(standing_order, found, errors, 409 if "form" in errors else 422)


@bp.route("/standing-orders/<int:standing_order_id>/deliveries/<day>/skip", methods=["POST"])
@buyer_required
def standing_delivery_skip(standing_order_id: int, day: str):
    """Skip one delivery, or take the skip back (field `skip` = 1 or 0)."""
    standing_order = standing_order_for_buyer(standing_order_id)
    when = delivery_day(day)
    skip = request.form.get("skip", "1") == "1"
    error_message = None
    if FlaskForm().validate_on_submit():
        try:
            so.skip_delivery(db.session, current_user, standing_order, when, skip)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            error_message = error.message
    else:
        error_message = _("El formulario caducó; vuelve a intentarlo.")
    found = so.delivery_on(db.session, standing_order, when)
    if found is None:
        abort(404)
    if is_partial_request():
        response = render(
            "buyer/standing_orders/_delivery_row.html",
            "buyer/standing_orders/_delivery_row.html",
            standing_order=standing_order,
            delivery=found,
            error=error_message,
            state_labels=so.DELIVERY_STATE_LABELS,
            state_tones=so.DELIVERY_STATE_TONES,
        )
        if error_message:
            response.status_code = 409
        return response
    if error_message:
        flash(error_message, "error")
    elif skip:
        flash(_("Saltaste la entrega del %(day)s.", day=lima_date(when, "long")))
    else:
        flash(_("La entrega del %(day)s vuelve a estar programada.", day=lima_date(when, "long")))
    return redirect(
        url_for("buyer.standing_order", standing_order_id=standing_order.id, _anchor=f"d-{day}"),
        code=303,
    )
