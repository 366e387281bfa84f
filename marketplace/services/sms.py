"""Promoters' SMS commands: a phone with no data can still update stock and answer orders.

    STOCK CHULLPI 120      set the counted stock of the product called "chullpi"
    STOCK ANDINO +15       add what was just made
    PEDIDOS                orders waiting for confirmation and deliveries due
    OK 123                 confirm order Q-00123
    NO 123 motivo          reject it, saying why
    ENTREGADO 123          delivered as ordered (dispatched first if it was only confirmed)

Keywords come in Spanish and Quechua (see docs/glossary.md), in any case, with or without
accents, with any spacing. The parser is a table: keyword -> command. A message is stored
once per provider message id, so a provider's retry is never applied twice; messages from
numbers no active promoter has change nothing. Replies go through the notification outbox.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..formatting import lima_today
from ..formatting import quantity as fmt_quantity
from ..labels import unit_label
from ..models import Order, Product, User
from ..models.accounts import ROLE_PROMOTER
from ..models.notifications import CHANNEL_SMS, Notification
from ..models.sms import (
    SMS_APPLIED,
    SMS_REFUSED,
    SMS_UNKNOWN,
    SMS_UNREGISTERED,
    InboundSms,
    PromoterRequest,
)
from ..numbers import NotANumber, parse_decimal
from ..types import utcnow
from . import DomainError, catalog, ordering
from . import order_states as st

STOCK, ORDERS, CONFIRM, REJECT, DELIVERED, HELP = (
    "stock",
    "orders",
    "confirm",
    "reject",
    "delivered",
    "help",
)

# Keyword (normalised: upper case, no accents) -> command. Quechua words are proposals for a
# native speaker to review; docs/glossary.md explains each.
KEYWORDS: dict[str, str] = {
    # Spanish
    "STOCK": STOCK,
    "INVENTARIO": STOCK,
    "PEDIDOS": ORDERS,
    "PEDIDO": ORDERS,
    "OK": CONFIRM,
    "SI": CONFIRM,
    "CONFIRMO": CONFIRM,
    "NO": REJECT,
    "RECHAZO": REJECT,
    "ENTREGADO": DELIVERED,
    "ENTREGUE": DELIVERED,
    "AYUDA": HELP,
    # Quechua (Cusco-Collao)
    "KAQ": STOCK,  # "what there is"
    "KAN": STOCK,  # "there is"
    "MANAKUY": ORDERS,  # mañakuy, "request" (ñ loses its tilde when normalised)
    "MANAKUYKUNA": ORDERS,  # mañakuykuna, "requests"
    "ARI": CONFIRM,  # "yes"
    "MANA": REJECT,  # "no"
    "CHAYACHISQA": DELIVERED,  # "made to arrive"
    "QUSQA": DELIVERED,  # qosqa/qusqa, "given"
    "QOSQA": DELIVERED,
    "YANAPAY": HELP,  # "help"
}

ORDER_NUMBER = re.compile(r"^(?:Q-?)?0*([0-9]{1,9})$")
MAX_SMS = 300  # replies are kept to about two SMS


@dataclass(frozen=True)
class Command:
    name: str
    product: str | None = None  # the words naming a product (STOCK)
    quantity: Decimal | None = None
    add: bool = False  # "+15": add production instead of setting the count
    order_id: int | None = None
    reason: str | None = None


def normalise(text: str) -> str:
    """Upper case, no accents, spaces folded: 'Stock  chúllpi' -> 'STOCK CHULLPI'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().split())


def parse_quantity(word: str) -> tuple[Decimal, bool] | None:
    add = word.startswith("+")
    try:
        value = parse_decimal(word.lstrip("+"))
    except NotANumber:
        return None
    if value is None or value < 0:
        return None
    return value, add


def parse_order_id(word: str) -> int | None:
    match = ORDER_NUMBER.match(word)
    return int(match.group(1)) if match else None


def parse(text: str) -> Command | None:
    """The command a message asks for, or None if it is not one (the sender gets help)."""
    words = normalise(text).split(" ")
    if not words or words[0] not in KEYWORDS:
        return None
    name = KEYWORDS[words[0]]
    rest = words[1:]
    if name in (ORDERS, HELP):
        return Command(name) if not rest else None
    if name == STOCK:
        if len(rest) < 2 or (amount := parse_quantity(rest[-1])) is None:
            return None
        return Command(STOCK, product=" ".join(rest[:-1]), quantity=amount[0], add=amount[1])
    if not rest or (order_id := parse_order_id(rest[0])) is None:
        return None
    if name == REJECT:
        # The reason keeps what the promoter typed (case and accents), after the number.
        original = " ".join((text or "").split()[2:]) or None
        return Command(REJECT, order_id=order_id, reason=original)
    return Command(name, order_id=order_id) if len(rest) == 1 else None


# Who is writing ------------------------------------------------------------------------


def phone_variants(phone: str) -> list[str]:
    """The forms a Peruvian mobile number may be stored in: +51987654321, 987654321."""
    digits = re.sub(r"\D", "", phone or "")
    variants = {phone.strip(), digits, "+" + digits}
    if digits.startswith("51") and len(digits) == 11:
        variants |= {digits[2:], "+51" + digits[2:]}
    elif len(digits) == 9:
        variants |= {"51" + digits, "+51" + digits}
    return [v for v in variants if v and v != "+"]


def sender(session: Session, phone: str) -> User | None:
    """The active promoter with this phone number, or None."""
    return session.scalar(
        sa.select(User).where(
            User.phone.in_(phone_variants(phone)),
            User.role == ROLE_PROMOTER,
            User.active.is_(True),
        )
    )


# Doing it ------------------------------------------------------------------------------


def help_text() -> str:
    return _(
        "Qhatu: STOCK CHULLPI 120 (conteo), STOCK ANDINO +15 (sumar), PEDIDOS, OK 123, "
        "NO 123 motivo, ENTREGADO 123."
    )


def find_product(session: Session, association_id: int, words: str) -> list[Product]:
    """Products of the association whose variety or name matches the words (any accents)."""
    wanted = normalise(words)
    products = session.scalars(
        sa.select(Product).where(Product.association_id == association_id).order_by(Product.id)
    ).all()
    exact = [p for p in products if normalise(p.variety or "") == wanted]
    if exact:
        return exact
    return [
        p
        for p in products
        if wanted == normalise(p.name) or set(wanted.split()) <= set(normalise(p.name).split())
    ]


def do_stock(session: Session, user: User, command: Command) -> tuple[str, str]:
    matches = find_product(session, user.association_id, command.product or "")
    if not matches:
        return SMS_REFUSED, _("No encontramos «%(name)s».", name=command.product.lower())
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches[:4])
        return SMS_REFUSED, _("¿Cuál? %(names)s", names=names)
    product = matches[0]
    if command.add:
        catalog.add_production(session, user, product, command.quantity)
    else:
        catalog.count_stock(session, user, product, command.quantity, None)
    session.flush()
    session.refresh(product)
    return SMS_APPLIED, _(
        "%(name)s: ahora hay %(qty)s %(unit)s.",
        name=product.name,
        qty=fmt_quantity(product.stock_on_hand),
        unit=unit_label(product.unit),
    )


def do_orders(session: Session, user: User) -> tuple[str, str]:
    today = lima_today()
    rows = session.scalars(
        sa.select(Order)
        .where(
            Order.association_id == user.association_id,
            sa.or_(
                Order.status == st.PLACED,
                sa.and_(
                    Order.status.in_((st.CONFIRMED, st.DISPATCHED)),
                    Order.delivery_date <= today + timedelta(days=1),
                ),
            ),
        )
        .options(selectinload(Order.lines))
        .order_by(Order.delivery_date, Order.id)
        .limit(6)
    ).all()
    if not rows:
        return SMS_APPLIED, _("No hay pedidos por confirmar ni entregas para hoy o mañana.")
    parts = []
    for order in rows:
        lines = "+".join(
            f"{fmt_quantity(line.quantity)}{line.unit} {line.product_name}" for line in order.lines
        )
        state = _("confirmar") if order.status == st.PLACED else _("entregar")
        parts.append(f"{order.id} {order.delivery_date:%d/%m} {state}: {lines}")
    return SMS_APPLIED, "; ".join(parts)


def own_order(session: Session, user: User, order_id: int) -> Order | None:
    order = session.get(Order, order_id)
    if order is None or order.association_id != user.association_id:
        return None
    return order


def do_order(session: Session, user: User, command: Command) -> tuple[str, str]:
    order = own_order(session, user, command.order_id)
    if order is None:
        return SMS_REFUSED, _("No hay un pedido %(id)s de tu asociación.", id=command.order_id)
    if command.name == CONFIRM:
        ordering.confirm_order(session, user, order)
        return SMS_APPLIED, _("Confirmaste el pedido %(number)s.", number=order.number)
    if command.name == REJECT:
        ordering.reject_order(session, user, order, command.reason)
        return SMS_APPLIED, _("Rechazaste el pedido %(number)s.", number=order.number)
    if order.status == st.CONFIRMED:
        ordering.dispatch_order(session, user, order)
    ordering.deliver_order(session, user, order)
    return SMS_APPLIED, _("Entrega registrada: %(number)s.", number=order.number)


def execute(session: Session, user: User, command: Command | None) -> tuple[str, str]:
    """Apply a parsed command for this promoter: (outcome, reply). Rule breaks are replies."""
    if command is None or command.name == HELP:
        return (SMS_UNKNOWN if command is None else SMS_APPLIED), help_text()
    try:
        with session.begin_nested():
            if command.name == STOCK:
                return do_stock(session, user, command)
            if command.name == ORDERS:
                return do_orders(session, user)
            return do_order(session, user, command)
    except DomainError as error:
        return SMS_REFUSED, str(error.message)


def queue_reply(session: Session, user: User, text: str) -> Notification:
    """An SMS reply through the outbox (sent by `flask notifications send`)."""
    row = Notification(
        recipient_id=user.id,
        phone=user.phone,
        channel=CHANNEL_SMS,
        kind="sms_reply",
        subject=text[:200],
        body=text[:MAX_SMS],
    )
    session.add(row)
    return row


@dataclass
class Handled:
    message: InboundSms
    duplicate: bool = False


def handle_inbound(session: Session, provider_id: str, phone: str, body: str) -> Handled:
    """Store the message once (by provider id), apply it if a promoter sent it, queue the reply.

    A repeat of a provider id returns the first record and does nothing. The caller commits.
    """
    provider_id = provider_id.strip()[:80]
    existing = session.scalar(sa.select(InboundSms).where(InboundSms.provider_id == provider_id))
    if existing is not None:
        return Handled(existing, duplicate=True)
    message = InboundSms(
        provider_id=provider_id,
        phone=(phone or "")[:20],
        body=(body or "")[:480],
        outcome=SMS_UNKNOWN,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # the same message arrived at the same moment
        existing = session.scalar(
            sa.select(InboundSms).where(InboundSms.provider_id == provider_id)
        )
        return Handled(existing, duplicate=True)
    user = sender(session, phone)
    if user is None:
        message.outcome = SMS_UNREGISTERED
        session.flush()
        return Handled(message)
    command = parse(body)
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "es")
    with force_locale(user.locale or default):
        outcome, reply = execute(session, user, command)
    message.user_id = user.id
    message.command = command.name if command else None
    message.outcome = outcome
    message.reply = reply[:480]
    queue_reply(session, user, reply)
    session.flush()
    return Handled(message)


# Requests replayed from phones --------------------------------------------------------------

# How long a promoter request's key is remembered. A phone sends its offline queue as soon as
# the connection returns; a month covers a long trip without signal many times over.
REQUEST_KEY_DAYS = 30


def prune_promoter_requests(session: Session, days: int = REQUEST_KEY_DAYS) -> int:
    """Forget idempotency keys older than `days` (scheduled: `flask sms prune`)."""
    cutoff = utcnow() - timedelta(days=days)
    result = session.execute(sa.delete(PromoterRequest).where(PromoterRequest.created_at < cutoff))
    return result.rowcount or 0
