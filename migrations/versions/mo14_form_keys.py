"""form keys: the key of the submitted form on payments and ledger entries

A money form posted twice records once: payments.form_key and association_ledger.form_key
are unique (NULL for rows recorded without a form).

Revision ID: mo14formkeys01
Revises: au14logins01
Create Date: 2026-12-03 17:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "mo14formkeys01"
down_revision = "au14logins01"
branch_labels = None
depends_on = None

TABLES = ("payments", "association_ledger")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("form_key", sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_form_key"), ["form_key"])


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_form_key"), type_="unique")
            batch_op.drop_column("form_key")
