"""The outbound runner: jobs queued with their change, claimed once by one of several workers,
run with no write transaction open, retried with backoff, failures shown to staff."""

import re
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import stripe
import time_machine

from marketplace.database import begin_write
from marketplace.extensions import db
from marketplace.models import CardPayment, Job
from marketplace.models.jobs import JOB_DONE, JOB_FAILED, JOB_PENDING
from marketplace.models.payments import CARD_AUTHORIZED
from marketplace.ops import worker
from marketplace.services import card_payments, jobs
from marketplace.services.jobs import JobQueue
from marketplace.types import utcnow
from tests.concurrency import raised, run_together
from tests.factories import StaffFactory, ordering_world, place_order
from tests.web.test_payments import as_user
from tests.write_guard import (  # noqa: F401  (the stripe_calls fixture)
    WriteTransactionOpen,
    stripe_calls_fixture,
)

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def calls(monkeypatch):
    """A job kind "test_call" whose runs are counted; it fails while `fail` is set."""
    seen: list[dict] = []
    state = {"fail": None, "pause": 0.0}
    lock = threading.Lock()

    def call(session, payload, config):
        with lock:
            seen.append(payload)
        time.sleep(state["pause"])  # long enough for another worker to try meanwhile
        if state["fail"]:
            raise ConnectionError(state["fail"])
        return "ok"

    monkeypatch.setitem(jobs.HANDLERS, "test_call", jobs.Handler(call))
    seen_state = type("Calls", (), {"seen": seen, "state": state})
    return seen_state


def queue(key="k1", **payload) -> None:
    begin_write(db.session)
    jobs.enqueue(db.session, "test_call", payload or {"n": 1}, key)


def job(key="k1") -> Job:
    db.session.expire_all()
    return db.session.scalar(sa.select(Job).where(Job.idempotency_key == key))


def test_a_job_is_written_with_its_change_or_not_at_all(app, calls):
    queue()
    db.session.rollback()
    assert job() is None  # the change was rolled back: no job
    queue()
    queue()  # the same key again: still one job
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    assert worker.run_pending(db.session, app.config, queues=(JobQueue,)) == worker.Outcome(1, 0)
    assert job().state == JOB_DONE and job().attempts == 1 and calls.seen == [{"n": 1}]
    assert worker.run_pending(db.session, app.config, queues=(JobQueue,)) == worker.Outcome(0, 0)


def test_two_workers_released_together_run_a_job_once(app, calls):
    queue()
    db.session.commit()
    calls.state["pause"] = 0.3

    def work(_i):
        return worker.run_one(db.session, JobQueue, app.config)

    results = run_together(app, 2, work, in_request=False)
    assert not raised(results)
    assert sorted(results, key=str) == [None, True]
    assert len(calls.seen) == 1 and job().state == JOB_DONE


def test_several_workers_share_many_jobs_and_run_each_once(app, calls):
    for n in range(6):
        queue(f"k{n}", n=n)
    db.session.commit()
    calls.state["pause"] = 0.05

    def work(_i):
        return worker.run_pending(db.session, app.config, queues=(JobQueue,))

    results = run_together(app, 3, work, in_request=False)
    assert not raised(results)
    assert sum(r.done for r in results) == 6
    assert sorted(p["n"] for p in calls.seen) == list(range(6))


def test_a_failure_is_kept_and_retried_later_and_later(app, calls):
    queue()
    db.session.commit()
    calls.state["fail"] = "connection refused"
    assert worker.run_pending(db.session, app.config, queues=(JobQueue,)) == worker.Outcome(0, 1)
    first = job()
    assert first.state == JOB_PENDING and first.attempts == 1
    assert first.last_error == "ConnectionError: connection refused"
    assert first.next_attempt_at == utcnow() + timedelta(minutes=1)
    # Not due yet: nothing runs.
    assert worker.run_pending(db.session, app.config, queues=(JobQueue,)) == worker.Outcome(0, 0)
    with time_machine.travel(MONDAY + timedelta(minutes=1), tick=False):
        worker.run_pending(db.session, app.config, queues=(JobQueue,))
        assert job().attempts == 2
        assert job().next_attempt_at == utcnow() + timedelta(minutes=2)
    assert [jobs.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert jobs.backoff(30) == timedelta(hours=6)
    calls.state["fail"] = None
    with time_machine.travel(MONDAY + timedelta(minutes=3), tick=False):
        assert worker.run_pending(db.session, app.config, queues=(JobQueue,)).done == 1
    assert job().state == JOB_DONE and job().last_error is None


def test_after_its_last_attempt_a_job_fails_for_good(app, calls):
    queue()
    db.session.execute(sa.update(Job).values(attempts=jobs.JOB_MAX_ATTEMPTS - 1))
    db.session.commit()
    calls.state["fail"] = "still down"
    worker.run_pending(db.session, app.config, queues=(JobQueue,))
    assert job().state == JOB_FAILED and job().attempts == jobs.JOB_MAX_ATTEMPTS


def test_a_worker_that_died_lets_its_job_go_after_the_lease(app, calls):
    queue()
    db.session.commit()
    begin_write(db.session)
    row_id, lease = jobs.claim(db.session, JobQueue)
    db.session.commit()  # ... and the worker dies before running it
    assert worker.run_pending(db.session, app.config, queues=(JobQueue,)) == worker.Outcome(0, 0)
    with time_machine.travel(MONDAY + jobs.LEASE, tick=False):
        assert worker.run_pending(db.session, app.config, queues=(JobQueue,)).done == 1
    begin_write(db.session)
    assert not jobs.settle(db.session, JobQueue, row_id, lease, error=ValueError("late"))
    db.session.rollback()
    assert job().state == JOB_DONE and len(calls.seen) == 1


def test_failed_jobs_show_to_staff_who_can_retry_them(app, calls):
    queue()
    db.session.execute(sa.update(Job).values(attempts=jobs.JOB_MAX_ATTEMPTS - 1))
    staff = StaffFactory()
    w = ordering_world()
    db.session.commit()
    calls.state["fail"] = "bank offline"
    worker.run_pending(db.session, app.config, queues=(JobQueue,))
    assert job().state == JOB_FAILED

    assert as_user(app, w.buyer_user).get("/staff/jobs").status_code in (302, 303, 403)
    client = as_user(app, staff)
    page = client.get("/staff/jobs").get_data(as_text=True)
    assert "test_call" in page and "ConnectionError: bank offline" in page
    assert "Fallido" in page

    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/staff/jobs/jobs/{job().id}/retry"
    assert client.post(url).status_code == 400  # no CSRF token
    assert job().state == JOB_FAILED
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/jobs").text)[1]
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303 and response.location.endswith("/staff/jobs")
    assert job().state == JOB_PENDING and job().next_attempt_at <= utcnow()
    calls.state["fail"] = None
    assert worker.run_pending(db.session, app.config, queues=(JobQueue,)).done == 1
    assert job().state == JOB_DONE
    assert client.post("/staff/jobs/jobs/999999/retry", data={"csrf_token": token}).status_code == (
        404
    )


def test_a_stripe_call_inside_a_write_transaction_is_caught(app, stripe_calls):
    app.config.update(STRIPE_SECRET_KEY="sk_test_qhatu", STRIPE_API_BASE="http://127.0.0.1:9")
    begin_write(db.session)
    db.session.execute(sa.update(Job).values(attempts=0))  # a write, on every database
    with pytest.raises(WriteTransactionOpen, match="inside a write transaction"):
        card_payments.client().v1.payment_intents.retrieve("pi_1")
    db.session.rollback()


def test_a_failed_capture_is_noted_on_the_payment_and_shown_to_staff(app, monkeypatch):
    app.config.update(STRIPE_SECRET_KEY="sk_test_qhatu")
    w = ordering_world()
    staff = StaffFactory()
    with app.test_request_context():
        [order] = place_order(w.buyer_user, w.address, [(w.cheese, "2")])
    db.session.add(
        CardPayment(
            order_id=order.id,
            payment_intent_id="pi_test",
            status=CARD_AUTHORIZED,
            authorized_cents=order.total_cents,
        )
    )
    order.delivered_total_cents = order.total_cents
    card_payments.capture_delivered(db.session, order)
    card_payments.capture_delivered(db.session, order)  # queued once
    db.session.commit()

    def unreachable(*args, **kwargs):
        raise stripe.APIConnectionError("Stripe is unreachable")

    monkeypatch.setattr(card_payments, "client", unreachable)
    assert worker.run_pending(db.session, app.config, queues=(JobQueue,)) == worker.Outcome(0, 1)
    key = f"qhatu-order-{order.id}-capture"
    assert job(key).attempts == 1 and "unreachable" in job(key).last_error
    record = db.session.get(CardPayment, order.id)
    assert record.status == CARD_AUTHORIZED and record.last_error.startswith("captura: ")
    page = as_user(app, staff).get("/staff/jobs").get_data(as_text=True)
    assert "card_capture" in page and key in page and "Stripe is unreachable" in page
    assert f"Pedido Q-{order.id:05d}" in page  # the number people read out, not the row id
