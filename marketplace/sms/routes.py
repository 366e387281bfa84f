"""The SMS provider's webhook, and `flask sms receive` to try commands in development."""

from __future__ import annotations

import uuid

import click
from flask import Blueprint, abort, current_app, request
from flask.cli import AppGroup

from ..extensions import csrf, db
from ..services import sms as sms_service
from . import webhook

bp = Blueprint("sms", __name__)
sms_cli = AppGroup("sms", help="SMS: try commands in development, forget old request keys.")


@bp.route("/sms/inbound", methods=["POST"])
@csrf.exempt  # the provider cannot hold a CSRF token; the request signature stands for it
def inbound():
    """Apply a promoter's SMS command once; the reply goes out through the outbox."""
    params = request.form.to_dict()
    secret = current_app.config.get("SMS_WEBHOOK_SECRET")
    if not webhook.verify_request(secret, request.url, params, request.headers):
        abort(403)
    message = webhook.parse(params)
    if message is None:
        abort(400)
    sms_service.handle_inbound(db.session, message.provider_id, message.phone, message.body)
    db.session.commit()
    return "", 204


@sms_cli.command("receive")
@click.option("--from", "phone", required=True, help="The sender's phone number.")
@click.option("--id", "provider_id", default=None, help="Message id (default: a new one).")
@click.argument("body")
def receive(phone: str, provider_id: str | None, body: str) -> None:
    """Handle an SMS as if the provider had delivered it (console adapter)."""
    handled = sms_service.handle_inbound(
        db.session, provider_id or f"console-{uuid.uuid4().hex}", phone, body
    )
    db.session.commit()
    message = handled.message
    note = " (repeat: nothing done)" if handled.duplicate else ""
    click.echo(f"{message.outcome}{note}: {message.reply or '-'}")


@sms_cli.command("prune")
@click.option(
    "--days",
    default=sms_service.REQUEST_KEY_DAYS,
    show_default=True,
    help="Forget promoter request keys older than this.",
)
def prune(days: int) -> None:
    """Forget old idempotency keys of promoters' requests (run it daily from cron)."""
    removed = sms_service.prune_promoter_requests(db.session, days)
    db.session.commit()
    click.echo(f"promoter requests: {removed} keys older than {days} days forgotten")
