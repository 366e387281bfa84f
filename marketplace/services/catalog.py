"""What an association shows and sells, as its promoter keeps it: profile, story, photos,
delivery rules, products and their stock.

Every function changes the session and flushes; the caller commits once. Photos are stored
files (services.photos) before they are rows here: a function that replaces or removes a photo
returns the old stem, and the caller deletes its files only after the commit succeeded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..labels import WEEKDAY_DIGITS, WHOLE_UNITS
from ..models import (
    CATEGORIES,
    CITIES,
    UNITS,
    Association,
    AssociationPhoto,
    DeliveryRule,
    Product,
    StockMovement,
    User,
)
from ..models.catalog import REASON_PRODUCTION
from . import DomainError
from .ruc import is_valid_ruc
from .stock import move_stock, set_counted_stock

SLUG_MAX = 80
MAX_PHOTOS = 12
MAX_PRICE_CENTS = 100_000_000  # S/ 1,000,000 per unit: anything above is a typo
MAX_WEIGHT_KG = Decimal("1000")
MAX_STOCK = Decimal("1000000")
MAX_SHELF_LIFE_DAYS = 3650
MAX_LEAD_DAYS = 30
THOUSANDTH = Decimal("0.001")


def slugify(name: str) -> str:
    """An ASCII, lower-case, hyphenated form of a name: 'Maíz Chullpi' -> 'maiz-chullpi'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# --- The association's profile, story and photos -------------------------------------------


@dataclass
class ProfileData:
    """What a promoter may change about the association (money already in céntimos)."""

    tagline: str
    district: str
    province: str
    region: str
    member_families: int
    founded_year: int | None
    contact_phone: str | None
    min_order_cents: int
    ruc: str | None
    sanitary_registration: str | None


def update_profile(
    session: Session, actor: User, association: Association, data: ProfileData
) -> Association:
    """Change the association's profile; a changed RUC or sanitary registration loses its
    verification until staff check it again."""
    for field in ("district", "province", "region"):
        if not _clean(getattr(data, field)):
            raise DomainError(_l("Este dato es obligatorio."), field=field)
    if data.member_families < 0:
        raise DomainError(_l("No puede ser negativo."), field="member_families")
    if data.min_order_cents < 0:
        raise DomainError(_l("No puede ser negativo."), field="min_order")
    ruc = _clean(data.ruc)
    sanitary = _clean(data.sanitary_registration)
    if ruc is not None:
        if not is_valid_ruc(ruc):
            raise DomainError(
                _l("El RUC no es válido: son 11 dígitos y el último es un dígito de control."),
                field="ruc",
            )
        taken = session.scalar(
            sa.select(Association.id).where(
                Association.ruc == ruc, Association.id != association.id
            )
        )
        if taken is not None:
            raise DomainError(_l("Otra asociación ya tiene este RUC."), field="ruc")
    if ruc != association.ruc:
        association.ruc_verified_at = None
    if sanitary != association.sanitary_registration:
        association.sanitary_verified_at = None
    association.tagline = (data.tagline or "").strip()
    association.district = data.district.strip()
    association.province = data.province.strip()
    association.region = data.region.strip()
    association.member_families = data.member_families
    association.founded_year = data.founded_year
    association.contact_phone = _clean(data.contact_phone)
    association.min_order_cents = data.min_order_cents
    association.ruc = ruc
    association.sanitary_registration = sanitary
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:  # another association took the RUC meanwhile
        raise DomainError(_l("Otra asociación ya tiene este RUC."), field="ruc") from error
    return association


def update_story(
    session: Session,
    actor: User,
    association: Association,
    people: str,
    practice: str,
    benefit: str,
) -> Association:
    """The origin story in its three parts: who the families are, how they work, how they gain."""
    association.story_people = (people or "").strip()
    association.story_practice = (practice or "").strip()
    association.story_benefit = (benefit or "").strip()
    session.flush()
    return association


def add_photo(
    session: Session, actor: User, association: Association, image: str, alt_text: str
) -> AssociationPhoto:
    """Attach a stored photo (its stem) to the association, after the ones it already has."""
    alt_text = (alt_text or "").strip()
    if not alt_text:
        raise DomainError(_l("Describe la foto para quien no puede verla."), field="alt_text")
    count, last = session.execute(
        sa.select(sa.func.count(AssociationPhoto.id), sa.func.max(AssociationPhoto.position)).where(
            AssociationPhoto.association_id == association.id
        )
    ).one()
    if count >= MAX_PHOTOS:
        raise DomainError(
            _l("Puedes tener hasta %(n)s fotos; borra una para subir otra.", n=MAX_PHOTOS),
            field="photo",
        )
    photo = AssociationPhoto(
        association_id=association.id,
        image=image,
        alt_text=alt_text,
        position=(last or 0) + 1,
    )
    session.add(photo)
    session.flush()
    return photo


def remove_photo(session: Session, actor: User, photo: AssociationPhoto) -> str:
    """Remove a photo's row; returns its stem so the caller deletes the files after commit."""
    stem = photo.image
    session.delete(photo)
    session.flush()
    return stem


# --- Delivery rules -------------------------------------------------------------------------


def normalise_weekdays(days) -> str:
    """ISO weekday digits, sorted and without repeats: ['5', '2'] -> '25'."""
    digits = {str(d) for d in days}
    if not digits:
        raise DomainError(_l("Elige al menos un día de entrega."), field="weekdays")
    if not digits <= set(WEEKDAY_DIGITS):
        raise DomainError(_l("Elige días de la lista."), field="weekdays")
    return "".join(sorted(digits))


def save_delivery_rule(
    session: Session,
    actor: User,
    association: Association,
    city: str,
    weekdays,
    lead_days: int,
    rule: DeliveryRule | None = None,
) -> DeliveryRule:
    """Create a city's delivery rule, or change `rule`; one rule per city."""
    if city not in CITIES:
        raise DomainError(_l("Elige una ciudad de la lista."), field="city")
    if not 0 <= lead_days <= MAX_LEAD_DAYS:
        raise DomainError(
            _l("Entre 0 y %(n)s días.", n=MAX_LEAD_DAYS),
            field="lead_days",
        )
    digits = normalise_weekdays(weekdays)
    clash = session.scalar(
        sa.select(DeliveryRule.id).where(
            DeliveryRule.association_id == association.id,
            DeliveryRule.city == city,
            DeliveryRule.id != (rule.id if rule is not None else -1),
        )
    )
    if clash is not None:
        raise DomainError(_l("Ya tienes días de entrega para esta ciudad."), field="city")
    if rule is None:
        rule = DeliveryRule(association_id=association.id, city=city)
        session.add(rule)
    rule.city = city
    rule.weekdays = digits
    rule.lead_days = lead_days
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise DomainError(
            _l("Ya tienes días de entrega para esta ciudad."), field="city"
        ) from error
    return rule


def remove_delivery_rule(session: Session, actor: User, rule: DeliveryRule) -> None:
    session.delete(rule)
    session.flush()


# --- Products -------------------------------------------------------------------------------


@dataclass
class ProductData:
    """A product as the promoter types it (price already in céntimos)."""

    name: str
    category: str
    variety: str
    description: str
    unit: str
    weight_per_unit_kg: Decimal
    price_cents: int
    samples_offered: bool = False
    shelf_life_days: int | None = None
    active: bool = True


def _check_product(session: Session, association_id: int, data: ProductData, product_id=None):
    name = (data.name or "").strip()
    if not name:
        raise DomainError(_l("Escribe el nombre del producto."), field="name")
    if not slugify(name):
        raise DomainError(_l("El nombre necesita letras o números."), field="name")
    same_name = session.scalar(
        sa.select(Product.id).where(
            Product.association_id == association_id,
            sa.func.lower(Product.name) == name.lower(),
            Product.id != (product_id or -1),
        )
    )
    if same_name is not None:
        raise DomainError(_l("Ya tienes un producto con este nombre."), field="name")
    if data.category not in CATEGORIES:
        raise DomainError(_l("Elige una categoría de la lista."), field="category")
    if not (data.variety or "").strip():
        raise DomainError(_l("Escribe la variedad."), field="variety")
    if data.unit not in UNITS:
        raise DomainError(_l("Elige una unidad de venta de la lista."), field="unit")
    weight = Decimal(data.weight_per_unit_kg)
    if weight <= 0:
        raise DomainError(_l("El peso tiene que ser mayor que cero."), field="weight_per_unit_kg")
    if weight > MAX_WEIGHT_KG:
        raise DomainError(
            _l("El peso no puede pasar de %(n)s kg.", n=MAX_WEIGHT_KG), field="weight_per_unit_kg"
        )
    if weight != weight.quantize(THOUSANDTH):
        raise DomainError(
            _l("Usa como máximo tres decimales (gramos)."), field="weight_per_unit_kg"
        )
    if data.price_cents <= 0:
        raise DomainError(_l("El precio tiene que ser mayor que cero."), field="price")
    if data.price_cents > MAX_PRICE_CENTS:
        raise DomainError(_l("Revisa el precio: es demasiado alto."), field="price")
    if data.shelf_life_days is not None and not 1 <= data.shelf_life_days <= MAX_SHELF_LIFE_DAYS:
        raise DomainError(
            _l("Entre 1 y %(n)s días.", n=MAX_SHELF_LIFE_DAYS), field="shelf_life_days"
        )


def _unique_slug(session: Session, association_id: int, name: str) -> str:
    """The name's slug, with -2, -3... if another product of the association already has it."""
    base = slugify(name)
    taken = set(
        session.scalars(
            sa.select(Product.slug).where(
                Product.association_id == association_id, Product.slug.like(f"{base}%")
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        n += 1
    return slug


def _apply_product(product: Product, data: ProductData) -> None:
    product.name = data.name.strip()
    product.category = data.category
    product.variety = data.variety.strip()
    product.description = (data.description or "").strip()
    product.unit = data.unit
    product.weight_per_unit_kg = Decimal(data.weight_per_unit_kg)
    product.price_cents = int(data.price_cents)
    product.samples_offered = bool(data.samples_offered)
    product.shelf_life_days = data.shelf_life_days
    product.active = bool(data.active)


def _flush_product(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:  # lost a race for the same slug
        raise DomainError(
            _l("Ya tienes un producto con este nombre o uno muy parecido."), field="name"
        ) from error


def create_product(
    session: Session,
    actor: User,
    association: Association,
    data: ProductData,
    image: str | None = None,
) -> Product:
    """A new product of the association, with no stock yet (stock comes through the ledger).

    Its slug (part of its public address) comes from the name and stays when it is renamed.
    """
    _check_product(session, association.id, data)
    product = Product(
        association_id=association.id,
        slug=_unique_slug(session, association.id, data.name.strip()),
        stock_on_hand=Decimal("0"),
        image=image,
    )
    _apply_product(product, data)
    session.add(product)
    _flush_product(session)
    return product


def update_product(
    session: Session, actor: User, product: Product, data: ProductData, image: str | None = None
) -> str | None:
    """Change a product; with `image`, its photo is replaced and the old stem is returned
    so the caller can delete those files once the change is committed."""
    _check_product(session, product.association_id, data, product_id=product.id)
    _apply_product(product, data)
    old_image = None
    if image is not None and image != product.image:
        old_image, product.image = product.image, image
    _flush_product(session)
    return old_image


# --- Stock, as the promoter moves it ----------------------------------------------------------


def _check_quantity(product: Product, quantity: Decimal) -> Decimal:
    quantity = Decimal(quantity)
    if quantity < 0:
        raise DomainError(_l("La cantidad no puede ser negativa."), field="quantity")
    if quantity > MAX_STOCK:
        raise DomainError(_l("Revisa la cantidad: es demasiado alta."), field="quantity")
    if quantity != quantity.quantize(THOUSANDTH):
        raise DomainError(_l("Usa como máximo tres decimales."), field="quantity")
    if product.unit in WHOLE_UNITS and quantity != quantity.to_integral_value():
        raise DomainError(_l("Cuenta en unidades enteras."), field="quantity")
    return quantity


def count_stock(
    session: Session,
    actor: User,
    product: Product,
    counted: Decimal,
    seen_on_hand: Decimal | None,
) -> StockMovement | None:
    """Record what the promoter counted on the shelf.

    `seen_on_hand` is the figure the promoter was looking at: if an order moved the stock
    since, StockChanged is raised (with both figures) instead of overwriting it.
    """
    counted = _check_quantity(product, counted)
    return set_counted_stock(
        session, product.id, counted, actor_id=actor.id, seen_on_hand=seen_on_hand
    )


def add_production(
    session: Session, actor: User, product: Product, quantity: Decimal
) -> StockMovement:
    """Add newly made cheese or harvested maize to the stock."""
    quantity = _check_quantity(product, quantity)
    if quantity == 0:
        raise DomainError(_l("Escribe cuánto produjeron: más de cero."), field="quantity")
    return move_stock(session, product.id, quantity, REASON_PRODUCTION, actor_id=actor.id)


def stock_history(session: Session, product: Product, limit: int = 200) -> list:
    """The product's latest ledger lines, newest first, with who made each."""
    return list(
        session.execute(
            sa.select(StockMovement, User.name)
            .outerjoin(User, User.id == StockMovement.actor_id)
            .where(StockMovement.product_id == product.id)
            .order_by(StockMovement.id.desc())
            .limit(limit)
        ).all()
    )
