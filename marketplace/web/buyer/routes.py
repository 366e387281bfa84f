"""The buyer's own pages: its business, colleagues and delivery addresses."""

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...permissions import active_address_for_buyer, buyer_required, colleague_for_buyer
from ...services import DomainError, accounts
from . import bp
from .business_forms import AddressForm, ColleagueForm

INVITE_LINK_KEY = "buyer_invite_link"


def new_address_form() -> AddressForm:
    return AddressForm(formdata=None, data={"city": current_user.buyer.city})


def render_index(colleague_form=None, address_form=None, error=None, status=200):
    """The business page; forms passed in keep what was typed and show their errors."""
    buyer = current_user.buyer
    members = accounts.business_members(db.session, buyer.id)
    invite_link = None
    if status == 200:
        shown = session.pop(INVITE_LINK_KEY, None)
        if shown and shown.get("user_id") in {m.id for m in members}:
            invite_link = shown
    page = render_template(
        "buyer/index.html",
        buyer=buyer,
        members=members,
        member_status=accounts.member_status,
        addresses=accounts.active_addresses(db.session, buyer.id),
        colleague_form=colleague_form or ColleagueForm(formdata=None),
        address_form=address_form or new_address_form(),
        invite_link=invite_link,
        error=error,
    )
    return page, status


def remember_invite_link(user, token: str) -> None:
    """Show the link once, on the next page: only the inviter's browser ever sees it."""
    session[INVITE_LINK_KEY] = {
        "user_id": user.id,
        "name": user.name,
        "email": user.email,
        "url": url_for("auth.accept_invite", token=token, _external=True),
    }


@bp.route("/")
@buyer_required
def index():
    return render_index()


@bp.route("/colegas", methods=["POST"])
@buyer_required
def invite_colleague():
    """Add a colleague: an account without password and a link to share with them."""
    form = ColleagueForm()
    if form.validate_on_submit():
        try:
            user, token = accounts.invite_colleague(
                db.session, current_user.buyer_id, form.name.data, form.email.data
            )
        except DomainError as error:
            db.session.rollback()
            form.email.errors.append(error.message)
            return render_index(colleague_form=form, status=409)
        db.session.commit()
        remember_invite_link(user, token)
        flash(_("Invitamos a %(name)s. Comparte con tu colega el enlace de abajo.", name=user.name))
        return redirect(url_for("buyer.index", _anchor="colegas"), code=303)
    return render_index(colleague_form=form, status=400)


@bp.route("/colegas/<int:user_id>/enlace", methods=["POST"])
@buyer_required
def reissue_invite(user_id: int):
    """A new invitation link for a colleague who lost or let the first one expire."""
    colleague = colleague_for_buyer(user_id)
    try:
        token = accounts.reissue_invite(db.session, colleague)
    except DomainError as error:
        db.session.rollback()
        return render_index(error=error.message, status=409)
    db.session.commit()
    remember_invite_link(colleague, token)
    flash(_("Hicimos un enlace nuevo para %(name)s; el anterior ya no sirve.", name=colleague.name))
    return redirect(url_for("buyer.index", _anchor="colegas"), code=303)


@bp.route("/colegas/<int:user_id>/desactivar", methods=["POST"])
@buyer_required
def deactivate_colleague(user_id: int):
    """Switch a colleague off: they can no longer log in, and open sessions end."""
    colleague = colleague_for_buyer(user_id)
    try:
        accounts.deactivate_colleague(db.session, current_user, colleague)
    except DomainError as error:
        db.session.rollback()
        return render_index(error=error.message, status=409)
    db.session.commit()
    flash(_("%(name)s ya no puede ingresar a Qhatu por tu negocio.", name=colleague.name))
    return redirect(url_for("buyer.index", _anchor="colegas"), code=303)


@bp.route("/direcciones", methods=["POST"])
@buyer_required
def add_address():
    form = AddressForm()
    if form.validate_on_submit():
        try:
            accounts.add_address(
                db.session,
                current_user.buyer_id,
                form.label.data,
                form.address.data,
                form.city.data,
                form.notes.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "label").errors.append(error.message)
            return render_index(address_form=form, status=409)
        db.session.commit()
        flash(_("Agregamos la dirección «%(label)s».", label=form.label.data))
        return redirect(url_for("buyer.index", _anchor="direcciones"), code=303)
    return render_index(address_form=form, status=400)


@bp.route("/direcciones/<int:address_id>", methods=["GET", "POST"])
@buyer_required
def edit_address(address_id: int):
    address = active_address_for_buyer(address_id)
    form = AddressForm(obj=address)
    if form.validate_on_submit():
        try:
            accounts.update_address(
                db.session,
                address,
                form.label.data,
                form.address.data,
                form.city.data,
                form.notes.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "label").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Guardamos la dirección «%(label)s».", label=address.label))
            return redirect(url_for("buyer.index", _anchor="direcciones"), code=303)
    status = 400 if form.errors else 200
    return render_template("buyer/address_edit.html", form=form, address=address), status


@bp.route("/direcciones/<int:address_id>/desactivar", methods=["POST"])
@buyer_required
def deactivate_address(address_id: int):
    """Stop delivering to an address; past orders keep it."""
    address = active_address_for_buyer(address_id)
    try:
        accounts.deactivate_address(db.session, address)
    except DomainError as error:
        db.session.rollback()
        return render_index(error=error.message, status=409)
    db.session.commit()
    flash(_("Quitamos la dirección «%(label)s» de tus lugares de entrega.", label=address.label))
    return redirect(url_for("buyer.index", _anchor="direcciones"), code=303)
