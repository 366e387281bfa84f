"""Connections fail fast and are checked before use, so a database restart costs little."""

from types import SimpleNamespace

import sqlalchemy as sa

from marketplace.database import PG_CONNECT_TIMEOUT, _connect_timeout
from marketplace.extensions import db


def test_a_postgresql_connection_gives_up_after_a_few_seconds():
    params = {}
    _connect_timeout(SimpleNamespace(name="postgresql"), None, [], params)
    assert params == {"connect_timeout": PG_CONNECT_TIMEOUT}
    sqlite = {}
    _connect_timeout(SimpleNamespace(name="sqlite"), None, [], sqlite)
    assert sqlite == {}


def test_pooled_connections_are_checked_before_use(app):
    assert db.engine.pool._pre_ping
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
