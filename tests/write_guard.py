"""A guard for tests: fail when Stripe is called while a database write transaction is open.

A connection counts as writing from its first INSERT, UPDATE, DELETE, SELECT ... FOR UPDATE
or BEGIN IMMEDIATE until it commits, rolls back or goes back to the pool.
"""

from __future__ import annotations

import pytest
import stripe._api_requestor
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")


class WriteTransactionOpen(BaseException):
    """Not an Exception: the runner records failures of outside calls, this one must stop
    the test."""


class StripeCalls:
    """Every Stripe request the test made: (method, url, idempotency key)."""

    def __init__(self):
        self.writing: set[int] = set()
        self.calls: list[tuple[str, str, str | None]] = []
        self.armed = True  # a test may disarm it around calls it does not examine

    def key_of(self, dbapi_connection) -> int:
        return id(dbapi_connection)


@pytest.fixture(name="stripe_calls")
def stripe_calls_fixture(monkeypatch):
    guard = StripeCalls()

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        text = statement.lstrip().upper()
        if text.startswith(WRITES) or " FOR UPDATE" in text:
            guard.writing.add(guard.key_of(conn.connection.dbapi_connection))

    def on_end(conn):
        guard.writing.discard(guard.key_of(conn.connection.dbapi_connection))

    def on_checkin(dbapi_connection, *args):
        if dbapi_connection is not None:
            guard.writing.discard(guard.key_of(dbapi_connection))

    listeners = [
        (Engine, "before_cursor_execute", on_execute),
        (Engine, "commit", on_end),
        (Engine, "rollback", on_end),
        (Pool, "checkin", on_checkin),
        (Pool, "reset", on_checkin),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    real = stripe._api_requestor._APIRequestor.request_raw

    def request_raw(self, method, url, params=None, options=None, *args, **kwargs):
        if guard.armed and guard.writing:
            raise WriteTransactionOpen(f"Stripe {method} {url} called inside a write transaction")
        guard.calls.append((method, url, (options or {}).get("idempotency_key")))
        return real(self, method, url, params, options, *args, **kwargs)

    monkeypatch.setattr(stripe._api_requestor._APIRequestor, "request_raw", request_raw)
    yield guard
    for target, name, fn in listeners:
        event.remove(target, name, fn)
