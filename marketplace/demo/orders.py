"""Demo order history: six months of cheese and maize delivered to the seven demo buyers.

Built on the demo associations, products, buyers and accounts (looked up by their slugs and
emails). Each buyer has a habit drawn from the field facts (the hotel's weekly
cheese, the restaurant's sack of chullpi for cancha, the shop's monthly restock), varied a
little by a fixed random seed so that the history is the same on every machine. Past orders
went the whole way: placed, confirmed, dispatched and delivered (a few short, one cancelled,
one rejected), with the stock ledger telling the same story: the week's production in, the
reservation out, anything not delivered back. A few orders for the coming days are placed
through the ordering service, so the promoters have something to confirm.

Idempotent: orders made here carry checkout tokens starting with "seed-"; if any exists
the history is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from ..formatting import LIMA, lima_today
from ..labels import WHOLE_UNITS
from ..models import (
    Association,
    BuyerAddress,
    Notification,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    User,
)
from ..models.catalog import (
    REASON_DELIVERY,
    REASON_PRODUCTION,
    REASON_RELEASE,
    REASON_RESERVATION,
)
from ..services import DomainError, calendar, delivery, ordering, payouts, pricing
from ..services import order_states as st
from ..services.stock import move_stock

WEEKS = 26  # about six months of history
SEED_MARK = "seed-"


@dataclass(frozen=True)
class Habit:
    """What a buyer orders from one association, how much and how often."""

    buyer_email: str
    association: str
    lines: tuple[tuple[str, str], ...]  # (product slug, usual quantity)
    every_weeks: int = 1


HABITS = (
    # Hotel Inti Pata, Cusco: fresh cheese and mozzarella for breakfasts every week,
    # chullpi for the bar every other week.
    Habit(
        "compras@intipata-demo.pe",
        "sumaq-ausangate",
        (("queso-andino", "6"), ("queso-mozzarella", "3")),
    ),
    Habit("compras@intipata-demo.pe", "huaroq-sara", (("maiz-chullpi", "10"),), 2),
    # Restaurante Sara Manka, Cusco: a sack of chullpi for cancha every other week.
    Habit("compras@saramanka-demo.pe", "huaroq-sara", (("maiz-chullpi-saco", "1"),), 2),
    Habit("compras@saramanka-demo.pe", "sumaq-ausangate", (("queso-andino", "5"),)),
    # Café Puka Rumi, Cusco: cheese for sandwiches and the shelf of local producers.
    Habit(
        "compras@pukarumi-demo.pe",
        "sumaq-ausangate",
        (("queso-andino", "3"), ("queso-tipo-paria", "4")),
    ),
    # Hotel Qollqa Miraflores, Lima: aged cheese for the tasting board, giant maize monthly.
    Habit("compras@qollqa-demo.pe", "sumaq-ausangate", (("queso-madurado", "4"),), 2),
    Habit("compras@qollqa-demo.pe", "huaroq-sara", (("maiz-blanco-gigante", "20"),), 4),
    # Kallpa Cocina Peruana, Lima: chullpi once a month.
    Habit("compras@kallpa-demo.pe", "huaroq-sara", (("maiz-chullpi", "15"),), 4),
    # Café Chakana, Lima: pizza cheese every other week.
    Habit("compras@chakana-demo.pe", "sumaq-ausangate", (("queso-pizzero", "5"),), 2),
    # Despensa Mikhuy, Lima: the specialty shop restocks both once a month.
    Habit(
        "compras@mikhuy-demo.pe",
        "sumaq-ausangate",
        (("queso-andino", "10"), ("queso-madurado", "3")),
        4,
    ),
    Habit(
        "compras@mikhuy-demo.pe",
        "huaroq-sara",
        (("maiz-chullpi", "20"), ("maiz-blanco-gigante", "10")),
        4,
    ),
)

# Orders still to be delivered, placed through the ordering service like a buyer would.
UPCOMING = (
    (
        "compras@intipata-demo.pe",
        "sumaq-ausangate",
        (("queso-andino", "6"), ("queso-mozzarella", "2")),
    ),
    ("compras@saramanka-demo.pe", "huaroq-sara", (("maiz-chullpi-saco", "1"),)),
    (
        "compras@pukarumi-demo.pe",
        "sumaq-ausangate",
        (("queso-andino", "3"), ("queso-tipo-paria", "4")),
    ),
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Lima wall-clock time on `day`, as an aware datetime (stored in UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=LIMA)


def vary(rng: random.Random, qty: Decimal, unit: str) -> Decimal:
    """The usual quantity, give or take a quarter (whole units for pieces and sacks)."""
    if unit in WHOLE_UNITS:
        return max(Decimal(1), qty + rng.choice([0, 0, 0, 1, -1]))
    factor = Decimal(rng.randint(75, 125)) / 100
    return max(Decimal("0.5"), (qty * factor).quantize(Decimal("0.5")))


@dataclass(frozen=True)
class Seeded:
    """The demo records the history is built on, looked up once."""

    associations: dict[str, Association]  # by slug
    products: dict[tuple[int, str], Product]  # by (association id, slug)
    users: dict[str, User]  # buyers' accounts by email
    promoters: dict[int, User | None]  # by association id
    rules: dict


@dataclass(frozen=True)
class Planned:
    """One past delivery of a habit."""

    day: date
    habit: Habit
    user: User
    address: BuyerAddress
    association: Association


def seed_order_history(session: Session) -> list[str]:
    """Add the demo order history if it is not there yet; returns what was done."""
    existing = session.scalar(
        sa.select(sa.func.count(Order.id)).where(Order.checkout_token.like(f"{SEED_MARK}%"))
    )
    if existing:
        return [f"found order history ({existing} demo orders)"]
    seeded = _seeded(session)
    if seeded is None:
        return ["skipped order history: run seed-demo's associations and buyers first"]
    rng = random.Random(2023)
    planned = _plan(session, rng, seeded, lima_today())
    outcomes = ["delivered"] * len(planned)
    if len(outcomes) > 20:
        outcomes[7] = st.CANCELLED
        outcomes[19] = st.REJECTED
    orders, kilos = 0, Decimal(0)
    value = 0
    for plan, outcome in zip(planned, outcomes, strict=True):
        order = _history_order(session, rng, plan, seeded, outcome)
        orders += 1
        if order.status == st.DELIVERED:
            value += order.delivered_subtotal_cents
            kilos += sum(
                (line.delivered_quantity * line.weight_per_unit_kg for line in order.lines),
                Decimal(0),
            )
    report = [
        f"created {orders} past orders over {WEEKS} weeks: {kilos:.0f} kg delivered, "
        f"S/ {Decimal(value) / 100:,.2f} before IGV"
    ]
    report += _upcoming_orders(session, seeded.associations, seeded.products, seeded.users)
    session.flush()
    payouts.record_missing_deliveries(session)  # each delivery's sale and fee in the ledger
    return report


def _seeded(session: Session) -> Seeded | None:
    """The associations, products, buyers' accounts, promoters and delivery rules of the
    habits; None while seed-demo's associations and buyers are missing."""
    associations = {
        a.slug: a
        for a in session.scalars(
            sa.select(Association).where(Association.slug.in_({h.association for h in HABITS}))
        )
    }
    products = {
        (p.association_id, p.slug): p
        for p in session.scalars(
            sa.select(Product).where(
                Product.association_id.in_([a.id for a in associations.values()])
            )
        )
    }
    users = {
        u.email: u
        for u in session.scalars(
            sa.select(User).where(User.email.in_({h.buyer_email for h in HABITS}))
        )
    }
    if len(associations) < 2 or len(users) < len({h.buyer_email for h in HABITS}):
        return None
    promoters = {
        a.id: session.scalar(
            sa.select(User).where(User.association_id == a.id).order_by(User.id).limit(1)
        )
        for a in associations.values()
    }
    rules = delivery.rules_for(session, [a.id for a in associations.values()])
    return Seeded(associations, products, users, promoters, rules)


def _plan(session: Session, rng: random.Random, seeded: Seeded, today: date) -> list[Planned]:
    """Every past delivery of every habit over the weeks of history, by date."""
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS)
    planned = []
    for week in range(WEEKS):
        monday = first_monday + timedelta(weeks=week)
        for n, habit in enumerate(HABITS):
            if (week + n) % habit.every_weeks:
                continue
            if rng.random() < 0.08:  # a holiday, a closed kitchen: that week is skipped
                continue
            user = seeded.users[habit.buyer_email]
            address = session.scalar(
                sa.select(BuyerAddress)
                .where(BuyerAddress.buyer_id == user.buyer_id)
                .order_by(BuyerAddress.id)
                .limit(1)
            )
            association = seeded.associations[habit.association]
            rule = seeded.rules.get((association.id, address.city))
            if rule is None:
                continue
            day = monday + timedelta(days=min(rule.weekday_numbers) - 1)
            if day >= today or calendar.is_holiday(day):  # nothing is delivered on a holiday
                continue
            planned.append(Planned(day, habit, user, address, association))
    planned.sort(key=lambda p: p.day)
    return planned


def _history_order(
    session: Session, rng: random.Random, plan: Planned, seeded: Seeded, outcome: str
) -> Order:
    """One past order the whole way: placed, stock reserved, then closed or delivered."""
    placed_at = at(plan.day - timedelta(days=3), rng.randint(8, 18), rng.choice([0, 15, 30, 45]))
    order = _placed_order(session, rng, plan, seeded.products, placed_at)
    promoter = seeded.promoters[plan.association.id]
    actor_id = promoter.id if promoter else None
    _produce_and_reserve(session, order, actor_id, plan.user.id, placed_at)
    events = [(None, st.PLACED, plan.user.id, placed_at, None)]
    if outcome == st.CANCELLED:
        reason = "Cambiamos la carta esta semana"
        closed = placed_at + timedelta(hours=5)
        events.append(_close(session, order, st.CANCELLED, plan.user.id, closed, reason))
    elif outcome == st.REJECTED:
        reason = "La helada bajó la producción de leche esta semana"
        closed = placed_at + timedelta(hours=3)
        events.append(_close(session, order, st.REJECTED, actor_id, closed, reason))
    else:
        events += _deliver(session, rng, order, actor_id, placed_at, plan.day)
    order.updated_at = events[-1][3]
    for from_status, to_status, who, when, reason in events:
        session.add(
            OrderEvent(
                order_id=order.id,
                from_status=from_status,
                to_status=to_status,
                actor_id=who,
                created_at=when,
                reason=reason,
            )
        )
    session.flush()
    return order


def _placed_order(
    session: Session, rng: random.Random, plan: Planned, products: dict, placed_at: datetime
) -> Order:
    """The order as placed: the habit's lines, each quantity varied a little, and totals."""
    user, address, association = plan.user, plan.address, plan.association
    order = Order(
        buyer_id=user.buyer_id,
        association_id=association.id,
        placed_by_id=user.id,
        address_id=address.id,
        delivery_label=address.label,
        delivery_address=address.address,
        delivery_city=address.city,
        delivery_date=plan.day,
        status=st.PLACED,
        checkout_token=f"{SEED_MARK}{user.buyer_id}-{association.id}-{plan.day.isoformat()}",
        created_at=placed_at,
        updated_at=placed_at,
    )
    for slug, usual in plan.habit.lines:
        product = products[(association.id, slug)]
        qty = vary(rng, Decimal(usual), product.unit)
        price = product.price_cents
        order.lines.append(
            OrderLine(
                product_id=product.id,
                product_name=product.name,
                variety=product.variety,
                unit=product.unit,
                weight_per_unit_kg=product.weight_per_unit_kg,
                unit_price_cents=price,
                quantity=qty,
                line_total_cents=pricing.line_total_cents(price, qty),
            )
        )
    totals = pricing.totals(line.line_total_cents for line in order.lines)
    order.subtotal_cents, order.igv_cents, order.total_cents = (
        totals.subtotal_cents,
        totals.igv_cents,
        totals.total_cents,
    )
    session.add(order)
    session.flush()
    return order


def _produce_and_reserve(session, order: Order, actor_id, buyer_user_id, placed_at) -> None:
    """The ledger: the week's production in the day before, the order's reservation out."""
    for line in order.lines:
        made = move_stock(
            session,
            line.product_id,
            line.quantity,
            REASON_PRODUCTION,
            actor_id=actor_id,
            note="Producción de la semana",
        )
        made.created_at = placed_at - timedelta(days=1)
        taken = move_stock(
            session,
            line.product_id,
            -line.quantity,
            REASON_RESERVATION,
            actor_id=buyer_user_id,
            order_id=order.id,
        )
        taken.created_at = placed_at


def _close(session, order: Order, status: str, actor_id, closed: datetime, reason: str) -> tuple:
    """Cancelled by the buyer or rejected by the association: the stock goes back."""
    order.status, order.closed_at = status, closed
    if status == st.CANCELLED:
        order.cancel_reason = reason
    else:
        order.reject_reason = reason
    _give_back(session, order, actor_id, closed)
    return (st.PLACED, status, actor_id, closed, reason)


def _deliver(session, rng: random.Random, order: Order, actor_id, placed_at, day) -> list[tuple]:
    """Confirmed, dispatched at dawn and delivered that morning (a few a little short, the
    missing half kilo back in stock); returns the three events."""
    confirmed = placed_at + timedelta(hours=rng.randint(1, 6))
    dispatched = at(day, 5, 30)
    delivered = at(day, rng.randint(9, 13))
    short = rng.random() < 0.06
    for line in order.lines:
        line.delivered_quantity = line.quantity
        if short and line.unit not in WHOLE_UNITS and line.quantity > 1:
            line.delivered_quantity = line.quantity - Decimal("0.5")
            back = move_stock(
                session,
                line.product_id,
                Decimal("0.5"),
                REASON_DELIVERY,
                actor_id=actor_id,
                order_id=order.id,
                note=f"{order.number}: entregado {line.delivered_quantity} de {line.quantity}",
            )
            back.created_at = delivered
        line.delivered_total_cents = pricing.line_total_cents(
            line.unit_price_cents, line.delivered_quantity
        )
    done = pricing.totals(line.delivered_total_cents for line in order.lines)
    order.delivered_subtotal_cents = done.subtotal_cents
    order.delivered_igv_cents = done.igv_cents
    order.delivered_total_cents = done.total_cents
    order.status = st.DELIVERED
    order.confirmed_at, order.dispatched_at, order.delivered_at = confirmed, dispatched, delivered
    return [
        (st.PLACED, st.CONFIRMED, actor_id, confirmed, None),
        (st.CONFIRMED, st.DISPATCHED, actor_id, dispatched, None),
        (st.DISPATCHED, st.DELIVERED, actor_id, delivered, None),
    ]


def _give_back(session, order, actor_id, when) -> None:
    for line in order.lines:
        movement = move_stock(
            session,
            line.product_id,
            line.quantity,
            REASON_RELEASE,
            actor_id=actor_id,
            order_id=order.id,
            note=f"{order.number} cerrado",
        )
        movement.created_at = when


def _upcoming_orders(session, associations, products, users) -> list[str]:
    """Orders for the coming delivery days, placed through checkout (stock reserved)."""
    report = []
    placed_ids = []
    with force_locale("es"):  # messages of refused orders are read outside a request
        for email, slug, lines in UPCOMING:
            user = users[email]
            association = associations[slug]
            address = user.buyer.addresses[0]
            dates = delivery.offered_dates(session, association.id, address.city)
            if not dates:
                continue
            requests = [
                ordering.LineRequest(products[(association.id, s)].id, Decimal(q)) for s, q in lines
            ]
            try:
                placed = ordering.checkout(
                    session,
                    user,
                    requests,
                    {association.id: ordering.DeliveryChoice(dates[0], address.id)},
                    f"{SEED_MARK}upcoming-{user.buyer_id}-{association.id}",
                )
            except DomainError as error:
                report.append(f"skipped an upcoming order of {email}: {error.message}")
                continue
            placed_ids += [o.id for o in placed]
            report.append(f"placed upcoming order for {email} on {dates[0].isoformat()}")
    if placed_ids:
        # Demo addresses are not real inboxes: nothing about seeded orders is sent.
        session.execute(sa.delete(Notification).where(Notification.order_id.in_(placed_ids)))
    return report
