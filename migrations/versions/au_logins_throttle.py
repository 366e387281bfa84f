"""logins kept on the server, login throttling per account, forced password change

user_logins: one row per signed-in browser; the session and remember cookies name it, and
logging out deletes it. login_throttles: failed logins per e-mail address (hashed), read by
every worker. users.password_change_required: the password no longer meets the rules.

Revision ID: au14logins01
Revises: rn02_outbound_jobs
Create Date: 2026-12-03 16:40:00

"""

from alembic import op
import sqlalchemy as sa

import marketplace.types


# revision identifiers, used by Alembic.
revision = "au14logins01"
down_revision = "rn02_outbound_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", marketplace.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_logins_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_logins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_logins_token_hash")),
    )
    with op.batch_alter_table("user_logins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_logins_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", marketplace.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("wait_until", marketplace.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "password_change_required",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_change_required")
    op.drop_table("login_throttles")
    with op.batch_alter_table("user_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_logins_user_id"))
    op.drop_table("user_logins")
