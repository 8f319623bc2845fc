"""Benchmarks: `make bench` runs them all (`bench/run.py`); each also runs alone as
``python -m bench.NAME``."""

from __future__ import annotations


async def reset_postgres(url: str) -> None:
    """An empty public schema at ``url``: a PostgreSQL run starts from nothing."""
    from sqlalchemy import text

    from bot.db.engine import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
