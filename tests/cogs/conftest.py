"""Drive the real bot with simcord: an in-memory Discord, the real discord.py client."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import create_bot
from bot.config import Settings
from tests.seeds import seeded


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        math_workers=2,
        math_timeout=5.0,
        _env_file=None,
    )


@pytest.fixture
def simcord_bot(bot_settings: Settings):
    return create_bot(bot_settings)


@pytest.fixture
async def env(simcord_env, simcord_bot):
    """The running environment, with the bot's clock on simcord's virtual clock and the
    commands synced (what `derivbot sync` does in production)."""
    simcord_bot.clock = simcord_env.now
    simcord_bot.service.seeds = seeded()  # the same problems every run (tests/seeds.py)
    await simcord_bot.tree.sync()
    return simcord_env


@pytest.fixture
def place(env):
    guild = env.create_guild("Calculus class")
    channel = guild.create_text_channel("study")
    return guild, channel
