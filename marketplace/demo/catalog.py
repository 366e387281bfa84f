"""The demo catalog: the associations' cheeses and maize, with their opening stock entered
through the ledger, and a drawn picture for every product and association."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session

from ..models import AssociationPhoto, Product
from ..models.catalog import REASON_PRODUCTION
from ..services.photos import store_image
from ..services.stock import move_stock
from . import images
from .associations import ASSOCIATIONS, association_by_slug, promoter_email
from .people import user_by_email


@dataclass(frozen=True)
class ProductSpec:
    association: str  # slug
    slug: str
    name: str
    category: str
    variety: str
    unit: str
    weight_per_unit_kg: Decimal
    price_cents: int  # per sale unit, before IGV
    initial_stock: Decimal  # in sale units
    shelf_life_days: int
    samples_offered: bool
    description: str


PRODUCTS = (
    ProductSpec(
        association="sumaq-ausangate",
        slug="queso-andino",
        name="Queso andino",
        category="cheese",
        variety="andino",
        unit="kg",
        weight_per_unit_kg=Decimal("1"),
        price_cents=2_400,
        initial_stock=Decimal("80"),
        shelf_life_days=20,
        samples_offered=True,
        description=(
            "Queso fresco de leche entera de vaca, de pasta blanda y sabor suave, hecho con "
            "la leche del día de las familias de Ocongate. Para desayunos, sánguches, "
            "ensaladas y tablas."
        ),
    ),
    ProductSpec(
        association="sumaq-ausangate",
        slug="queso-madurado",
        name="Queso madurado",
        category="cheese",
        variety="madurado",
        unit="kg",
        weight_per_unit_kg=Decimal("1"),
        price_cents=3_800,
        initial_stock=Decimal("40"),
        shelf_life_days=90,
        samples_offered=True,
        description=(
            "Queso de leche de vaca madurado durante semanas en la quesería de la "
            "asociación, de corteza firme y sabor intenso. Para tablas de quesos, "
            "gratinados y salsas."
        ),
    ),
    ProductSpec(
        association="sumaq-ausangate",
        slug="queso-tipo-paria",
        name="Queso tipo paria",
        category="cheese",
        variety="tipo paria",
        unit="piece",
        weight_per_unit_kg=Decimal("0.8"),
        price_cents=1_750,
        initial_stock=Decimal("50"),
        shelf_life_days=30,
        samples_offered=True,
        description=(
            "El queso fresco y ligeramente salado de las alturas del sur andino, en piezas "
            "redondas de unos 800 g. A la plancha, en solterito o con choclo."
        ),
    ),
    ProductSpec(
        association="sumaq-ausangate",
        slug="queso-mozzarella",
        name="Queso mozzarella",
        category="cheese",
        variety="mozzarella",
        unit="kg",
        weight_per_unit_kg=Decimal("1"),
        price_cents=3_200,
        initial_stock=Decimal("30"),
        shelf_life_days=21,
        samples_offered=False,
        description=(
            "Mozzarella de leche de vaca de textura elástica, que se funde pareja. Para "
            "pizzas, ensaladas y gratinados."
        ),
    ),
    ProductSpec(
        association="sumaq-ausangate",
        slug="queso-pizzero",
        name="Queso pizzero",
        category="cheese",
        variety="pizzero",
        unit="kg",
        weight_per_unit_kg=Decimal("1"),
        price_cents=2_700,
        initial_stock=Decimal("45"),
        shelf_life_days=30,
        samples_offered=False,
        description=(
            "Queso semiduro de buen derretido y sabor suave, pensado para pizzerías y "
            "cocinas que gratinan en cantidad."
        ),
    ),
    ProductSpec(
        association="huaroq-sara",
        slug="maiz-blanco-gigante",
        name="Maíz blanco gigante",
        category="maize",
        variety="blanco gigante",
        unit="kg",
        weight_per_unit_kg=Decimal("1"),
        price_cents=750,
        initial_stock=Decimal("300"),
        shelf_life_days=365,
        samples_offered=True,
        description=(
            "Maíz blanco de grano grande del valle de Huaro, seleccionado y secado al sol. "
            "Para mote, sopas y guisos andinos, y para tostar."
        ),
    ),
    ProductSpec(
        association="huaroq-sara",
        slug="maiz-blanco-gigante-saco",
        name="Maíz blanco gigante, saco de 50 kg",
        category="maize",
        variety="blanco gigante",
        unit="sack50",
        weight_per_unit_kg=Decimal("50"),
        price_cents=32_500,
        initial_stock=Decimal("20"),
        shelf_life_days=365,
        samples_offered=False,
        description=(
            "El mismo maíz blanco gigante de Huaro en saco de 50 kg, para cocinas que lo "
            "usan todos los días."
        ),
    ),
    ProductSpec(
        association="huaroq-sara",
        slug="maiz-chullpi",
        name="Maíz chullpi",
        category="maize",
        variety="chullpi",
        unit="kg",
        weight_per_unit_kg=Decimal("1"),
        price_cents=1_100,
        initial_stock=Decimal("200"),
        shelf_life_days=365,
        samples_offered=True,
        description=(
            "El maíz chullpi de grano arrugado, el preferido para tostar: se abre crocante "
            "y ligero, sin quedar duro. Para la cancha del ceviche y de los piqueos."
        ),
    ),
    ProductSpec(
        association="huaroq-sara",
        slug="maiz-chullpi-saco",
        name="Maíz chullpi, saco de 50 kg",
        category="maize",
        variety="chullpi",
        unit="sack50",
        weight_per_unit_kg=Decimal("50"),
        price_cents=47_500,
        initial_stock=Decimal("10"),
        shelf_life_days=365,
        samples_offered=False,
        description=(
            "Chullpi de Huaro en saco de 50 kg, de grano parejo para que cada tanda de "
            "cancha salga igual."
        ),
    ),
)


def seed_products(session: Session, report: list[str]) -> None:
    """The products, each with its opening stock entered through the ledger."""
    for spec in PRODUCTS:
        association = association_by_slug(session, spec.association)
        product = session.scalar(
            sa.select(Product).where(
                Product.association_id == association.id, Product.slug == spec.slug
            )
        )
        if product is not None:
            report.append(f"found product {spec.name} ({spec.association}/{spec.slug})")
            continue
        product = Product(
            association_id=association.id,
            slug=spec.slug,
            name=spec.name,
            category=spec.category,
            variety=spec.variety,
            description=spec.description,
            unit=spec.unit,
            weight_per_unit_kg=spec.weight_per_unit_kg,
            price_cents=spec.price_cents,
            samples_offered=spec.samples_offered,
            shelf_life_days=spec.shelf_life_days,
        )
        session.add(product)
        session.flush()
        promoter = user_by_email(session, promoter_email(spec.association))
        move_stock(
            session,
            product.id,
            spec.initial_stock,
            REASON_PRODUCTION,
            actor_id=promoter.id if promoter else None,
            note="Stock inicial de la demostración",
        )
        report.append(
            f"created product {spec.name} ({spec.association}/{spec.slug}), "
            f"stock {spec.initial_stock} {spec.unit}"
        )


@cache
def drawn(draw, *args) -> Image.Image:
    """Each demo picture is drawn once per process (seeding again reuses the pixels)."""
    return draw(*args)


def seed_photos(session: Session, report: list[str]) -> None:
    """Drawn pictures for products and associations that have none yet."""
    for spec in PRODUCTS:
        association = association_by_slug(session, spec.association)
        product = session.scalar(
            sa.select(Product).where(
                Product.association_id == association.id, Product.slug == spec.slug
            )
        )
        if product.image:
            continue
        if spec.category == "cheese":
            picture = drawn(images.cheese_image, spec.variety)
        else:
            picture = drawn(images.maize_image, spec.variety, spec.unit == "sack50")
        product.image = store_image(picture)
        report.append(f"drew a picture for {spec.name}")
    for spec in ASSOCIATIONS:
        association = association_by_slug(session, spec.slug)
        if association.photos:
            continue
        for position, (draw, alt_text) in enumerate(images.ASSOCIATION_PICTURES[spec.slug]):
            session.add(
                AssociationPhoto(
                    association=association,
                    image=store_image(drawn(draw)),
                    alt_text=alt_text,
                    position=position,
                )
            )
        report.append(f"drew pictures for {spec.name}")
    session.flush()
