"""Demo data from the field facts (docs: /work/shared/seed-facts.md): two real associations,
their products and stories, seven fictional buyers and a demo account for every role.

`seed_demo` is idempotent: every record is looked up first (associations by slug, products by
association and slug, buyers by RUC, users by email) and only what is missing is created, so
running it again changes nothing. Each step is a small function that appends to the report,
so later steps (orders, agreements, standing orders) can be added at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from dateutil.easter import easter
from PIL import Image
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from .formatting import lima_today
from .models import (
    ROLE_BUYER,
    ROLE_PROMOTER,
    ROLE_STAFF,
    Association,
    AssociationClosure,
    AssociationPhoto,
    Buyer,
    BuyerAddress,
    DeliveryRule,
    Product,
    User,
)
from .models.accounts import password_hash_method
from .models.catalog import REASON_PRODUCTION
from .services.ruc import make_ruc
from .services.stock import move_stock
from .types import utcnow

# Listed in the README: the demo accounts are public by design.
DEMO_PASSWORD = "qhatu-demo-2026"  # noqa: S105
STAFF_EMAIL = "equipo@qhatu.pe"

Report = list[str]


# --- the facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssociationSpec:
    slug: str
    name: str
    tagline: str
    district: str
    province: str
    region: str
    member_families: int
    founded_year: int
    story_people: str
    story_practice: str
    story_benefit: str
    ruc: str
    sanitary_registration: str | None
    min_order_cents: int
    # city -> (ISO weekdays as digits, lead days)
    delivery: dict[str, tuple[str, int]]
    promoter_email: str
    promoter_name: str


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


@dataclass(frozen=True)
class BuyerSpec:
    legal_name: str
    trade_name: str
    ruc: str
    kind: str
    city: str
    address_label: str
    address: str
    verified: bool
    user_email: str
    user_name: str


ASSOCIATIONS = (
    AssociationSpec(
        slug="sumaq-ausangate",
        name="Sumaq Ausangate",
        tagline="Quesos artesanales de las familias lecheras de Ocongate",
        district="Ocongate",
        province="Quispicanchi",
        region="Cusco",
        member_families=30,
        founded_year=2008,
        story_people=(
            "Sumaq Ausangate es la asociación distrital de productores de leche de Ocongate, "
            "en la provincia de Quispicanchi, al pie del nevado Ausangate. La forman 30 "
            "familias campesinas, muchas de ellas quechuahablantes, que crían su ganado en "
            "los pastos de altura y convierten la leche de cada día en queso. La asociación "
            "eligió a jóvenes de sus propias familias como promotores: ellos llevan las "
            "ventas y mantienen al día esta página."
        ),
        story_practice=(
            "Llevan más de quince años mejorando su forma de hacer queso: cuidan la higiene "
            "del ordeño y de la quesería, trabajan con leche fresca y siguen las buenas "
            "prácticas que les exige su registro sanitario. Hoy elaboran cinco variedades "
            "(andino, madurado, tipo paria, mozzarella y pizzero) y su reto es mantener un "
            "sabor estándar, el que piden las cocinas, sin perder lo natural y artesanal de "
            "un queso hecho a mano."
        ),
        story_benefit=(
            "Durante años vendieron sobre todo a familias vecinas y en el centro del Cusco. "
            "Al vender directamente a hoteles, restaurantes y cafés, con acuerdos y pedidos "
            "que se repiten cada semana, las familias saben cuánto queso tener listo y "
            "reciben un ingreso más estable por su leche. Ese ingreso adicional se queda en "
            "las familias y en la comunidad de Ocongate."
        ),
        ruc=make_ruc("2049081537"),
        sanitary_registration="DIGESA A5108123N/NASAAU",
        min_order_cents=12_000,
        delivery={"cusco": ("25", 2), "lima": ("4", 4)},
        promoter_email="promotor.queso@qhatu.pe",
        promoter_name="Yeni Mamani Condori",
    ),
    AssociationSpec(
        slug="huaroq-sara",
        name="Huaroq Sara",
        tagline="Maíz blanco gigante y maíz chullpi del valle de Huaro",
        district="Huaro",
        province="Quispicanchi",
        region="Cusco",
        member_families=11,
        founded_year=2014,
        story_people=(
            "Huaroq Sara reúne a 11 productores de maíz del "
            "distrito de Huaro, en la provincia de Quispicanchi, en el valle del Vilcanota. "
            "Son familias que siembran maíz desde siempre y que desde hace más de ocho años "
            "trabajan juntas como asociación, con un joven promotor que atiende los pedidos."
        ),
        story_practice=(
            "Cultivan dos maíces: el blanco gigante, de grano grande y harinoso, y el "
            "chullpi, el maíz de grano arrugado que se tuesta. Han recuperado prácticas "
            "tradicionales de cultivo y de selección de semilla para cuidar la calidad, el "
            "rendimiento y, sobre todo, la uniformidad del grano: una cocina necesita que "
            "cada saco se tueste y se cocine igual que el anterior."
        ),
        story_benefit=(
            "Su chullpi ya se tuesta en cocinas de restaurantes del Cusco. Vender "
            "directamente a la gastronomía, con acuerdos que fijan precio y volumen, da a "
            "las familias un ingreso más seguro y un motivo para seguir sembrando las "
            "variedades de su valle."
        ),
        ruc=make_ruc("2056217348"),
        sanitary_registration=None,
        min_order_cents=10_000,
        delivery={"cusco": ("36", 2), "lima": ("4", 4)},
        promoter_email="promotor.maiz@qhatu.pe",
        promoter_name="Rubén Huamán Quispe",
    ),
)

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

# Fictional businesses and people: any likeness to a real one is a coincidence.
BUYERS = (
    BuyerSpec(
        legal_name="Hospedajes Inti Pata E.I.R.L.",
        trade_name="Hotel Inti Pata",
        ruc=make_ruc("2060418273"),
        kind="hotel",
        city="cusco",
        address_label="Cocina del hotel",
        address="Calle Choquechaca 214, San Blas, Cusco",
        verified=True,
        user_email="compras@intipata-demo.pe",
        user_name="Marisol Ccahuana Ríos",
    ),
    BuyerSpec(
        legal_name="Sara Manka Gastronomía S.A.C.",
        trade_name="Restaurante Sara Manka",
        ruc=make_ruc("2060527194"),
        kind="restaurant",
        city="cusco",
        address_label="Cocina",
        address="Calle Plateros 337, Cusco",
        verified=True,
        user_email="compras@saramanka-demo.pe",
        user_name="Jhon Villasante Puma",
    ),
    BuyerSpec(
        legal_name="Puka Rumi Café E.I.R.L.",
        trade_name="Café Puka Rumi",
        ruc=make_ruc("2060638415"),
        kind="cafe",
        city="cusco",
        address_label="Barra",
        address="Cuesta San Blas 118, Cusco",
        verified=True,
        user_email="compras@pukarumi-demo.pe",
        user_name="Lucía Quispe Alvarado",
    ),
    BuyerSpec(
        legal_name="Qollqa Hoteles S.A.C.",
        trade_name="Hotel Qollqa Miraflores",
        ruc=make_ruc("2060749536"),
        kind="hotel",
        city="lima",
        address_label="Recepción de proveedores",
        address="Av. José Larco 905, Miraflores, Lima",
        verified=True,
        user_email="compras@qollqa-demo.pe",
        user_name="Andrés Salazar Montoya",
    ),
    BuyerSpec(
        legal_name="Kallpa Cocina Peruana S.A.C.",
        trade_name="Kallpa Cocina Peruana",
        ruc=make_ruc("2060851627"),
        kind="restaurant",
        city="lima",
        address_label="Cocina",
        address="Jr. Batallón Ayacucho 271, Barranco, Lima",
        verified=False,
        user_email="compras@kallpa-demo.pe",
        user_name="Carla Espinoza Ugarte",
    ),
    BuyerSpec(
        legal_name="Chakana Café S.A.C.",
        trade_name="Café Chakana",
        ruc=make_ruc("2060962748"),
        kind="cafe",
        city="lima",
        address_label="Local de Miraflores",
        address="Calle Berlín 480, Miraflores, Lima",
        verified=False,
        user_email="compras@chakana-demo.pe",
        user_name="Diego Paredes Llanos",
    ),
    BuyerSpec(
        legal_name="Despensa Mikhuy S.A.C.",
        trade_name="Despensa Mikhuy",
        ruc=make_ruc("2061073859"),
        kind="shop",
        city="lima",
        address_label="Tienda",
        address="Av. Conquistadores 1010, San Isidro, Lima",
        verified=True,
        user_email="compras@mikhuy-demo.pe",
        user_name="Fiorella Castro Medina",
    ),
)


# --- the steps ----------------------------------------------------------------------------


def seed_demo(session: Session) -> Report:
    """Create whatever demo data is missing and say what was created or found."""
    report: Report = []
    seed_associations(session, report)
    seed_delivery_rules(session, report)
    seed_closures(session, report)
    seed_staff(session, report)
    seed_promoters(session, report)
    seed_products(session, report)
    seed_buyers(session, report)
    seed_buyer_users(session, report)
    seed_photos(session, report)
    session.flush()
    return report


def association_by_slug(session: Session, slug: str) -> Association | None:
    return session.scalar(sa.select(Association).where(Association.slug == slug))


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email))


def buyer_by_ruc(session: Session, ruc: str) -> Buyer | None:
    return session.scalar(sa.select(Buyer).where(Buyer.ruc == ruc))


def seed_associations(session: Session, report: Report) -> None:
    """The two associations, verified, with RUC (and the cheese makers' sanitary registration)."""
    for spec in ASSOCIATIONS:
        if association_by_slug(session, spec.slug) is not None:
            report.append(f"found association {spec.name} ({spec.slug})")
            continue
        now = utcnow()
        session.add(
            Association(
                slug=spec.slug,
                name=spec.name,
                tagline=spec.tagline,
                district=spec.district,
                province=spec.province,
                region=spec.region,
                member_families=spec.member_families,
                founded_year=spec.founded_year,
                story_people=spec.story_people,
                story_practice=spec.story_practice,
                story_benefit=spec.story_benefit,
                ruc=spec.ruc,
                ruc_verified_at=now,
                sanitary_registration=spec.sanitary_registration,
                sanitary_verified_at=now if spec.sanitary_registration else None,
                verified_at=now,
                min_order_cents=spec.min_order_cents,
            )
        )
        session.flush()
        report.append(f"created association {spec.name} ({spec.slug})")


def seed_delivery_rules(session: Session, report: Report) -> None:
    for spec in ASSOCIATIONS:
        association = association_by_slug(session, spec.slug)
        known = {rule.city for rule in association.delivery_rules}
        for city, (weekdays, lead_days) in spec.delivery.items():
            if city in known:
                report.append(f"found delivery rule {spec.slug} -> {city}")
                continue
            session.add(
                DeliveryRule(
                    association=association, city=city, weekdays=weekdays, lead_days=lead_days
                )
            )
            report.append(f"created delivery rule {spec.slug} -> {city}")
    session.flush()


QOYLLUR_RITI = (
    "Qoyllur Rit'i: las familias de Ocongate suben en peregrinación al santuario del "
    "Sinakara; no hay ordeño para la venta ni viaje al Cusco."
)


def qoyllur_riti(today: date) -> tuple[date, date]:
    """The next Qoyllur Rit'i not yet over: from the Saturday before Trinity Sunday (eight
    weeks after Easter) to the Tuesday after, when the pilgrims are back in Ocongate."""
    for year in (today.year, today.year + 1):
        trinity = easter(year) + timedelta(weeks=8)
        start, end = trinity - timedelta(days=1), trinity + timedelta(days=2)
        if end >= today:
            return start, end
    raise AssertionError("unreachable")


def seed_closures(session: Session, report: Report) -> None:
    """Sumaq Ausangate closes for Qoyllur Rit'i, the pilgrimage in its own district."""
    association = association_by_slug(session, "sumaq-ausangate")
    start, end = qoyllur_riti(lima_today())
    found = session.scalar(
        sa.select(AssociationClosure).where(
            AssociationClosure.association_id == association.id,
            AssociationClosure.reason == QOYLLUR_RITI,
            AssociationClosure.end_date >= lima_today(),
        )
    )
    if found is not None:
        report.append(f"found closure {association.slug} {found.start_date.isoformat()}")
        return
    session.add(
        AssociationClosure(
            association_id=association.id, start_date=start, end_date=end, reason=QOYLLUR_RITI
        )
    )
    session.flush()
    report.append(f"created closure {association.slug} {start.isoformat()} to {end.isoformat()}")


def ensure_user(session: Session, report: Report, email: str, name: str, role: str, **fields):
    """The user with this email, created with the demo password if missing."""
    user = user_by_email(session, email)
    if user is not None:
        if user.role != role:
            report.append(f"skipped {email}: it belongs to a {user.role} account")
            return None
        report.append(f"found {role} account {email}")
        return user
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=demo_password_hash(password_hash_method()),
        **fields,
    )
    session.add(user)
    session.flush()
    report.append(f"created {role} account {email} (password: {DEMO_PASSWORD})")
    return user


@cache
def demo_password_hash(method: str) -> str:
    """One hash serves every demo account: they share a public password, and scrypt is slow."""
    return generate_password_hash(DEMO_PASSWORD, method=method)


def seed_staff(session: Session, report: Report) -> None:
    ensure_user(session, report, STAFF_EMAIL, "Equipo Qhatu", ROLE_STAFF)


def seed_promoters(session: Session, report: Report) -> None:
    for spec in ASSOCIATIONS:
        association = association_by_slug(session, spec.slug)
        ensure_user(
            session,
            report,
            spec.promoter_email,
            spec.promoter_name,
            ROLE_PROMOTER,
            association_id=association.id,
        )


def seed_products(session: Session, report: Report) -> None:
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


def promoter_email(association_slug: str) -> str:
    return next(a.promoter_email for a in ASSOCIATIONS if a.slug == association_slug)


def seed_buyers(session: Session, report: Report) -> None:
    """Seven fictional Horecas and one shop, each with a delivery address."""
    for spec in BUYERS:
        if buyer_by_ruc(session, spec.ruc) is not None:
            report.append(f"found buyer {spec.trade_name} (RUC {spec.ruc})")
            continue
        buyer = Buyer(
            legal_name=spec.legal_name,
            trade_name=spec.trade_name,
            ruc=spec.ruc,
            kind=spec.kind,
            city=spec.city,
            verified_at=utcnow() if spec.verified else None,
        )
        buyer.addresses.append(
            BuyerAddress(label=spec.address_label, address=spec.address, city=spec.city)
        )
        session.add(buyer)
        session.flush()
        status = "verified" if spec.verified else "not verified yet"
        report.append(f"created buyer {spec.trade_name} (RUC {spec.ruc}, {status})")


def seed_buyer_users(session: Session, report: Report) -> None:
    for spec in BUYERS:
        buyer = buyer_by_ruc(session, spec.ruc)
        ensure_user(session, report, spec.user_email, spec.user_name, ROLE_BUYER, buyer_id=buyer.id)


@cache
def drawn(draw, *args) -> Image.Image:
    """Each demo picture is drawn once per process (seeding again reuses the pixels)."""
    return draw(*args)


def seed_photos(session: Session, report: Report) -> None:
    """Drawn pictures for products and associations that have none yet."""
    from . import demo_images
    from .services.photos import store_image

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
            picture = drawn(demo_images.cheese_image, spec.variety)
        else:
            picture = drawn(demo_images.maize_image, spec.variety, spec.unit == "sack50")
        product.image = store_image(picture)
        report.append(f"drew a picture for {spec.name}")
    for spec in ASSOCIATIONS:
        association = association_by_slug(session, spec.slug)
        if association.photos:
            continue
        for position, (draw, alt_text) in enumerate(demo_images.ASSOCIATION_PICTURES[spec.slug]):
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
