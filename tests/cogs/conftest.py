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
        # no hourly database upkeep while tests move the clock by weeks (each pass would cost
        # real time); tests/cogs/test_upkeep.py turns it on
        upkeep_hours=0,
        _env_file=None,
    )


@pytest.fixture
async def new_bot(bot_settings: Settings):
    """Makes bots on the test's settings (a restart's fresh one too) and cleans them all up.

    simcord detaches a bot without closing it: undo what closing would (the process-wide
    garbage-collection policy, the worker processes, the database connections, whose threads
    would otherwise outlive this test's event loop), so the next tests start clean."""
    made = []

    def make():
        bot = create_bot(bot_settings)
        made.append(bot)
        return bot

    yield make
    gc_policy.undo()
    for bot in made:
        if getattr(bot, "pool", None) is not None:
            bot.pool.close()
        if bot.engine is not None:
            await bot.engine.dispose()


@pytest.fixture
def simcord_bot(new_bot):
    return new_bot()


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


@pytest.fixture
async def reminders(env, simcord_bot):
    """The Reminders cog with its loop stopped: the test plays the loop with `send_due()`."""
    cog = simcord_bot.get_cog("Reminders")
    cog.reminder_loop.cancel()
    await env.settle()
    return cog
