"""Connections fail fast and are checked before use, so a database restart costs little."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.database import PG_CONNECT_TIMEOUT, _connect_timeout
from marketplace.extensions import db
from tests.conftest import make_config


def test_a_postgresql_connection_gives_up_after_a_few_seconds():
    params = {}
    _connect_timeout(SimpleNamespace(name="postgresql"), None, [], params)
    assert params == {"connect_timeout": PG_CONNECT_TIMEOUT}
    sqlite = {}
    _connect_timeout(SimpleNamespace(name="sqlite"), None, [], sqlite)
    assert sqlite == {}


@pytest.fixture
def deployed_app(migrated_database, tmp_path):
    """The app with the engine options of its own configuration, not the tests' ones."""
    config = make_config(migrated_database, tmp_path)
    del config["SQLALCHEMY_ENGINE_OPTIONS"]
    app = create_app(config)
    with app.app_context():
        yield app
        db.engine.dispose()


def kill_the_pooled_connection() -> None:
    """End the idle connection in the pool under the app's feet, as a database restart would."""
    with db.engine.connect() as conn:
        dbapi_connection = conn.connection.dbapi_connection
        pid = None
        if conn.dialect.name == "postgresql":
            pid = conn.scalar(sa.text("SELECT pg_backend_pid()"))
    assert db.engine.pool.checkedin() == 1  # back in the pool, alive
    if pid is None:  # a file database has no server to restart: close the connection itself
        dbapi_connection.close()
        return
    killer = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    with killer.connect() as other:
        assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def test_a_connection_killed_while_pooled_is_replaced_before_the_next_request(deployed_app):
    client = deployed_app.test_client()
    assert client.get("/").status_code == 200  # the catalog reads the database
    db.session.remove()
    kill_the_pooled_connection()

    response = client.get("/")  # the pool checks the connection, drops it, connects anew

    assert response.status_code == 200
    assert client.get("/readyz").json["checks"] == {"database": "ok"}
