"""Real threads for race tests: they start together, each with its own context and session.

The same tests run on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (row
locks, conditional updates, unique constraints) through TEST_DATABASE_URL.
"""

import threading
from collections.abc import Callable

from marketplace.extensions import db

START_TIMEOUT = 30  # seconds for every thread to reach the starting line
JOIN_TIMEOUT = 120  # seconds for each thread to finish before the test calls it hung


def run_together(app, count: int, work: Callable[[int], object], *, in_request: bool = True):
    """Run work(i) for i in range(count) in threads released at the same moment.

    Each thread has its own app context (a test request context unless `in_request` is
    False, as for a cron command) and so its own session, removed at the end. Returns each
    thread's result, or the exception it raised (its session rolled back): the test decides
    which exceptions it expected, none is swallowed. Fails if a thread is still running
    after JOIN_TIMEOUT.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i: int) -> None:
        context = app.test_request_context() if in_request else app.app_context()
        with context:
            try:
                barrier.wait(timeout=START_TIMEOUT)
                results[i] = work(i)
            except Exception as error:  # returned to the test, never swallowed
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_TIMEOUT)
    hung = sum(t.is_alive() for t in threads)
    assert not hung, f"{hung} of {count} threads hung"
    return results


def raised(results: list) -> list[Exception]:
    """The results that are exceptions."""
    return [r for r in results if isinstance(r, Exception)]
