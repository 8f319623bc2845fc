"""Migration 0005: members keep the name they had, now per server."""

from __future__ import annotations

from sqlalchemy import text

from bot.db import migrate
from bot.db.engine import create_engine


async def test_existing_members_keep_their_name_on_the_board(empty_db_url: str) -> None:
    await migrate.upgrade_async(empty_db_url, "0004")
    engine = create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, discord_id, display_name) VALUES (1, 11, 'Bo K.'), "
                    "(2, 22, '')"
                )
            )
            await conn.execute(text("INSERT INTO servers (id, discord_guild_id) VALUES (5, 55)"))
            await conn.execute(
                text("INSERT INTO memberships (user_id, server_id) VALUES (1, 5), (2, 5)")
            )
        await migrate.upgrade_async(empty_db_url)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT user_id, display_name FROM memberships ORDER BY user_id")
            )
            assert rows.all() == [(1, "Bo K."), (2, "")]
    finally:
        await engine.dispose()
