"""Failed logins are limited per account, whatever the address or the worker: after five
failures each attempt waits, twice as long after each further failure, never more than
15 minutes, so the owner can always get in once the wait is over."""

import secrets
from datetime import timedelta

import pytest
import time_machine

from marketplace import create_app
from marketplace.extensions import db
from marketplace.services.logins import FREE_FAILURES, LONGEST_WAIT, wait_after
from tests.concurrency import run_together
from tests.conftest import Client, make_config, text
from tests.factories import PASSWORD, BuyerUserFactory

MOMENT = "2026-12-16 15:00:00 +0000"


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True}  # the per-address limit is on too, as in production


@pytest.fixture
def user(app):
    user = BuyerUserFactory(email="rosa@chicha.pe")
    db.session.commit()
    return user


def address() -> str:
    """A fresh address, so no per-address counter carries over between tests."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


def attempt(client, ip, password="no es la clave", email="rosa@chicha.pe"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def logged_in(client, ip) -> bool:
    return client.get("/buyer/", environ_base={"REMOTE_ADDR": ip}).status_code == 200


def test_the_limit_holds_across_addresses_and_the_wait_expires(client, user):
    first, second = address(), address()
    with time_machine.travel(MOMENT, tick=False) as traveller:
        for ip in (first, first, first, second, second):
            assert attempt(client, ip).status_code == 400
        # Neither address reached its own limit, but the account did: even the right
        # password waits, and the page says how long.
        refused = attempt(client, second, password=PASSWORD)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 31  # the address' limit may add to it
        assert (
            "Demasiados intentos fallidos con esta cuenta. Vuelve a intentarlo en 1 min."
            in text(refused.data)
        )
        assert not logged_in(client, second)

        traveller.shift(31)
        assert attempt(client, first, password=PASSWORD).status_code == 303
        assert logged_in(client, first)


def test_the_wait_doubles_and_never_exceeds_fifteen_minutes():
    waits = [wait_after(n) for n in range(FREE_FAILURES + 8)]
    assert waits[:FREE_FAILURES] == [None] * FREE_FAILURES
    assert waits[FREE_FAILURES : FREE_FAILURES + 5] == [
        timedelta(seconds=s) for s in (30, 60, 120, 240, 480)
    ]
    assert waits[-1] == LONGEST_WAIT == timedelta(minutes=15)
    assert wait_after(10_000) == LONGEST_WAIT


def test_each_failure_after_the_wait_doubles_it(client, user):
    with time_machine.travel(MOMENT, tick=False) as traveller:
        for _ in range(FREE_FAILURES):
            attempt(client, address())
        traveller.shift(31)
        failed = attempt(client, address())
        assert failed.status_code == 400
        assert "Vuelve a intentarlo en 1 min." in text(failed.data)
        refused = attempt(client, address(), password=PASSWORD)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 61
        traveller.shift(61)
        assert attempt(client, address(), password=PASSWORD).status_code == 303


def test_attempts_during_the_wait_do_not_lengthen_it(client, user):
    """Whoever keeps trying cannot keep the owner out: refused attempts are not counted."""
    with time_machine.travel(MOMENT, tick=False) as traveller:
        for _ in range(40):
            attempt(client, address())
        # Only the first five failures counted; the other 35 were refused unheard.
        traveller.shift(31)
        ip = address()
        assert attempt(client, ip, password=PASSWORD).status_code == 303
        assert logged_in(client, ip)


def test_many_failures_over_time_never_lock_the_account_for_good(client, user):
    with time_machine.travel(MOMENT, tick=False) as traveller:
        for _ in range(30):
            attempt(client, address())
            traveller.shift(int(LONGEST_WAIT.total_seconds()) + 1)
        attempt(client, address())  # the longest wait, and no longer
        refused = attempt(client, address(), password=PASSWORD)
        assert refused.status_code == 429
        assert "Vuelve a intentarlo en 15 min." in text(refused.data)
        traveller.shift(int(LONGEST_WAIT.total_seconds()) + 1)
        assert attempt(client, address(), password=PASSWORD).status_code == 303


def test_a_successful_login_forgets_the_failures(client, user):
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(FREE_FAILURES - 1):
            attempt(client, address())
        assert attempt(client, address(), password=PASSWORD).status_code == 303
        client.post("/logout")
        for _ in range(FREE_FAILURES - 1):
            assert attempt(client, address()).status_code == 400
        assert attempt(client, address(), password=PASSWORD).status_code == 303


def test_unknown_addresses_wait_alike(client, user):
    """The answer does not tell which e-mails have an account."""
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(FREE_FAILURES):
            attempt(client, address(), email="nadie@chicha.pe")
        assert attempt(client, address(), email="nadie@chicha.pe").status_code == 429
        # Another account is not affected.
        assert attempt(client, address(), password=PASSWORD).status_code == 303


def test_the_count_is_shared_by_every_worker(app, client, user, migrated_database, tmp_path):
    """Another app on the same database (another gunicorn worker) sees the same failures."""
    other_worker = create_app(make_config(migrated_database, tmp_path, RATELIMIT_ENABLED=True))
    other_worker.test_client_class = Client
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(FREE_FAILURES):
            attempt(client, address())
        with other_worker.app_context():
            refused = attempt(other_worker.test_client(), address(), password=PASSWORD)
        assert refused.status_code == 429


def test_parallel_attempts_at_the_limit_are_counted_one_after_the_other(app, client, user):
    """Attempts sent together from many addresses do not slip past the count: after four
    failures, one of six simultaneous wrong passwords is heard, the other five wait."""
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(FREE_FAILURES - 1):
            attempt(client, address())
        db.session.commit()
        results = run_together(
            app, 6, lambda i: attempt(app.test_client(), address()).status_code, in_request=False
        )
        assert sorted(results) == [400] + [429] * 5
