"""The Discord bot: `create_bot(settings)` builds it, `derivbot run` starts it.

Slash commands only, no privileged intents, mentions off for everything it sends. On start it
upgrades the database, loads the shipped decks, starts the math worker pool and registers the
persistent buttons, so buttons of messages sent before a restart keep working.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot import gc_policy
from bot.cogs.common import ACTIONS_PER_MINUTE, RateLimit, Starter, report_error
from bot.config import Settings, get_settings
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.db.models import utcnow
from bot.math.workers import MathPool
from bot.study.service import StudyService

log = logging.getLogger(__name__)


def cog_modules() -> list[str]:
    """Every extension in bot/cogs (a module with a `setup` function): a new command is a new
    file there, nothing else to register."""
    import bot.cogs

    found = []
    for info in pkgutil.iter_modules(bot.cogs.__path__):
        module = importlib.import_module(f"bot.cogs.{info.name}")
        if hasattr(module, "setup"):
            found.append(module.__name__)
    return sorted(found)


class DerivBot(commands.Bot):
    """The bot with its service layer; cogs reach it through `cogs.common.StudyHost`, the
    attributes declared here."""

    service: StudyService
    pool: MathPool
    #: one per-user budget for every action that uses the worker pool (`cogs.common.too_fast`)
    limiter: RateLimit
    #: how a reminder's button starts a session: filled by the cogs that run one
    #: (`cogs.common.StudyCog.offer_start`), so no cog looks another up
    starters: dict[str, Starter]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], object] = utcnow,
        sync_on_start: bool = True,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # not privileged: guild names for leaderboards and server decks
        super().__init__(
            command_prefix=commands.when_mentioned,  # no message-content intent: slash only
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.settings = settings
        self.clock = clock
        self.sync_on_start = sync_on_start
        self.limiter = RateLimit(limit=ACTIONS_PER_MINUTE, per=60.0)
        self.starters = {}
        self.sweeper = gc_policy.Sweeper()
        self.engine = None
        self.tree.on_error = self.on_app_command_error

    async def setup_hook(self) -> None:
        url = self.settings.database_url
        self.engine = create_engine(url)
        self.pool = MathPool(workers=self.settings.math_workers, timeout=self.settings.math_timeout)
        self.service = StudyService(
            session_factory(self.engine),
            self.pool,
            settings=self.settings,
            clock=lambda: self.clock(),  # late-bound: tests swap in a virtual clock
        )
        # schema and shipped decks, taking turns with any other process starting on this database
        await migrate.prepare_database(url, then=self.service.sync_shipped_decks)
        for name in cog_modules():
            await self.load_extension(name)
        # everything loaded so far lives as long as the bot: frozen, so that no garbage
        # collection walks it again (bot/gc_policy.py), and leaked cycles swept when idle
        gc_policy.after_startup()
        self.sweeper.start()
        if self.sync_on_start and self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def on_interaction(self, _interaction: discord.Interaction) -> None:
        self.sweeper.activity()

    async def close(self) -> None:
        self.sweeper.stop()
        gc_policy.undo()
        await super().close()
        if getattr(self, "pool", None) is not None:
            self.pool.close()
        if self.engine is not None:
            await self.engine.dispose()

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


__all__ = ["DerivBot", "cog_modules", "create_bot", "report_error"]


def create_bot(
    settings: Settings | None = None,
    *,
    clock: Callable[[], object] = utcnow,
    sync_on_start: bool = True,
) -> DerivBot:
    """The configured bot, not yet started: `derivbot run` starts it, tests drive it."""
    return DerivBot(settings or get_settings(), clock=clock, sync_on_start=sync_on_start)
