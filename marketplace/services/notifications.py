"""The notification outbox: queue messages with the change that causes them, send later.

Queuing happens inside the caller's transaction, so an order and the messages about it are
written together or not at all. Sending is the outbound runner's work (services/jobs.py,
`flask jobs run`, also `flask notifications send`): email through SMTP when MAIL_SERVER is
set, otherwise the message is written to the log. A failed send is recorded on the message
and retried later; it never touches the order.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from .. import sms
from ..database import insert_rows
from ..formatting import lima_date, money, quantity
from ..models import User
from ..models import order_status as st
from ..models.notifications import CHANNEL_EMAIL, CHANNEL_LOG, CHANNEL_SMS, Notification
from ..types import utcnow

log = logging.getLogger("qhatu.notifications")
MAX_ATTEMPTS = 5


def default_locale() -> str:
    """The language of messages to people who have not chosen one."""
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "es")


def buyer_users(session: Session, buyer_id: int) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .where(User.buyer_id == buyer_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def promoters(session: Session, association_id: int) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .where(User.association_id == association_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def enqueue(
    session: Session,
    user: User,
    kind: str,
    subject: str,
    body: str,
    *,
    order_id: int | None = None,
    sms: bool = False,
) -> list[Notification]:
    """Queue a message to one user by email (and by SMS too if asked and they have a phone)."""
    rows = [
        Notification(**row)
        for row in outbox_rows(user, kind, subject, body, order_id=order_id, sms=sms)
    ]
    session.add_all(rows)
    return rows


def outbox_rows(user, kind, subject, body, *, order_id=None, sms=False) -> list[dict]:
    """The rows `enqueue` adds, as plain rows for `enqueue_many` (batches)."""
    now = utcnow()
    base = {
        "recipient_id": user.id,
        "kind": kind,
        "subject": subject[:200],
        "order_id": order_id,
        "created_at": now,
        "sent_at": None,
        "attempts": 0,
        "last_error": None,
    }
    rows = [
        {
            **base,
            "email": user.email,
            "phone": None,
            "channel": CHANNEL_EMAIL if user.email else CHANNEL_LOG,
            "body": body,
        }
    ]
    if sms and user.phone:
        rows.append(
            {**base, "email": None, "phone": user.phone, "channel": CHANNEL_SMS, "body": subject}
        )
    return rows


def enqueue_many(session: Session, rows: list[dict]) -> None:
    """Queue many messages at once (rows from `outbox_rows`), one INSERT per few thousand."""
    insert_rows(session, Notification, rows)


def recipients_for(session: Session, order, to_status: str, actor) -> tuple[list[User], bool]:
    """Who must hear about this change, and whether it is worth an SMS (promoters act on it)."""
    role = st.role_of(actor)
    to_promoters = to_status == st.PLACED or (to_status == st.CANCELLED and role == st.BUYER)
    to_buyers = to_status != st.PLACED or role == st.SYSTEM
    if to_status == st.CANCELLED and role == st.BUYER:
        to_buyers = False
    people: list[User] = []
    if to_promoters:
        people += promoters(session, order.association_id)
    if to_buyers:
        people += buyer_users(session, order.buyer_id)
    return people, to_promoters


def _message(order, to_status: str, reason: str | None) -> tuple[str, str]:
    """Subject and body in the current locale."""
    number = order.number
    buyer = order.buyer.trade_name
    association = order.association.name
    when = lima_date(order.delivery_date, "full")
    subjects = {
        st.PLACED: _("Nuevo pedido %(number)s de %(buyer)s", number=number, buyer=buyer),
        st.CONFIRMED: _(
            "%(association)s confirmó tu pedido %(number)s", association=association, number=number
        ),
        st.REJECTED: _(
            "%(association)s no puede atender tu pedido %(number)s",
            association=association,
            number=number,
        ),
        st.DISPATCHED: _("Tu pedido %(number)s está en camino", number=number),
        st.DELIVERED: _("Pedido %(number)s entregado", number=number),
        st.CANCELLED: _("Pedido %(number)s cancelado", number=number),
    }
    lines = [
        _(
            "Pedido %(number)s · %(association)s → %(buyer)s",
            number=number,
            association=association,
            buyer=buyer,
        ),
        _("Entrega: %(when)s, %(address)s", when=when, address=order.delivery_address),
        "",
    ]
    for line in order.lines:
        qty = line.delivered_quantity if to_status == st.DELIVERED else line.quantity
        lines.append(f"- {line.product_name}: {quantity(qty)} {line.unit}")
    lines.append("")
    if to_status == st.DELIVERED and order.delivered_short:
        lines.append(
            _(
                "Entrega incompleta: el monto a pagar bajó de %(before)s a %(after)s.",
                before=money(order.total_cents),
                after=money(order.delivered_total_cents),
            )
        )
    else:
        lines.append(_("Total con IGV: %(total)s", total=money(order.amount_due_cents)))
    if reason:
        lines.append(_("Motivo: %(reason)s", reason=reason))
    return str(subjects[to_status]), "\n".join(str(x) for x in lines)


def notify_transition(
    session: Session, order, from_status: str | None, to_status: str, actor, reason=None
) -> list[Notification]:
    """Queue the messages an order's change of status calls for, in each person's language."""
    people, sms = recipients_for(session, order, to_status, actor)
    default = default_locale()
    rows: list[Notification] = []
    for user in people:
        if actor is not None and user.id == actor.id:
            continue  # nobody needs an email about what they just did
        with force_locale(user.locale or default):
            subject, body = _message(order, to_status, reason)
        rows += enqueue(
            session, user, f"order_{to_status}", subject, body, order_id=order.id, sms=sms
        )
    session.flush()
    return rows


# Sending ------------------------------------------------------------------------------


def send_email(notification: Notification, config) -> None:
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = notification.email
    message["Subject"] = notification.subject
    message.set_content(notification.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def deliver(notification: Notification, config) -> str:
    """Send one message through its channel; returns how it went out."""
    if notification.channel == CHANNEL_EMAIL and config.get("MAIL_SERVER"):
        send_email(notification, config)
        return "smtp"
    if notification.channel == CHANNEL_SMS:
        return sms.send(notification, config)
    to = notification.email or notification.phone or notification.recipient_id
    log.info(
        "[%s] to %s: %s\n%s", notification.channel, to, notification.subject, notification.body
    )
    return "log"
