"""Drive the real bot with simcord: an in-memory Discord, the real discord.py client."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import gc_policy
from bot.app import create_bot
from bot.config import Settings
from tests.seeds import seeded

#: How long simcord waits (real seconds) for the bot to finish an interaction's work. Its
#: default, 5 s, is too short for a first answer on a loaded 2-core machine: the bot's math
#: workers start on first use. Waiting longer changes no assertion, only when a stuck
#: interaction is declared stuck.
SETTLE_TIMEOUT = 60.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents and item.get_closest_marker("simcord") is None:
            item.add_marker(pytest.mark.simcord(settle_timeout=SETTLE_TIMEOUT))


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
    bot = create_bot(bot_settings)
    yield bot
    # simcord detaches a bot without closing it: undo what closing would (the bot's worker
    # processes, its process-wide garbage-collection policy), so the next tests start clean
    gc_policy.undo()
    if getattr(bot, "pool", None) is not None:
        bot.pool.close()


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
