"""What a placed batch tells: one message per delivery to the buyer's users, one summary
to the association's promoters."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_domain

from ...formatting import lima_date, money, quantity
from ...models import Association, Buyer, User
from .. import calendar as cal
from ..links import public_url
from ..notifications import enqueue_many, outbox_rows, promoters
from .fair_share import Request


def locale_of(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "es")


def unit_of(product_or_unit) -> str:
    return getattr(product_or_unit, "unit", product_or_unit)


class Texts:
    """The texts of one language for a batch, each sentence, date, quantity and price looked
    up once: thousands of deliveries repeat the same few. Made inside `force_locale`; called
    like gettext (`_`), so the sentences are extracted as usual."""

    def __init__(self) -> None:
        self._translations = get_domain().get_translations()
        self._sentences: dict[str, str] = {}
        self._shown: dict[tuple, str] = {}

    def __call__(self, msgid: str, **variables) -> str:
        text = self._sentences.get(msgid)
        if text is None:
            text = self._sentences[msgid] = self._translations.ugettext(msgid)
        return text % variables if variables else text

    def _once(self, show, value) -> str:
        key = (show, value)
        if key not in self._shown:
            self._shown[key] = show(value)
        return self._shown[key]

    def date(self, day: date) -> str:
        return self._once(_full_date, day)

    def quantity(self, value: Decimal) -> str:
        return self._once(quantity, value)

    def money(self, cents: int) -> str:
        return self._once(money, cents)


def _full_date(day: date) -> str:
    return lima_date(day, "full")


def _buyer_message(
    r: Request, order, association: Association, day: date, products, calendar, _: Texts
) -> tuple:
    """Subject and body lines of what one delivery became, for the buyer's users."""
    so = r.standing_order
    when = _.date(day)
    if r.error:
        subject = _(
            "No pudimos pedir tu entrega del %(when)s (pedido fijo %(number)s)",
            when=when,
            number=so.number,
        )
        body = [subject, "", str(r.error), _("Revisa tu pedido fijo en Qhatu.")]
        return subject, body
    body = [
        _(
            "Pedido fijo %(number)s · %(association)s",
            number=so.number,
            association=association.name,
        ),
        _("Entrega: %(when)s, %(address)s", when=when, address=so.address.address),
    ]
    scheduled = r.occurrence.delivery_date
    if scheduled != day and calendar is not None:
        body.append(
            _(
                "Adelantada del %(day)s: la asociación no atiende ese día (%(reason)s).",
                day=_.date(scheduled),
                reason=calendar.closed_reason(association.id, scheduled),
            )
        )
    body += ["", *_line_texts(r, products, _), ""]
    if order is not None:
        body.append(_("Total con IGV: %(total)s", total=_.money(order.total_cents)))
    body.append(public_url("buyer.standing_order", standing_order_id=so.id))
    return _placed_subject(r, order, association, when, _), body


def _placed_subject(r: Request, order, association: Association, when: str, _: Texts) -> str:
    if order is None:
        return _(
            "%(association)s no tiene stock para tu entrega del %(when)s",
            association=association.name,
            when=when,
        )
    if any(r.granted[pid] < q for pid, q in r.quantities.items()):
        return _(
            "Pedido %(number)s: tu pedido fijo salió con faltantes para el %(when)s",
            number=order.number,
            when=when,
        )
    return _("Pedido %(number)s: tu pedido fijo para el %(when)s", number=order.number, when=when)


def _line_texts(r: Request, products, _: Texts) -> list[str]:
    """What each line asked and got, then the prices that changed since the buyer last saw."""
    texts = []
    for product_id, asked in r.quantities.items():
        product = products.get(product_id)
        name = product.name if product else str(product_id)
        got = r.granted[product_id]
        if got < asked:
            texts.append(
                _(
                    "- %(name)s: pediste %(asked)s %(unit)s, hay %(got)s %(unit)s "
                    "(faltan %(short)s %(unit)s)",
                    name=name,
                    asked=_.quantity(asked),
                    got=_.quantity(got),
                    short=_.quantity(asked - got),
                    unit=unit_of(product),
                )
            )
        else:
            texts.append(f"- {name}: {_.quantity(got)} {unit_of(product)}")
    for product, before, after in r.price_news:
        if before is not None:
            texts.append(
                _(
                    "Precio de %(name)s: antes %(before)s, ahora %(after)s por %(unit)s.",
                    name=product.name,
                    before=_.money(before),
                    after=_.money(after),
                    unit=product.unit,
                )
            )
    return texts


def notify_batch(session, association, day, requests, orders_by_occurrence, products) -> None:
    """One message per delivery to the buyer's users, one summary to the promoters.

    The buyers' messages are written language by language (each in its own `force_locale`),
    then queued in the order of the deliveries and of each buyer's users."""
    if not requests:
        return
    buyers = sorted({r.standing_order.buyer_id for r in requests})
    users_by_buyer: dict[int, list] = defaultdict(list)
    for user in session.execute(
        sa.select(User.id, User.buyer_id, User.email, User.phone, User.locale)
        .where(User.buyer_id.in_(buyers), User.active.is_(True))
        .order_by(User.id)
    ):
        users_by_buyer[user.buyer_id].append(user)
    moved = any(r.occurrence.delivery_date != day for r in requests)
    calendar = cal.load(session, [association.id]) if moved else None
    by_locale: dict[str, list[tuple[int, Request, object]]] = defaultdict(list)
    position = 0
    for r in requests:
        if r.error and r.occurrence.attempts > 1:
            continue  # told on the first failed attempt
        for user in users_by_buyer[r.standing_order.buyer_id]:
            by_locale[locale_of(user)].append((position, r, user))
            position += 1
    slots: list[tuple[int, list[dict]]] = []
    for locale, messages in sorted(by_locale.items()):
        with force_locale(locale):
            _ = Texts()
            for position, r, user in messages:
                order = orders_by_occurrence.get(r.occurrence.id)
                subject, body = _buyer_message(r, order, association, day, products, calendar, _)
                rows = outbox_rows(
                    user,
                    "standing_failed" if r.error else "standing_placed",
                    str(subject),
                    "\n".join(str(x) for x in body),
                    order_id=order.id if order is not None else None,
                )
                slots.append((position, rows))
    outbox = [row for _position, rows in sorted(slots, key=lambda slot: slot[0]) for row in rows]
    live = [r for r in requests if r.error is None]
    if live:
        outbox += _promoter_summaries(
            session, association, day, live, orders_by_occurrence, products, buyers
        )
    enqueue_many(session, outbox)


def _promoter_summaries(session, association, day, live, orders_by_occurrence, products, buyers):
    """The batch in one message per promoter: the orders, and what stock could not cover."""
    people = promoters(session, association.id)
    if not people:
        return []
    names = dict(
        session.execute(sa.select(Buyer.id, Buyer.trade_name).where(Buyer.id.in_(buyers))).all()
    )
    rows: list[dict] = []
    asked: dict[int, Decimal] = defaultdict(Decimal)
    got: dict[int, Decimal] = defaultdict(Decimal)
    for r in live:
        for pid, q in r.quantities.items():
            asked[pid] += q
            got[pid] += r.granted[pid]
    short = [pid for pid in sorted(asked) if got[pid] < asked[pid]]
    for user in people:
        with force_locale(locale_of(user)):
            _ = Texts()
            subject = _(
                "%(count)s pedidos fijos para el %(when)s",
                count=len(orders_by_occurrence),
                when=_.date(day),
            )
            if short:
                subject = _("%(subject)s (falta stock)", subject=subject)
            body = [str(subject), ""]
            for r in live:
                order = orders_by_occurrence.get(r.occurrence.id)
                label = order.number if order is not None else _("sin pedido")
                body.append(f"{label} · {names[r.standing_order.buyer_id]}")
                for pid in sorted(r.granted):
                    if r.granted[pid] > 0:
                        product = products[pid]
                        body.append(
                            f"  - {product.name}: {_.quantity(r.granted[pid])} {product.unit}"
                        )
            if short:
                body += ["", _("Faltó stock:")]
                for pid in short:
                    product = products.get(pid)
                    body.append(
                        _(
                            "- %(name)s: pedían %(asked)s %(unit)s, había %(got)s %(unit)s",
                            name=product.name if product else pid,
                            asked=quantity(asked[pid]),
                            got=quantity(got[pid]),
                            unit=unit_of(product) if product else "",
                        )
                    )
            rows += outbox_rows(
                user, "standing_batch", str(subject), "\n".join(str(x) for x in body), sms=True
            )
    return rows
