"""`flask` commands for operations: staff users, demo data, audits."""

import click
import sqlalchemy as sa
from flask import Flask

from .extensions import db
from .models import ROLE_STAFF, User
from .ops.backup import backup_cli
from .ops.worker import jobs_cli, notifications_cli
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


def register(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
    app.cli.add_command(notifications_cli)  # `flask notifications send`, the former name
    app.cli.add_command(standing_cli)

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.password_option()
    def create_staff(email: str, name: str, password: str) -> None:
        """Create a platform staff user."""
        if len(password) < 8:
            raise click.ClickException("the password needs at least 8 characters")
        create_staff_user(email, name, password)
        db.session.commit()
        click.echo(f"staff user {email} ready")

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo data (idempotent): associations, products, buyers, accounts, months
        of orders, the seven agreements and their standing orders."""
        from .seed import seed_demo
        from .seed_agreements import seed_agreements
        from .seed_orders import seed_order_history

        for step in (seed_demo, seed_order_history, seed_agreements):
            report = step(db.session)
            db.session.commit()
            for line in report:
                click.echo(line)

    @app.cli.command("audit")
    def audit() -> None:
        """Integrity audit: every registered check (stock equals its ledger, ...)."""
        from .ops.integrity import run_checks

        findings = run_checks(db.session)
        for finding in findings:
            click.echo(str(finding))
        if findings:
            raise SystemExit(1)
        click.echo("integrity: no findings")

    app.cli.add_command(audit, "check-integrity")  # the command's former name
    app.cli.add_command(backup_cli)
