"""The outbound runner: claims queued work, runs it with no write transaction open, settles it.

Each row goes through three short transactions: the claim (committed before anything
leaves), the outside call (reads only: no write lock is held while Stripe, SMTP or the SMS
provider answers), and the outcome. Any number of workers on any number of machines may run
`flask jobs run` at once: a row is claimed by one of them for a lease (services/jobs.py).

A request that queued jobs also runs them right after it commits (`init_app`), so a delivery
still captures the card before the page answers; the runner picks up whatever that missed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import click
from flask import Flask, current_app, request
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from ..database import begin_write
from ..extensions import db
from ..services import card_payments, jobs, order_payments  # noqa: F401  (they register jobs)
from ..services.jobs import JobQueue, NotificationQueue

log = logging.getLogger("qhatu.jobs")


@dataclass
class Outcome:
    done: int = 0
    failed: int = 0

    def count(self, ran: bool) -> None:
        if ran:
            self.done += 1
        else:
            self.failed += 1


def run_one(session: Session, queue, config, ids: list[int] | None = None) -> bool | None:
    """Claim one due row of `queue` and run it: True done, False failed, None nothing due.

    Call it with no work of your own open in `session` (what is not committed is dropped)."""
    session.rollback()
    begin_write(session)
    claimed = jobs.claim(session, queue, ids=ids)
    if claimed is None:
        session.rollback()
        return None
    session.commit()
    row_id, lease = claimed
    error = result = None
    try:
        result = jobs.run(session, queue, row_id, config)
    except Exception as failure:  # any outside failure is recorded on the row, never raised
        error = failure
    session.rollback()  # ends the read; nothing was written
    begin_write(session)
    jobs.settle(session, queue, row_id, lease, result, error)
    session.commit()
    return error is None


def run_pending(session: Session, config, limit: int = 500, queues=jobs.QUEUES) -> Outcome:
    """Run up to `limit` due rows, jobs first, then messages: how many were done or failed."""
    outcome = Outcome()
    for queue in queues:
        while outcome.done + outcome.failed < limit:
            ran = run_one(session, queue, config)
            if ran is None:
                break
            outcome.count(ran)
    return outcome


def run_jobs(session: Session, config, ids: list[int]) -> Outcome:
    """Run these jobs now if they are due (after the transaction that queued them)."""
    outcome = Outcome()
    for _ in ids:  # each at most once here; a row whose lease was lost is the runner's
        ran = run_one(session, JobQueue, config, ids)
        if ran is None:
            break
        outcome.count(ran)
    return outcome


# Running a request's jobs after it commits ----------------------------------------------


def init_app(app: Flask) -> None:
    """After each request, run the jobs it queued and committed (JOBS_RUN_AFTER_REQUEST)."""

    @app.after_request
    def run_committed_jobs(response):
        session = db.session()
        keys = jobs.take_committed(session)
        if not keys or not current_app.config.get("JOBS_RUN_AFTER_REQUEST", True):
            return response
        try:
            run_jobs(session, current_app.config, jobs.ids_of(session, keys))
        except Exception:  # the change is committed; `flask jobs run` will do the rest
            session.rollback()
            log.exception("jobs queued by %s %s left to the runner", request.method, request.path)
        return response


# Commands (registered by marketplace/cli.py) ---------------------------------------------


jobs_cli = AppGroup("jobs", help="The outbound runner: Stripe captures and releases, messages.")
notifications_cli = AppGroup("notifications", help="The notification outbox.")


@jobs_cli.command("run")
@click.option("--limit", default=500, show_default=True, help="At most this many rows.")
def run_command(limit: int) -> None:
    """Run due jobs and send queued messages (cron every minute; safe on several machines)."""
    outcome = run_pending(db.session, current_app.config, limit)
    click.echo(
        f"jobs: {outcome.done} done, {outcome.failed} failed, "
        f"{jobs.waiting_count(db.session, JobQueue)} jobs and "
        f"{jobs.waiting_count(db.session, NotificationQueue)} notifications queued"
    )


@notifications_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="At most this many rows.")
def send_command(limit: int) -> None:
    """The former name of `flask jobs run` (the same work), with its former report."""
    outcome = run_pending(db.session, current_app.config, limit)
    waiting = sum(jobs.waiting_count(db.session, queue) for queue in jobs.QUEUES)
    click.echo(f"notifications: {outcome.done} sent, {outcome.failed} failed, {waiting} queued")
