"""Indexes for pruning presentations, a student's recent review log and a class's mistakes.

- ``presentations(answered_at)``: the pruning pass deletes graded presentations by age
  (``answered_at < ? OR created_at < ?``; ``created_at`` already has its index).
- ``review_log(user_id, reviewed_at)``: the session summary reads one student's log since the
  session began; with only ``(user_id, local_day)`` it walked their whole history.
- ``quiz_attempts(server_id, user_id)``: /class counts a server's wrong answers by mistake;
  SQLite scanned every attempt of every server for it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_presentations_answered_at", "presentations", ["answered_at"])
    op.create_index("ix_review_log_user_id_reviewed_at", "review_log", ["user_id", "reviewed_at"])
    op.create_index("ix_quiz_attempts_server_id_user_id", "quiz_attempts", ["server_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_quiz_attempts_server_id_user_id", table_name="quiz_attempts")
    op.drop_index("ix_review_log_user_id_reviewed_at", table_name="review_log")
    op.drop_index("ix_presentations_answered_at", table_name="presentations")
