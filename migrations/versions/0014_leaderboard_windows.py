"""The week's and the month's leaderboard kept per student (`server_points_windows`), so a
window reads a row per student in points order instead of summing a row per student and day.
A window is built when first read (`leaderboard_windows` marks it built); nothing to fill.
A student's rank counts the rows ahead by index alone: the points indexes end in the user id
(ties rank by it), and a partial index finds a server's opted-out members.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WINDOWS = "server_points_windows"
MARKS = "leaderboard_windows"


def _fk(column: str, table: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_{name}_{column}_{table}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        WINDOWS,
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.SmallInteger(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _fk("server_id", "servers", WINDOWS),
        _fk("user_id", "users", WINDOWS),
        sa.PrimaryKeyConstraint(
            "server_id", "days", "since", "user_id", name=op.f(f"pk_{WINDOWS}")
        ),
    )
    op.create_index(
        op.f(f"ix_{WINDOWS}_server_id_days_since_points_user_id"),
        WINDOWS,
        ["server_id", "days", "since", "points", "user_id"],
    )
    op.drop_index(op.f("ix_server_points_server_id_points"), table_name="server_points")
    op.create_index(
        op.f("ix_server_points_server_id_points_user_id"),
        "server_points",
        ["server_id", "points", "user_id"],
    )
    op.create_index(
        op.f("ix_memberships_opted_out"),
        "memberships",
        ["server_id"],
        sqlite_where=sa.text("leaderboard_opt_out"),
        postgresql_where=sa.text("leaderboard_opt_out"),
    )
    op.create_table(
        MARKS,
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.SmallInteger(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        _fk("server_id", "servers", MARKS),
        sa.PrimaryKeyConstraint("server_id", "days", "since", name=op.f(f"pk_{MARKS}")),
    )


def downgrade() -> None:
    op.drop_table(MARKS)
    op.drop_index(op.f("ix_memberships_opted_out"), table_name="memberships")
    op.drop_index(op.f("ix_server_points_server_id_points_user_id"), table_name="server_points")
    op.create_index(
        op.f("ix_server_points_server_id_points"), "server_points", ["server_id", "points"]
    )
    op.drop_index(op.f(f"ix_{WINDOWS}_server_id_days_since_points_user_id"), table_name=WINDOWS)
    op.drop_table(WINDOWS)
