"""The outbox as the demo's people received it: every e-mail and SMS, newest first.

Development only (404 in production, where messages really leave): `scripts/run.sh` sends the
outbox every few seconds, and this page shows what was sent, what waits and what failed.
"""

import sqlalchemy as sa
from flask import abort, current_app, render_template
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Notification
from ...ops.production import is_production
from ...permissions import staff_required
from ...services import jobs
from . import bp

SHOWN = 200


@bp.route("/dev/outbox")
@staff_required
def dev_outbox():
    if is_production(current_app):
        abort(404)
    messages = db.session.scalars(
        sa.select(Notification)
        .options(joinedload(Notification.recipient))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(SHOWN)
    ).all()
    waiting = jobs.waiting_count(db.session, jobs.NotificationQueue)
    return render_template("staff/dev_outbox.html", messages=messages, waiting=waiting)
