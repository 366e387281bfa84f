"""`flask` commands: the one place that adds every command and command group to the app."""

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import force_locale

from .demo import seed_agreements, seed_demo, seed_order_history
from .extensions import db
from .models import ROLE_STAFF, User
from .ops.backup import backup_cli
from .ops.integrity import run_checks
from .ops.worker import jobs_cli, notifications_cli
from .services.passwords import password_problem
from .sms.routes import sms_cli
from .standing_cli import standing_cli


def create_staff_user(email: str, name: str, password: str) -> User:
    """Create a staff account (or reset the password of an existing one)."""
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role=ROLE_STAFF)
        db.session.add(user)
    elif user.role != ROLE_STAFF:
        raise click.ClickException(f"{email} already belongs to a {user.role} account")
    user.set_password(password)
    return user


@click.command("create-staff")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_staff(email: str, name: str, password: str) -> None:
    """Create a platform staff user."""
    problem = password_problem(password, email, (name,))
    if problem is not None:
        with force_locale("en"):
            raise click.ClickException(str(problem))
    create_staff_user(email, name, password)
    db.session.commit()
    click.echo(f"staff user {email} ready")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data (idempotent): associations, products, buyers, accounts, months
    of orders, the seven agreements and their standing orders."""
    for step in (seed_demo, seed_order_history, seed_agreements):
        report = step(db.session)
        db.session.commit()
        for line in report:
            click.echo(line)


@click.command("audit")
@with_appcontext
def audit() -> None:
    """Integrity audit: every registered check (stock equals its ledger, ...)."""
    findings = run_checks(db.session)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        raise SystemExit(1)
    click.echo("integrity: no findings")


def init_app(app: Flask) -> None:
    """Add every command and command group to `flask`."""
    for command in (create_staff, seed_demo_command, audit, backup_cli, sms_cli, standing_cli):
        app.cli.add_command(command)
    app.cli.add_command(audit, "check-integrity")  # the command's former name
    app.cli.add_command(jobs_cli)
    app.cli.add_command(notifications_cli)  # `flask notifications send`, the former name
