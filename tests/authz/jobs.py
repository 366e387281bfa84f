"""The outbound work page: staff only, the retry button too."""

from marketplace.extensions import db
from marketplace.models import Job
from marketplace.services import jobs
from tests.authz import STAFF_ONLY, Route


def a_job(world):
    """A pending job of its own for each request (the key is new each time)."""
    key = f"authz-{db.session.scalar(db.select(db.func.count()).select_from(Job))}"
    jobs.enqueue(db.session, "authz_check", {}, key)
    job_id = db.session.scalar(db.select(Job.id).where(Job.idempotency_key == key))
    return {"queue": "jobs", "row_id": job_id}


ROUTES = [
    Route("staff.outbound_jobs", STAFF_ONLY),
    Route("staff.retry_job", STAFF_ONLY, "POST", kwargs=a_job),
]
