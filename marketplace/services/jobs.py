"""Outbound work: queued with the change that causes it, run after that change commits.

Two queues share one runner (`ops/worker.py`, `flask jobs run`): the `jobs` table (Stripe
captures and releases; electronic invoices and webhooks later) and the notification outbox
(email and SMS). Each row is claimed by one worker for a lease (`FOR UPDATE SKIP LOCKED` and
a conditional UPDATE on PostgreSQL, the conditional UPDATE under SQLite's write lock), run
with no write transaction open, and settled in a transaction of its own: done, or its error
kept and its next attempt put off exponentially. After its last attempt a job is failed and
shown to staff, who may try it again.

These functions never commit: the runner does, between the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models.jobs import JOB_DONE, JOB_FAILED, JOB_PENDING, Job
from ..models.notifications import Notification
from ..types import utcnow
from . import notifications

JOB_MAX_ATTEMPTS = 10
FIRST_DELAY = timedelta(minutes=1)  # then 2, 4, 8 ... minutes
LONGEST_DELAY = timedelta(hours=6)
LEASE = timedelta(minutes=5)  # a worker that died lets its row go after this


@dataclass(frozen=True)
class Handler:
    """How a kind of job runs: `call` reads and talks to the outside world (it writes
    nothing); `record` writes what came back; `failed` notes an error where staff look."""

    call: Callable[[Session, dict, dict], object]
    record: Callable[[Session, dict, object], None] | None = None
    failed: Callable[[Session, dict, str], None] | None = None


HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


def enqueue(
    session: Session, kind: str, payload: dict, key: str, *, order_id: int | None = None
) -> None:
    """Queue a job in the caller's transaction; a second job with the same key is ignored."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    session.execute(
        insert(Job)
        .values(
            kind=kind,
            payload=payload,
            idempotency_key=key,
            state=JOB_PENDING,
            attempts=0,
            next_attempt_at=now,
            order_id=order_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    session.info.setdefault(QUEUED, set()).add(key)


# The jobs a transaction queued, so that whoever committed it may run them at once.
QUEUED = "qhatu_jobs_queued"
COMMITTED = "qhatu_jobs_committed"


@event.listens_for(Session, "after_commit")
def _keep_committed(session) -> None:
    queued = session.info.pop(QUEUED, None)
    if queued:
        session.info.setdefault(COMMITTED, set()).update(queued)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    session.info.pop(QUEUED, None)


def take_committed(session: Session) -> set[str]:
    """The keys of the jobs queued and committed in this session since the last call."""
    return session.info.pop(COMMITTED, set())


def ids_of(session: Session, keys) -> list[int]:
    """The ids of the still pending jobs with these keys."""
    return list(
        session.scalars(
            sa.select(Job.id).where(Job.idempotency_key.in_(sorted(keys)), Job.state == JOB_PENDING)
        )
    )


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 1, 2, 4 ... minutes, at most 6 h."""
    return min(FIRST_DELAY * 2 ** max(attempts - 1, 0), LONGEST_DELAY)


# The two queues ------------------------------------------------------------------------


class JobQueue:
    name = "jobs"
    model = Job
    max_attempts = JOB_MAX_ATTEMPTS

    @staticmethod
    def waiting():
        return Job.state == JOB_PENDING

    @staticmethod
    def run(session: Session, row: Job, config) -> object:
        return HANDLERS[row.kind].call(session, dict(row.payload), config)

    @staticmethod
    def done(session: Session, row: Job, result: object) -> None:
        handler = HANDLERS.get(row.kind)
        if handler is not None and handler.record is not None:
            handler.record(session, dict(row.payload), result)
        row.state, row.finished_at = JOB_DONE, utcnow()

    @staticmethod
    def failed(session: Session, row: Job, error: str) -> None:
        handler = HANDLERS.get(row.kind)
        if handler is not None and handler.failed is not None:
            handler.failed(session, dict(row.payload), error)
        if row.attempts >= JOB_MAX_ATTEMPTS:
            row.state, row.finished_at = JOB_FAILED, utcnow()


class NotificationQueue:
    name = "notifications"
    model = Notification
    max_attempts = notifications.MAX_ATTEMPTS

    @staticmethod
    def waiting():
        return sa.and_(
            Notification.sent_at.is_(None), Notification.attempts < notifications.MAX_ATTEMPTS
        )

    @staticmethod
    def run(session: Session, row: Notification, config) -> object:
        return notifications.deliver(row, config)

    @staticmethod
    def done(session: Session, row: Notification, result: object) -> None:
        row.sent_at = utcnow()

    @staticmethod
    def failed(session: Session, row: Notification, error: str) -> None:
        notifications.log.warning("notification %s not sent: %s", row.id, error)


QUEUES = (JobQueue, NotificationQueue)


def waiting_count(session: Session, queue) -> int:
    """Rows of a queue still to be sent (failed rows that will be retried count; given-up ones
    do not)."""
    return session.scalar(sa.select(sa.func.count(queue.model.id)).where(queue.waiting()))


# Claim, run, settle ----------------------------------------------------------------------


def _due(queue, now: datetime):
    model = queue.model
    return sa.and_(
        queue.waiting(),
        sa.or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now),
        sa.or_(model.locked_until.is_(None), model.locked_until <= now),
    )


def claim(
    session: Session, queue, now: datetime | None = None, ids: list[int] | None = None
) -> tuple[int, datetime] | None:
    """Take the oldest due row for one lease: (its id, the lease's end), or None.

    The lease is taken with a conditional UPDATE that only one worker can win; on
    PostgreSQL the candidate row is also locked with SKIP LOCKED, so workers pass each other
    by instead of queuing. The caller commits before running the row.
    """
    now = now or utcnow()
    model = queue.model
    query = sa.select(model.id).where(_due(queue, now)).order_by(model.id).limit(1)
    if ids is not None:
        query = query.where(model.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row_id = session.scalar(query)
    if row_id is None:
        return None
    lease = now + LEASE
    taken = session.execute(
        sa.update(model)
        .where(model.id == row_id, _due(queue, now))
        .values(locked_until=lease, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return (row_id, lease) if taken.rowcount == 1 else None


def run(session: Session, queue, row_id: int, config) -> object:
    """Do the claimed row's outside work; reads only. Raises what the outside raised."""
    return queue.run(session, session.get(queue.model, row_id), config)


def settle(session: Session, queue, row_id: int, lease: datetime, result=None, error=None) -> bool:
    """Record how the run went, if the lease is still ours; False when it is not."""
    row = session.get(queue.model, row_id, with_for_update=True, populate_existing=True)
    if row is None or row.locked_until != lease:
        return False  # the lease ran out and another worker took the row
    row.locked_until = None
    if error is None:
        row.last_error = None
        queue.done(session, row, result)
    else:
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        row.next_attempt_at = utcnow() + backoff(row.attempts)
        queue.failed(session, row, row.last_error)
    session.flush()
    return True


# What staff see ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A job or message not done: failed for good, or waiting for another attempt."""

    queue: str
    id: int
    kind: str
    label: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    given_up: bool
    order_id: int | None


def problems(session: Session, limit: int = 200) -> list[Problem]:
    """Jobs and messages still to do, with the failed ones first, newest first."""
    jobs = session.scalars(
        sa.select(Job)
        .where(Job.state.in_((JOB_PENDING, JOB_FAILED)))
        .order_by(Job.state.desc(), Job.id.desc())
        .limit(limit)
    )
    rows = [
        Problem(
            "jobs",
            j.id,
            j.kind,
            j.idempotency_key,
            j.attempts,
            j.last_error,
            j.next_attempt_at,
            j.state == JOB_FAILED,
            j.order_id,
        )
        for j in jobs
    ]
    messages = session.scalars(
        sa.select(Notification)
        .where(Notification.sent_at.is_(None))
        .order_by(Notification.attempts.desc(), Notification.id.desc())
        .limit(limit)
    )
    rows += [
        Problem(
            "notifications",
            n.id,
            n.kind,
            f"{n.channel} → {n.email or n.phone or n.recipient_id}: {n.subject}",
            n.attempts,
            n.last_error,
            n.next_attempt_at,
            n.attempts >= notifications.MAX_ATTEMPTS,
            n.order_id,
        )
        for n in messages
    ]
    return sorted(rows, key=lambda p: (not p.given_up, p.last_error is None))


def retry_now(session: Session, queue_name: str, row_id: int) -> bool:
    """Staff ask for another attempt at once (a failed row gets one more try)."""
    queue = {q.name: q for q in QUEUES}[queue_name]
    row = session.get(queue.model, row_id, with_for_update=True)
    if row is None or not _retryable(queue, row):
        return False
    row.next_attempt_at, row.locked_until = utcnow(), None
    if queue is JobQueue:
        row.state, row.finished_at = JOB_PENDING, None  # a new failure fails it again
    else:
        row.attempts = min(row.attempts, notifications.MAX_ATTEMPTS - 1)
    session.flush()
    return True


def _retryable(queue, row) -> bool:
    if queue is JobQueue:
        return row.state != JOB_DONE
    return row.sent_at is None
