"""Async engines and sessions, with SQLite tuned for a concurrent bot.

SQLite is the default store, and a Discord bot writes from many coroutines at once. Out of the
box that fails in two ways, both fixed on every new connection here:

- Rollback-journal mode blocks readers during writes: we switch to WAL (readers never block
  the writer, nor the writer them) with ``synchronous=NORMAL`` (safe in WAL: a power cut can
  lose the last commits, never corrupt the file).
- pysqlite/aiosqlite open transactions lazily and as *readers* (``BEGIN DEFERRED``, or no
  BEGIN at all before a SELECT). Two such transactions that both read and then write deadlock:
  neither can upgrade to the write lock while the other holds its read snapshot, and SQLite
  answers "database is locked" immediately, without waiting. Following SQLAlchemy's documented
  recipe ("Enabling Non-Legacy SQLite Transactional Modes"), the driver's own transaction
  handling is switched off (``isolation_level = None``) and every transaction starts with
  ``BEGIN IMMEDIATE``: it takes the write lock up front, so writers queue (up to
  ``busy_timeout``) instead of deadlocking. It also makes DDL and SAVEPOINTs transactional.

The cost is that on SQLite transactions are serialised, reads included; they are short, and
correctness beats throughput at a class's scale. PostgreSQL (``postgresql+asyncpg``) needs
none of this; there, read-then-write code should lock what it reads (``with_for_update()``,
which SQLite ignores), so the same service code is correct on both.

Foreign-key enforcement is also per connection on SQLite (``PRAGMA foreign_keys``), and on.
So is the page cache: SQLite's default is 2 MB, a few pages of the indexes a front-end query
walks at 10,000 students; every connection gets ``cache_size`` = 64 MB (:data:`SQLITE_CACHE_KIB`;
one pooled connection, so that is the whole cost). The planner's statistics are kept fresh by
:func:`optimize` (``PRAGMA optimize``, bounded by ``analysis_limit``; ``ANALYZE`` on PostgreSQL),
which the bot runs periodically and before it closes its engine, and migrations run after
upgrading (`bot.db.migrate.prepare_database`).

Two rules follow for code using SQLite sessions, because every session that has run a statement
holds the database's only write lock until it commits or rolls back:

- never hold a transaction across a slow await (a math check in the worker pool, a Discord
  call): read, close the session, do the slow thing, then write in a new transaction;
- never open a second session while the same coroutine still has one in a transaction: the
  second waits for the first, which waits for the second, until ``busy_timeout`` says
  "database is locked".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import URL, event, make_url, text
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, NullPool

from bot.db import sqlite_driver

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_CACHE_KIB",
    "create_engine",
    "is_sqlite",
    "optimize",
    "session_factory",
    "transaction",
    "wait_until_ready",
]

#: How long a SQLite writer waits for the write lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: How long a coroutine waits for the (single) SQLite connection before giving up.
SQLITE_POOL_TIMEOUT_S = 60
#: SQLite's page cache per connection, in KiB (the default, 2 MB, is a few index pages).
SQLITE_CACHE_KIB = 65_536
#: A pooled PostgreSQL connection unused for longer is pinged before use (`_check_out`).
PING_IDLE_S = 10.0
#: Rows ANALYZE samples per index on SQLite, so that it takes milliseconds on any size.
SQLITE_ANALYSIS_LIMIT = 1_000


def is_sqlite(engine_or_url: AsyncEngine | URL | str) -> bool:
    """Whether an engine or URL points at SQLite (which needs the per-connection setup)."""
    if isinstance(engine_or_url, AsyncEngine):
        return engine_or_url.dialect.name == "sqlite"
    return make_url(engine_or_url).get_backend_name() == "sqlite"


def create_engine(
    url: str | URL | None = None,
    *,
    foreign_keys: bool = True,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    **kwargs: Any,
) -> AsyncEngine:
    """An :class:`AsyncEngine` for ``url`` (default: the ``DATABASE_URL`` setting).

    On SQLite every connection gets WAL, ``foreign_keys``, ``busy_timeout`` and BEGIN IMMEDIATE
    transactions (see the module docstring). ``foreign_keys=False`` is for migrations only:
    SQLite's batch ALTER recreates tables, and dropping a referenced table with enforcement on
    would cascade-delete the rows that point at it. Extra keyword arguments go to
    :func:`sqlalchemy.ext.asyncio.create_async_engine`.
    """
    if url is None:
        from bot.config import get_settings

        url = get_settings().database_url
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        # survive server restarts and idle timeouts (`_check_out`); other drivers ping at
        # every checkout
        if url.get_driver_name() == "asyncpg" and "pool_pre_ping" not in kwargs:
            engine = _create_async_engine(url, **kwargs)
            event.listen(engine.sync_engine, "connect", _note_idle)
            event.listen(engine.sync_engine, "checkin", _note_idle)
            event.listen(engine.sync_engine, "checkout", _check_out)
            return engine
        kwargs.setdefault("pool_pre_ping", True)
        return _create_async_engine(url, **kwargs)

    engine = _create_async_engine(url, **_sqlite_engine_options(url, kwargs))
    _tune_sqlite(engine, foreign_keys=foreign_keys, busy_timeout_ms=busy_timeout_ms)
    return engine


def _note_idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _check_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Hand out a pooled asyncpg connection only if the server still has it.

    SQLAlchemy's ``pool_pre_ping`` asks the server at every checkout, and its asyncpg ping is
    three round trips (a transaction around ``;``): six per review click. Instead: asyncpg
    learns that the server closed a connection (a restart, ``pg_terminate_backend``) as it
    happens, since the event loop watches its socket, so that costs nothing to check; and a
    connection idle longer than PING_IDLE_S (where a proxy's or firewall's idle timeout may
    have dropped it silently) is pinged first. A connection that fails either is replaced
    (SQLAlchemy's documented custom pessimistic check: the pool retries on
    DisconnectionError)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the server closed this connection")
    if time.monotonic() - record.info.get("idle_since", 0.0) > PING_IDLE_S:
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError(f"the connection did not answer a ping: {exc}") from exc


def _sqlite_engine_options(url: URL, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The pool and connector a SQLite engine gets unless the caller chose its own."""
    kwargs = dict(kwargs)
    if url.database and url.database != ":memory:" and "poolclass" not in kwargs:
        # Every transaction takes SQLite's one write lock (BEGIN IMMEDIATE), so more than one
        # connection only adds contention: waiters poll the lock with growing sleeps and a
        # burst of students can starve past busy_timeout. One connection turns that into a
        # fair FIFO queue in the pool, in the event loop, with no polling. (Code must never
        # hold one session while opening another; the service doesn't.)
        kwargs.setdefault("poolclass", AsyncAdaptedQueuePool)
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", SQLITE_POOL_TIMEOUT_S)
    if "async_creator" not in kwargs and "creator" not in kwargs:
        # same file and options as the URL names, through cursors that take one thread hop
        # per statement instead of four (bot/db/sqlite_driver.py)
        dialect = SQLiteDialect_aiosqlite(dbapi=SQLiteDialect_aiosqlite.import_dbapi())
        (database,), options = dialect.create_connect_args(url)
        kwargs["async_creator"] = sqlite_driver.connector(database, **options)
    return kwargs


def _tune_sqlite(engine: AsyncEngine, *, foreign_keys: bool, busy_timeout_ms: int) -> None:
    """Every new connection: WAL, foreign keys, busy timeout; every transaction: BEGIN
    IMMEDIATE (see the module docstring)."""
    fk_pragma = "ON" if foreign_keys else "OFF"

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # No implicit BEGINs from the driver: SQLAlchemy emits our BEGIN IMMEDIATE instead.
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so that switching to WAL also waits for a lock if it must.
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA foreign_keys = {fk_pragma}")
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")  # negative: KiB
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


async def optimize(engine: AsyncEngine, *, full: bool = False) -> None:
    """Refresh the query planner's statistics: nothing ever did, so after a month of growth the
    planner would still choose plans for the empty database it was migrated on.

    SQLite: ``PRAGMA optimize`` (analyses only the tables whose size changed a lot since, and
    each within ``analysis_limit`` rows), or ``ANALYZE`` with ``full`` (after migrations).
    PostgreSQL: ``ANALYZE`` (sampled; autovacuum does it too, this makes it certain)."""
    statement = "ANALYZE" if full or not is_sqlite(engine) else "PRAGMA optimize"
    async with engine.begin() as conn:
        await conn.exec_driver_sql(statement)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine``.

    ``expire_on_commit=False``: objects stay readable after commit; under asyncio an expired
    attribute would need an implicit lazy load, which raises instead of doing I/O.
    """
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    factory: async_sessionmaker[AsyncSession], *, keyed: bool = False
) -> AsyncIterator[AsyncSession]:
    """One session, one transaction: commit on success, roll back on any exception.

    ``keyed``: every statement in it finds its rows by a key (a grading, a presentation), so
    on SQLite they run on the event loop's thread, without a hop each
    (`bot.db.sqlite_driver.inline`); never for a statement that reads many rows.

    Services use this so that a state change and its log entry (say an ``item_states`` update
    and its ``review_log`` row) are written together or not at all::

        async with transaction(sessions) as session:
            state = await session.get(ItemState, state_id, with_for_update=True)
            ...
            session.add(ReviewLog(...))
    """
    with sqlite_driver.inline() if keyed else nullcontext():
        async with factory() as session, session.begin():
            yield session


async def wait_until_ready(
    url: str | URL, *, timeout: float, interval: float = 1.0
) -> BaseException | None:
    """Try ``SELECT 1`` until the database answers or ``timeout`` seconds pass; the last error,
    or None once it answered. A container's bot starts with its database, which may take a few
    seconds to accept connections (docker-compose's healthcheck covers most of it, not all)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    engine = create_engine(url, poolclass=NullPool)
    try:
        while True:
            try:
                async with engine.connect() as conn:
                    await asyncio.wait_for(conn.execute(text("SELECT 1")), max(interval, 1.0))
                return None
            except (OSError, SQLAlchemyError, TimeoutError) as exc:
                error: BaseException = exc
            if loop.time() + interval > deadline:
                return error
            await asyncio.sleep(interval)
    finally:
        await engine.dispose()
