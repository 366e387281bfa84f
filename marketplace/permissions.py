"""Who may do what. Every view guards itself with one of these decorators, and every
record fetched by id goes through a scoped getter: another tenant's record is a 404."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .extensions import db
from .models import (
    ROLE_BUYER,
    ROLE_PROMOTER,
    ROLE_STAFF,
    Agreement,
    Association,
    BuyerAddress,
    Order,
    Product,
    StandingOrder,
    User,
)


def roles_required(*roles: str):
    """Logged-in users of these roles only; anyone else logged in gets 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


buyer_required = roles_required(ROLE_BUYER)
promoter_required = roles_required(ROLE_PROMOTER)
staff_required = roles_required(ROLE_STAFF)


def get_or_404(model, record_id: int):
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    return record


def own_association() -> Association:
    """The association the current promoter acts for."""
    return get_or_404(Association, current_user.association_id)


def product_for_promoter(product_id: int) -> Product:
    """A product of the current promoter's association, or 404."""
    product = get_or_404(Product, product_id)
    if product.association_id != current_user.association_id:
        abort(404)
    return product


def scoped_to_buyer(record, buyer_id_attr: str = "buyer_id"):
    """Return the record if it belongs to the current buyer's business, else 404."""
    if record is None or getattr(record, buyer_id_attr) != current_user.buyer_id:
        abort(404)
    return record


def scoped_to_association(record, association_id_attr: str = "association_id"):
    """Return the record if it belongs to the current promoter's association, else 404."""
    if record is None or getattr(record, association_id_attr) != current_user.association_id:
        abort(404)
    return record


def active_address_for_buyer(address_id: int) -> BuyerAddress:
    """An active delivery address of the current buyer's business, or 404."""
    address = scoped_to_buyer(db.session.get(BuyerAddress, address_id))
    if not address.active:
        abort(404)
    return address


def colleague_for_buyer(user_id: int) -> User:
    """A user of the current buyer's business (the caller included), or 404."""
    return scoped_to_buyer(db.session.get(User, user_id))


def order_for_buyer(order_id: int):
    """An order of the current buyer's business, or 404."""
    return scoped_to_buyer(db.session.get(Order, order_id))


def order_for_promoter(order_id: int):
    """An order placed with the current promoter's association, or 404."""
    return scoped_to_association(db.session.get(Order, order_id))


def standing_order_for_buyer(standing_order_id: int):
    """A standing order of the current buyer's business, or 404."""
    return scoped_to_buyer(db.session.get(StandingOrder, standing_order_id))


def agreement_for_buyer(agreement_id: int):
    """An agreement of the current buyer's business that is no longer a draft, or 404."""
    agreement = scoped_to_buyer(db.session.get(Agreement, agreement_id))
    if agreement.status == "draft":
        abort(404)
    return agreement


def agreement_for_promoter(agreement_id: int):
    """An agreement of the current promoter's association, not a draft, or 404."""
    agreement = scoped_to_association(db.session.get(Agreement, agreement_id))
    if agreement.status == "draft":
        abort(404)
    return agreement
