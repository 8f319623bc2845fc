"""Points per server, per student and day and in all: the leaderboard reads these rollups
instead of every review-log row in its window. Filled from the existing log.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(column: str, table: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_{name}_{column}_{table}"), ondelete="CASCADE"
    )


def _points() -> sa.Column:
    return sa.Column("points", sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "server_points_days",
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        _points(),
        _fk("server_id", "servers", "server_points_days"),
        _fk("user_id", "users", "server_points_days"),
        sa.PrimaryKeyConstraint(
            "server_id", "local_day", "user_id", name=op.f("pk_server_points_days")
        ),
    )
    op.create_table(
        "server_points",
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        _points(),
        _fk("server_id", "servers", "server_points"),
        _fk("user_id", "users", "server_points"),
        sa.PrimaryKeyConstraint("server_id", "user_id", name=op.f("pk_server_points")),
    )
    op.create_index(
        op.f("ix_server_points_server_id_points"), "server_points", ["server_id", "points"]
    )
    # what the log already holds (rows of 0 points are not kept: they change no standing)
    op.execute(
        "INSERT INTO server_points_days (server_id, local_day, user_id, points) "
        "SELECT server_id, local_day, user_id, SUM(points) FROM review_log "
        "WHERE server_id IS NOT NULL AND points <> 0 "
        "GROUP BY server_id, local_day, user_id"
    )
    op.execute(
        "INSERT INTO server_points (server_id, user_id, points) "
        "SELECT server_id, user_id, SUM(points) FROM review_log "
        "WHERE server_id IS NOT NULL AND points <> 0 "
        "GROUP BY server_id, user_id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_server_points_server_id_points"), table_name="server_points")
    op.drop_table("server_points")
    op.drop_table("server_points_days")
