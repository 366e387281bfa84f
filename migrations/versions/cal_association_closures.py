"""association closures, moved standing deliveries

Closures: the days an association does not deliver (a festival, a road cut), with the reason
shown to buyers. standing_occurrences.moved_to: the earlier day a standing delivery was placed
on when the association was closed on its scheduled date (the row stays keyed by that date).

Revision ID: ca1c105e2026
Revises: 8b348d29b25b
Create Date: 2026-12-03 12:49:22.765944

"""

from alembic import op
import sqlalchemy as sa

import marketplace.types


# revision identifiers, used by Alembic.
revision = "ca1c105e2026"
down_revision = "8b348d29b25b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "association_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marketplace.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", marketplace.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dates_set_at", marketplace.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_date >= start_date", name=op.f("ck_association_closures_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name=op.f("fk_association_closures_association_id_associations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_association_closures_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_association_closures")),
    )
    with op.batch_alter_table("association_closures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_association_closures_association_id_end_date",
            ["association_id", "end_date"],
            unique=False,
        )

    with op.batch_alter_table("standing_occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_to", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("standing_occurrences", schema=None) as batch_op:
        batch_op.drop_column("moved_to")

    with op.batch_alter_table("association_closures", schema=None) as batch_op:
        batch_op.drop_index("ix_association_closures_association_id_end_date")

    op.drop_table("association_closures")
