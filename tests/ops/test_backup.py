"""`flask backup create|restore`: a round trip brings the data back, on SQLite and PostgreSQL."""

import os
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.config import database_url as normalise
from marketplace.extensions import db
from marketplace.models import Association, Product, StockMovement
from marketplace.models.catalog import REASON_COUNT, REASON_PRODUCTION
from marketplace.ops import backup
from marketplace.services.stock import ledger_balance, move_stock
from tests.conftest import make_config
from tests.factories import AssociationFactory, BuyerUserFactory, ProductFactory

SCRATCH_DB = "qhatu_ops_backup_test"
TEST_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture
def sqlite_url(tmp_path):
    """A database of its own, not the shared test database."""
    return f"sqlite:///{tmp_path / 'live.db'}"


@pytest.fixture
def postgres_url():
    """A scratch database on the test server, created for this test and dropped after."""
    if not TEST_URL.startswith("postgres"):
        pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL server")
    server = sa.create_engine(normalise(TEST_URL), isolation_level="AUTOCOMMIT")
    drop = f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"
    with server.connect() as conn:
        conn.exec_driver_sql(drop)
        conn.exec_driver_sql(f"CREATE DATABASE {SCRATCH_DB}")
    yield make_url(normalise(TEST_URL)).set(database=SCRATCH_DB).render_as_string(False)
    with server.connect() as conn:
        conn.exec_driver_sql(drop)
    server.dispose()


def seed() -> dict:
    """A few records, stock moved through the ledger."""
    association = AssociationFactory(name="Sumaq Ausangate")
    product = ProductFactory(association=association, name="Queso andino")
    BuyerUserFactory(email="chef@example.pe")
    db.session.flush()
    move_stock(db.session, product.id, Decimal("40"), REASON_PRODUCTION)
    db.session.commit()
    return {"association": association.id, "product": product.id}


def round_trip(url: str, tmp_path) -> None:
    app = create_app(make_config(url, tmp_path))
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()
        ids = seed()
        dump = tmp_path / "backups" / "qhatu.dump"
        result = runner.invoke(args=["backup", "create", str(dump)])
        assert result.exit_code == 0, result.output
        assert dump.is_file()

        # After the backup: stock counted down, then the association deleted with its catalog.
        move_stock(db.session, ids["product"], Decimal("-15"), REASON_COUNT)
        db.session.commit()
        db.session.execute(sa.delete(StockMovement))
        db.session.execute(sa.delete(Product))
        db.session.execute(sa.delete(Association))
        db.session.commit()
        assert db.session.get(Association, ids["association"]) is None

        result = runner.invoke(args=["backup", "restore", "--yes", str(dump)])
        assert result.exit_code == 0, result.output
        assert f"database restored from {dump}" in result.output

        db.session.remove()
        assert db.session.get(Association, ids["association"]).name == "Sumaq Ausangate"
        product = db.session.get(Product, ids["product"])
        assert product.stock_on_hand == Decimal("40")
        assert ledger_balance(db.session, product.id) == Decimal("40")
        assert runner.invoke(args=["audit"]).exit_code == 0
        db.session.remove()
        db.engine.dispose()


def test_sqlite_round_trip(sqlite_url, tmp_path):
    round_trip(sqlite_url, tmp_path)


def test_postgresql_round_trip(postgres_url, tmp_path):
    round_trip(postgres_url, tmp_path)


def test_sqlite_backup_is_consistent_while_a_writer_holds_the_database(sqlite_url, tmp_path):
    """An uncommitted write in progress is not in the copy; the committed data is."""
    app = create_app(make_config(sqlite_url, tmp_path))
    with app.app_context():
        db.create_all()
        ids = seed()
        writer = db.engine.connect()
        transaction = writer.begin()
        writer.execute(sa.update(Product).values(name="a half-done change"))
        target = tmp_path / "copy.db"
        try:
            backup.sqlite_copy(make_url(sqlite_url).database, target)
        finally:
            transaction.rollback()
            writer.close()
        copy = sa.create_engine(f"sqlite:///{target}")
        with copy.connect() as conn:
            name = conn.execute(
                sa.select(Product.name).where(Product.id == ids["product"])
            ).scalar_one()
        copy.dispose()
        assert name == "Queso andino"
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_url, tmp_path):
    app = create_app(make_config(sqlite_url, tmp_path))
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(
            args=["backup", "restore", "--yes", str(not_a_backup)]
        )
        assert result.exit_code == 1
        assert "is not a SQLite database" in result.output
        db.engine.dispose()


def test_restore_asks_before_replacing_the_data(sqlite_url, tmp_path):
    app = create_app(make_config(sqlite_url, tmp_path))
    with app.app_context():
        db.create_all()
        dump = tmp_path / "qhatu.db"
        runner = app.test_cli_runner()
        runner.invoke(args=["backup", "create", str(dump)])
        result = runner.invoke(args=["backup", "restore", str(dump)], input="n\n")
        assert result.exit_code == 1
        assert "Aborted" in result.output
        db.engine.dispose()


def test_a_missing_pg_dump_is_explained(monkeypatch, tmp_path):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    url = make_url("postgresql+psycopg://qhatu:secret@db.example/qhatu")
    with pytest.raises(backup.BackupError, match="pg_dump was not found on PATH"):
        backup.create_backup(url, tmp_path / "x.dump")
    assert not (tmp_path / "x.dump").exists()


def test_pg_tools_get_a_libpq_url_and_the_password_apart():
    url = make_url("postgresql+psycopg://qhatu:s3cret@db.example:5433/qhatu")
    target, env = backup.pg_target(url)
    assert target == "postgresql://qhatu@db.example:5433/qhatu"
    assert env["PGPASSWORD"] == "s3cret"
