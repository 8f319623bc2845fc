"""A presentation counts the hint rungs it has shown, so each press of Hint shows the next one
(and a button pressed after a restart carries on where the ladder was).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("presentations") as batch:
        batch.add_column(
            sa.Column("hints_shown", sa.SmallInteger(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("presentations") as batch:
        batch.drop_column("hints_shown")
