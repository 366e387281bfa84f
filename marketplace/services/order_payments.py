"""How each order gets paid: the method chosen at checkout, the card flow around Stripe
Checkout and saved cards, orders that need payment, and staff letting one leave unpaid.

Rules:
- At checkout the buyer chooses: on account (offered with active credit terms) or card
  (offered when Stripe is configured). A buyer with neither places the order "to be paid":
  no billing row, staff see it in the list of orders waiting for payment.
- Card, no saved card: one Stripe Checkout Session per order (a hosted page; a session holds
  one PaymentIntent, and each order is authorised, captured and refunded on its own). The
  intent is authorised with manual capture; if the buyer ticked "save the card", Stripe keeps
  it on the buyer's customer for later orders. The return page and the
  `checkout.session.completed` webhook both record it, once (services/card_checkout).
- Card, saved card: the card is authorised off-session when the association confirms the
  order (one-off and standing orders alike).
- A card order not authorised (declined, the bank asks for 3-D Secure, the hosted page left
  unfinished) or a standing order on account that would pass the credit limit needs payment:
  the buyer is told with a link to pay it by card, the promoter sees it on the order, and it
  cannot be dispatched until it is paid or staff allow it (who and when are recorded).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import stripe
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from ..database import insert_rows
from ..formatting import money
from ..models import (
    BuyerCard,
    CardPayment,
    CreditTerms,
    Notification,
    Order,
    OrderBilling,
    User,
)
from ..models.payments import (
    CARD_AUTHORIZED,
    CARD_CANCELLED,
    CARD_CAPTURED,
    CARD_FAILED,
    CARD_REQUIRES_ACTION,
    METHOD_ACCOUNT,
    METHOD_CARD,
)
from ..types import utcnow
from . import DomainError, card_payments, credit, jobs
from . import order_states as st
from .links import public_url
from .notifications import default_locale, outbox_rows

log = logging.getLogger("qhatu.payments")

# Choosing at checkout -----------------------------------------------------------------


@dataclass
class Options:
    """The ways this buyer can pay an order now."""

    terms: CreditTerms | None
    card: bool
    saved: BuyerCard | None

    @property
    def methods(self) -> list[str]:
        return [m for m, on in ((METHOD_ACCOUNT, self.terms), (METHOD_CARD, self.card)) if on]

    @property
    def default(self) -> str | None:
        return self.methods[0] if self.methods else None


def saved_card(session: Session, buyer_id: int) -> BuyerCard | None:
    card = session.get(BuyerCard, buyer_id)
    return card if card is not None and card.payment_method_id else None


def options_for(session: Session, buyer_id: int) -> Options:
    return options_by_buyer(session, [buyer_id])[buyer_id]


def options_by_buyer(
    session: Session, buyer_ids: Iterable[int], lock_terms: bool = False
) -> dict[int, Options]:
    """The ways each of these buyers can pay, in one or two queries whatever their number."""
    ids = sorted(set(buyer_ids))
    terms = credit.terms_by_buyer(session, ids, lock=lock_terms)
    card = card_payments.enabled()
    saved = {}
    if card and ids:
        cards = session.scalars(sa.select(BuyerCard).where(BuyerCard.buyer_id.in_(ids)))
        saved = {c.buyer_id: c for c in cards if c.payment_method_id}
    return {b: Options(terms.get(b), card, saved.get(b)) for b in ids}


def bill_checkout(
    session: Session,
    buyer_id: int,
    orders: list[Order],
    method: str | None,
    today: date | None = None,
) -> None:
    """Record how the checkout's orders will be paid (inside the checkout's savepoint).

    `method` None keeps the buyer's default: on account with terms, else card when offered,
    else nothing (the order is to be paid, and staff see it).
    """
    options = options_for(session, buyer_id)
    method = method or options.default
    if method is None:
        return
    if method not in options.methods:
        raise DomainError(_l("Elige una forma de pago de la lista."), field="payment_method")
    if method == METHOD_ACCOUNT:
        try:
            credit.bill_on_account(session, buyer_id, orders, today)
        except DomainError as error:
            raise DomainError(error.message, field="payment_method") from None
        return
    for order in orders:
        session.add(OrderBilling(order_id=order.id, method=METHOD_CARD))
    session.flush()


# Where an order stands ----------------------------------------------------------------


@dataclass
class State:
    """An order's payment, as people read it."""

    method: str | None  # account, card or None (to be paid)
    label: str
    tone: str  # badge colour
    needs_payment: bool
    reason: str | None = None
    allowed_by: User | None = None
    allowed_at: object = None
    card: CardPayment | None = None
    pay_url: str | None = None  # set by the web layer for whoever may act on it
    manage_url: str | None = None

    @property
    def dispatch_allowed(self) -> bool:
        return self.allowed_at is not None


def state_of(session: Session, order: Order) -> State:
    billing = session.get(OrderBilling, order.id)
    card = session.get(CardPayment, order.id)

    def has_saved_card() -> bool:
        return saved_card(session, order.buyer_id) is not None

    return _state(order, billing, card, has_saved_card)


def _state(order: Order, billing, card, has_saved_card) -> State:
    """Where an order's payment stands, from its billing and card rows (either may be None);
    `has_saved_card()` is asked only when it matters."""
    if billing is None:
        if order.is_sample:
            return State(None, _("Muestra gratis"), "ok", False)
        return State(None, _("Por pagar: coordinar con el equipo"), "warn", False)
    allowed = {"allowed_by": billing.dispatch_allowed_by, "allowed_at": billing.dispatch_allowed_at}
    if billing.method == METHOD_ACCOUNT:
        if billing.hold_reason:
            return State(
                METHOD_ACCOUNT, _("Pago pendiente"), "bad", True, billing.hold_reason, **allowed
            )
        return State(
            METHOD_ACCOUNT,
            ngettext("A crédito, %(num)d día", "A crédito, %(num)d días", billing.net_days),
            "ok",
            False,
            **allowed,
        )
    if card is not None and card.status == CARD_AUTHORIZED:
        return State(METHOD_CARD, _("Tarjeta: monto reservado"), "ok", False, card=card, **allowed)
    if card is not None and card.status == CARD_CAPTURED:
        label = _("Tarjeta: cobrado %(amount)s", amount=money(card.captured_cents))
        if card.refunded_cents:
            label += " · " + _("devuelto %(amount)s", amount=money(card.refunded_cents))
        return State(METHOD_CARD, label, "ok", False, card=card, **allowed)
    if order.status in st.FINAL_STATUSES:
        return State(METHOD_CARD, _("Tarjeta: sin cobro"), "ok", False, card=card, **allowed)
    if card is None and order.status == st.PLACED and has_saved_card():
        return State(
            METHOD_CARD, _("Tarjeta guardada: se reserva al confirmar"), "ok", False, **allowed
        )
    if card is None:
        reason = _("El cliente aún no pagó con tarjeta.")
    elif card.status == CARD_REQUIRES_ACTION:
        reason = _("El banco pide al cliente confirmar el pago (3-D Secure).")
    elif card.status == CARD_CANCELLED:
        reason = _("La reserva en la tarjeta se liberó; hace falta pagar de nuevo.")
    else:
        reason = _("El banco rechazó la tarjeta: %(error)s", error=card.last_error or "")
    return State(METHOD_CARD, _("Pago pendiente"), "bad", True, reason, card=card, **allowed)


def check_dispatch(session: Session, order: Order) -> None:
    """Refuse to dispatch an order that waits for payment, unless staff allowed it."""
    state = state_of(session, order)
    if state.needs_payment and not state.dispatch_allowed:
        raise DomainError(
            _l(
                "El pedido %(number)s espera el pago del cliente (%(reason)s) y no puede salir "
                "todavía. El equipo de la plataforma puede autorizar el despacho.",
                number=order.number,
                reason=state.reason,
            )
        )


def allow_dispatch_unpaid(session: Session, actor: User, order: Order) -> OrderBilling:
    """Staff let an unpaid order leave (they know the buyer); recorded with who and when."""
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma puede autorizarlo."))
    billing = session.get(OrderBilling, order.id)
    if billing is None or not state_of(session, order).needs_payment:
        raise DomainError(_l("Este pedido no espera ningún pago."))
    if billing.dispatch_allowed_at is None:
        billing.dispatch_allowed_by_id = actor.id
        billing.dispatch_allowed_at = utcnow()
        session.flush()
    return billing


def waiting_for_buyer(session: Session, buyer_id: int) -> list[tuple[Order, State]]:
    """The buyer's open orders that need payment, earliest delivery first."""
    return [(o, s) for o, s in waiting_orders(session, buyer_id) if s.needs_payment]


def held_for_association(session: Session, association_id: int) -> list[tuple[Order, State]]:
    """The association's open orders that wait for the buyer's payment (not to dispatch)."""
    return [
        (o, s) for o, s in waiting_orders(session, association_id=association_id) if s.needs_payment
    ]


def dispatch_holds(session: Session, association_id: int) -> dict[int, str]:
    """Why each of the association's open orders may not leave yet, by order id: those
    waiting for the buyer's payment that staff have not let go unpaid."""
    return {
        order.id: state.reason or state.label
        for order, state in waiting_orders(session, association_id=association_id)
        if state.needs_payment and not state.dispatch_allowed
    }


def waiting_orders(
    session: Session, buyer_id: int | None = None, association_id: int | None = None
) -> list[tuple[Order, State]]:
    """Open orders that need payment or have no way to pay arranged (staff's list).

    One query, however many orders: each order comes with its billing and card rows and
    whether its buyer has a saved card, which is all `_state` needs.
    """
    card_unpaid = sa.and_(
        OrderBilling.method == METHOD_CARD,
        sa.or_(CardPayment.order_id.is_(None), CardPayment.status.not_in((CARD_AUTHORIZED,))),
    )
    has_saved = (
        sa.select(BuyerCard.buyer_id)
        .where(BuyerCard.buyer_id == Order.buyer_id, BuyerCard.payment_method_id.is_not(None))
        .exists()
    )
    query = (
        sa.select(Order, OrderBilling, CardPayment, has_saved)
        .outerjoin(OrderBilling, OrderBilling.order_id == Order.id)
        .outerjoin(CardPayment, CardPayment.order_id == Order.id)
        .options(joinedload(Order.buyer), joinedload(OrderBilling.dispatch_allowed_by))
        .where(
            Order.status.in_(st.OPEN_STATUSES),
            Order.source != "sample",
            sa.or_(
                OrderBilling.order_id.is_(None),
                OrderBilling.hold_reason.is_not(None),
                card_unpaid,
            ),
        )
        .order_by(Order.delivery_date, Order.id)
    )
    if buyer_id is not None:
        query = query.where(Order.buyer_id == buyer_id)
    if association_id is not None:
        query = query.where(Order.association_id == association_id)
    rows = [
        (order, _state(order, billing, card, lambda saved=saved: bool(saved)))
        for order, billing, card, saved in session.execute(query)
    ]
    # A saved card not yet authorised (before confirmation) waits for nobody.
    return [(o, s) for o, s in rows if s.needs_payment or s.method is None]


# Telling people -----------------------------------------------------------------------


def notify_needs_payment(
    session: Session, order: Order, reason: str, tell_promoters: bool = False
) -> None:
    """Queue: the buyer is asked to pay (with the link), the promoter hears it if asked."""
    notify_many_need_payment(session, [(order, reason, tell_promoters)])


def notify_many_need_payment(session: Session, held: list[tuple[Order, str, bool]]) -> None:
    """`notify_needs_payment` for many orders (order, reason, tell_promoters) at once.

    The buyers' users and the promoters are read in one query each and the messages written
    in one INSERT, however many orders.
    """
    if not held:
        return
    users = _active_users(session, User.buyer_id, {o.buyer_id for o, _r, _t in held})
    told = {o.association_id for o, _r, tell in held if tell}
    staff_of = _active_users(session, User.association_id, told) if told else {}
    outbox: list[dict] = []
    for order, reason, tell_promoters in held:
        link = public_url("buyer.order_pay", order_id=order.id)
        for user in users.get(order.buyer_id, []):
            with force_locale(user.locale or default_locale()):
                subject = _("Tu pedido %(number)s necesita el pago", number=order.number)
                body = "\n".join(
                    [
                        _(
                            "Pedido %(number)s de %(association)s por %(total)s.",
                            number=order.number,
                            association=order.association.name,
                            total=money(order.total_cents),
                        ),
                        str(reason),
                        _(
                            "Págalo aquí para que la asociación pueda despacharlo: %(link)s",
                            link=link,
                        ),
                    ]
                )
            outbox += outbox_rows(user, "order_needs_payment", subject, body, order_id=order.id)
        if not tell_promoters:
            continue
        for user in staff_of.get(order.association_id, []):
            with force_locale(user.locale or default_locale()):
                subject = _("Pedido %(number)s: pago pendiente", number=order.number)
                body = _(
                    "%(buyer)s aún no paga el pedido %(number)s: no lo despaches hasta que "
                    "esté pagado. %(reason)s",
                    buyer=order.buyer.trade_name,
                    number=order.number,
                    reason=reason,
                )
            outbox += outbox_rows(
                user, "order_needs_payment", subject, body, order_id=order.id, sms=True
            )
    insert_rows(session, Notification, outbox)


def _active_users(session: Session, column, ids) -> dict[int, list[User]]:
    """Active users whose `column` (buyer or association) is one of `ids`, grouped by it."""
    grouped: dict[int, list[User]] = defaultdict(list)
    query = sa.select(User).where(column.in_(sorted(ids)), User.active.is_(True))
    for user in session.scalars(query.order_by(User.id)):
        grouped[getattr(user, column.key)].append(user)
    return grouped


# Confirmation: saved cards are authorised off-session ---------------------------------


def after_confirm(session: Session, order: Order) -> CardPayment | None:
    """The association confirmed: hold the total on the buyer's saved card.

    The hold is a job queued with the confirmation and run after it commits
    (`AUTHORIZE_SAVED`). Without a saved card the order needs payment and the buyer is told
    now; when the bank declines or asks for 3-D Secure, the job tells them (the confirmation
    itself stands).
    """
    billing = session.get(OrderBilling, order.id)
    if billing is None or billing.method != METHOD_CARD or not card_payments.enabled():
        return None
    record = session.get(CardPayment, order.id)
    if record is not None and record.status in (CARD_AUTHORIZED, CARD_CAPTURED):
        return record
    if saved_card(session, order.buyer_id) is not None and (
        record is None or record.status == CARD_FAILED
    ):
        attempt = card_payments.authorize_attempt(record)
        key = card_payments.idempotency_key(order, attempt)
        jobs.enqueue(session, AUTHORIZE_SAVED, {"order_id": order.id}, key, order_id=order.id)
        return record
    _ask_if_unpaid(session, order)
    return record


def _ask_if_unpaid(session: Session, order: Order) -> None:
    state = state_of(session, order)
    if state.needs_payment:
        notify_needs_payment(session, order, state.reason)


AUTHORIZE_SAVED = "card_authorize_saved"


def run_authorize_saved(session: Session, payload: dict, config) -> dict | None:
    """The job: ask Stripe for the hold on the saved card, off-session; writes nothing."""
    order = session.get(Order, payload["order_id"])
    record = session.get(CardPayment, order.id)
    saved = saved_card(session, order.buyer_id)
    if saved is None or (record is not None and record.status != CARD_FAILED):
        return None  # paid meanwhile, or the card was forgotten
    return card_payments.request_authorization(
        order, record, saved.payment_method_id, saved.customer_id, off_session=True
    )


def record_authorize_saved(session: Session, payload: dict, outcome: dict | None) -> None:
    """Keep Stripe's answer; an order left unpaid asks its buyer to pay."""
    order = session.get(Order, payload["order_id"])
    record = session.get(CardPayment, order.id, with_for_update=True)
    if outcome is not None and (record is None or record.status == CARD_FAILED):
        card_payments.record_authorization(session, order, outcome)
    _ask_if_unpaid(session, order)


jobs.register(AUTHORIZE_SAVED, jobs.Handler(run_authorize_saved, record_authorize_saved))


def forget_card(session: Session, actor: User) -> None:
    """The buyer removes the saved card: later orders go through the hosted page again."""
    card = session.get(BuyerCard, actor.buyer_id)
    if card is None or not card.payment_method_id:
        return
    if card_payments.enabled():
        try:
            card_payments.client().v1.payment_methods.detach(card.payment_method_id)
        except stripe.StripeError as error:
            log.info("card %s not detached: %s", card.payment_method_id, error)
    card.payment_method_id, card.brand, card.last4, card.saved_at = None, "", "", None
    session.flush()


def saved_card_to_pay(session: Session, actor: User, order: Order) -> BuyerCard:
    """The card to hold the order's total on, when the buyer asks on the page; reads only
    (the bank is asked with no write transaction open, `pay_with_saved_card` keeps the
    answer)."""
    if actor is None or actor.buyer_id != order.buyer_id:
        raise DomainError(_l("Este pedido no es de tu negocio."))
    saved = saved_card(session, order.buyer_id)
    if saved is None:
        raise DomainError(_l("No tienes una tarjeta guardada."))
    if not state_of(session, order).needs_payment:
        raise DomainError(_l("Este pedido ya está pagado o no se paga con tarjeta."))
    return saved


def pay_with_saved_card(
    session: Session, actor: User, order: Order, saved: BuyerCard, outcome: dict
) -> CardPayment:
    """Keep the bank's answer (`card_payments.request_authorization`) to the hold on the
    saved card; a decline or a bank asking for authentication is a DomainError."""
    record = session.get(CardPayment, order.id, with_for_update=True)
    if record is not None and record.status in (CARD_AUTHORIZED, CARD_CAPTURED):
        return record  # paid meanwhile (another tab)
    record = card_payments.record_authorization(session, order, outcome)
    if record.status != CARD_AUTHORIZED:
        raise DomainError(
            _l(
                "La tarjeta %(card)s no pasó: %(error)s Prueba con otra tarjeta.",
                card=f"{saved.brand} ••{saved.last4}",
                error=record.last_error or _("el banco pide confirmar el pago."),
            )
        )
    billing = session.get(OrderBilling, order.id)
    if billing is not None and (billing.method != METHOD_CARD or billing.hold_reason):
        billing.method, billing.hold_reason, billing.net_days = METHOD_CARD, None, 0
    session.flush()
    return record


# Standing orders ----------------------------------------------------------------------


def bill_standing_orders(session: Session, order_ids: Iterable[int], today=None) -> list[Order]:
    """Bill orders the standing-order job just placed; returns those that need payment.

    On account (buyer with terms): billed like a checkout. When the order would pass the
    credit limit or an invoice is overdue, it is placed anyway (the cheese is reserved) but
    held: it needs payment, the buyer and the promoter are told, and it is not dispatched
    until paid by card or allowed by staff. Card buyers: billed to the card, authorised
    off-session at confirmation; without a saved card they are asked to pay now.

    A fixed number of statements whatever the number of orders and buyers: terms (locked),
    saved cards, what is owed, billing rows and messages each in one go.
    """
    ids = sorted(set(order_ids))
    if not ids:
        return []
    orders = session.execute(
        sa.select(Order.id, Order.buyer_id, Order.total_cents)
        .where(Order.id.in_(ids))
        .order_by(Order.buyer_id, Order.id)
    ).all()
    options = options_by_buyer(session, {o.buyer_id for o in orders}, lock_terms=True)
    terms = {b: o.terms for b, o in options.items() if o.terms is not None}
    refusals = credit.refusals_in_turn(
        session, [o for o in orders if o.buyer_id in terms], terms, today
    )
    now = utcnow()
    billings: list[dict] = []
    reasons: dict[int, tuple[str, bool]] = {}
    for order in orders:
        choice = options[order.buyer_id]
        row = {"order_id": order.id, "created_at": now, "net_days": 0, "hold_reason": None}
        if choice.terms is not None:
            refused = refusals[order.id]
            row.update(method=METHOD_ACCOUNT, net_days=choice.terms.net_days)
            if refused is not None:
                row["hold_reason"] = str(refused)[:300]
                reasons[order.id] = (str(refused), True)
        elif choice.card:
            row.update(method=METHOD_CARD)
            if choice.saved is None:
                reason = _("Tus pedidos fijos se pagan con tarjeta y aún no tienes una guardada.")
                reasons[order.id] = (reason, False)
        else:
            continue  # to be paid: staff follow it up
        billings.append(row)
    session.flush()
    insert_rows(session, OrderBilling, billings)
    held: list[tuple[Order, str, bool]] = []
    if reasons:  # only these are loaded whole, with what their messages name
        parties = (joinedload(Order.buyer), joinedload(Order.association))
        query = sa.select(Order).where(Order.id.in_(sorted(reasons))).options(*parties)
        for order in session.scalars(query.order_by(Order.buyer_id, Order.id)):
            held.append((order, *reasons[order.id]))
    notify_many_need_payment(session, held)
    return [order for order, _reason, _tell in held]
