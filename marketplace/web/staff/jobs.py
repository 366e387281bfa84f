"""Outbound work as staff see it: jobs and messages not done yet, their errors, a retry."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...permissions import staff_required
from ...services import jobs
from . import bp


@bp.route("/jobs")
@staff_required
def outbound_jobs():
    return render_template("staff/jobs.html", problems=jobs.problems(db.session))


@bp.route("/jobs/<any(jobs, notifications):queue>/<int:row_id>/retry", methods=["POST"])
@staff_required
def retry_job(queue: str, row_id: int):
    """Another attempt at the next run of the outbound runner (at once for this request)."""
    if not jobs.retry_now(db.session, queue, row_id):
        abort(404)
    db.session.commit()
    flash(_("Se intentará de nuevo en la próxima vuelta."), "success")
    return redirect(url_for("staff.outbound_jobs"), code=303)
