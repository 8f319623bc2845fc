"""Typed cards remember what their answer is the derivative of, so mistakes can be named.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("typed_function", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("typed_order", sa.SmallInteger(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("typed_order")
        batch.drop_column("typed_function")
