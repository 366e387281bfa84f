"""Agreements: drafting, the two acceptances, the lifecycle, renewal, prices and volumes.

Lifecycle (every step writes an AgreementEvent with who, when and why):

    draft ──propose──▶ proposed ──(buyer and promoter both accept)──▶ active ⇄ paused
      ▲                   │                                            │        │
      └─withdraw/decline──┘                                            └─end────┴─▶ ended

Staff draft, propose, withdraw, pause, resume, end and renew. The buyer (any user of the
business) and the association (any of its promoters) each accept or decline in the app;
the agreement becomes active when the second acceptance arrives. Acceptances are written
with conditional UPDATEs, so two people accepting at the same moment both count and the
agreement is activated exactly once.

Prices: while an agreement is active and its dates cover the delivery date, its price for
a product replaces the list price for that buyer (services.pricing.unit_price_for). A
paused or ended agreement leaves list prices in force.

Renewal makes version N+1 as a draft copy pointing at version N. When it becomes active,
version N's end date is moved to the day before the renewal starts; if that day has
passed, version N ends at once ("superseded"). Agreements whose end date has passed are
ended by `expire_agreements` (called by `flask standing-orders place`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..formatting import lima_today
from ..labels import AGREEMENT_STATUS_LABELS
from ..models import Association, Buyer, Order, OrderLine, Product, User
from ..models.agreements import (
    ACTIVE,
    DRAFT,
    ENDED,
    FREQUENCIES,
    PAUSED,
    PROPOSED,
    Agreement,
    AgreementEvent,
    AgreementPrice,
)
from ..services import order_states as ost
from ..types import utcnow
from . import DomainError
from .kilos import kg_from_millionths, kg_millionths
from .periods import month_starts

FREQUENCY_LABELS = {
    "weekly": _l("Semanal"),
    "biweekly": _l("Cada dos semanas"),
    "monthly": _l("Mensual"),
    "on_demand": _l("A pedido"),
}
ACTION_LABELS = {
    "created": _l("Borrador creado"),
    "edited": _l("Borrador editado"),
    "proposed": _l("Propuesto a ambas partes"),
    "withdrawn": _l("Devuelto a borrador"),
    "declined": _l("Rechazado por una parte"),
    "buyer_accepted": _l("Aceptado por el comprador"),
    "association_accepted": _l("Aceptado por la asociación"),
    "activated": _l("Entró en vigor"),
    "paused": _l("Pausado"),
    "resumed": _l("Reanudado"),
    "ended": _l("Terminado"),
    "expired": _l("Venció"),
    "superseded": _l("Reemplazado por su renovación"),
    "renewed": _l("Renovación creada"),
}

# from status -> {to status: roles that may make the move}; acceptance is not here because
# it is two steps by two parties, see `accept`.
STAFF, BUYER, PROMOTER, SYSTEM = "staff", "buyer", "promoter", "system"
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    DRAFT: {PROPOSED: frozenset({STAFF}), ENDED: frozenset({STAFF})},
    PROPOSED: {DRAFT: frozenset({STAFF, BUYER, PROMOTER}), ACTIVE: frozenset({SYSTEM})},
    ACTIVE: {PAUSED: frozenset({STAFF}), ENDED: frozenset({STAFF, SYSTEM})},
    PAUSED: {ACTIVE: frozenset({STAFF}), ENDED: frozenset({STAFF, SYSTEM})},
    ENDED: {},
}
OPEN_STATUSES = (DRAFT, PROPOSED, ACTIVE, PAUSED)


def role_of(actor: User | None) -> str:
    return SYSTEM if actor is None else actor.role


# The lifecycle --------------------------------------------------------------------------


def _event(session, agreement, action, from_status, to_status, actor, reason=None, when=None):
    session.add(
        AgreementEvent(
            agreement_id=agreement.id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor.id if actor is not None else None,
            reason=(reason or "").strip() or None,
            created_at=when or utcnow(),
        )
    )


def _transition(
    session: Session,
    agreement: Agreement,
    to_status: str,
    actor: User | None,
    action: str,
    reason: str | None = None,
    extra: dict | None = None,
) -> None:
    """Move the agreement, refusing impossible moves; conditional on the status seen."""
    from_status = agreement.status
    allowed = ALLOWED[from_status]
    if to_status not in allowed or role_of(actor) not in allowed[to_status]:
        raise DomainError(
            _l(
                "Un acuerdo %(current)s no puede pasar a %(target)s.",
                current=str(AGREEMENT_STATUS_LABELS[from_status]).lower(),
                target=str(AGREEMENT_STATUS_LABELS[to_status]).lower(),
            )
        )
    session.flush()
    now = utcnow()
    values = {"status": to_status, "updated_at": now, **(extra or {})}
    changed = session.execute(
        sa.update(Agreement)
        .where(Agreement.id == agreement.id, Agreement.status == from_status)
        .values(**values)
        .returning(Agreement.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if changed is None:
        raise DomainError(_l("El acuerdo cambió mientras tanto; vuelve a cargar la página."))
    for key, value in values.items():
        set_committed_value(agreement, key, value)
    _event(session, agreement, action, from_status, to_status, actor, reason, now)
    session.flush()


def _require_staff(actor: User) -> None:
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de Qhatu puede hacer esto."))


@dataclass
class AgreementTerms:
    """What staff write in an agreement (prices apart)."""

    start_date: date | None
    end_date: date | None = None
    committed_kg_per_month: Decimal = Decimal("0")
    delivery_frequency: str = "weekly"
    payment_terms_days: int = 0
    payment_terms_note: str = ""
    flavour_standard: str = ""
    activations: str = ""
    merchandising: str = ""
    visits: str = ""
    buyer_commitments: str = ""
    association_commitments: str = ""


TERM_FIELDS = tuple(AgreementTerms.__dataclass_fields__)


def terms_of(agreement: Agreement) -> AgreementTerms:
    return AgreementTerms(**{name: getattr(agreement, name) for name in TERM_FIELDS})


def _check_terms(terms: AgreementTerms) -> None:
    if terms.start_date is None:
        raise DomainError(_l("Indica desde cuándo rige el acuerdo."), field="start_date")
    if terms.end_date is not None and terms.end_date < terms.start_date:
        raise DomainError(_l("El fin no puede ser antes del inicio."), field="end_date")
    if terms.committed_kg_per_month is None or terms.committed_kg_per_month < 0:
        raise DomainError(_l("El volumen no puede ser negativo."), field="committed_kg_per_month")
    if terms.delivery_frequency not in FREQUENCIES:
        raise DomainError(_l("Elige una frecuencia."), field="delivery_frequency")
    if terms.payment_terms_days is None or not 0 <= terms.payment_terms_days <= 120:
        raise DomainError(_l("El plazo de pago va de 0 a 120 días."), field="payment_terms_days")


def _set_prices(session: Session, agreement: Agreement, prices: dict[int, int]) -> None:
    """Replace the agreed prices; every product must belong to the agreement's association."""
    ids = set(prices)
    if ids:
        found = set(
            session.scalars(
                sa.select(Product.id).where(
                    Product.id.in_(ids), Product.association_id == agreement.association_id
                )
            )
        )
        if found != ids:
            raise DomainError(_l("Un producto no es de esta asociación."), field="prices")
    for cents in prices.values():
        if cents is None or int(cents) < 0:
            raise DomainError(_l("Los precios no pueden ser negativos."), field="prices")
    current = {p.product_id: p for p in agreement.prices}
    for product_id, row in current.items():
        if product_id not in prices:
            agreement.prices.remove(row)
    for product_id, cents in prices.items():
        if product_id in current:
            current[product_id].price_cents = int(cents)
        else:
            agreement.prices.append(AgreementPrice(product_id=product_id, price_cents=int(cents)))


def open_agreement_for(session: Session, buyer_id: int, association_id: int) -> Agreement | None:
    """The pair's agreement that is not ended (at most one chain is open at a time)."""
    return session.scalar(
        sa.select(Agreement)
        .where(
            Agreement.buyer_id == buyer_id,
            Agreement.association_id == association_id,
            Agreement.status.in_(OPEN_STATUSES),
        )
        .order_by(Agreement.version.desc())
        .limit(1)
    )


def create_draft(
    session: Session,
    actor: User,
    buyer_id: int,
    association_id: int,
    terms: AgreementTerms,
    prices: dict[int, int] | None = None,
) -> Agreement:
    """A new agreement (version 1) as a draft; one open agreement per buyer and association."""
    _require_staff(actor)
    if session.get(Buyer, buyer_id) is None:
        raise DomainError(_l("Elige un comprador."), field="buyer_id")
    if session.get(Association, association_id) is None:
        raise DomainError(_l("Elige una asociación."), field="association_id")
    _check_terms(terms)
    if open_agreement_for(session, buyer_id, association_id) is not None:
        raise DomainError(
            _l("Ya hay un acuerdo abierto entre ellos; renuévalo o termínalo primero."),
            field="buyer_id",
        )
    last_version = session.scalar(
        sa.select(sa.func.max(Agreement.version)).where(
            Agreement.buyer_id == buyer_id, Agreement.association_id == association_id
        )
    )
    agreement = Agreement(
        buyer_id=buyer_id,
        association_id=association_id,
        version=(last_version or 0) + 1,
        status=DRAFT,
        created_by_id=actor.id,
        **{name: getattr(terms, name) for name in TERM_FIELDS},
    )
    session.add(agreement)
    session.flush()
    _set_prices(session, agreement, prices or {})
    _event(session, agreement, "created", None, DRAFT, actor)
    session.flush()
    return agreement


def update_draft(
    session: Session,
    actor: User,
    agreement: Agreement,
    terms: AgreementTerms,
    prices: dict[int, int] | None = None,
) -> Agreement:
    """Change a draft's terms and prices (a proposed agreement goes back to draft first)."""
    _require_staff(actor)
    if agreement.status != DRAFT:
        raise DomainError(_l("Solo un borrador se puede editar; devuélvelo a borrador."))
    _check_terms(terms)
    for name in TERM_FIELDS:
        setattr(agreement, name, getattr(terms, name))
    if prices is not None:
        _set_prices(session, agreement, prices)
    agreement.updated_at = utcnow()
    _event(session, agreement, "edited", DRAFT, DRAFT, actor)
    session.flush()
    return agreement


def propose(session: Session, actor: User, agreement: Agreement) -> Agreement:
    """Send the draft to both sides for acceptance; it needs at least one agreed price."""
    _require_staff(actor)
    if agreement.status == DRAFT and not agreement.prices:
        raise DomainError(_l("Agrega al menos un precio acordado antes de proponerlo."))
    _transition(session, agreement, PROPOSED, actor, "proposed")
    return agreement


_CLEARED = {
    "buyer_accepted_at": None,
    "buyer_accepted_by_id": None,
    "association_accepted_at": None,
    "association_accepted_by_id": None,
}


def withdraw(session: Session, actor: User, agreement: Agreement, reason: str | None = None):
    """Staff take a proposal back to draft to change it; acceptances given are cleared."""
    _require_staff(actor)
    _transition(session, agreement, DRAFT, actor, "withdrawn", reason, _CLEARED)
    return agreement


def party_of(actor: User, agreement: Agreement) -> str | None:
    """'buyer' or 'association' if the actor speaks for that side of the agreement."""
    if actor is None:
        return None
    if actor.is_buyer and actor.buyer_id == agreement.buyer_id:
        return "buyer"
    if actor.is_promoter and actor.association_id == agreement.association_id:
        return "association"
    return None


def decline(session: Session, actor: User, agreement: Agreement, reason: str | None) -> Agreement:
    """A side says no (with its reason): back to draft for staff to rework."""
    if party_of(actor, agreement) is None:
        raise DomainError(_l("Este acuerdo no es de tu negocio ni de tu asociación."))
    if not (reason or "").strip():
        raise DomainError(_l("Cuéntanos qué habría que cambiar."), field="reason")
    _transition(session, agreement, DRAFT, actor, "declined", reason, _CLEARED)
    return agreement


def accept(session: Session, actor: User, agreement: Agreement, today: date | None = None):
    """Record one side's acceptance; the second one puts the agreement in force."""
    side = party_of(actor, agreement)
    if side is None:
        raise DomainError(_l("Este acuerdo no es de tu negocio ni de tu asociación."))
    if agreement.status != PROPOSED:
        raise DomainError(_l("Este acuerdo no está esperando tu aceptación."))
    at, by = f"{side}_accepted_at", f"{side}_accepted_by_id"
    session.flush()
    now = utcnow()
    changed = session.execute(
        sa.update(Agreement)
        .where(
            Agreement.id == agreement.id,
            Agreement.status == PROPOSED,
            getattr(Agreement, at).is_(None),
        )
        .values({at: now, by: actor.id, "updated_at": now})
        .returning(Agreement.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if changed is None:
        raise DomainError(_l("Tu parte ya aceptó este acuerdo, o el acuerdo cambió."))
    set_committed_value(agreement, at, now)
    set_committed_value(agreement, by, actor.id)
    _event(session, agreement, f"{side}_accepted", PROPOSED, PROPOSED, actor, when=now)
    session.flush()
    _activate_if_both(session, agreement, today)
    return agreement


def _activate_if_both(session: Session, agreement: Agreement, today: date | None) -> None:
    """Put it in force if both acceptances are there (checked in the database)."""
    now = utcnow()
    activated = session.execute(
        sa.update(Agreement)
        .where(
            Agreement.id == agreement.id,
            Agreement.status == PROPOSED,
            Agreement.buyer_accepted_at.is_not(None),
            Agreement.association_accepted_at.is_not(None),
        )
        .values(status=ACTIVE, updated_at=now)
        .returning(Agreement.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if activated is None:
        return
    session.refresh(agreement)
    _event(session, agreement, "activated", PROPOSED, ACTIVE, None, when=now)
    session.flush()
    if agreement.previous_id is not None:
        _hand_over(session, agreement, today or lima_today())


def _hand_over(session: Session, renewal: Agreement, today: date) -> None:
    """The version before a renewal stops the day before the renewal starts."""
    previous = session.get(Agreement, renewal.previous_id)
    if previous is None or previous.status not in (ACTIVE, PAUSED):
        return
    last_day = renewal.start_date - timedelta(days=1)
    if previous.end_date is None or previous.end_date > last_day:
        previous.end_date = last_day
    if previous.end_date < today:
        _transition(
            session,
            previous,
            ENDED,
            None,
            "superseded",
            _l("Versión %(version)s en vigor", version=renewal.version),
        )
    session.flush()


def pause(session: Session, actor: User, agreement: Agreement, reason: str | None) -> Agreement:
    _require_staff(actor)
    if not (reason or "").strip():
        raise DomainError(_l("Indica el motivo."), field="reason")
    _transition(session, agreement, PAUSED, actor, "paused", reason)
    return agreement


def resume(session: Session, actor: User, agreement: Agreement) -> Agreement:
    _require_staff(actor)
    _transition(session, agreement, ACTIVE, actor, "resumed")
    return agreement


def end(session: Session, actor: User, agreement: Agreement, reason: str | None) -> Agreement:
    _require_staff(actor)
    if not (reason or "").strip():
        raise DomainError(_l("Indica el motivo."), field="reason")
    _transition(session, agreement, ENDED, actor, "ended", reason)
    return agreement


def renew(session: Session, actor: User, agreement: Agreement, today: date | None = None):
    """A draft of the next version: same terms and prices, dates moved on."""
    _require_staff(actor)
    if agreement.status not in (ACTIVE, PAUSED, ENDED):
        raise DomainError(_l("Solo se renueva un acuerdo que estuvo en vigor."))
    successor = session.scalar(sa.select(Agreement.id).where(Agreement.previous_id == agreement.id))
    if successor is not None:
        raise DomainError(_l("Este acuerdo ya tiene una renovación."))
    today = today or lima_today()
    start = max(today, (agreement.end_date or today) + timedelta(days=1))
    length = (
        (agreement.end_date - agreement.start_date) if agreement.end_date else timedelta(days=364)
    )
    renewal = Agreement(
        buyer_id=agreement.buyer_id,
        association_id=agreement.association_id,
        version=agreement.version + 1,
        previous_id=agreement.id,
        status=DRAFT,
        created_by_id=actor.id,
        **{name: getattr(agreement, name) for name in TERM_FIELDS},
    )
    renewal.start_date = start
    renewal.end_date = start + length
    renewal.prices = [
        AgreementPrice(product_id=p.product_id, price_cents=p.price_cents) for p in agreement.prices
    ]
    session.add(renewal)
    session.flush()
    _event(session, renewal, "created", None, DRAFT, actor, f"Renovación de {agreement.number}")
    _event(session, agreement, "renewed", agreement.status, agreement.status, actor)
    session.flush()
    return renewal


def expire_agreements(session: Session, today: date | None = None) -> int:
    """End the agreements whose end date has passed; returns how many."""
    today = today or lima_today()
    due = list(
        session.scalars(
            sa.select(Agreement)
            .where(Agreement.status.in_((ACTIVE, PAUSED)), Agreement.end_date < today)
            .order_by(Agreement.id)
        )
    )
    ended = 0
    for agreement in due:
        try:
            _transition(session, agreement, ENDED, None, "expired")
            ended += 1
        except DomainError:
            continue  # another run ended it a moment ago
    return ended


# Prices -----------------------------------------------------------------------------------


def in_force(day: date):
    return sa.and_(
        Agreement.status == ACTIVE,
        Agreement.start_date <= day,
        sa.or_(Agreement.end_date.is_(None), Agreement.end_date >= day),
    )


def agreed_price(session: Session, buyer_id: int, product_id: int, day: date) -> int | None:
    """The price an agreement in force on `day` sets for this buyer and product, if any."""
    return session.scalar(
        sa.select(AgreementPrice.price_cents)
        .join(Agreement)
        .where(Agreement.buyer_id == buyer_id, AgreementPrice.product_id == product_id)
        .where(in_force(day))
        .order_by(Agreement.version.desc())
        .limit(1)
    )


def agreed_prices(
    session: Session, buyer_ids: Iterable[int], association_id: int, day: date
) -> dict[tuple[int, int], int]:
    """Every agreed price in force on `day` for these buyers with one association: one query.

    Keyed by (buyer id, product id); where two versions overlap, the later version wins.
    """
    ids = sorted(set(buyer_ids))
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Agreement.buyer_id, AgreementPrice.product_id, AgreementPrice.price_cents)
        .join(Agreement)
        .where(Agreement.buyer_id.in_(ids), Agreement.association_id == association_id)
        .where(in_force(day))
        .order_by(Agreement.version)
    )
    return {(buyer_id, product_id): cents for buyer_id, product_id, cents in rows}


def buyers_with_agreement(
    session: Session, buyer_ids: Iterable[int], association_id: int, day: date
) -> set[int]:
    """Which of these buyers have an agreement in force with the association on `day`."""
    ids = sorted(set(buyer_ids))
    if not ids:
        return set()
    return set(
        session.scalars(
            sa.select(Agreement.buyer_id).where(
                Agreement.buyer_id.in_(ids),
                Agreement.association_id == association_id,
                in_force(day),
            )
        )
    )


def agreement_in_force(
    session: Session, buyer_id: int, association_id: int, day: date | None = None
) -> Agreement | None:
    day = day or lima_today()
    return session.scalar(
        sa.select(Agreement)
        .where(Agreement.buyer_id == buyer_id, Agreement.association_id == association_id)
        .where(in_force(day))
        .order_by(Agreement.version.desc())
        .limit(1)
    )


# Reading ----------------------------------------------------------------------------------


def agreement_with_details(session: Session, agreement_id: int) -> Agreement | None:
    return session.scalar(
        sa.select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            joinedload(Agreement.buyer),
            joinedload(Agreement.association),
            selectinload(Agreement.prices).joinedload(AgreementPrice.product),
            selectinload(Agreement.events).joinedload(AgreementEvent.actor),
        )
    )


def list_agreements(
    session: Session,
    *,
    buyer_id: int | None = None,
    association_id: int | None = None,
    status: str | None = None,
) -> list[Agreement]:
    """Agreements, newest first, with buyer and association loaded (one query)."""
    query = (
        sa.select(Agreement)
        .options(joinedload(Agreement.buyer), joinedload(Agreement.association))
        .order_by(Agreement.status == ENDED, Agreement.id.desc())
    )
    if buyer_id is not None:
        query = query.where(Agreement.buyer_id == buyer_id)
    if association_id is not None:
        query = query.where(Agreement.association_id == association_id)
    if status:
        query = query.where(Agreement.status == status)
    return list(session.scalars(query))


def versions_of(session: Session, agreement: Agreement) -> list[Agreement]:
    """Every version between this buyer and association, oldest first."""
    return list(
        session.scalars(
            sa.select(Agreement)
            .where(
                Agreement.buyer_id == agreement.buyer_id,
                Agreement.association_id == agreement.association_id,
            )
            .order_by(Agreement.version)
        )
    )


# Volumes ----------------------------------------------------------------------------------

COUNTED_STATUSES = (ost.PLACED, ost.CONFIRMED, ost.DISPATCHED, ost.DELIVERED)


def select_counted(*columns):
    """SELECT `columns` over each agreement joined to the order lines that count under it.

    The one rule for "which orders count under an agreement": the same buyer and
    association, a delivery date within the agreement's dates, a status in
    `COUNTED_STATUSES` (cancelled and rejected orders left out), and no sample lines.
    Narrow it with `.where(Agreement.id ...)`; delivered kg and value count delivered orders.
    """
    return (
        sa.select(*columns)
        .select_from(Agreement)
        .join(
            Order,
            sa.and_(
                Order.buyer_id == Agreement.buyer_id,
                Order.association_id == Agreement.association_id,
                Order.delivery_date >= Agreement.start_date,
                sa.or_(Agreement.end_date.is_(None), Order.delivery_date <= Agreement.end_date),
            ),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.status.in_(COUNTED_STATUSES), OrderLine.is_sample.is_(False))
    )


@dataclass
class MonthVolume:
    """One calendar month of an agreement: what was committed, ordered and delivered."""

    year: int
    month: int
    committed_kg: Decimal
    ordered_kg: Decimal = Decimal("0")
    ordered_cents: int = 0
    delivered_kg: Decimal = Decimal("0")
    delivered_cents: int = 0

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def fill_percent(self) -> int | None:
        """Delivered against committed, in whole percent."""
        if not self.committed_kg:
            return None
        return int(self.delivered_kg * 100 / self.committed_kg)

    @property
    def behind(self) -> bool:
        return bool(self.committed_kg) and self.ordered_kg < self.committed_kg

    def take(self, row) -> MonthVolume:
        """Ordered and delivered kg and value from a row of `volume_columns`."""
        self.ordered_kg = kg_from_millionths(row.ordered_kg)
        self.ordered_cents = int(row.ordered_cents or 0)
        self.delivered_kg = kg_from_millionths(row.delivered_kg)
        self.delivered_cents = int(row.delivered_cents or 0)
        return self


def volume_columns():
    """Ordered kg and value, and delivered kg and value of delivered orders: the sums of
    the lines `select_counted` joins (kg in millionths)."""
    delivered = Order.status == ost.DELIVERED
    return (
        sa.func.coalesce(
            sa.func.sum(kg_millionths(OrderLine.quantity, OrderLine.weight_per_unit_kg)), 0
        ).label("ordered_kg"),
        sa.func.coalesce(sa.func.sum(OrderLine.line_total_cents), 0).label("ordered_cents"),
        sa.func.coalesce(
            sa.func.sum(
                sa.case(
                    (
                        delivered,
                        kg_millionths(OrderLine.delivered_quantity, OrderLine.weight_per_unit_kg),
                    ),
                    else_=0,
                )
            ),
            0,
        ).label("delivered_kg"),
        sa.func.coalesce(
            sa.func.sum(sa.case((delivered, OrderLine.delivered_total_cents), else_=0)), 0
        ).label("delivered_cents"),
    )


def monthly_volumes(
    session: Session, agreement: Agreement, today: date | None = None
) -> list[MonthVolume]:
    """Month by month (delivery dates are Lima dates), committed against ordered and delivered.

    One GROUP BY query over the orders that count under the agreement (`select_counted`),
    every month from its start to its end, or today if it has none or later.
    """
    today = today or lima_today()
    last = min(agreement.end_date or today, max(today, agreement.start_date))
    year = sa.extract("year", Order.delivery_date)
    month = sa.extract("month", Order.delivery_date)
    rows = session.execute(
        select_counted(year.label("y"), month.label("m"), *volume_columns())
        .where(Agreement.id == agreement.id)
        .group_by(year, month)
    ).all()
    found = {(int(r.y), int(r.m)): r for r in rows}
    keys = {(first.year, first.month) for first in month_starts(agreement.start_date, last)}
    months = []
    for key in sorted(keys | set(found)):
        row = found.get(key)
        volume = MonthVolume(key[0], key[1], agreement.committed_kg_per_month)
        months.append(volume if row is None else volume.take(row))
    return months


@dataclass
class AgreementTotals:
    ordered_kg: Decimal = Decimal("0")
    ordered_cents: int = 0
    delivered_kg: Decimal = Decimal("0")
    delivered_cents: int = 0


def totals_for(session: Session, agreements: Iterable[Agreement]) -> dict[int, AgreementTotals]:
    """Ordered and delivered volume and value within each agreement's dates: one query."""
    ids = [a.id for a in agreements]
    if not ids:
        return {}
    rows = session.execute(
        select_counted(Agreement.id.label("agreement_id"), *volume_columns())
        .where(Agreement.id.in_(ids))
        .group_by(Agreement.id)
    ).all()
    result = {agreement_id: AgreementTotals() for agreement_id in ids}
    for r in rows:
        result[r.agreement_id] = AgreementTotals(
            kg_from_millionths(r.ordered_kg),
            int(r.ordered_cents),
            kg_from_millionths(r.delivered_kg),
            int(r.delivered_cents),
        )
    return result
