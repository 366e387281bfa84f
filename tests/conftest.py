"""Shared fixtures: an app per test on a database built by the migrations once per run.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another
(PostgreSQL in CI). Every test starts from empty tables.
"""

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db

from . import factories
from .stripe_fakes import fake_checkout, localstripe, stripe_config  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session) -> None:
    """Compile the translation catalogs the app loads, if they are missing or stale."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from marketplace.config import database_url as normalise

        return normalise(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_config(database_url: str, tmp_path: Path, **extra) -> dict:
    engine_options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # Tests need no durability: don't wait for the disk at every commit.
        engine_options["connect_args"] = {"options": "-c synchronous_commit=off"}
    config = {
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SERVER_NAME": None,
        # Still scrypt, with a small work factor: thousands of logins stay fast in tests.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }
    config.update(extra)
    return config


def reset_schema(url: str) -> None:
    """Drop everything so the migrations build the schema from nothing."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url, tmp_path_factory) -> str:
    """The test database, built once per run by the migrations (as production is).

    Set QHATU_TEST_CREATE_ALL=1 to build it from the models instead while a model change
    has no migration yet; tests/test_migrations.py still compares the two.
    """
    reset_schema(database_url)
    app = create_app(make_config(database_url, tmp_path_factory.mktemp("boot")))
    with app.app_context():
        if os.environ.get("QHATU_TEST_CREATE_ALL") == "1":
            db.create_all()
        else:
            upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    return database_url


def empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE costs per table, so ask first (one query) which tables hold rows.
        probe = sa.union_all(
            *(
                sa.select(sa.literal(t.name).label("name")).where(sa.exists().select_from(t))
                for t in tables
            )
        )
        used = [name for (name,) in db.session.execute(probe)]
        if used:
            names = ", ".join(f'"{name}"' for name in used)
            db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


class Client(FlaskClient):
    """A test client whose every request starts with a fresh `g`, as in production.

    Tests keep one app context open (so factories and requests share the session); without
    this, Flask-Login's cached user in `g` would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(migrated_database, tmp_path, app_config):
    app = create_app(make_config(migrated_database, tmp_path, **app_config))
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def text(html: bytes | str) -> str:
    """Page text with tags stripped and spaces folded (money uses a no-break space)."""
    if isinstance(html, bytes):
        html = html.decode()
    html = re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ")
    return re.sub(r"\s+", " ", html)
