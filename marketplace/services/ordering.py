"""Ordering: the cart, checkout, samples, reorder and what each step of fulfilment does to stock.

Checkout makes one order per association in one transaction and reserves the stock in it:
the rows of `products` are changed in product-id order (so two checkouts never wait on each
other in a circle), every short line is collected, and one InsufficientStock names them all.
The whole checkout runs inside a savepoint, so when it fails nothing of it is written and the
caller's transaction stays usable. A checkout token makes placement idempotent: the same token
twice, one after the other or at the same moment, gives back the same orders.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from ..database import begin_write  # noqa: F401  (services and jobs call ordering.begin_write)
from ..formatting import lima_today, money
from ..formatting import quantity as fmt_quantity
from ..labels import WHOLE_UNITS
from ..models import (
    Association,
    Buyer,
    BuyerAddress,
    CardPayment,
    Cart,
    CartItem,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    User,
)
from ..models.catalog import (
    REASON_DELIVERY,
    REASON_RELEASE,
    REASON_RESERVATION,
    REASON_SAMPLE,
)
from ..models.orders import SOURCE_ONE_OFF, SOURCE_SAMPLE
from ..numbers import read_decimal
from ..types import utcnow
from . import DomainError, accounts, card_payments, delivery, invoicing, order_payments, pricing
from . import calendar as cal
from . import order_states as st
from .notifications import notify_transition
from .order_making import add_orders, new_order, order_line, record_placed, set_delivered
from .stock import InsufficientStock, Shortage, move_many

log = logging.getLogger("qhatu.payments")
MAX_QUANTITY = Decimal("100000")
SAMPLE_KG = Decimal("0.5")  # a sample is half a kilo, or one piece


# Quantities ---------------------------------------------------------------------------


def clean_quantity(raw, unit: str, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity typed by a person, checked against the product's unit."""
    value = read_decimal(raw)
    if value is None:
        raise DomainError(_l("Escribe una cantidad, por ejemplo 2.5."), field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError(_l("La cantidad debe ser mayor que cero."), field=field)
    if value > MAX_QUANTITY:
        raise DomainError(_l("La cantidad es demasiado grande."), field=field)
    if unit in WHOLE_UNITS and value != value.to_integral_value():
        raise DomainError(_l("Este producto se vende por unidades enteras."), field=field)
    if value != value.quantize(Decimal("0.001")):
        raise DomainError(_l("Usa como máximo tres decimales."), field=field)
    return value.quantize(Decimal("0.001"))


def sample_quantity(product: Product) -> Decimal:
    """How much a sample is: one piece, or half a kilo of a product sold by weight."""
    if product.unit == "piece":
        return Decimal("1")
    qty = (SAMPLE_KG / Decimal(product.weight_per_unit_kg)).quantize(Decimal("0.001"))
    return max(qty, Decimal("0.001"))


def shortage_message(shortage: Shortage, unit: str = "") -> str:
    """'Queso andino: pediste 3 kg y solo quedan 1.5 kg.'"""
    return str(
        _l(
            "%(name)s: pediste %(requested)s %(unit)s y solo quedan %(available)s %(unit)s.",
            name=shortage.product_name,
            requested=fmt_quantity(shortage.requested),
            available=fmt_quantity(shortage.available),
            unit=unit,
        )
    )


# The cart -----------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _require_buyer(actor: User) -> None:
    if actor is None or not actor.is_buyer or actor.buyer_id is None:
        raise DomainError(_l("Solo los compradores pueden hacer pedidos."))


def get_cart(session: Session, actor: User, create: bool = False) -> Cart | None:
    """The actor's cart, made on first use if `create`."""
    cart = session.scalar(sa.select(Cart).where(Cart.user_id == actor.id))
    if cart is None and create:
        _require_buyer(actor)
        cart = Cart(user_id=actor.id, buyer_id=actor.buyer_id, checkout_token=new_token())
        session.add(cart)
        session.flush()
    return cart


def cart_count(session: Session, user_id: int) -> int:
    """How many products are in the user's cart (the nav badge)."""
    return session.scalar(
        sa.select(sa.func.count(CartItem.id)).join(Cart).where(Cart.user_id == user_id)
    )


def _orderable_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not product.active:
        raise DomainError(_l("Este producto ya no está a la venta."), field="quantity")
    return product


def _cart_item(session: Session, cart: Cart | None, product_id: int) -> CartItem | None:
    if cart is None:
        return None
    return session.scalar(
        sa.select(CartItem).where(CartItem.cart_id == cart.id, CartItem.product_id == product_id)
    )


def add_to_cart(session: Session, actor: User, product_id: int, raw_quantity) -> CartItem:
    """Put a quantity of a product in the cart (adding to what is already there)."""
    _require_buyer(actor)
    product = _orderable_product(session, product_id)
    qty = clean_quantity(raw_quantity, product.unit)
    cart = get_cart(session, actor, create=True)
    item = _cart_item(session, cart, product_id)
    total = qty + (item.quantity if item else 0)
    if total > product.stock_on_hand:
        raise DomainError(
            _l(
                "Solo quedan %(available)s %(unit)s.",
                available=fmt_quantity(product.stock_on_hand),
                unit=product.unit,
            ),
            field="quantity",
        )
    if item is None:
        item = CartItem(cart_id=cart.id, product_id=product_id, quantity=qty)
        session.add(item)
    else:
        item.quantity = total
    cart.updated_at = utcnow()
    session.flush()
    return item


def set_cart_quantity(session: Session, actor: User, product_id: int, raw_quantity) -> None:
    """Change the quantity of a product in the cart; zero takes it out."""
    _require_buyer(actor)
    cart = get_cart(session, actor)
    item = _cart_item(session, cart, product_id)
    if item is None:
        raise DomainError(_l("Ese producto no está en tu carrito."), field="quantity")
    qty = clean_quantity(raw_quantity, item.product.unit, allow_zero=True)
    if qty == 0:
        session.delete(item)
    else:
        item.quantity = qty
    cart.updated_at = utcnow()
    session.flush()


def cart_fingerprint(items: Iterable[CartItem]) -> str:
    """A short digest of the cart's contents: a checkout form is only good for what it showed."""
    key = ";".join(
        f"{i.product_id}:{i.quantity}" for i in sorted(items, key=lambda i: i.product_id)
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class CartRow:
    item: CartItem
    product: Product
    unit_price_cents: int
    line_total_cents: int


@dataclass
class CartGroup:
    """The part of the cart one association will deliver: it becomes one order."""

    association: Association
    rows: list[CartRow]
    totals: pricing.Totals
    dates_by_city: dict[str, list[date]]
    closed: list = field(default_factory=list)  # calendar.ClosedSpan: days with no delivery

    @property
    def min_order_cents(self) -> int:
        return self.association.min_order_cents

    @property
    def min_order_met(self) -> bool:
        return self.totals.subtotal_cents >= self.association.min_order_cents

    @property
    def missing_cents(self) -> int:
        return max(0, self.association.min_order_cents - self.totals.subtotal_cents)


@dataclass
class CartView:
    cart: Cart | None
    groups: list[CartGroup]
    addresses: list[BuyerAddress]
    fingerprint: str

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def count(self) -> int:
        return sum(len(g.rows) for g in self.groups)

    @property
    def grand_total_cents(self) -> int:
        return sum(g.totals.total_cents for g in self.groups)


def cart_view(session: Session, actor: User, today: date | None = None) -> CartView:
    """The cart grouped per association with prices, IGV, minimums and delivery dates.

    A fixed number of queries whatever the size of the cart or of the order history.
    """
    _require_buyer(actor)
    cart = get_cart(session, actor)
    addresses = accounts.active_addresses(session, actor.buyer_id)
    if cart is None:
        return CartView(None, [], addresses, cart_fingerprint([]))
    items = list(
        session.scalars(
            sa.select(CartItem)
            .where(CartItem.cart_id == cart.id)
            .options(joinedload(CartItem.product).joinedload(Product.association))
            .order_by(CartItem.id)
        )
    )
    rules = delivery.rules_for(session, (i.product.association_id for i in items))
    association_ids = {i.product.association_id for i in items}
    calendar = cal.load(session, association_ids)
    today = today or lima_today()
    horizon = today + timedelta(days=delivery.HORIZON_DAYS + 7)
    cities = sorted({a.city for a in addresses})
    by_association: dict[int, list[CartRow]] = defaultdict(list)
    for item in items:
        price = pricing.unit_price_for(session, actor.buyer_id, item.product)
        by_association[item.product.association_id].append(
            CartRow(item, item.product, price, pricing.line_total_cents(price, item.quantity))
        )
    groups = []
    for rows in by_association.values():
        association = rows[0].product.association
        dates = {
            city: delivery.dates_for_rule(rules.get((association.id, city)), today, calendar)
            for city in cities
        }
        groups.append(
            CartGroup(
                association,
                rows,
                pricing.totals(r.line_total_cents for r in rows),
                dates,
                calendar.spans(association.id, today, horizon),
            )
        )
    groups.sort(key=lambda g: g.association.name)
    return CartView(cart, groups, addresses, cart_fingerprint(items))


# Checkout -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: Decimal


@dataclass(frozen=True)
class DeliveryChoice:
    delivery_date: date | None
    address_id: int | None


class InvalidFields(DomainError):
    """Several fields are wrong at once; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(_l("Revisa los datos marcados."))


def date_field(association_id: int) -> str:
    return f"date_{association_id}"


def address_field(association_id: int) -> str:
    return f"address_{association_id}"


def group_field(association_id: int) -> str:
    return f"group_{association_id}"


def orders_for_token(session: Session, buyer_id: int, token: str) -> list[Order]:
    return list(
        session.scalars(
            sa.select(Order)
            .where(Order.checkout_token == token, Order.buyer_id == buyer_id)
            .order_by(Order.id)
        )
    )


def check_address(
    session: Session, buyer_id: int, address_id: int | None, field: str
) -> BuyerAddress:
    address = session.get(BuyerAddress, address_id) if address_id else None
    if address is None or address.buyer_id != buyer_id or not address.active:
        raise DomainError(_l("Elige una de tus direcciones de entrega."), field=field)
    return address


def _actor_id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


def _reserve(session: Session, orders: list[Order], actor: User | None, reason: str) -> None:
    """Take the stock of every line, rows in product-id order; raise once with every shortage."""
    moves = [(ln.product_id, -ln.quantity, o.id, None) for o in orders for ln in o.lines]
    move_many(session, moves, reason, actor_id=_actor_id(actor))


def _record_placed(session: Session, orders: list[Order], actor: User | None) -> None:
    """Their PLACED events, and the messages a new order calls for."""
    record_placed(session, orders, actor)
    for order in orders:
        notify_transition(session, order, None, st.PLACED, actor)


def checkout(
    session: Session,
    actor: User,
    lines: Iterable[LineRequest],
    choices: dict[int, DeliveryChoice],
    token: str,
    *,
    today: date | None = None,
    payment_method: str | None = None,
) -> list[Order]:
    """Place one order per association for these lines, reserving their stock.

    `choices` gives, per association id, the delivery date and address; `payment_method`
    is "account" or "card" (None: the buyer's default, see order_payments). Raises
    InvalidFields (field errors), InsufficientStock (every short line) or DomainError;
    then nothing is written. The same `token` again returns the orders it already made.
    """
    _require_buyer(actor)
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise DomainError(_l("El formulario caducó; vuelve a abrir el carrito."))
    begin_write(session)
    existing = orders_for_token(session, actor.buyer_id, token)
    if existing:
        return existing
    grouped = _lines_by_association(session, list(lines))
    orders = _checkout_orders(session, actor, grouped, choices, token, today)
    try:
        with session.begin_nested():
            add_orders(session, orders)  # a token used already by this association fails here
            _reserve(session, orders, actor, REASON_RESERVATION)
            _record_placed(session, orders, actor)
            order_payments.bill_checkout(session, actor.buyer_id, orders, payment_method, today)
    except IntegrityError:
        # The same checkout was placed by a concurrent request that committed first.
        existing = orders_for_token(session, actor.buyer_id, token)
        if not existing:
            raise DomainError(_l("No se pudo registrar el pedido; inténtalo de nuevo.")) from None
        return existing
    except InsufficientStock:
        for product, _qty in (pq for group in grouped.values() for pq in group):
            session.expire(product, ["stock_on_hand"])
        raise
    return orders


def _lines_by_association(
    session: Session, lines: list[LineRequest]
) -> dict[int, list[tuple[Product, Decimal]]]:
    """The products asked for (on sale) with checked quantities, per association."""
    if not lines:
        raise DomainError(_l("Tu carrito está vacío."))
    products = {
        p.id: p
        for p in session.scalars(
            sa.select(Product)
            .where(Product.id.in_([line.product_id for line in lines]))
            .options(joinedload(Product.association))
        )
    }
    grouped: dict[int, list[tuple[Product, Decimal]]] = defaultdict(list)
    for line in lines:
        product = products.get(line.product_id)
        if product is None or not product.active:
            raise DomainError(_l("Un producto de tu carrito ya no está a la venta."))
        grouped[product.association_id].append(
            (product, clean_quantity(line.quantity, product.unit))
        )
    return grouped


def _checkout_orders(session, actor, grouped, choices, token, today) -> list[Order]:
    """One order per association, priced for its day; InvalidFields names every bad field."""
    orders: list[Order] = []
    errors: dict[str, str] = {}
    for association_id, group in sorted(grouped.items()):
        choice = choices.get(association_id) or DeliveryChoice(None, None)
        try:
            order = _checkout_order(session, actor, association_id, group, choice, token, today)
        except DomainError as error:
            errors[error.field] = str(error.message)
            continue
        orders.append(order)
    if errors:
        raise InvalidFields(errors)
    return orders


def _checkout_order(session, actor, association_id, group, choice, token, today) -> Order:
    """The order for one association: its address, delivery date, prices and minimum."""
    address = check_address(
        session, actor.buyer_id, choice.address_id, address_field(association_id)
    )
    when = delivery.check_delivery_date(
        session,
        association_id,
        address.city,
        choice.delivery_date,
        field=date_field(association_id),
        today=today,
    )
    lines = [
        order_line(product, pricing.unit_price_for(session, actor.buyer_id, product, when), qty)
        for product, qty in sorted(group, key=lambda pq: pq[0].id)
    ]
    order = new_order(
        actor.buyer_id,
        association_id,
        actor,
        address,
        when,
        lines,
        source=SOURCE_ONE_OFF,
        checkout_token=token,
    )
    association = group[0][0].association
    if order.subtotal_cents < association.min_order_cents:
        raise DomainError(
            _l(
                "El pedido mínimo de %(association)s es %(minimum)s antes de IGV.",
                association=association.name,
                minimum=money(association.min_order_cents),
            ),
            field=group_field(association_id),
        )
    return order


def checkout_cart(
    session: Session,
    actor: User,
    choices: dict[int, DeliveryChoice],
    token: str,
    fingerprint: str | None = None,
    *,
    today: date | None = None,
    payment_method: str | None = None,
) -> list[Order]:
    """Check out the actor's cart; on success the cart is emptied and gets a new token.

    With `fingerprint` (what the checkout form showed), a cart changed since then is refused,
    so nobody orders what they did not see.
    """
    _require_buyer(actor)
    begin_write(session)
    existing = orders_for_token(session, actor.buyer_id, (token or "").strip())
    if existing:
        return existing
    cart = get_cart(session, actor)
    items = list(cart.items) if cart else []
    if not items:
        raise DomainError(_l("Tu carrito está vacío."))
    if fingerprint is not None and fingerprint != cart_fingerprint(items):
        raise DomainError(_l("Tu carrito cambió en otra pestaña; revísalo y confirma de nuevo."))
    orders = checkout(
        session,
        actor,
        [LineRequest(i.product_id, i.quantity) for i in items],
        choices,
        token,
        today=today,
        payment_method=payment_method,
    )
    for item in items:
        session.delete(item)
    cart.checkout_token = new_token()
    cart.updated_at = utcnow()
    session.flush()
    return orders


# Samples ------------------------------------------------------------------------------


def pending_sample(session: Session, buyer_id: int, product_id: int) -> Order | None:
    return session.scalar(
        sa.select(Order)
        .join(OrderLine)
        .where(
            Order.buyer_id == buyer_id,
            Order.status.in_(st.OPEN_STATUSES),
            OrderLine.product_id == product_id,
            OrderLine.is_sample.is_(True),
        )
        .limit(1)
    )


def request_sample(
    session: Session,
    actor: User,
    product_id: int,
    address_id: int | None,
    delivery_date: date | None,
    *,
    today: date | None = None,
) -> Order:
    """A free sample of a product that offers them: a zero-price order from its stock.

    One pending sample per product and buyer: until it is delivered (or cancelled) the
    buyer cannot ask for another one.
    """
    _require_buyer(actor)
    begin_write(session)
    # Serialise a buyer's sample requests (PostgreSQL; SQLite is serialised already).
    session.execute(sa.select(Buyer.id).where(Buyer.id == actor.buyer_id).with_for_update())
    product = _orderable_product(session, product_id)
    if not product.samples_offered:
        raise DomainError(_l("Este producto no ofrece muestras."))
    if pending_sample(session, actor.buyer_id, product_id) is not None:
        raise DomainError(_l("Ya pediste una muestra de este producto; te llegará con ese pedido."))
    address = check_address(session, actor.buyer_id, address_id, "address_id")
    when = delivery.check_delivery_date(
        session, product.association_id, address.city, delivery_date, "delivery_date", today
    )
    line = order_line(product, 0, sample_quantity(product), sample=True)
    order = new_order(
        actor.buyer_id, product.association_id, actor, address, when, [line], source=SOURCE_SAMPLE
    )
    try:
        with session.begin_nested():
            add_orders(session, [order])
            _reserve(session, [order], actor, REASON_SAMPLE)
            _record_placed(session, [order], actor)
    except InsufficientStock:
        raise DomainError(_l("Por ahora no quedan muestras de este producto.")) from None
    return order


# Fulfilment ---------------------------------------------------------------------------


def confirm_order(session: Session, actor: User, order: Order) -> Order:
    """Accept the order; a card order is authorised on the buyer's saved card now."""
    st.transition(session, order, st.CONFIRMED, actor)
    order_payments.after_confirm(session, order)
    return order


def dispatch_order(session: Session, actor: User, order: Order) -> Order:
    """Send it out; refused while it waits for payment, unless staff allowed it."""
    st.check(order, st.DISPATCHED, actor)
    order_payments.check_dispatch(session, order)
    st.transition(session, order, st.DISPATCHED, actor)
    return order


def reject_order(session: Session, actor: User, order: Order, reason: str | None) -> Order:
    """The association refuses the order; its stock goes back on the shelf."""
    return _close(session, actor, order, st.REJECTED, reason, f"{order.number} rechazado")


def cancel_order(session: Session, actor: User, order: Order, reason: str | None = None) -> Order:
    """Cancel (the buyer until confirmation, the association until dispatch); stock returns."""
    return _close(session, actor, order, st.CANCELLED, reason, f"{order.number} cancelado")


def _close(session, actor, order: Order, to_status: str, reason, note: str) -> Order:
    """Reject or cancel: the reserved stock goes back (rows in product-id order), a card
    hold is released."""
    st.transition(session, order, to_status, actor, reason)
    moves = [(line.product_id, line.quantity, order.id, note) for line in order.lines]
    move_many(session, moves, REASON_RELEASE, actor_id=_actor_id(actor))
    if card_payments.enabled():
        card_payments.release(session, order)
    return order


@dataclass
class DeliveryResult:
    order: Order
    short_lines: list[OrderLine] = field(default_factory=list)
    invoice: object = None  # the invoice issued, for orders bought on account

    @property
    def reduction_cents(self) -> int:
        return self.order.total_cents - self.order.amount_due_cents


def deliver_order(
    session: Session,
    actor: User,
    order: Order,
    delivered: dict[int, object] | None = None,
) -> DeliveryResult:
    """Record what reached the buyer, per line (default: all of it).

    What was reserved but not delivered goes back to stock as a delivery adjustment, and the
    amount due is recomputed from the delivered quantities with the same rounding as ever.
    """
    st.check(order, st.DELIVERED, actor)
    set_delivered(order, _delivered_amounts(order, delivered or {}))
    result = DeliveryResult(order)
    result.short_lines = [ln for ln in order.lines if ln.delivered_quantity < ln.quantity]
    st.transition(session, order, st.DELIVERED, actor)
    moves = [
        (
            line.product_id,
            line.quantity - line.delivered_quantity,
            order.id,
            f"{order.number}: entregado {line.delivered_quantity} de {line.quantity}",
        )
        for line in result.short_lines
    ]
    move_many(session, moves, REASON_DELIVERY, actor_id=_actor_id(actor))
    result.invoice = invoicing.after_delivery(session, order, actor)
    _capture_card(session, order)
    return result


def _delivered_amounts(order: Order, delivered: dict[int, object]) -> dict[int, Decimal]:
    """Line id: delivered quantity, checked (never more than ordered); InvalidFields if not."""
    errors: dict[str, str] = {}
    amounts: dict[int, Decimal] = {}
    for line in order.lines:
        name = f"line_{line.id}"
        try:
            qty = clean_quantity(
                delivered.get(line.id, line.quantity), line.unit, field=name, allow_zero=True
            )
        except DomainError as error:
            errors[name] = str(error.message)
            continue
        if qty > line.quantity:
            errors[name] = str(_l("No puedes entregar más de lo pedido."))
            continue
        amounts[line.id] = qty
    if errors:
        raise InvalidFields(errors)
    return amounts


def _capture_card(session: Session, order: Order) -> None:
    """A card order: take what was delivered, release the rest. If Stripe cannot be
    reached the delivery still stands; the hold stays and staff see the error."""
    if not card_payments.enabled():
        return
    try:
        card_payments.capture_delivered(session, order)
    except stripe.StripeError as error:
        log.warning("order %s: capture failed: %s", order.id, error)
        record = session.get(CardPayment, order.id)
        record.last_error = f"captura: {error}"[:300]
        session.flush()


# Reorder ------------------------------------------------------------------------------


@dataclass
class ReorderResult:
    added: list[str] = field(default_factory=list)
    price_changes: list[tuple[str, int, int]] = field(default_factory=list)  # name, was, now
    unavailable: list[str] = field(default_factory=list)
    low_stock: list[tuple[str, Decimal, str]] = field(default_factory=list)  # name, left, unit


def reorder(session: Session, actor: User, order: Order) -> ReorderResult:
    """Copy a past order's lines into the cart at today's prices, and say what changed."""
    _require_buyer(actor)
    if order.buyer_id != actor.buyer_id:
        raise DomainError(_l("Este pedido no es de tu negocio."))
    result = ReorderResult()
    cart = get_cart(session, actor, create=True)
    in_cart = {i.product_id: i for i in cart.items}
    for line in order.lines:
        if line.is_sample:
            continue
        product = line.product
        if product is None or not product.active or product.stock_on_hand <= 0:
            result.unavailable.append(line.product_name)
            continue
        price = pricing.unit_price_for(session, actor.buyer_id, product)
        if price != line.unit_price_cents:
            result.price_changes.append((product.name, line.unit_price_cents, price))
        item = in_cart.get(product.id)
        wanted = line.quantity + (item.quantity if item else 0)
        if wanted > product.stock_on_hand:
            result.low_stock.append((product.name, product.stock_on_hand, product.unit))
        if item is None:
            item = CartItem(cart_id=cart.id, product_id=product.id, quantity=line.quantity)
            session.add(item)
            in_cart[product.id] = item
        else:
            item.quantity = wanted
        result.added.append(product.name)
    cart.updated_at = utcnow()
    session.flush()
    return result


# Reading ------------------------------------------------------------------------------


def order_with_details(session: Session, order_id: int) -> Order | None:
    """One order with its lines, events and people loaded in a fixed number of queries."""
    return session.scalar(
        sa.select(Order)
        .where(Order.id == order_id)
        .options(
            joinedload(Order.association),
            joinedload(Order.buyer),
            selectinload(Order.lines),
            selectinload(Order.events).joinedload(OrderEvent.actor),
        )
    )


def move(session: Session, actor: User, order: Order, to_status: str, reason: str | None = None):
    """Apply a change of status with its stock effects (delivery in full, if delivered)."""
    if to_status == st.CONFIRMED:
        return confirm_order(session, actor, order)
    if to_status == st.DISPATCHED:
        return dispatch_order(session, actor, order)
    if to_status == st.DELIVERED:
        return deliver_order(session, actor, order).order
    if to_status == st.CANCELLED:
        return cancel_order(session, actor, order, reason)
    if to_status == st.REJECTED:
        return reject_order(session, actor, order, reason)
    st.check(order, to_status, actor, reason)  # anything else is refused with its message
    raise AssertionError("unreachable")
