"""Schema migrations from Python: what ``derivbot migrate`` and the bot's start-up call.

Thin wrappers over Alembic's commands that find ``alembic.ini`` and ``migrations/`` next to the
package (so they work from any working directory) and pass the URL without going through the
ini file (whose ``%`` interpolation would mangle URL-encoded passwords). They leave the
caller's logging configuration alone.

The commands are synchronous and ``migrations/env.py`` runs its own event loop, so from async
code use :func:`upgrade_async`, which runs the upgrade in a worker thread.

Every start (the bot, the console, ``derivbot migrate``, ``derivbot deck sync``) goes through
:func:`prepare_database`: upgrade, ANALYZE, then load the shipped decks, under
:func:`startup_lock`, so that processes starting together on one database take turns. Without
it, two first migrations at once on PostgreSQL crash on ``pg_type`` and two deck loads on the
decks' unique slugs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar, overload

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import AsyncFileLock, Timeout
from sqlalchemy import URL, func, make_url, select
from sqlalchemy.pool import NullPool

from bot.db.engine import create_engine, optimize

__all__ = [
    "alembic_config",
    "analyze",
    "check",
    "current",
    "current_async",
    "downgrade",
    "downgrade_async",
    "head",
    "prepare_database",
    "startup_lock",
    "upgrade",
    "upgrade_async",
]

T = TypeVar("T")
log = logging.getLogger(__name__)

#: The PostgreSQL advisory lock that starts take turns on (per database): "derivbot" in ASCII.
STARTUP_LOCK_KEY = int.from_bytes(b"derivbot", "big")

#: The repository root, where ``alembic.ini`` and ``migrations/`` live (an editable install or
#: a checkout; a wheel would need them packaged).
ROOT = Path(__file__).resolve().parents[2]


def _resolve(url: str | URL | None) -> str:
    if url is None:
        from bot.config import get_settings

        url = get_settings().database_url
    return make_url(url).render_as_string(hide_password=False)


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic :class:`Config` for ``url`` (default: the ``DATABASE_URL`` setting)."""
    ini = ROOT / "alembic.ini"
    if not ini.is_file():
        raise FileNotFoundError(
            f"alembic.ini not found at {ini}; is derivbot installed from a checkout?"
        )
    config = Config(str(ini))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = _resolve(url)
    config.attributes["configure_logging"] = False
    return config


def upgrade(url: str | URL | None = None, revision: str = "head") -> None:
    """Upgrade the database to ``revision``; creates a missing SQLite file. Not from a loop."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL | None, revision: str) -> None:
    """Downgrade the database to ``revision`` (``"base"``: drop every table). Not from a loop."""
    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str | URL | None = None, revision: str = "head") -> None:
    """:func:`upgrade` for async callers: the bot migrates on start without blocking its loop."""
    await asyncio.to_thread(upgrade, url, revision)


async def downgrade_async(url: str | URL | None, revision: str) -> None:
    """:func:`downgrade` under :func:`startup_lock`: a process starting meanwhile waits for it."""
    async with startup_lock(url):
        await asyncio.to_thread(downgrade, url, revision)


@overload
async def prepare_database(
    url: str | URL | None = None, *, revision: str = "head", then: None = None
) -> None: ...
@overload
async def prepare_database(
    url: str | URL | None = None, *, revision: str = "head", then: Callable[[], Awaitable[T]]
) -> T: ...
async def prepare_database(
    url: str | URL | None = None,
    *,
    revision: str = "head",
    then: Callable[[], Awaitable[T]] | None = None,
) -> T | None:
    """Upgrade the database, then run ``then`` (loading the shipped decks), with no other
    process doing the same meanwhile. Returns what ``then`` returned."""
    async with startup_lock(url):
        await upgrade_async(url, revision)
        await analyze(url)
        return await then() if then is not None else None


async def analyze(url: str | URL | None = None) -> None:
    """Statistics for the query planner after a migration (a new index is unused on SQLite
    until ANALYZE has seen it; sampled, so milliseconds even at 10,000 students)."""
    engine = create_engine(_resolve(url), poolclass=NullPool)
    try:
        await optimize(engine, full=True)
    finally:
        await engine.dispose()


@asynccontextmanager
async def startup_lock(url: str | URL | None = None) -> AsyncIterator[None]:
    """Held by one process at a time per database, while it migrates and loads decks.

    PostgreSQL: a session-level advisory lock (:data:`STARTUP_LOCK_KEY`) on a connection of its
    own, held across both steps, released when the connection ends even if the process dies.
    SQLite: an OS file lock on ``<database file>.lock`` beside it (an in-memory database is
    private to its process, so needs none). Not re-entrant: never nest it.
    """
    resolved = make_url(_resolve(url))
    backend = resolved.get_backend_name()
    if backend == "sqlite":
        database = resolved.database or ""
        if database in ("", ":memory:") or resolved.query.get("mode") == "memory":
            yield
            return
        lock = AsyncFileLock(f"{database}.lock")
        try:
            await lock.acquire(timeout=0)
        except Timeout:
            log.info("waiting for another process to finish preparing %s", database)
            await lock.acquire()
        try:
            yield
        finally:
            await lock.release()
        return
    if backend != "postgresql":
        raise NotImplementedError(f"no start-up lock for {backend}")
    engine = create_engine(resolved, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            if not await connection.scalar(select(func.pg_try_advisory_lock(STARTUP_LOCK_KEY))):
                log.info("waiting for another process to finish preparing the database")
                await connection.execute(select(func.pg_advisory_lock(STARTUP_LOCK_KEY)))
            try:
                yield
            finally:
                await connection.execute(select(func.pg_advisory_unlock(STARTUP_LOCK_KEY)))
    finally:
        await engine.dispose()


def check(url: str | URL | None = None) -> None:
    """Fail unless the database at ``url`` matches the models exactly (``alembic check``).

    Raises :class:`alembic.util.exc.AutogenerateDiffsDetected` listing the drift, which means a
    model changed without a migration (or the database is not at head).
    """
    command.check(alembic_config(url))


def head() -> str:
    """The newest revision id in ``migrations/versions``."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revision = script.get_current_head()
    if revision is None:  # pragma: no cover - the repository always has migrations
        raise RuntimeError("no migrations found")
    return revision


async def current_async(url: str | URL | None = None) -> str | None:
    """The database's revision id, or None for a database never migrated."""
    engine = create_engine(_resolve(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def current(url: str | URL | None = None) -> str | None:
    """:func:`current_async` for synchronous callers (the CLI). Not from a loop."""
    return asyncio.run(current_async(url))
