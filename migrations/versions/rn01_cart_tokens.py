"""every cart holds a checkout token

Carts are made with a token and get a new one after each checkout; carts from before that
rule are given one here, so showing a cart never has to write.

Revision ID: rn01_cart_tokens
Revises: ca1c105e2026
Create Date: 2026-12-03 16:00:00

"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "rn01_cart_tokens"
down_revision = "ca1c105e2026"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    carts = sa.table("carts", sa.column("id", sa.Integer), sa.column("checkout_token", sa.String))
    ids = bind.execute(sa.select(carts.c.id).where(carts.c.checkout_token.is_(None))).scalars()
    for cart_id in list(ids):
        bind.execute(
            carts.update()
            .where(carts.c.id == cart_id)
            .values(checkout_token=secrets.token_urlsafe(24))
        )


def downgrade():
    pass
