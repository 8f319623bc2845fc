"""A member's name is kept per server: the nickname a server knows them by, which a button
pressed in a DM (where only the account's own name is known) no longer replaces.

Existing members start with the name last seen for them anywhere, as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(
            sa.Column("display_name", sa.String(length=100), server_default="", nullable=False)
        )
    op.execute(
        "UPDATE memberships SET display_name = "
        "(SELECT users.display_name FROM users WHERE users.id = memberships.user_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("display_name")
