"""Assignments: a teacher sets a server's students a skill or a deck, a count and a due day.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, *, nullable: bool = False, now: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if now else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", BIG_PK, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("skill", sa.String(length=64), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("deck_id", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("due_day", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        _ts("due_at"),
        _ts("created_at", now=True),
        _ts("closed_at", nullable=True),
        sa.CheckConstraint("target > 0", name=op.f("ck_assignments_target")),
        sa.CheckConstraint(
            "(skill IS NOT NULL AND deck_id IS NULL)"
            " OR (skill IS NULL AND level IS NULL AND deck_id IS NOT NULL)",
            name=op.f("ck_assignments_skill_or_deck"),
        ),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name=op.f("fk_assignments_server_id_servers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_assignments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deck_id"],
            ["decks.id"],
            name=op.f("fk_assignments_deck_id_decks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index(op.f("ix_assignments_server_id"), "assignments", ["server_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_assignments_server_id"), table_name="assignments")
    op.drop_table("assignments")
