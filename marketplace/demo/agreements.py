"""Demo agreements and standing orders: the seven collaboration agreements of the field facts.

Built on the demo associations, products, buyers and accounts (looked up by slug and
email). Each buyer has one agreement with the association it buys from most: a six-month
pilot at list prices (version 1, which covers the demo order history) renewed today as
version 2 with a small agreed discount, both sides' acceptances and an event per step, and
a standing order under the agreement that repeats the buyer's habit from the next delivery
its association can prepare.

Idempotent: an agreement found for a buyer and association (any version) is left alone,
and so is a buyer that already has a standing order with that association.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from ..formatting import LIMA, lima_today
from ..models import Agreement, AgreementEvent, AgreementPrice, Association, Product, User
from ..models.agreements import ACTIVE, ENDED
from ..models.standing_orders import StandingOrder
from ..services import agreements as agreement_service
from ..services import delivery, ordering
from ..services import standing_orders as so


@dataclass(frozen=True)
class AgreementSpec:
    buyer_email: str
    association: str  # slug
    committed_kg: str
    frequency: str
    payment_days: int
    prices: tuple[tuple[str, int], ...]  # (product slug, agreed céntimos in version 2)
    standing: tuple[tuple[str, str], ...]  # (product slug, quantity)
    weekdays: str = ""
    every_weeks: int = 1
    month_day: int | None = None
    flavour: str = ""
    activations: str = ""
    merchandising: str = ""
    visits: str = ""


CHEESE_FLAVOUR = (
    "Queso de leche fresca del día, sal entre 1.2 % y 1.5 %, textura firme; "
    "la asociación avisa con una semana si cambia la maduración."
)
MAIZE_FLAVOUR = (
    "Grano seleccionado, humedad menor a 14 %, sin granos partidos por encima del 3 %; "
    "misma chacra y misma campaña en cada entrega."
)

AGREEMENTS = (
    AgreementSpec(
        "compras@intipata-demo.pe",
        "sumaq-ausangate",
        "40",
        "weekly",
        15,
        (("queso-andino", 2_300), ("queso-mozzarella", 3_100)),
        (("queso-andino", "6"), ("queso-mozzarella", "3")),
        weekdays="2",
        flavour=CHEESE_FLAVOUR,
        activations="Degustación de quesos de Ocongate en el desayuno, una vez por trimestre.",
        merchandising="Tarjeta con la historia de las 30 familias en la mesa del buffet.",
        visits="Una visita del chef a la quesería de Ocongate al año.",
    ),
    AgreementSpec(
        "compras@saramanka-demo.pe",
        "huaroq-sara",
        "100",
        "biweekly",
        30,
        (("maiz-chullpi-saco", 45_500),),
        (("maiz-chullpi-saco", "1"),),
        weekdays="3",
        every_weeks=2,
        flavour=MAIZE_FLAVOUR,
        merchandising="La carta nombra a Huaroq Sara junto a la cancha de chullpi.",
        visits="Visita del equipo de cocina a Huaro en la cosecha.",
    ),
    AgreementSpec(
        "compras@pukarumi-demo.pe",
        "sumaq-ausangate",
        "28",
        "weekly",
        0,
        (("queso-andino", 2_350), ("queso-tipo-paria", 1_650)),
        (("queso-andino", "3"), ("queso-tipo-paria", "4")),
        weekdays="5",
        flavour=CHEESE_FLAVOUR,
        merchandising="Espacio en el estante de productores del Cusco, con foto de la asociación.",
        activations="Un sábado de degustación al mes con la promotora.",
    ),
    AgreementSpec(
        "compras@qollqa-demo.pe",
        "sumaq-ausangate",
        "8",
        "biweekly",
        30,
        (("queso-madurado", 3_600),),
        (("queso-madurado", "4"),),
        weekdays="4",
        every_weeks=2,
        flavour="Queso madurado de 45 días como mínimo, corteza limpia, en piezas de 1 kg.",
        activations="Tabla de quesos andinos en la carta del bar con el nombre de la asociación.",
    ),
    AgreementSpec(
        "compras@kallpa-demo.pe",
        "huaroq-sara",
        "15",
        "monthly",
        15,
        (("maiz-chullpi", 1_050),),
        (("maiz-chullpi", "15"),),
        weekdays="4",
        every_weeks=4,
        flavour=MAIZE_FLAVOUR,
        visits="Los productores visitan la cocina en Lima una vez al año.",
    ),
    AgreementSpec(
        "compras@chakana-demo.pe",
        "sumaq-ausangate",
        "10",
        "biweekly",
        15,
        (("queso-pizzero", 2_550),),
        (("queso-pizzero", "5"),),
        weekdays="4",
        every_weeks=2,
        flavour="Queso pizzero de fundido parejo, en bloques de 2.5 kg.",
        merchandising="Cartel en el local: «Nuestro queso viene de Ocongate».",
    ),
    AgreementSpec(
        "compras@mikhuy-demo.pe",
        "huaroq-sara",
        "30",
        "monthly",
        30,
        (("maiz-chullpi", 1_050), ("maiz-blanco-gigante", 700)),
        (("maiz-chullpi", "20"), ("maiz-blanco-gigante", "10")),
        month_day=31,
        flavour=MAIZE_FLAVOUR,
        merchandising="Bolsas con etiqueta de origen y la historia de los 11 productores.",
        activations="Feria de productores en la tienda dos veces al año.",
    ),
)

PILOT_MONTHS = 6


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LIMA)


def _months_back(day: date, months: int) -> date:
    y, m = day.year, day.month - months
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def seed_agreements(session: Session, today: date | None = None) -> list[str]:
    """Create the demo agreements and standing orders that are missing; says what it did."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "es")):
        return _seed(session, today or lima_today())


def _seed(session: Session, today: date) -> list[str]:
    report: list[str] = []
    staff = session.scalar(sa.select(User).where(User.role == "staff").order_by(User.id))
    made: list[Agreement] = []
    for spec in AGREEMENTS:
        buyer_user = session.scalar(sa.select(User).where(User.email == spec.buyer_email))
        association = session.scalar(
            sa.select(Association).where(Association.slug == spec.association)
        )
        if buyer_user is None or association is None:
            report.append(f"skipped agreement for {spec.buyer_email}: run seed-demo first")
            continue
        promoter = session.scalar(
            sa.select(User).where(User.association_id == association.id).order_by(User.id)
        )
        products = {
            p.slug: p
            for p in session.scalars(
                sa.select(Product).where(Product.association_id == association.id)
            )
        }
        current = session.scalar(
            sa.select(Agreement)
            .where(
                Agreement.buyer_id == buyer_user.buyer_id,
                Agreement.association_id == association.id,
            )
            .order_by(Agreement.version.desc())
        )
        if current is None:
            current = _agreement_pair(session, spec, buyer_user, promoter, staff, products, today)
            report.append(
                f"created agreements {current.previous.number} and {current.number}: "
                f"{buyer_user.buyer.trade_name} with {association.name}"
            )
        else:
            report.append(f"found agreement {current.number}")
        made.append(current)
        report.append(_standing_order(session, spec, buyer_user, association, current, products))
    session.flush()
    totals = agreement_service.totals_for(session, [a.previous or a for a in made])
    kilos = sum((t.delivered_kg for t in totals.values()), Decimal("0"))
    value = sum(t.delivered_cents for t in totals.values())
    report.append(
        f"agreements' pilot months: {kilos:.0f} kg delivered, S/ {value / 100:,.2f} before IGV"
    )
    return report


BUYER_COMMITMENTS = (
    "Pedir el volumen comprometido cada mes y avisar con dos semanas si baja; "
    "contar el origen del producto a sus clientes."
)
ASSOCIATION_COMMITMENTS = (
    "Tener el stock listo para cada entrega y para muestras; avisar cualquier "
    "faltante antes del cierre del pedido."
)


def _agreement_pair(session, spec, buyer_user, promoter, staff, products, today) -> Agreement:
    """Version 1 (the pilot, at list prices) and version 2 (renewed today, agreed prices)."""
    start = _months_back(today, PILOT_MONTHS)
    common = _terms(spec, buyer_user, promoter, staff, products)
    pilot = Agreement(
        version=1,
        status=ENDED,
        start_date=start,
        end_date=today - timedelta(days=1),
        payment_terms_note="Piloto de seis meses a precios de lista.",
        buyer_accepted_at=_at(start - timedelta(days=5)),
        association_accepted_at=_at(start - timedelta(days=3)),
        created_at=_at(start - timedelta(days=10)),
        updated_at=_at(today, 0),
        **common,
    )
    pilot.prices = [
        AgreementPrice(product_id=products[slug].id, price_cents=products[slug].price_cents)
        for slug, _ in spec.prices
    ]
    session.add(pilot)
    session.flush()
    renewal = Agreement(
        version=2,
        previous_id=pilot.id,
        status=ACTIVE,
        start_date=today,
        end_date=today + timedelta(days=364),
        payment_terms_note="Renovado por un año con precios acordados.",
        buyer_accepted_at=_at(today - timedelta(days=6)),
        association_accepted_at=_at(today - timedelta(days=4)),
        created_at=_at(today - timedelta(days=10)),
        updated_at=_at(today - timedelta(days=4)),
        **common,
    )
    renewal.prices = [
        AgreementPrice(product_id=products[slug].id, price_cents=cents)
        for slug, cents in spec.prices
    ]
    session.add(renewal)
    session.flush()
    promoter_id = promoter.id if promoter else None
    staff_id = staff.id if staff else None
    for agreement, created in ((pilot, start), (renewal, today)):
        session.add_all(_signing_events(agreement, created, staff_id, buyer_user.id, promoter_id))
    session.add_all(_renewal_events(pilot, staff_id, today))
    session.flush()
    return renewal


def _terms(spec, buyer_user, promoter, staff, products) -> dict:
    """What both versions of an agreement share: the parties, volume, frequency, payment
    terms, acceptances and each side's commitments."""
    return {
        "buyer_id": buyer_user.buyer_id,
        "association_id": products[spec.prices[0][0]].association_id,
        "committed_kg_per_month": Decimal(spec.committed_kg),
        "delivery_frequency": spec.frequency,
        "payment_terms_days": spec.payment_days,
        "created_by_id": staff.id if staff else None,
        "buyer_accepted_by_id": buyer_user.id,
        "association_accepted_by_id": promoter.id if promoter else None,
        "flavour_standard": spec.flavour,
        "activations": spec.activations,
        "merchandising": spec.merchandising,
        "visits": spec.visits,
        "buyer_commitments": BUYER_COMMITMENTS,
        "association_commitments": ASSOCIATION_COMMITMENTS,
    }


def _signing_events(agreement, created, staff_id, buyer_user_id, promoter_id) -> list:
    """Drafted and proposed by staff, accepted by both sides, then active."""
    steps = [
        ("created", None, "draft", staff_id, created - timedelta(days=10)),
        ("proposed", "draft", "proposed", staff_id, created - timedelta(days=8)),
        ("buyer_accepted", "proposed", "proposed", buyer_user_id, created - timedelta(days=6)),
        ("association_accepted", "proposed", "proposed", promoter_id, created - timedelta(days=4)),
        ("activated", "proposed", "active", None, created - timedelta(days=4)),
    ]
    return [
        AgreementEvent(
            agreement_id=agreement.id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor_id,
            created_at=_at(day),
        )
        for action, from_status, to_status, actor_id, day in steps
    ]


def _renewal_events(pilot, staff_id, today) -> list:
    """The pilot renewed by staff, and ended when version 2 took over today."""
    return [
        AgreementEvent(
            agreement_id=pilot.id,
            action="renewed",
            from_status="active",
            to_status="active",
            actor_id=staff_id,
            created_at=_at(today - timedelta(days=10)),
        ),
        AgreementEvent(
            agreement_id=pilot.id,
            action="superseded",
            from_status="active",
            to_status="ended",
            reason="Versión 2 en vigor",
            created_at=_at(today, 0),
        ),
    ]


def _standing_order(session, spec, buyer_user, association, agreement, products) -> str:
    exists = session.scalar(
        sa.select(StandingOrder.id).where(
            StandingOrder.buyer_id == buyer_user.buyer_id,
            StandingOrder.association_id == association.id,
        )
    )
    if exists is not None:
        return f"found a standing order of {buyer_user.buyer.trade_name}"
    address = ordering.active_addresses(session, buyer_user.buyer_id)[0]
    rules = delivery.rules_for(session, [association.id])
    lead = so.lead_days_for(rules, association.id, address.city)
    start = so.earliest_start(lead)
    if spec.weekdays:
        while str(start.isoweekday()) not in spec.weekdays:
            start += timedelta(days=1)
    schedule = so.Schedule(
        schedule_kind="monthly" if spec.month_day else "weekly",
        weekdays=spec.weekdays,
        every_weeks=spec.every_weeks,
        month_day=spec.month_day,
        start_date=start,
    )
    standing = so.create_standing_order(
        session,
        buyer_user,
        association.id,
        address.id,
        {products[slug].id: qty for slug, qty in spec.standing},
        schedule,
        agreement_id=agreement.id if agreement.status == ACTIVE else None,
        notes="Según el acuerdo de colaboración.",
    )
    return (
        f"created standing order {standing.number} of {buyer_user.buyer.trade_name}: "
        f"{so.describe_schedule(standing)}"
    )
