"""The one-hop SQLite cursor behaves like aiosqlite's own under SQLAlchemy, in fewer hops."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import sqlite_driver
from bot.db.engine import create_engine, session_factory, transaction


async def _make_table(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    await engine.dispose()


async def test_file_engines_use_the_one_hop_connection(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_driver.Connection)
        # the per-connection setup still ran on it
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await engine.dispose()


async def test_rows_counts_ids_and_errors_come_back_as_before(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    await _make_table(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await conn.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}])
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a"), (2, "b!"), (3, "c!")]
        assert (await conn.execute(text("SELECT name FROM t WHERE id = 9"))).first() is None
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
    async with engine.connect() as conn:  # the failed transaction left nothing behind
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 3
        streamed = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        assert [row.id async for row in streamed] == [1, 2, 3]
    await engine.dispose()


async def test_url_options_reach_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    await _make_table(f"sqlite+aiosqlite:///{path}")
    read_only = create_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    async with read_only.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        with pytest.raises(OperationalError, match="readonly"):
            await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
    await read_only.dispose()


async def test_memory_databases_work_too() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE m (x INTEGER)"))
        await conn.execute(text("INSERT INTO m VALUES (1), (2)"))
        assert (await conn.execute(text("SELECT sum(x) FROM m"))).scalar() == 3
    await engine.dispose()


async def test_a_statement_costs_one_thread_hop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of the driver: aiosqlite's own cursors take four hops per SELECT."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"
    await _make_table(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # connection set-up is not counted
        hops = 0
        original = sqlite_driver.Connection._execute

        async def counting(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal hops
            hops += 1
            return await original(self, fn, *args, **kwargs)

        monkeypatch.setattr(sqlite_driver.Connection, "_execute", counting)
        rows = (await conn.execute(text("SELECT name FROM t"))).all()
        assert rows == []
        assert hops == 1
    await engine.dispose()


async def _thread_of_statements(engine: AsyncEngine, *, keyed: bool) -> set[int]:
    """Which threads ran a keyed transaction's statements (SQLite calls `tid()` where it runs),
    one row at a time and several at once (a batch of gradings' log rows)."""
    async with transaction(session_factory(engine), keyed=keyed) as session:
        first = (await session.execute(text("SELECT tid()"))).scalar_one()
        await session.execute(text("INSERT INTO t (name) VALUES (tid())"))
        rows = [{"k": f"-{k}"} for k in range(3)]  # names are unique
        await session.execute(text("INSERT INTO t (name) VALUES (tid() || :k)"), rows)
        mine = text("SELECT name FROM t ORDER BY id DESC LIMIT 4")  # this transaction's
        written = (await session.execute(mine)).scalars()
        return {first, *(int(name.split("-")[0]) for name in written)}


def _with_tid(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _tid(dbapi_connection: Any, _record: Any) -> None:
        sqlite3_connection = dbapi_connection.driver_connection._conn
        sqlite3_connection.create_function("tid", 0, threading.get_ident)


async def test_keyed_transactions_run_on_the_loop_thread_others_hop(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    await _make_table(url)
    engine = create_engine(url)
    _with_tid(engine)
    loop_thread = threading.get_ident()
    assert await _thread_of_statements(engine, keyed=True) == {loop_thread}
    hopped = await _thread_of_statements(engine, keyed=False)
    assert loop_thread not in hopped and len(hopped) == 1
    async with engine.connect() as conn:  # both transactions were written
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 8
    await engine.dispose()


async def test_a_keyed_transaction_waits_for_another_process_lock_off_the_loop(
    tmp_path: Path,
) -> None:
    """Another process (here another engine) holds the write lock: the keyed transaction's
    BEGIN IMMEDIATE waits on the connection's thread, so the bot's loop keeps running."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    await _make_table(url)
    other, engine = create_engine(url), create_engine(url)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with other.begin() as holder:
        await holder.execute(text("INSERT INTO t (name) VALUES ('held')"))
        beat = asyncio.create_task(ticker())

        async def keyed_write() -> None:
            async with transaction(session_factory(engine), keyed=True) as session:
                await session.execute(text("INSERT INTO t (name) VALUES ('after')"))

        waiting = asyncio.create_task(keyed_write())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # it waits for the lock ...
        assert ticks >= 10  # ... and the loop ran meanwhile
    await asyncio.wait_for(waiting, 10)  # the holder committed: it went on
    beat.cancel()
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["held", "after"]
    await other.dispose()
    await engine.dispose()
