"""Shared fixtures: an app per test on a database built by the migrations once per run.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another
(PostgreSQL in CI). Every test starts from empty tables.

Every test owns its clock: the whole run is moved to TEST_NOW (a fixed moment, or
QHATU_TEST_NOW from the environment, which the calendar sweep in CI sets to many dates), and
each test starts again at that moment. Tests that need another day travel there themselves.
"""

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db

from . import factories
from .stripe_fakes import fake_checkout, localstripe, stripe_config  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent

#: An ordinary working Wednesday in Lima, unless the calendar sweep says otherwise.
DEFAULT_NOW = "2026-12-16T10:00:00-05:00"


def test_now() -> datetime:
    """The moment the run is set to: QHATU_TEST_NOW (ISO 8601 with offset) or DEFAULT_NOW."""
    moment = datetime.fromisoformat(os.environ.get("QHATU_TEST_NOW") or DEFAULT_NOW)
    if moment.tzinfo is None:
        raise pytest.UsageError("QHATU_TEST_NOW needs a UTC offset, e.g. 2026-12-31T23:30-05:00")
    return moment


TEST_NOW = test_now()


#: Test modules whose results depend on the date: delivery dates, cut-offs, standing orders,
#: reminders, reporting periods, due dates, and the browser journeys (not the page crawls). `bash
#: scripts/calendar-sweep.sh` runs them (marker `calendar`) at many dates; a test elsewhere
#: can join with `@pytest.mark.calendar`.
CALENDAR_MODULES = {
    "tests/browser/test_ordering_flow.py",
    "tests/browser/test_payments_flow.py",
    "tests/browser/test_promoter_phone.py",
    "tests/browser/test_standing_orders.py",
    "tests/services/test_agreements.py",
    "tests/services/test_agreements_seed.py",
    "tests/services/test_credit.py",
    "tests/services/test_invoicing.py",
    "tests/services/test_ordering.py",
    "tests/services/test_ordering_delivery.py",
    "tests/services/test_ordering_seed.py",
    "tests/services/test_reporting.py",
    "tests/services/test_schedule.py",
    "tests/services/test_standing_billing.py",
    "tests/services/test_standing_changes.py",
    "tests/services/test_standing_placement.py",
    "tests/services/test_standing_queries.py",
    "tests/test_seed.py",
    "tests/test_sms.py",
    "tests/web/test_agreements.py",
    "tests/web/test_cart.py",
    "tests/web/test_orders.py",
    "tests/web/test_own_figures.py",
    "tests/web/test_payments.py",
    "tests/web/test_promoter_home.py",
    "tests/web/test_staff_dashboard.py",
    "tests/web/test_standing_orders.py",
}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if Path(item.path).resolve().relative_to(ROOT).as_posix() in CALENDAR_MODULES:
            item.add_marker(pytest.mark.calendar)


def pytest_report_header(config) -> str:
    return f"clock: every test starts at {TEST_NOW.isoformat()}"


@pytest.fixture(scope="session", autouse=True)
def session_clock():
    """Session and module fixtures (seed data, live servers) run on the set clock too."""
    with time_machine.travel(TEST_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def clock(session_clock):
    """Each test starts at TEST_NOW; the clock then runs, so timeouts still expire."""
    with time_machine.travel(TEST_NOW, tick=True):
        yield TEST_NOW


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
def database_url(tmp_path_factory, worker_id) -> str:
    """SQLite in this run's temporary folder, or TEST_DATABASE_URL.

    With pytest-xdist each worker has a database of its own: SQLite files live in per-worker
    folders already; on PostgreSQL the worker's database is `<name>_<worker>`, created here.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    from marketplace.config import database_url as normalise

    url = normalise(url)
    if worker_id == "master" or not url.startswith("postgresql"):
        return url
    server_url = sa.engine.make_url(url)
    name = f"{server_url.database}_{worker_id}"
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return server_url.set(database=name).render_as_string(hide_password=False)


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
    """A test client whose every request runs as in production: in its own app context.

    Tests keep one app context open for factories and assertions. Before each request what
    the test wrote is committed; the request then gets a fresh `g` and its own database
    session, which is removed (rolled back if it did not commit) when the request ends. So
    a test reads back only what the request committed: a view that forgets to commit, or
    rolls back after an error, fails the test that checks its effect.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
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
