"""Closure pages shared by the promoter (own association) and staff (any association).

Each blueprint keeps its own routes and authorization (producer/closures.py,
staff/closures.py); this module holds the form and the handlers they call with the
association already scoped, and the URLs to use. One URL serves the page and, for htmx, the
section alone (`Vary: HX-Request`); without JavaScript every form posts and redirects (303).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..extensions import db
from ..formatting import lima_date, lima_today
from ..models import Association, AssociationClosure, Order
from ..services import DomainError
from ..services import calendar as cal
from ..services import order_states as ost
from .form_fields import DayField, FlaskForm
from .htmx import is_partial_request, render

OPEN_STATUSES = (ost.PLACED, ost.CONFIRMED, ost.DISPATCHED)


DATE_HINT = _l("Escribe una fecha como 2026-06-24 (año-mes-día).")


class ClosureForm(FlaskForm):
    start_date = DayField(
        _l("Primer día sin entregas"),
        message=DATE_HINT,
        validators=[InputRequired(_l("Escribe el primer día sin entregas."))],
    )
    end_date = DayField(
        _l("Último día sin entregas"),
        message=DATE_HINT,
        validators=[
            InputRequired(_l("Escribe el último día sin entregas (el mismo si es un solo día)."))
        ],
    )
    reason = StringField(
        _l("Motivo (lo ven los compradores)"),
        validators=[
            InputRequired(_l("Cuenta a los compradores por qué no hay entregas.")),
            Length(max=cal.REASON_MAX, message=_l("Máximo 200 caracteres.")),
        ],
    )


@dataclass
class Urls:
    """Where the shared templates send their forms, for one audience."""

    index: str
    edit: Callable[[AssociationClosure], str]
    delete: Callable[[AssociationClosure], str]


def open_orders_in(session, association_id: int, closures) -> dict[int, list[Order]]:
    """Orders still to be delivered on the days of these closures, per closure; one query."""
    closures = list(closures)
    if not closures:
        return {}
    first = min(c.start_date for c in closures)
    last = max(c.end_date for c in closures)
    orders = session.scalars(
        sa.select(Order)
        .where(
            Order.association_id == association_id,
            Order.status.in_(OPEN_STATUSES),
            Order.delivery_date >= first,
            Order.delivery_date <= last,
        )
        .order_by(Order.delivery_date, Order.id)
    ).all()
    return {c.id: [o for o in orders if c.covers(o.delivery_date)] for c in closures}


def show_error(form: ClosureForm, error: DomainError) -> None:
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def render_index(
    association: Association,
    urls: Urls,
    page: str,
    form: ClosureForm | None = None,
    status: int = 200,
    message: str | None = None,
    context: dict | None = None,
):
    """The page, or for htmx the section alone (list and form), with `message` in it."""
    coming, past = cal.list_closures(db.session, association.id)
    response = render(
        page,
        "closures/_section.html",
        association=association,
        form=form or ClosureForm(formdata=None),
        coming=coming,
        past=past,
        orders=open_orders_in(db.session, association.id, coming),
        urls=urls,
        message=message,
        **(context or {}),
    )
    response.status_code = status
    return response


def done(message: str, urls: Urls, association, page, context):
    """After a change: 303 to the list, or for htmx the fresh section with the message."""
    if is_partial_request():
        return render_index(association, urls, page, message=message, context=context)
    flash(message, "success")
    return redirect(urls.index, code=303)


def save(form: ClosureForm, association: Association, closure=None):
    """Validate and save in one transaction; on failure the form carries the errors."""
    if not form.validate():
        return None
    try:
        saved = cal.save_closure(
            db.session,
            current_user,
            association.id,
            form.start_date.data,
            form.end_date.data,
            form.reason.data,
            closure=closure,
        )
        db.session.commit()
    except DomainError as error:
        show_error(form, error)
        return None
    return saved


def index(association: Association, urls: Urls, page: str, context: dict | None = None):
    """The association's closures with the form to add one; POST adds it."""
    form = ClosureForm()
    if not form.is_submitted():
        return render_index(association, urls, page, form, context=context)
    closure = save(form, association)
    if closure is None:
        return render_index(association, urls, page, form, 422, context=context)
    message = _(
        "Listo: no se ofrecerán entregas del %(start)s al %(end)s.",
        start=lima_date(closure.start_date, "long"),
        end=lima_date(closure.end_date, "long"),
    )
    return done(message, urls, association, page, context)


def closure_or_404(association: Association, closure_id: int) -> AssociationClosure:
    """The association's own closure; another association's is a 404."""
    closure = cal.closure_of(db.session, association.id, closure_id)
    if closure is None:
        abort(404)
    return closure


def edit(association: Association, closure_id: int, urls: Urls, page: str, context=None):
    """Change a closure's dates or reason (one that has not ended)."""
    closure = closure_or_404(association, closure_id)
    form = ClosureForm(obj=closure)
    status = 200
    if form.is_submitted():
        if save(form, association, closure) is not None:
            flash(_("Guardamos el cierre."), "success")
            return redirect(urls.index, code=303)
        status = 422
    response = render(
        page,
        page,
        association=association,
        closure=closure,
        form=form,
        urls=urls,
        editable=closure.end_date >= lima_today(),
        **(context or {}),
    )
    response.status_code = status
    return response


def delete(association: Association, closure_id: int, urls: Urls, page: str, context=None):
    """Remove a closure that has not ended: those days are offered again."""
    closure = closure_or_404(association, closure_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        cal.delete_closure(db.session, current_user, closure)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if is_partial_request():
            return render_index(
                association, urls, page, status=409, message=error.message, context=context
            )
        flash(error.message, "error")
        return redirect(urls.index, code=303)
    message = _("Quitamos el cierre: esos días vuelven a ofrecerse.")
    return done(message, urls, association, page, context)
