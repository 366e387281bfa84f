"""The promoter's orders: what came in, confirm or reject, dispatch, record what was delivered.

Phone-first: one card per order with large buttons; confirm and dispatch are one tap (htmx
swaps the card, a plain form post works too); reject and deliver open the order page.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from ...extensions import db
from ...formatting import money
from ...models import Order
from ...numbers import parse_page
from ...permissions import order_for_promoter, promoter_required
from ...services import DomainError, order_payments, ordering
from ...services import order_states as st
from ..form_fields import FlaskForm
from ..htmx import is_partial_request, render
from . import bp

PAGE_SIZE = 30
VIEWS = {
    "open": st.OPEN_STATUSES,
    "placed": (st.PLACED,),
    "confirmed": (st.CONFIRMED,),
    "dispatched": (st.DISPATCHED,),
    "closed": st.FINAL_STATUSES,
}
VIEW_LABELS = {
    "open": _l("Por atender"),
    "placed": _l("Nuevos"),
    "confirmed": _l("Por despachar"),
    "dispatched": _l("En camino"),
    "closed": _l("Cerrados"),
}


@bp.app_template_global()
def payment_hold(order: Order) -> str | None:
    """Why the promoter may not dispatch this order yet (the buyer has not paid), if so.

    Worked out once per request for the promoter's association, however many orders the
    page shows.
    """
    if not getattr(current_user, "is_promoter", False):
        return None
    if "payment_holds" not in g:
        g.payment_holds = order_payments.dispatch_holds(db.session, current_user.association_id)
    return g.payment_holds.get(order.id)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Motivo"), validators=[Optional(), Length(max=300)])


def view_counts() -> dict[str, int]:
    """How many of the association's orders each tab holds."""
    by_status = dict(
        db.session.execute(
            sa.select(Order.status, sa.func.count(Order.id))
            .where(Order.association_id == current_user.association_id)
            .group_by(Order.status)
        ).all()
    )
    return {name: sum(by_status.get(s, 0) for s in statuses) for name, statuses in VIEWS.items()}


def page_number() -> int:
    return parse_page(request.args.get("page"))


@bp.route("/orders")
@promoter_required
def orders():
    view = request.args.get("view", "open")
    if view not in VIEWS:
        view = "open"
    base = sa.select(Order).where(
        Order.association_id == current_user.association_id, Order.status.in_(VIEWS[view])
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    page = page_number()
    order_by = (
        (Order.delivery_date, Order.id)
        if view != "closed"
        else (Order.delivery_date.desc(), Order.id.desc())
    )
    rows = db.session.scalars(
        base.options(joinedload(Order.buyer), selectinload(Order.lines))
        .order_by(*order_by)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render(
        "producer/orders.html",
        "producer/_orders_list.html",
        orders=rows,
        view=view,
        views=VIEW_LABELS,
        counts=view_counts(),
        total=total,
        page_no=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


def render_order(order: Order, reason_form=None, line_errors=None, status: int = 200):
    order = ordering.order_with_details(db.session, order.id)
    response = render(
        "producer/orders_detail.html",
        "producer/orders_detail.html",
        order=order,
        reason_form=reason_form or ReasonForm(),
        line_errors=line_errors or {},
        can=lambda to: st.can(order, to, current_user),
        st=st,
    )
    response.status_code = status
    return response


@bp.route("/orders/<int:order_id>")
@promoter_required
def order(order_id: int):
    return render_order(order_for_promoter(order_id))


def posted_view() -> str | None:
    """The tab the promoter acted from, if the form carried a known one."""
    view = request.form.get("view")
    return view if view in VIEWS else None


def after_action(order: Order, message: str):
    """Card for htmx, else back where the promoter was (the list or the order)."""
    if is_partial_request():
        fresh = ordering.order_with_details(db.session, order.id)
        view = posted_view()
        response = render(
            "producer/_orders_card.html",
            "producer/_orders_card.html",
            order=fresh,
            notice=message,
            view=view,
        )
        tabs = render_template(
            "producer/_orders_tabs.html",
            views=VIEW_LABELS,
            counts=view_counts(),
            view=view,
            oob=True,
        )
        response.set_data(response.get_data(as_text=True) + tabs)
        return response
    flash(message, "success")
    if request.form.get("back") == "list":
        return redirect(url_for("producer.orders", view=posted_view()), code=303)
    return redirect(url_for("producer.order", order_id=order.id), code=303)


def one_tap(order_id: int, to_status: str, message: str):
    order = order_for_promoter(order_id)
    if not FlaskForm().validate_on_submit():
        return render_order(order, status=400)
    try:
        ordering.move(db.session, current_user, order, to_status)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if is_partial_request():
            fresh = ordering.order_with_details(db.session, order.id)
            response = render(
                "producer/_orders_card.html",
                "producer/_orders_card.html",
                order=fresh,
                error=error.message,
            )
            response.status_code = 409
            return response
        form = ReasonForm()
        form.form_errors.append(error.message)
        return render_order(order, form, status=409)
    return after_action(order, message % {"number": order.number})


@bp.route("/orders/<int:order_id>/confirm", methods=["POST"])
@promoter_required
def order_confirm(order_id: int):
    return one_tap(order_id, st.CONFIRMED, _("Confirmaste el pedido %(number)s."))


@bp.route("/orders/<int:order_id>/dispatch", methods=["POST"])
@promoter_required
def order_dispatch(order_id: int):
    return one_tap(order_id, st.DISPATCHED, _("El pedido %(number)s está en camino."))


def with_reason(order_id: int, to_status: str, message: str):
    order = order_for_promoter(order_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            ordering.move(db.session, current_user, order, to_status, form.reason.data)
            db.session.commit()
            return after_action(order, message % {"number": order.number})
        except DomainError as error:
            db.session.rollback()
            if error.field == "reason":
                form.reason.errors = [*form.reason.errors, error.message]
            else:
                form.form_errors.append(error.message)
            return render_order(order, form, status=422 if error.field else 409)
    return render_order(order, form, status=400)


@bp.route("/orders/<int:order_id>/reject", methods=["POST"])
@promoter_required
def order_reject(order_id: int):
    return with_reason(order_id, st.REJECTED, _("Rechazaste el pedido %(number)s."))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@promoter_required
def order_cancel(order_id: int):
    return with_reason(order_id, st.CANCELLED, _("Cancelaste el pedido %(number)s."))


@bp.route("/orders/<int:order_id>/deliver", methods=["POST"])
@promoter_required
def order_deliver(order_id: int):
    order = order_for_promoter(order_id)
    if not FlaskForm().validate_on_submit():
        return render_order(order, status=400)
    delivered = {
        line.id: request.form.get(f"line_{line.id}", str(line.quantity)) for line in order.lines
    }
    try:
        result = ordering.deliver_order(db.session, current_user, order, delivered)
        db.session.commit()
    except ordering.InvalidFields as error:
        db.session.rollback()
        return render_order(order, line_errors=error.errors, status=422)
    except DomainError as error:
        db.session.rollback()
        form = ReasonForm()
        form.form_errors.append(error.message)
        return render_order(order, form, status=409)
    if result.short_lines:
        message = _(
            "Entrega registrada. Entrega incompleta: el monto a pagar bajó de %(before)s a "
            "%(after)s.",
            before=money(order.total_cents),
            after=money(order.delivered_total_cents),
        )
    else:
        message = _("Entrega registrada: %(number)s.", number=order.number)
    flash(message, "success")
    return redirect(url_for("producer.order", order_id=order.id), code=303)
