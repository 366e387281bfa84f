"""The promoter's home on the phone: what to do today on one light page.

In this order: orders waiting for confirmation, deliveries due today and tomorrow (Lima),
products whose stock will not cover the coming standing orders, and the stock list with a
one-number update. Every action is a plain form (works without JavaScript); htmx swaps the
row. Each form carries a key: the same key twice (a double tap, or the phone replaying its
offline queue) is applied once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...formatting import lima_today
from ...labels import unit_quantity
from ...models import Order, Product
from ...models.sms import PromoterRequest
from ...numbers import NotANumber, parse_decimal
from ...permissions import (
    order_for_promoter,
    own_association,
    product_for_promoter,
    promoter_required,
)
from ...services import DomainError, catalog, ordering
from ...services import order_states as st
from ...services import standing as so
from ...services.stock import StockChanged
from ..form_fields import FlaskForm
from ..htmx import is_partial_request
from . import bp

ORDER_ACTIONS = {
    "confirm": st.CONFIRMED,
    "reject": st.REJECTED,
    "dispatch": st.DISPATCHED,
    "deliver": st.DELIVERED,
}
MODES = ("count", "add")
WEEK_AHEAD = 6  # Hoy lists confirmed orders due within the next seven days, today included


def new_key() -> str:
    """A fresh idempotency key for one form as rendered."""
    return secrets.token_urlsafe(16)


def clean_key(raw: str | None) -> str | None:
    key = (raw or "").strip()
    return key[:64] if key else None


def already_applied(key: str | None, action: str) -> bool:
    """Record the key in this transaction; True if it was recorded before (apply nothing).

    A concurrent twin waits on the UNIQUE index and then fails here, so it is applied once too.
    """
    if key is None:
        return False
    seen = db.session.scalar(
        sa.select(PromoterRequest.id).where(
            PromoterRequest.user_id == current_user.id, PromoterRequest.key == key
        )
    )
    if seen is not None:
        return True
    try:
        with db.session.begin_nested():
            db.session.add(PromoterRequest(user_id=current_user.id, key=key, action=action))
    except IntegrityError:
        return True
    return False


# --- Reading --------------------------------------------------------------------------------


def waiting_orders(association_id: int) -> list[Order]:
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.association_id == association_id, Order.status == st.PLACED)
            .options(joinedload(Order.buyer), selectinload(Order.lines))
            .order_by(Order.delivery_date, Order.id)
        )
    )


def due_orders(association_id: int, until, after=None) -> list[Order]:
    """Confirmed or dispatched orders to deliver by `until` (late ones included), or only
    those due after `after` when it is given."""
    query = sa.select(Order).where(
        Order.association_id == association_id,
        Order.status.in_((st.CONFIRMED, st.DISPATCHED)),
        Order.delivery_date <= until,
    )
    if after is not None:
        query = query.where(Order.delivery_date > after)
    return list(
        db.session.scalars(
            query.options(joinedload(Order.buyer), selectinload(Order.lines)).order_by(
                Order.delivery_date, Order.id
            )
        )
    )


def short_products(association_id: int) -> list:
    """Demand rows whose stock runs out within the weeks ahead."""
    _mondays, rows = so.demand_ahead(db.session, association_id)
    return [row for row in rows if row.first_short is not None]


def stock_products(association_id: int) -> list[Product]:
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id)
            .order_by(Product.active.desc(), Product.name)
        )
    )


def order_sections(association_id: int) -> dict[str, list[Order]]:
    """Hoy's three order lists: waiting, due today or tomorrow, and the rest of the week ahead."""
    today = lima_today()
    tomorrow = today + timedelta(days=1)
    # Without "upcoming" a confirmed order due later in the week left Hoy on reload: it no
    # longer waits for confirmation and is not yet due today or tomorrow.
    return {
        "waiting": waiting_orders(association_id),
        "due": due_orders(association_id, tomorrow),
        "upcoming": due_orders(association_id, today + timedelta(days=WEEK_AHEAD), after=tomorrow),
    }


@bp.route("/home")
@promoter_required
def home():
    """Today's work for the association, phone-first."""
    association = own_association()
    today = lima_today()
    return render_template(
        "producer/home.html",
        association=association,
        today=today,
        tomorrow=today + timedelta(days=1),
        short=short_products(association.id),
        products=stock_products(association.id),
        new_key=new_key,
        **order_sections(association.id),
    )


def out_of_band_counts() -> str:
    """The section counts as htmx out-of-band swaps, so Hoy agrees with the action just done."""
    sections = order_sections(current_user.association_id)
    return render_template(
        "producer/home/_counts.html",
        counts={name: len(orders) for name, orders in sections.items()},
    )


def out_of_band_short() -> str:
    """The short-stock section, re-rendered after a stock change."""
    return render_template(
        "producer/home/_short.html", short=short_products(current_user.association_id), oob=True
    )


# --- Stock ----------------------------------------------------------------------------------


def parse_quantity(raw: str | None) -> Decimal | None:
    try:
        return parse_decimal(raw)
    except NotANumber:
        return None


def stock_row(product: Product, *, status: int = 200, **extra):
    """The product's row for htmx, or back to the home page (303) for a plain form."""
    if is_partial_request() or status != 200:
        db.session.refresh(product)
        html = render_template(
            "producer/home/_stock.html" if is_partial_request() else "producer/home_stock.html",
            product=product,
            key=new_key(),
            **extra,
        )
        if is_partial_request() and status == 200:
            html += out_of_band_short()
        return html, status
    if extra.get("saved"):
        flash(f"{product.name}: {extra['saved']}", "success")
    return redirect(url_for("producer.home") + f"#stock-{product.id}", code=303)


@bp.route("/home/stock/<int:product_id>", methods=["POST"])
@promoter_required
def home_stock(product_id: int):
    """Set the counted stock, or add what was made: one number, one tap.

    A count carries the figure the promoter saw; if an order reserved stock since, the
    answer is 409 with both figures and a button to confirm the count against the new one.
    """
    product = product_for_promoter(product_id)
    if not FlaskForm().validate_on_submit():
        return stock_row(product, status=400, error=_("La página caducó; vuelve a intentarlo."))
    mode = request.form.get("mode", "count")
    if mode not in MODES:
        mode = "count"
    quantity = parse_quantity(request.form.get("quantity"))
    if quantity is None:
        return stock_row(product, status=422, error=_("Escribe una cantidad, por ejemplo 12."))
    seen = parse_quantity(request.form.get("seen_on_hand"))
    key = clean_key(request.form.get("key"))
    try:
        if already_applied(key, f"stock:{product.id}:{mode}"):
            return stock_row(product, saved=_("Ya estaba guardado."))
        if mode == "add":
            catalog.add_production(db.session, current_user, product, quantity)
            saved = _("Sumamos %(qty)s.", qty=unit_quantity(quantity, product.unit))
        else:
            catalog.count_stock(db.session, current_user, product, quantity, seen)
            saved = _("Guardamos el conteo.")
        db.session.commit()
    except StockChanged as error:
        db.session.rollback()
        conflict = {
            "seen": error.seen,
            "current": error.current,
            "difference": error.current - error.seen,
            "quantity": quantity,
        }
        return stock_row(product, status=409, conflict=conflict)
    except DomainError as error:
        db.session.rollback()
        return stock_row(product, status=422, error=str(error.message))
    return stock_row(product, saved=saved)


# --- Orders ---------------------------------------------------------------------------------


def order_row(order: Order, *, status: int = 200, notice: str | None = None, error=None):
    if is_partial_request() or status != 200:
        fresh = ordering.order_with_details(db.session, order.id)
        template = (
            "producer/home/_order.html" if is_partial_request() else "producer/home_order.html"
        )
        html = render_template(template, order=fresh, key=new_key(), notice=notice, error=error)
        if is_partial_request() and status == 200:
            html += out_of_band_counts()
        return html, status
    if notice:
        flash(notice, "success")
    return redirect(url_for("producer.home") + f"#order-{order.id}", code=303)


@bp.route("/home/orders/<int:order_id>/<action>", methods=["POST"])
@promoter_required
def home_order(order_id: int, action: str):
    """Confirm, reject (with a reason), dispatch, or deliver as ordered, from the home page."""
    order = order_for_promoter(order_id)
    if action not in ORDER_ACTIONS:
        abort(404)
    if not FlaskForm().validate_on_submit():
        return order_row(order, status=400, error=_("La página caducó; vuelve a intentarlo."))
    key = clean_key(request.form.get("key"))
    reason = (request.form.get("reason") or "").strip()[:300] or None
    try:
        if already_applied(key, f"order:{order.id}:{action}"):
            return order_row(order, notice=_("Ya estaba hecho."))
        ordering.move(db.session, current_user, order, ORDER_ACTIONS[action], reason)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        status = 422 if error.field else 409
        return order_row(order, status=status, error=str(error.message))
    messages = {
        "confirm": _("Confirmaste el pedido %(number)s."),
        "reject": _("Rechazaste el pedido %(number)s."),
        "dispatch": _("El pedido %(number)s está en camino."),
        "deliver": _("Entrega registrada: %(number)s."),
    }
    return order_row(order, notice=messages[action] % {"number": order.number})
