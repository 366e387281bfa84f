"""The promoter's pages: the association's profile, story, photos, delivery rules, products
and stock. Every page is scoped to the promoter's own association."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...formatting import cents_from_soles, soles
from ...labels import CITY_LABELS, unit_quantity
from ...models import CITIES, AssociationPhoto, DeliveryRule, Product
from ...models.catalog import (
    REASON_CORRECTION,
    REASON_COUNT,
    REASON_DELIVERY,
    REASON_PRODUCTION,
    REASON_RELEASE,
    REASON_RESERVATION,
    REASON_SAMPLE,
)
from ...permissions import (
    own_association,
    product_for_promoter,
    promoter_required,
    scoped_to_association,
)
from ...services import DomainError, calendar, catalog
from ...services import photos as photo_store
from ...services.stock import StockChanged
from ..form_fields import choices
from ..form_keys import form_key
from ..htmx import is_partial_request, render
from . import bp
from .forms import (
    DeliveryRuleForm,
    PhotoForm,
    ProductForm,
    ProfileForm,
    StockForm,
    StoryForm,
)
from .home import already_applied

REASON_LABELS = {
    REASON_COUNT: _l("Conteo"),
    REASON_PRODUCTION: _l("Producción"),
    REASON_RESERVATION: _l("Pedido"),
    REASON_RELEASE: _l("Pedido cancelado"),
    REASON_DELIVERY: _l("Ajuste de entrega"),
    REASON_SAMPLE: _l("Muestra"),
    REASON_CORRECTION: _l("Corrección"),
}


@bp.context_processor
def producer_helpers():
    return {"reason_name": lambda code: REASON_LABELS.get(code, code)}


def show_error(form, error: DomainError) -> None:
    """Put a service's message at its field, or above the form when it names none."""
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def store_uploaded_photo(form, field_name: str = "photo") -> str | None:
    """Store the form's uploaded photo if one was sent; returns its stem, or None."""
    upload = getattr(form, field_name).data
    if not upload or not getattr(upload, "filename", None):
        return None
    return photo_store.store_upload(upload)


def products_of(association_id: int) -> list[Product]:
    """The association's products, those on sale first."""
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.association_id == association_id)
            .order_by(Product.active.desc(), Product.name)
        )
    )


def stock_form_for(product: Product) -> StockForm:
    """An empty stock form carrying the figure the promoter is about to see."""
    form = StockForm(formdata=None)
    form.seen_on_hand.data = str(product.stock_on_hand)
    return form


# --- Home -----------------------------------------------------------------------------------


@bp.route("/")
@promoter_required
def index():
    """The association at a glance, with each product's stock one tap away."""
    association = own_association()
    products = products_of(association.id)
    forms = {p.id: stock_form_for(p) for p in products}
    return render_template(
        "producer/index.html", association=association, products=products, forms=forms
    )


# --- Profile and story ----------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@promoter_required
def profile():
    """Where the association is, who it is, its minimum order and its formal credentials."""
    association = own_association()
    form = ProfileForm(obj=association)
    if not form.is_submitted():
        form.min_order.data = soles(association.min_order_cents)
    if form.validate_on_submit():
        data = catalog.ProfileData(**form.values())
        try:
            catalog.update_profile(db.session, current_user, association, data)
            db.session.commit()
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Guardamos el perfil de la asociación."), "success")
            return redirect(url_for("producer.index"), code=303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("producer/profile.html", association=association, form=form), status


@bp.route("/story", methods=["GET", "POST"])
@promoter_required
def story():
    """The origin story buyers' customers ask about, in its three parts."""
    association = own_association()
    form = StoryForm(obj=association)
    if form.validate_on_submit():
        catalog.update_story(
            db.session,
            current_user,
            association,
            form.story_people.data,
            form.story_practice.data,
            form.story_benefit.data,
        )
        db.session.commit()
        flash(_("Guardamos la historia de la asociación."), "success")
        return redirect(url_for("producer.index"), code=303)
    status = 400 if form.errors else 200
    return render_template("producer/story.html", association=association, form=form), status


# --- Photos ---------------------------------------------------------------------------------


@bp.route("/photos", methods=["GET", "POST"])
@promoter_required
def photos():
    """The association's photos, and a form to upload one more (file and description)."""
    association = own_association()
    form = PhotoForm()
    if form.validate_on_submit():
        stem = None
        try:
            stem = store_uploaded_photo(form)
            catalog.add_photo(db.session, current_user, association, stem, form.alt_text.data)
            db.session.commit()
        except DomainError as error:
            photo_store.delete_image(stem)
            show_error(form, error)
        except Exception:
            photo_store.delete_image(stem)
            raise
        else:
            flash(_("Subimos la foto."), "success")
            return redirect(url_for("producer.photos"), code=303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("producer/photos.html", association=association, form=form), status


@bp.route("/photos/<int:photo_id>/delete", methods=["POST"])
@promoter_required
def photo_delete(photo_id: int):
    """Remove a photo; its files go once the removal is committed."""
    photo = scoped_to_association(db.session.get(AssociationPhoto, photo_id))
    stem = catalog.remove_photo(db.session, current_user, photo)
    db.session.commit()
    photo_store.delete_image(stem)
    flash(_("Borramos la foto."), "success")
    return redirect(url_for("producer.photos"), code=303)


# --- Delivery rules -------------------------------------------------------------------------


def free_cities(association, keep: str | None = None) -> list[str]:
    """Cities the association has no delivery rule for yet (besides `keep`)."""
    used = {rule.city for rule in association.delivery_rules if rule.city != keep}
    return [city for city in CITIES if city not in used]


@bp.route("/delivery", methods=["GET", "POST"])
@promoter_required
def delivery():
    """Delivery days and lead time per city; the form at the bottom adds a city."""
    association = own_association()
    form = DeliveryRuleForm()
    cities = free_cities(association)
    form.city.choices = choices(CITY_LABELS, cities)
    if form.validate_on_submit():
        try:
            catalog.save_delivery_rule(
                db.session,
                current_user,
                association,
                form.city.data,
                form.weekdays.data,
                form.lead_days.data,
            )
            db.session.commit()
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Guardamos los días de entrega."), "success")
            return redirect(url_for("producer.delivery"), code=303)
    elif not form.is_submitted():
        form.lead_days.data = 2
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "producer/delivery.html",
        association=association,
        form=form,
        cities=cities,
        closures=calendar.list_closures(db.session, association.id)[0],
    ), status


@bp.route("/delivery/<int:rule_id>", methods=["GET", "POST"])
@promoter_required
def delivery_edit(rule_id: int):
    """Change one city's delivery days or lead time."""
    association = own_association()
    rule = scoped_to_association(db.session.get(DeliveryRule, rule_id))
    form = DeliveryRuleForm(obj=rule)
    form.city.choices = choices(CITY_LABELS, free_cities(association, keep=rule.city))
    if not form.is_submitted():
        form.weekdays.data = list(rule.weekdays)
    if form.validate_on_submit():
        try:
            catalog.save_delivery_rule(
                db.session,
                current_user,
                association,
                form.city.data,
                form.weekdays.data,
                form.lead_days.data,
                rule=rule,
            )
            db.session.commit()
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Guardamos los días de entrega."), "success")
            return redirect(url_for("producer.delivery"), code=303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("producer/delivery_edit.html", rule=rule, form=form), status


@bp.route("/delivery/<int:rule_id>/delete", methods=["POST"])
@promoter_required
def delivery_delete(rule_id: int):
    """Stop delivering to a city."""
    rule = scoped_to_association(db.session.get(DeliveryRule, rule_id))
    catalog.remove_delivery_rule(db.session, current_user, rule)
    db.session.commit()
    flash(_("Quitamos la ciudad de las entregas."), "success")
    return redirect(url_for("producer.delivery"), code=303)


# --- Products -------------------------------------------------------------------------------


@bp.route("/products")
@promoter_required
def products():
    """Every product of the association, on sale or not, with price and stock."""
    association = own_association()
    return render_template(
        "producer/products.html", association=association, products=products_of(association.id)
    )


def product_data(form: ProductForm) -> catalog.ProductData:
    return catalog.ProductData(
        name=form.name.data,
        category=form.category.data,
        variety=form.variety.data,
        description=form.description.data or "",
        unit=form.unit.data,
        weight_per_unit_kg=form.weight_per_unit_kg.data,
        price_cents=cents_from_soles(form.price.data),
        samples_offered=form.samples_offered.data,
        shelf_life_days=form.shelf_life_days.data,
        active=form.active.data,
    )


@bp.route("/products/new", methods=["GET", "POST"])
@promoter_required
def product_new():
    """A new product; its stock starts at zero and comes in through the ledger."""
    association = own_association()
    form = ProductForm()
    if form.validate_on_submit():
        stem = None
        try:
            stem = store_uploaded_photo(form)
            product = catalog.create_product(
                db.session, current_user, association, product_data(form), image=stem
            )
            db.session.commit()
        except DomainError as error:
            photo_store.delete_image(stem)
            show_error(form, error)
        except Exception:
            photo_store.delete_image(stem)
            raise
        else:
            flash(_("Creamos %(name)s. Ahora registra su stock.", name=product.name), "success")
            return redirect(url_for("producer.index") + f"#stock-{product.id}", code=303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("producer/product_form.html", form=form, product=None), status


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@promoter_required
def product_edit(product_id: int):
    """Change a product; a new photo replaces the old one, whose files are then deleted."""
    product = product_for_promoter(product_id)
    form = ProductForm(obj=product)
    if not form.is_submitted():
        form.price.data = soles(product.price_cents)
    if form.validate_on_submit():
        stem = None
        try:
            stem = store_uploaded_photo(form)
            old_image = catalog.update_product(
                db.session, current_user, product, product_data(form), image=stem
            )
            db.session.commit()
        except DomainError as error:
            photo_store.delete_image(stem)
            show_error(form, error)
        except Exception:
            photo_store.delete_image(stem)
            raise
        else:
            photo_store.delete_image(old_image)
            flash(_("Guardamos %(name)s.", name=product.name), "success")
            return redirect(url_for("producer.products"), code=303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("producer/product_form.html", form=form, product=product), status


# --- Stock ----------------------------------------------------------------------------------


@bp.route("/products/<int:product_id>/stock", methods=["GET", "POST"])
@promoter_required
def stock(product_id: int):
    """One product's stock: set the counted quantity or add production.

    The form carries the figure the promoter saw; if an order changed the stock meanwhile,
    the answer is 409 with both figures and the form ready to confirm the count.
    """
    product = product_for_promoter(product_id)
    form = StockForm()
    conflict = None
    saved = None
    if form.validate_on_submit():
        mode = "add" if form.produce.data else "count"
        try:
            # The same form again (a double tap, a retry) answers as the first and moves nothing.
            repeat = already_applied(form_key(form), f"stock:{product.id}:{mode}")
            if form.produce.data:
                if not repeat:
                    catalog.add_production(db.session, current_user, product, form.quantity.data)
                saved = _("Sumamos %(qty)s.", qty=unit_quantity(form.quantity.data, product.unit))
            else:
                if not repeat:
                    catalog.count_stock(
                        db.session, current_user, product, form.quantity.data, form.seen()
                    )
                saved = _("Guardamos el conteo.")
            db.session.commit()
        except StockChanged as error:
            db.session.rollback()
            conflict = {
                "seen": error.seen,
                "current": error.current,
                "difference": error.current - error.seen,
            }
            form.seen_on_hand.data = str(error.current)
        except DomainError as error:
            show_error(form, error)
        else:
            if not is_partial_request():
                flash(f"{product.name}: {saved}", "success")
                return redirect(url_for("producer.index") + f"#stock-{product.id}", code=303)
            db.session.refresh(product)
            form = stock_form_for(product)
    elif not form.is_submitted():
        form = stock_form_for(product)
    response = render(
        "producer/stock.html",
        "producer/_stock_item.html",
        product=product,
        form=form,
        conflict=conflict,
        saved=saved,
    )
    if conflict is not None:
        response.status_code = 409
    elif form.errors or form.form_errors:
        response.status_code = 400
    return response


@bp.route("/products/<int:product_id>/stock/history")
@promoter_required
def stock_history(product_id: int):
    """The product's stock ledger: when, why, how much, the balance after and who."""
    product = product_for_promoter(product_id)
    rows = catalog.stock_history(db.session, product)
    return render_template("producer/stock_history.html", product=product, rows=rows)
