"""`flask standing-orders place|remind`: the scheduled side of standing orders (cron).

Suggested crontab (every 15 minutes; both commands are idempotent and safe to overlap):

    */15 * * * * cd /srv/qhatu && flask --app app standing-orders place
    */15 * * * * cd /srv/qhatu && flask --app app standing-orders remind
    * * * * *    cd /srv/qhatu && flask --app app notifications send
    30 3 * * *   cd /srv/qhatu && flask --app app sms prune
"""

from __future__ import annotations

import logging
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy.orm import Session

from .database import begin_write
from .extensions import db
from .services import agreements
from .services import standing as so
from .types import utcnow

log = logging.getLogger("qhatu.standing_orders")

standing_cli = AppGroup("standing-orders", help="Standing orders: placement and reminders.")


def run_placement(session: Session, now: datetime | None = None) -> so.PlacementReport:
    """Place every due delivery, one committed transaction per batch.

    A batch that fails as a whole is retried one delivery at a time, so one bad delivery
    never stops the others; a delivery that still fails keeps its error and is tried again
    on the next run (until its delivery date).
    """
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "es")):
        return _run_placement(session, now or utcnow())


def _run_placement(session: Session, now: datetime) -> so.PlacementReport:
    today = so.lima_date_of(now)
    begin_write(session)
    agreements.expire_agreements(session, today)
    so.resume_finished_pauses(session, today)
    due = so.find_due(session, now)
    session.commit()
    report = so.PlacementReport()
    for (day, association_id), occurrence_ids in so.batches_of(due):
        try:
            report.add(so.place_batch(session, association_id, day, occurrence_ids, now))
            session.commit()
        except Exception:
            session.rollback()
            log.exception("standing-order batch %s/%s failed; one by one", association_id, day)
            for occurrence_id in occurrence_ids:
                try:
                    report.add(so.place_batch(session, association_id, day, [occurrence_id], now))
                    session.commit()
                except Exception as error:
                    session.rollback()
                    log.exception("standing-order occurrence %s failed", occurrence_id)
                    begin_write(session)
                    so.record_failure(session, occurrence_id, error)
                    session.commit()
                    report.failed += 1
    return report


def run_reminders(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Price-change notices, then reminders before cut-offs: (notices, reminders)."""
    now = now or utcnow()
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "es")):
        begin_write(session)
        notices = so.notify_price_changes(session, now)
        session.commit()
        begin_write(session)
        reminders = so.send_reminders(session, now)
        session.commit()
    return notices, reminders


@standing_cli.command("place")
def place_command() -> None:
    """Turn every delivery whose cut-off has come into an order (run it from cron)."""
    report = run_placement(db.session)
    click.echo(report.summary())


@standing_cli.command("remind")
def remind_command() -> None:
    """Tell buyers of price changes and remind them before each cut-off (run it from cron)."""
    notices, reminders = run_reminders(db.session)
    click.echo(f"standing orders: {notices} price notices, {reminders} reminders")
