"""The Discord bot: `create_bot(settings)` builds it, `derivbot run` starts it.

Slash commands only, no privileged intents, mentions off for everything it sends. On start it
upgrades the database, loads the shipped decks, starts the math worker pool and registers the
persistent buttons, so buttons of messages sent before a restart keep working.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import signal
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import gc_policy
from bot.cogs.common import ACTIONS_PER_MINUTE, RateLimit, Starter, report_error
from bot.cogs.gate import Gate, admit
from bot.config import Settings, get_settings
from bot.db import migrate
from bot.db.engine import create_engine, optimize, session_factory
from bot.db.models import utcnow
from bot.math.workers import MathPool
from bot.metrics import Metrics
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


class GatedTree(app_commands.CommandTree):
    """Slash commands enter through the bot's gate (`cogs.gate`): counted, logged, and refused
    while the bot stops."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await admit(interaction)


class StudyBot:
    """What the bot adds to discord.py's client, sharded or not: the service layer, the worker
    pool, the gate; cogs reach it through `cogs.common.StudyHost`, the attributes declared here.
    A mixin, so that `DerivBot` (one connection) and `ShardedDerivBot` (`SHARD_COUNT`) share it."""

    service: StudyService
    pool: MathPool
    #: one per-user budget for every action that uses the worker pool (`cogs.common.too_fast`)
    limiter: RateLimit
    #: how a reminder's button starts a session: filled by the cogs that run one
    #: (`cogs.common.StudyCog.offer_start`), so no cog looks another up
    starters: dict[str, Starter]
    #: every interaction passes it; closed by `stop_gracefully`
    gate: Gate

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], object] = utcnow,
        sync_on_start: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # not privileged: guild names for leaderboards and server decks
        super().__init__(  # type: ignore[call-arg]
            command_prefix=commands.when_mentioned,  # no message-content intent: slash only
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=GatedTree,
            **shard_options(settings),
        )
        self.settings = settings
        self.metrics = metrics
        self.gate = Gate(observe=metrics.observe_interaction if metrics is not None else None)
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
        if self.metrics is not None:
            self.metrics.watch_pool(self.pool)
            self.metrics.watch_engine(self.engine)
            if self.settings.metrics_port is not None:
                self.metrics.serve(self.settings.metrics_port, self.settings.metrics_host)
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

    async def stop_gracefully(self, grace: float | None = None) -> None:
        """SIGTERM: take no new interactions, let those in flight finish (their answers are
        graded and written) for up to ``grace`` seconds (STOP_GRACE), then close everything."""
        limit = self.settings.stop_grace if grace is None else grace
        log.info("stopping: %d interactions in flight", self.gate.inside)
        await self.gate.close(limit)
        await self.close()

    async def close(self) -> None:
        self.gate.open = False
        self.sweeper.stop()
        gc_policy.undo()
        await super().close()
        if getattr(self, "pool", None) is not None:
            self.pool.close()
        if self.engine is not None:
            await _optimize_quietly(self.engine)
            await self.engine.dispose()
        if self.metrics is not None:
            self.metrics.close()

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class DerivBot(StudyBot, commands.Bot):
    """The bot on one gateway connection (no SHARD_COUNT)."""


class ShardedDerivBot(StudyBot, commands.AutoShardedBot):
    """The bot running the shards SHARD_IDS of SHARD_COUNT (all of them if SHARD_IDS is unset)
    in this process; other processes run the rest. Interactions from a server reach the
    process holding its shard, DMs shard 0 (docs/SCALING.md)."""


async def _optimize_quietly(engine: AsyncEngine) -> None:
    """``PRAGMA optimize`` as the bot closes (SQLite's advice for long-lived connections); a
    database already gone must not stop the bot from closing."""
    try:
        await asyncio.wait_for(optimize(engine), 10)
    except (SQLAlchemyError, OSError, TimeoutError):
        log.warning("could not refresh the database statistics on close", exc_info=True)


def shard_options(settings: Settings) -> dict[str, object]:
    """discord.py's sharding arguments from the settings (none when not sharded)."""
    if settings.shard_count is None:
        return {}
    return {"shard_count": settings.shard_count, "shard_ids": settings.shard_ids}


__all__ = [
    "DerivBot",
    "ShardedDerivBot",
    "StudyBot",
    "cog_modules",
    "create_bot",
    "report_error",
    "serve",
]


def create_bot(
    settings: Settings | None = None,
    *,
    clock: Callable[[], object] = utcnow,
    sync_on_start: bool = True,
    metrics: Metrics | None = None,
) -> DerivBot | ShardedDerivBot:
    """The configured bot, not yet started: `derivbot run` starts it, tests drive it. Sharded
    (`AutoShardedBot`) when SHARD_COUNT is set."""
    settings = settings or get_settings()
    kind = ShardedDerivBot if settings.shard_count is not None else DerivBot
    return kind(settings, clock=clock, sync_on_start=sync_on_start, metrics=metrics)


async def serve(bot: StudyBot, token: str) -> None:
    """Run ``bot`` until it is closed; SIGTERM and SIGINT stop it gracefully (`derivbot run`,
    and the container's stop)."""
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def on_signal(signum: int) -> None:
        if stopping:  # a second signal: the first stop is already under way
            return
        log.info("received %s: stopping gracefully", signal.Signals(signum).name)
        stopping.append(asyncio.create_task(bot.stop_gracefully()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        async with bot:  # type: ignore[attr-defined]
            await bot.start(token)  # type: ignore[attr-defined]
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        if stopping:
            await stopping[0]
