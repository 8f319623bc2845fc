"""Migration 0010: the pruning, session-summary and /class indexes come and go (both
backends), and the planner uses them."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from bot.db import migrate
from bot.db.engine import create_engine

NEW = {
    ("presentations", "ix_presentations_answered_at"),
    ("review_log", "ix_review_log_user_id_reviewed_at"),
    ("quiz_attempts", "ix_quiz_attempts_server_id_user_id"),
}


async def _indexes(url: str) -> set[tuple[str, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def read(sync) -> set[tuple[str, str]]:
                found = inspect(sync)
                return {
                    (table, ix["name"])
                    for table in ("presentations", "review_log", "quiz_attempts")
                    for ix in found.get_indexes(table)
                }

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_0010_adds_and_removes_its_indexes(empty_db_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_db_url, "0009")
    assert not NEW & await _indexes(empty_db_url)
    await asyncio.to_thread(migrate.upgrade, empty_db_url, "0010")
    assert await _indexes(empty_db_url) >= NEW
    await asyncio.to_thread(migrate.downgrade, empty_db_url, "0009")
    assert not NEW & await _indexes(empty_db_url)


async def test_pruning_query_uses_an_index_on_sqlite(sqlite_db_url: str) -> None:
    engine = create_engine(sqlite_db_url)
    try:
        async with engine.connect() as conn:
            plan = " ".join(
                str(row[-1])
                for row in await conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT token FROM presentations"
                    " WHERE answered_at < '2026-01-01' OR created_at < '2025-12-01'"
                )
            )
    finally:
        await engine.dispose()
    assert "ix_presentations_answered_at" in plan and "ix_presentations_created_at" in plan
