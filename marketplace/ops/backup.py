"""`flask backup create|restore PATH`: a consistent copy of the database, and back.

SQLite is copied through its online backup API, so the copy is consistent even while the
app keeps writing. PostgreSQL uses pg_dump's custom format and pg_restore (--clean
--if-exists, in one transaction), found on PATH.
"""

import os
import shutil
import sqlite3
import subprocess  # noqa: S404  (runs pg_dump/pg_restore with argument lists, no shell)
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.engine import URL

from ..extensions import db

backup_cli = AppGroup("backup", help="Back up or restore the database.")

SQLITE_TIMEOUT_SECONDS = 30


class BackupError(click.ClickException):
    """A backup or restore that could not be done, with the reason for the operator."""


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def sqlite_copy(source: Path, target: Path, *, standalone: bool = False) -> None:
    """Copy one SQLite database into another, page by page, under SQLite's own locking.

    `standalone` leaves the copy in rollback-journal mode: one self-contained file.
    """
    src = sqlite3.connect(source, timeout=SQLITE_TIMEOUT_SECONDS)
    dst = sqlite3.connect(target, timeout=SQLITE_TIMEOUT_SECONDS)
    try:
        src.backup(dst)
        if standalone:
            dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as error:
        raise BackupError(f"SQLite backup failed: {error}") from error
    finally:
        dst.close()
        src.close()


def check_sqlite_file(path: Path) -> None:
    """Refuse a restore from a file that is not a sound SQLite database."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database: {error}") from error
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH; install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) of the server's version or newer"
        )
    return path


def pg_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL (no +psycopg driver, no password) and the environment carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), env


def run_tool(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()}")


def create_backup(url: URL, path: Path) -> None:
    """Write a consistent backup of the database at `url` to `path` (replaced atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            sqlite_copy(sqlite_path(url), partial, standalone=True)
        elif url.get_backend_name() == "postgresql":
            target, env = pg_target(url)
            run_tool([pg_tool("pg_dump"), "--format=custom", f"--file={partial}", target], env)
        else:
            raise BackupError(f"no backup method for {url.get_backend_name()}")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def restore_backup(url: URL, path: Path) -> None:
    """Replace the database at `url` with the backup at `path`."""
    if url.get_backend_name() == "sqlite":
        check_sqlite_file(path)
        sqlite_copy(path, sqlite_path(url))
    elif url.get_backend_name() == "postgresql":
        if not path.is_file():
            raise BackupError(f"{path} does not exist")
        target, env = pg_target(url)
        run_tool(
            [
                pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={target}",
                str(path),
            ],
            env,
        )
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()}")


def release_connections() -> None:
    """Return this process's connections so they hold no lock the copy would wait for."""
    db.session.remove()
    db.engine.dispose()


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path) -> None:
    """Write a consistent backup of the database to PATH."""
    release_connections()
    create_backup(db.engine.url, path)
    click.echo(f"backup written to {path}")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database's contents with the backup at PATH (stop the app first)."""
    url = db.engine.url
    if not yes:
        click.confirm(
            f"Replace every table of {url.render_as_string(hide_password=True)} with {path}?",
            abort=True,
        )
    release_connections()
    restore_backup(url, path)
    release_connections()
    click.echo(f"database restored from {path}")
