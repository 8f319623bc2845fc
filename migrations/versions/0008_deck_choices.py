"""Cards that take over split cards (`replaces`), and a server's deck choices (enabled, order).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.add_column(
            sa.Column("replaces", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
    op.create_table(
        "server_decks",
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("deck_id", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deck_id"],
            ["decks.id"],
            name=op.f("fk_server_decks_deck_id_decks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name=op.f("fk_server_decks_server_id_servers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("server_id", "deck_id", name=op.f("pk_server_decks")),
    )
    op.create_index(op.f("ix_server_decks_deck_id"), "server_decks", ["deck_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_server_decks_deck_id"), table_name="server_decks")
    op.drop_table("server_decks")
    with op.batch_alter_table("cards") as batch:
        batch.drop_column("replaces")
