"""Platform staff: associations, verification, promoters and buyers."""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...formatting import soles
from ...models import ROLE_PROMOTER, Association, Buyer, Product, User
from ...numbers import parse_page
from ...ops.logging import fields
from ...permissions import get_or_404, staff_required
from ...services import DomainError, calendar, logins
from ...services import onboarding as svc
from ...services.accounts import INVITE_VALID_FOR
from ..htmx import is_partial_request, render
from . import bp
from .forms import (
    AssociationForm,
    BuyerFilterForm,
    InvitePromoterForm,
    NewAssociationForm,
    PromoterFilterForm,
)

INVITATION_KEY = "staff_invitation"
BUYERS_PER_PAGE = 50


@bp.context_processor
def staff_helpers():
    return {
        "promoter_status": svc.promoter_status,
        "invitation_expired": svc.invitation_expired,
        "invite_days": INVITE_VALID_FOR.days,
    }


def invitation_url(token: str) -> str:
    """The link a promoter opens to choose a password."""
    return url_for("auth.accept_invite", token=token, _external=True)


def remember_invitation(promoter: User, token: str) -> None:
    """Keep the one-time link for the next page only: it is never stored anywhere else."""
    session[INVITATION_KEY] = {
        "promoter_id": promoter.id,
        "name": promoter.name,
        "email": promoter.email,
        "url": invitation_url(token),
    }


def pop_invitation() -> dict | None:
    return session.pop(INVITATION_KEY, None)


def promoter_or_404(user_id: int) -> User:
    user = get_or_404(User, user_id)
    if user.role != ROLE_PROMOTER:
        abort(404)
    return user


def came_from_list() -> bool:
    """Row actions post `next=list` from list pages and return there (or swap the row)."""
    return request.form.get("next") == "list"


# --- overview ----------------------------------------------------------------------------


@bp.route("/")
@staff_required
def index():
    def count(query):
        return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))

    counts = {
        "associations_verified": count(
            sa.select(Association.id).where(Association.verified_at.is_not(None))
        ),
        "associations_pending": count(
            sa.select(Association.id).where(Association.verified_at.is_(None))
        ),
        "buyers_pending": count(sa.select(Buyer.id).where(Buyer.verified_at.is_(None))),
        "promoters_invited": count(
            sa.select(User.id).where(
                User.role == ROLE_PROMOTER, svc.promoter_status_condition(svc.PROMOTER_INVITED)
            )
        ),
    }
    return render_template("staff/index.html", counts=counts)


# --- associations ------------------------------------------------------------------------


def association_rows(association_id: int | None = None):
    """Associations with their number of promoters and products, in one query."""
    promoters = (
        sa.select(sa.func.count(User.id))
        .where(User.association_id == Association.id)
        .correlate(Association)
        .scalar_subquery()
    )
    products = (
        sa.select(sa.func.count(Product.id))
        .where(Product.association_id == Association.id)
        .correlate(Association)
        .scalar_subquery()
    )
    query = sa.select(
        Association, promoters.label("promoters"), products.label("products")
    ).order_by(Association.name)
    if association_id is not None:
        query = query.where(Association.id == association_id)
    return db.session.execute(query).all()


@bp.route("/associations")
@staff_required
def associations():
    return render_template("staff/associations.html", rows=association_rows())


def association_data(form: AssociationForm) -> svc.AssociationData:
    return svc.AssociationData(name=form.name.data, **form.values())


def show_domain_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/associations/new", methods=["GET", "POST"])
@staff_required
def new_association():
    form = NewAssociationForm()
    if form.validate_on_submit():
        delivery = svc.DeliveryRuleData(
            city=form.delivery_city.data,
            weekdays="".join(form.delivery_weekdays.data),
            lead_days=form.delivery_lead_days.data,
        )
        try:
            association = svc.create_association(
                db.session, current_user, association_data(form), delivery
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            return render_template("staff/association_form.html", form=form, association=None), 409
        db.session.commit()
        flash(_("Asociación creada. Verifícala cuando revises sus datos."), "info")
        return redirect(url_for("staff.association", association_id=association.id), code=303)
    status = 422 if form.errors else 200
    return render_template("staff/association_form.html", form=form, association=None), status


@bp.route("/associations/<int:association_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_association(association_id: int):
    association = get_or_404(Association, association_id)
    form = AssociationForm(obj=association)
    if request.method == "GET":
        form.min_order.data = soles(association.min_order_cents)
    if form.validate_on_submit():
        try:
            svc.update_association(db.session, current_user, association, association_data(form))
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            page = render_template(
                "staff/association_form.html", form=form, association=association
            )
            return page, 409
        db.session.commit()
        flash(_("Cambios guardados."), "info")
        return redirect(url_for("staff.association", association_id=association.id), code=303)
    status = 422 if form.errors else 200
    page = render_template("staff/association_form.html", form=form, association=association)
    return page, status


def association_page(association: Association, error: str | None = None, status: int = 200):
    promoters = db.session.scalars(
        sa.select(User)
        .where(User.association_id == association.id, User.role == ROLE_PROMOTER)
        .order_by(User.name)
    ).all()
    row = association_rows(association.id)[0]
    page = render_template(
        "staff/association.html",
        association=association,
        promoters=promoters,
        product_count=row.products,
        checks=svc.CHECKS,
        closures=calendar.list_closures(db.session, association.id)[0],
        invitation=pop_invitation(),
        error=error,
    )
    return page, status


@bp.route("/associations/<int:association_id>")
@staff_required
def association(association_id: int):
    return association_page(get_or_404(Association, association_id))


def change_association_check(association_id: int, check: str, verified: bool):
    """Verify or un-verify one thing; htmx swaps the row, a plain form gets a 303."""
    association = get_or_404(Association, association_id)
    if check not in svc.CHECKS:
        abort(404)
    error = None
    try:
        svc.set_association_check(db.session, current_user, association, check, verified)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        error = str(exc.message)
    if is_partial_request():
        # htmx swaps 2xx answers only, so a refusal comes back as the row with its message.
        if came_from_list() and check == "association":
            (row,) = association_rows(association.id)
            return render_template("staff/_association_row.html", row=row, error=error)
        return render_template(
            "staff/_credential_row.html", association=association, check=check, error=error
        )
    if error:
        return association_page(association, error=error, status=409)
    if came_from_list():
        return redirect(url_for("staff.associations"), code=303)
    return redirect(url_for("staff.association", association_id=association.id), code=303)


@bp.route("/associations/<int:association_id>/verify/<check>", methods=["POST"])
@staff_required
def verify_association(association_id: int, check: str):
    return change_association_check(association_id, check, True)


@bp.route("/associations/<int:association_id>/unverify/<check>", methods=["POST"])
@staff_required
def unverify_association(association_id: int, check: str):
    return change_association_check(association_id, check, False)


# --- promoters ---------------------------------------------------------------------------


@bp.route("/associations/<int:association_id>/promoters/new", methods=["GET", "POST"])
@staff_required
def invite_promoter(association_id: int):
    association = get_or_404(Association, association_id)
    form = InvitePromoterForm()
    if form.validate_on_submit():
        try:
            promoter, token = svc.invite_association_promoter(
                db.session,
                current_user,
                association,
                form.name.data,
                form.email.data,
                form.phone.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            page = render_template("staff/invite_promoter.html", form=form, association=association)
            return page, 409
        db.session.commit()
        remember_invitation(promoter, token)
        return redirect(url_for("staff.association", association_id=association.id), code=303)
    status = 422 if form.errors else 200
    page = render_template("staff/invite_promoter.html", form=form, association=association)
    return page, status


@bp.route("/promoters")
@staff_required
def promoters():
    filters = PromoterFilterForm(request.args)
    if not filters.validate():
        filters = PromoterFilterForm()
    query = (
        sa.select(User)
        .where(User.role == ROLE_PROMOTER)
        .options(selectinload(User.association))
        .order_by(User.name)
    )
    if filters.status.data:
        query = query.where(svc.promoter_status_condition(filters.status.data))
    return render_template(
        "staff/promoters.html",
        promoters=db.session.scalars(query).all(),
        filters=filters,
        invitation=pop_invitation(),
    )


def promoter_action_response(promoter: User, error: str | None = None):
    if is_partial_request():
        return render_template(
            "staff/_promoter_row.html",
            promoter=promoter,
            in_list=came_from_list(),
            error=error,
        )
    if error:
        flash(error, "error")
    if came_from_list():
        return redirect(url_for("staff.promoters"), code=303)
    return redirect(url_for("staff.association", association_id=promoter.association_id), code=303)


@bp.route("/promoters/<int:user_id>/disable", methods=["POST"])
@staff_required
def disable_promoter(user_id: int):
    promoter = promoter_or_404(user_id)
    svc.set_promoter_active(db.session, current_user, promoter, False)
    db.session.commit()
    return promoter_action_response(promoter)


@bp.route("/promoters/<int:user_id>/enable", methods=["POST"])
@staff_required
def enable_promoter(user_id: int):
    promoter = promoter_or_404(user_id)
    svc.set_promoter_active(db.session, current_user, promoter, True)
    db.session.commit()
    return promoter_action_response(promoter)


@bp.route("/promoters/<int:user_id>/reinvite", methods=["POST"])
@staff_required
def reinvite_promoter(user_id: int):
    """A new one-time link; shown on the next page (a plain form, never swapped by htmx)."""
    promoter = promoter_or_404(user_id)
    try:
        token = svc.reissue_invitation(db.session, current_user, promoter)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        target = (
            url_for("staff.promoters")
            if came_from_list()
            else url_for("staff.association", association_id=promoter.association_id)
        )
        return redirect(target, code=303)
    db.session.commit()
    remember_invitation(promoter, token)
    if came_from_list():
        return redirect(url_for("staff.promoters"), code=303)
    return redirect(url_for("staff.association", association_id=promoter.association_id), code=303)


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
@staff_required
def end_user_sessions(user_id: int):
    """Log a buyer's user or a promoter out on every device (a lost phone, a shared PC)."""
    user = get_or_404(User, user_id)
    if user.is_staff:
        abort(404)
    logins.end_all_logins(db.session, user)
    db.session.commit()
    current_app.logger.info(
        "staff ended sessions", extra=fields(actor_id=current_user.id, user_id=user.id)
    )
    flash(_("Cerramos todas las sesiones de %(name)s.", name=user.name), "info")
    if user.is_buyer:
        return redirect(url_for("staff.buyer", buyer_id=user.buyer_id), code=303)
    if came_from_list():
        return redirect(url_for("staff.promoters"), code=303)
    return redirect(url_for("staff.association", association_id=user.association_id), code=303)


# --- buyers ------------------------------------------------------------------------------


@bp.route("/buyers")
@staff_required
def buyers():
    filters = BuyerFilterForm(request.args)
    if not filters.validate():
        filters = BuyerFilterForm()
    query = sa.select(Buyer).order_by(Buyer.verified_at.is_not(None), Buyer.created_at.desc())
    if filters.status.data == "pending":
        query = query.where(Buyer.verified_at.is_(None))
    elif filters.status.data == "verified":
        query = query.where(Buyer.verified_at.is_not(None))
    if filters.city.data:
        query = query.where(Buyer.city == filters.city.data)
    results = db.paginate(
        query.order_by(Buyer.id),
        page=request.args.get("page", 1, type=parse_page),
        per_page=BUYERS_PER_PAGE,
        error_out=False,
    )
    args = {"status": filters.status.data, "city": filters.city.data}
    return render(
        "staff/buyers.html",
        "staff/_buyer_results.html",
        results=results,
        filters=filters,
        args=args,
    )


@bp.route("/buyers/<int:buyer_id>")
@staff_required
def buyer(buyer_id: int):
    record = get_or_404(Buyer, buyer_id)
    users = db.session.scalars(
        sa.select(User).where(User.buyer_id == record.id).order_by(User.name)
    ).all()
    return render_template(
        "staff/buyer.html", buyer=record, users=users, addresses=record.addresses
    )


def change_buyer_verified(buyer_id: int, verified: bool):
    record = get_or_404(Buyer, buyer_id)
    svc.set_buyer_verified(db.session, current_user, record, verified)
    db.session.commit()
    if came_from_list():
        if is_partial_request():
            return render_template("staff/_buyer_row.html", buyer=record)
        back = {k: request.form[k] for k in ("status", "city") if request.form.get(k)}
        return redirect(url_for("staff.buyers", **back), code=303)
    return redirect(url_for("staff.buyer", buyer_id=record.id), code=303)


@bp.route("/buyers/<int:buyer_id>/verify", methods=["POST"])
@staff_required
def verify_buyer(buyer_id: int):
    return change_buyer_verified(buyer_id, True)


@bp.route("/buyers/<int:buyer_id>/unverify", methods=["POST"])
@staff_required
def unverify_buyer(buyer_id: int):
    return change_buyer_verified(buyer_id, False)
