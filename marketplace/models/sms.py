"""What reached us from promoters' phones: inbound SMS and requests replayed after offline use.

Both are stored with a UNIQUE key so that a repeat (the provider retrying a webhook, the phone
sending its offline queue twice) is recognised and applied once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow

SMS_APPLIED = "applied"  # a command that changed something or answered a question
SMS_REFUSED = "refused"  # understood, but the rules said no (unknown product, wrong status)
SMS_UNKNOWN = "unknown"  # not a command: a help reply was sent
SMS_UNREGISTERED = "unregistered"  # from a number no active promoter has: nothing done
SMS_OUTCOMES = (SMS_APPLIED, SMS_REFUSED, SMS_UNKNOWN, SMS_UNREGISTERED)


class InboundSms(db.Model):
    """One message received from the SMS provider, kept once per provider message id."""

    __tablename__ = "inbound_sms"
    __table_args__ = (sa.CheckConstraint(f"outcome IN {SMS_OUTCOMES!r}", name="outcome_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(sa.String(80), unique=True)
    phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    body: Mapped[str] = mapped_column(sa.String(480))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    command: Mapped[str | None] = mapped_column(sa.String(16))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    reply: Mapped[str | None] = mapped_column(sa.String(480))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromoterRequest(db.Model):
    """A promoter's stock update or order action, by the key the page gave it (idempotency)."""

    __tablename__ = "promoter_requests"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_promoter_requests_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(40))  # e.g. "stock:12", "order:7:confirm"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
