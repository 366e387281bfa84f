"""The notification outbox: every message is stored first and sent by the outbound runner."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow
from .accounts import User

CHANNEL_EMAIL = "email"
CHANNEL_SMS = "sms"
CHANNEL_LOG = "log"  # written to the application log only (development, or no address)
CHANNELS = (CHANNEL_EMAIL, CHANNEL_SMS, CHANNEL_LOG)


class Notification(db.Model):
    """One message to one person; sent_at stays empty until it really left."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
        sa.CheckConstraint("channel != 'email' OR email IS NOT NULL", name="email_has_address"),
        sa.CheckConstraint("channel != 'sms' OR phone IS NOT NULL", name="sms_has_phone"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_notifications_sent_at_id", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    channel: Mapped[str] = mapped_column(sa.String(8))
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. "order_confirmed"
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # The outbound runner's bookkeeping (services/jobs.py): empty means "now" and "nobody".
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User | None] = relationship()
