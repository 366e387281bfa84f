"""Database behaviour that must hold on every engine: SQLite pragmas and write locks."""

import sqlite3

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

from .extensions import db

IMMEDIATE = "qhatu_immediate"


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Seconds a new PostgreSQL connection may take. A database host that does not answer (not
# one that refuses, which fails at once) then costs a request a clean error within seconds,
# instead of holding the worker until gunicorn's timeout kills it.
PG_CONNECT_TIMEOUT = 5


@event.listens_for(Engine, "do_connect")
def _connect_timeout(dialect, connection_record, cargs, cparams):
    if dialect.name == "postgresql":
        cparams.setdefault("connect_timeout", PG_CONNECT_TIMEOUT)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN"
    conn.exec_driver_sql(mode)


def begin_write(session=None) -> None:
    """Open the session's transaction as a write transaction.

    On SQLite this takes the write lock up front (BEGIN IMMEDIATE), so writers queue
    behind the busy timeout instead of failing half-way; PostgreSQL needs nothing here
    because services lock the rows they change. Call it before the first query.
    """
    session = session if session is not None else db.session
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.connection(execution_options={IMMEDIATE: True})


ROWS_PER_INSERT = 5000


def insert_rows(session, model, rows: list[dict]) -> None:
    """Write plain rows (all with the same keys) in one INSERT per few thousand rows.

    For batches: no ORM objects and no RETURNING, so the statements do not grow with the
    rows; the caller knows what it wrote.
    """
    for start in range(0, len(rows), ROWS_PER_INSERT):
        session.execute(sa.insert(model.__table__), rows[start : start + ROWS_PER_INSERT])


def init_app(app: Flask) -> None:
    @app.before_request
    def lock_for_writes():
        # Every request that may write starts its transaction as a writer.
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            begin_write()
