"""The engine's promises: SQLite tuned for concurrent writers, atomic transactions, UTC times."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import get_settings
from bot.db import engine as engine_module
from bot.db import migrate
from bot.db.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_CACHE_KIB,
    create_engine,
    is_sqlite,
    optimize,
    transaction,
)
from bot.db.engine import session_factory as make_session_factory
from bot.db.models import ItemState, ReviewLog, Setting, User, utcnow
from tests.conftest import BACKENDS

TODAY = dt.date(2026, 1, 5)


async def _users_with_states(sessions: async_sessionmaker[AsyncSession], n: int) -> list[int]:
    async with transaction(sessions) as session:
        users = [User(discord_id=1000 + i, display_name=f"u{i}") for i in range(n)]
        session.add_all(users)
        await session.flush()
        session.add_all(
            ItemState(
                user_id=u.id,
                item_key="skill:chain:1",
                kind="skill",
                skill="chain",
                level=1,
                scheduler="sm2",
            )
            for u in users
        )
        session.add(Setting(scope="global", scope_id=0, key="reviews_total", value=0))
        return [u.id for u in users]


async def _review(
    sessions: async_sessionmaker[AsyncSession], user_id: int, token: str, *, pause: float = 0
) -> None:
    """What grading does: read the state, write it back and append the log, atomically."""
    async with transaction(sessions) as session:
        state = await session.scalar(
            select(ItemState).where(ItemState.user_id == user_id).with_for_update()
        )
        assert state is not None
        before = {"repetitions": state.repetitions}
        await asyncio.sleep(pause)  # let other transactions interleave between read and write
        state.repetitions += 1
        state.reviews += 1
        state.last_reviewed_at = utcnow()
        session.add(
            ReviewLog(
                user_id=user_id,
                item_key=state.item_key,
                kind="skill",
                quality=4,
                scheduler="sm2",
                local_day=TODAY,
                state_before=before,
                state_after={"repetitions": state.repetitions},
                points=10,
                counted=True,
                presentation_token=token,
            )
        )
        # A shared counter, read then written: lost updates would show in the final total.
        total = await session.get(Setting, ("global", 0, "reviews_total"), with_for_update=True)
        assert total is not None
        total.value = total.value + 1


# --- SQLite connection setup -----------------------------------------------------------------


async def test_sqlite_pragmas_on_every_connection(sqlite_db_url: str) -> None:
    # the app uses one connection per SQLite file; allow two here to see two connections' setup
    engine = create_engine(sqlite_db_url, pool_size=2)
    try:
        async with engine.connect() as first:
            await _assert_pragmas(first)
            await first.commit()  # end its transaction (it holds the write lock), stay checked out
            async with engine.connect() as second:  # so this is a second DBAPI connection
                await _assert_pragmas(second)
    finally:
        await engine.dispose()


async def _assert_pragmas(conn: AsyncConnection) -> None:
    assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL
    # a 64 MB page cache, not the 2 MB default; ANALYZE bounded per index
    assert (await conn.exec_driver_sql("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    assert SQLITE_CACHE_KIB >= 64 * 1024
    assert (await conn.exec_driver_sql("PRAGMA analysis_limit")).scalar() == 1000


async def test_migrations_leave_planner_statistics(empty_db_url: str, db_backend: str) -> None:
    """prepare_database runs ANALYZE: the planner knows the tables' sizes from the start."""
    await migrate.prepare_database(empty_db_url)
    engine = create_engine(empty_db_url)
    try:
        async with engine.connect() as conn:
            if db_backend == "sqlite":
                stats = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            else:
                stats = (
                    "SELECT count(*) FROM pg_stat_user_tables"
                    " WHERE relname = 'users' AND last_analyze IS NOT NULL"
                )
            assert (await conn.exec_driver_sql(stats)).scalar() == 1
    finally:
        await engine.dispose()


async def test_optimize_runs_on_both_backends(engine: AsyncEngine, db_backend: str) -> None:
    """The periodic refresh (PRAGMA optimize / ANALYZE) runs on a live engine, and after it
    the engine still serves transactions."""
    await optimize(engine)
    await optimize(engine, full=True)
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT 1")).scalar() == 1


async def test_migration_engine_can_turn_foreign_keys_off(sqlite_db_url: str) -> None:
    engine = create_engine(sqlite_db_url, foreign_keys=False)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 0
    finally:
        await engine.dispose()


async def test_sqlite_transactions_begin_immediate(sqlite_db_url: str) -> None:
    """A transaction holds the write lock from its first statement, even a SELECT."""
    engine = create_engine(sqlite_db_url)
    path = engine.url.database
    assert path
    try:
        async with make_session_factory(engine)() as session:
            await session.scalar(select(func.count()).select_from(User))  # a read only
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("SELECT count(*) FROM users").fetchall()  # WAL: reads still go
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                await session.rollback()
                other.execute("BEGIN IMMEDIATE")  # released with the transaction
                other.execute("ROLLBACK")
            finally:
                other.close()
    finally:
        await engine.dispose()


async def test_sqlite_savepoints_roll_back_inside_the_transaction(sqlite_db_url: str) -> None:
    """With the driver's implicit transactions off, SAVEPOINT nests inside our BEGIN."""
    engine = create_engine(sqlite_db_url)
    sessions = make_session_factory(engine)
    try:
        async with transaction(sessions) as session:
            session.add(User(console_name="kept"))
            await session.flush()
            with pytest.raises(IntegrityError):
                async with session.begin_nested():
                    session.add(User(console_name="kept"))  # duplicate
            session.add(User(console_name="also kept"))
        async with sessions() as session:
            names = await session.scalars(select(User.console_name).order_by(User.console_name))
            assert list(names) == ["also kept", "kept"]
    finally:
        await engine.dispose()


async def test_sqlite_read_then_write_transactions_do_not_deadlock(sqlite_db_url: str) -> None:
    """The classic DEFERRED deadlock (both read, both try to write) cannot happen."""
    engine = create_engine(sqlite_db_url)
    sessions = make_session_factory(engine)
    try:
        (uid,) = await _users_with_states(sessions, 1)
        await asyncio.gather(*(_review(sessions, uid, f"t{i}", pause=0.02) for i in range(5)))
        async with sessions() as session:
            state = await session.scalar(select(ItemState))
            assert state is not None and state.repetitions == 5
    finally:
        await engine.dispose()


# --- both backends -----------------------------------------------------------------------------


async def test_fifty_concurrent_write_transactions(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    users = await _users_with_states(session_factory, 50)
    await asyncio.gather(
        *(_review(session_factory, uid, f"tok-{uid}", pause=0.001) for uid in users)
    )
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ReviewLog)) == 50
        reps = await session.scalars(select(ItemState.repetitions))
        assert sorted(reps) == [1] * 50
        total = await session.get(Setting, ("global", 0, "reviews_total"))
        assert total is not None and total.value == 50


async def test_duplicate_presentation_token_counts_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    (uid,) = await _users_with_states(session_factory, 1)
    await _review(session_factory, uid, "same-token")
    with pytest.raises(IntegrityError):
        await _review(session_factory, uid, "same-token")  # double click / retried request
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ReviewLog)) == 1
        state = await session.scalar(select(ItemState))
        assert state is not None
        assert (state.repetitions, state.reviews) == (1, 1)  # the state update rolled back too
        total = await session.get(Setting, ("global", 0, "reviews_total"))
        assert total is not None and total.value == 1


async def test_transaction_rolls_back_on_any_exception(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        async with transaction(session_factory) as session:
            session.add(User(console_name="ghost"))
            await session.flush()
            raise RuntimeError("boom")
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_objects_stay_readable_after_commit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(session_factory) as session:
        user = User(console_name="ada")
        session.add(user)
    # expire_on_commit=False: no lazy load (which would raise under asyncio) after commit.
    assert user.id is not None and user.theme == "dark" and user.created_at.tzinfo is dt.UTC


async def test_datetimes_are_aware_utc_both_ways(
    session_factory: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    moment = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=paris)
    async with transaction(session_factory) as session:
        user = User(console_name="tz")
        session.add(user)
        await session.flush()
        session.add(
            ItemState(
                user_id=user.id,
                item_key="skill:power:1",
                kind="skill",
                skill="power",
                level=1,
                scheduler="fsrs",
                due_at=moment,
            )
        )
    async with session_factory() as session:
        due = await session.scalar(select(ItemState.due_at))
        assert due == moment and due.tzinfo == dt.UTC and due.hour == 11
        # Comparisons in SQL use the same normalisation.
        later = moment + dt.timedelta(microseconds=1)
        assert await session.scalar(select(func.count()).where(ItemState.due_at < later)) == 1
        assert await session.scalar(select(func.count()).where(ItemState.due_at < moment)) == 0
        # Server-side defaults come back aware too.
        await session.execute(text("INSERT INTO users (console_name) VALUES ('raw')"))
        created = await session.scalar(select(User.created_at).where(User.console_name == "raw"))
        assert created is not None and created.tzinfo == dt.UTC
        assert abs(created - utcnow()) < dt.timedelta(minutes=5)
        with pytest.raises(Exception, match="naive datetime"):
            await session.execute(update(User).values(created_at=dt.datetime(2026, 1, 1)))
    assert is_sqlite(engine) == (engine.dialect.name == "sqlite")


async def test_default_url_comes_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        engine = create_engine()
        assert engine.url.render_as_string(hide_password=False) == url
        await engine.dispose()
    finally:
        get_settings.cache_clear()


# --- the SQLite file is the students' data: owner-only ---------------------------------------


@contextlib.contextmanager
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which new files come out 0644 (world-readable)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("form", ["path", "uri"])
async def test_a_new_sqlite_file_and_its_wal_are_owner_only(tmp_path: Path, form: str) -> None:
    path = tmp_path / "fresh.db"
    url = {
        "path": f"sqlite+aiosqlite:///{path}",
        "uri": f"sqlite+aiosqlite:///file:{path}?uri=true",
    }[form]
    with usual_umask():
        await migrate.upgrade_async(url)  # what both start-ups do first: it creates the file
        assert _mode(path) == 0o600
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:  # a write, so the WAL and its index exist
                await conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
            assert _mode(f"{path}-wal") == 0o600
            assert _mode(f"{path}-shm") == 0o600
        finally:
            await engine.dispose()


async def test_an_existing_files_mode_is_left_alone_but_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)  # an operator's choice (say, a backup group), or a file from before
    with caplog.at_level(logging.WARNING):
        await migrate.upgrade_async(f"sqlite+aiosqlite:///{path}")
    assert _mode(path) == 0o644
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0] and "chmod 600" in warnings[0]


POSTGRES = [backend for backend in BACKENDS if backend == "postgres"]


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url)
    async with admin.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await admin.dispose()


@pytest.mark.parametrize("db_backend", POSTGRES)
async def test_postgres_connections_the_server_dropped_are_replaced_unseen(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart (here `pg_terminate_backend`) closes the pool's connections: the next request
    gets a new one instead of an error, whether asyncpg saw the close already or a ping on
    an idle connection finds it; a connection in steady use is not pinged (a ping is three
    round trips)."""
    engine = create_engine(db_url)
    pings = []
    real_ping = AsyncAdapt_asyncpg_connection.ping
    monkeypatch.setattr(
        AsyncAdapt_asyncpg_connection,
        "ping",
        lambda self: pings.append(1) or real_ping(self),
    )
    first = await _backend_pid(engine)
    assert await _backend_pid(engine) == first and pings == []  # reused, not pinged
    await _terminate(db_url, first)
    await asyncio.sleep(0.5)  # the event loop reads the server's goodbye meanwhile
    second = await _backend_pid(engine)
    assert second != first and pings == []
    await _terminate(db_url, second)
    monkeypatch.setattr(engine_module, "PING_IDLE_S", 0.0)  # as if idle for long
    third = await _backend_pid(engine)  # at once: only the ping can tell
    assert third not in (first, second) and pings
    await engine.dispose()
