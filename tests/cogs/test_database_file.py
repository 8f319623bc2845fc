"""The bot's start-up creates its SQLite database owner-only: it holds Discord ids and answers."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest
from sqlalchemy import make_url

from bot.config import Settings


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which new files come out 0644 (world-readable)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def bot_settings(bot_settings: Settings, usual_umask: None) -> Settings:
    return bot_settings  # the umask is set before the bot starts and creates its database


async def test_the_bots_database_and_its_wal_are_owner_only(env, place, bot_settings) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    result = await ada.slash(channel, "stats")  # ada's first contact writes her row
    assert result.response.embeds
    path = make_url(bot_settings.database_url).database
    assert path is not None
    for name in (path, f"{path}-wal", f"{path}-shm"):
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
