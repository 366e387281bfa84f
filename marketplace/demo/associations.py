"""The two demo associations of Quispicanchi (Cusco), from the field facts: their stories, tax
and sanitary registrations and the cities they deliver to."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Association, DeliveryRule
from ..services.ruc import make_ruc
from ..types import utcnow


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


def association_by_slug(session: Session, slug: str) -> Association | None:
    return session.scalar(sa.select(Association).where(Association.slug == slug))


def promoter_email(association_slug: str) -> str:
    return next(a.promoter_email for a in ASSOCIATIONS if a.slug == association_slug)


def seed_associations(session: Session, report: list[str]) -> None:
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


def seed_delivery_rules(session: Session, report: list[str]) -> None:
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
