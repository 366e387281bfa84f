"""Outbound jobs: work for the outside world (Stripe captures and releases, later electronic
invoices and webhooks), written with the change that causes it and run after it commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow

JOB_PENDING = "pending"  # waiting for its next attempt (or running, while locked_until is ahead)
JOB_DONE = "done"
JOB_FAILED = "failed"  # gave up after its last attempt; staff may try it again
JOB_STATES = (JOB_PENDING, JOB_DONE, JOB_FAILED)


class Job(db.Model):
    """One piece of outbound work; the idempotency key makes enqueuing it twice a no-op."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(f"state IN {JOB_STATES!r}", name="state_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_jobs_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. "card_capture"
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    state: Mapped[str] = mapped_column(sa.String(10), default=JOB_PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker holds the job until then; past it (the worker died) another may take it.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
