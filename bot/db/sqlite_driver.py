"""aiosqlite connections whose cursors cost one thread hop per statement, not four.

aiosqlite runs each sqlite3 call on the connection's own thread and hands the result back to
the event loop: one hop (about 40 µs here, more when the CPU is busy) per call. SQLAlchemy's
adapter makes four calls per statement (open a cursor, execute, fetch all rows, close), so
building a student's queue took about 50 hops, a third of its time and most of its tail.

:class:`Connection` keeps aiosqlite (its thread, queue, commit and rollback) and changes only
the cursor: :class:`PrefetchCursor` opens, executes, fetches and closes a sqlite3 cursor in one
call on the connection's thread, then answers ``fetch*`` from what it holds. SQLAlchemy buffers
every row of a non-streaming result anyway, so nothing is read earlier than before; what the
adapter reads after ``execute`` (``description``, ``rowcount``, ``lastrowid``) is captured on
the thread before the sqlite3 cursor closes.

:func:`connector` also creates a missing database file owner-only (0600) before SQLite opens
it: the file holds Discord ids and answers, and SQLite would create it with the umask's mode
(0644 under the usual 022). SQLite gives the ``-wal``, ``-shm`` and ``-journal`` files the
database file's mode, so they follow. A file that already exists keeps its mode (an operator
may have granted a backup group access on purpose); if others can read it, a warning says so
once.

:func:`inline` lets a transaction run its statements on the event loop's own thread instead:
a keyed lookup or write takes microseconds in SQLite, less than the hop to the connection's
thread and back, so a grading (a dozen such statements) costs the loop less. Only statements
that cannot wait run there: once ``BEGIN IMMEDIATE`` (which may wait for another process's
write lock, up to ``busy_timeout``) has taken the write lock on the connection's thread,
nothing inside the transaction waits for a lock in WAL mode; the ``COMMIT`` (which may
checkpoint the WAL to disk) goes back to the thread too. The connection is opened with
``check_same_thread=False`` for this: one coroutine at a time holds it (the pool), and each of
its statements is awaited before the next, so the two threads never use it at once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosqlite

__all__ = ["Connection", "PrefetchCursor", "connector", "create_private", "inline"]

log = logging.getLogger(__name__)
_warned: set[str] = set()

_Result = tuple[Any, int, int | None, list[Any]]
#: set by `inline`: this context's statements run on the event loop's thread
_INLINE: ContextVar[bool] = ContextVar("derivbot_sqlite_inline", default=False)
#: statements that may wait (for a lock, for the disk) go to the connection's thread anyway
_MAY_WAIT = ("BEGIN", "COMMIT", "END", "ROLLBACK", "PRAGMA", "VACUUM", "ANALYZE")


@contextmanager
def inline() -> Iterator[None]:
    """Run this context's SQLite statements on the event loop's thread (see the module
    docstring): for transactions whose every statement finds its rows by key."""
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


class PrefetchCursor:
    """A cursor for SQLAlchemy's aiosqlite adapter that runs each statement in one hop."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> PrefetchCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> PrefetchCursor:
        conn = self._connection

        def run() -> _Result:
            return _drain(conn._conn.cursor(), lambda c: c.execute(sql, parameters or ()))

        if _INLINE.get() and not sql.lstrip()[:8].upper().startswith(_MAY_WAIT):
            self._take(run())
        else:
            self._take(await conn._execute(run))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> PrefetchCursor:
        conn = self._connection

        def run() -> _Result:
            return _drain(conn._conn.cursor(), lambda c: c.executemany(sql, parameters))

        if _INLINE.get():  # a batch's rows by key (a grading's log rows and points)
            self._take(run())
        else:
            self._take(await conn._execute(run))
        return self

    def _take(self, result: _Result) -> None:
        self.description, self.rowcount, self.lastrowid, self._rows = result

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = self.arraysize if size is None else size
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


def _drain(cursor: sqlite3.Cursor, run: Callable[[sqlite3.Cursor], object]) -> _Result:
    """On the connection's thread: run, read everything SQLAlchemy will ask for, close."""
    try:
        run(cursor)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class Connection(aiosqlite.Connection):
    """An aiosqlite connection handing out :class:`PrefetchCursor`\\ s."""

    def cursor(self) -> PrefetchCursor:  # type: ignore[override]
        return PrefetchCursor(self)


def connector(database: str, **kwargs: Any) -> Callable[[], Connection]:
    """An ``async_creator`` for :func:`sqlalchemy.ext.asyncio.create_async_engine`: opens
    ``database`` with sqlite3 keyword arguments ``kwargs`` (what the URL would have given)."""

    def connect() -> sqlite3.Connection:  # on the connection's thread
        create_private(database, uri=bool(kwargs.get("uri")))
        return sqlite3.connect(database, **{"check_same_thread": False, **kwargs})

    def create() -> Connection:
        connection = Connection(connect, 64)
        connection._thread.daemon = True  # as SQLAlchemy does: never block interpreter exit
        return connection

    return create


def create_private(database: str, *, uri: bool = False) -> None:
    """Create the SQLite file ``database`` (as sqlite3 would open it) empty and owner-only if
    it does not exist yet; an empty file is an empty database to SQLite. Memory and read-only
    databases are left alone, and so are errors: SQLite reports them in its own words."""
    path = _file_of(database, uri)
    if path is None:
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _warn_if_shared(path)
    except OSError:
        pass


def _file_of(database: str, uri: bool) -> str | None:
    """The file behind a sqlite3 ``database`` argument, or None when nothing is to be made."""
    if not uri:
        return database if database not in ("", ":memory:") else None
    parts = urlsplit(database)
    query = parse_qs(parts.query)
    if parts.scheme != "file" or query.get("mode", ["rwc"])[-1] != "rwc" or "vfs" in query:
        return None  # read-only, read-write without create, memory or another VFS
    path = unquote(parts.path)
    return path if path not in ("", ":memory:") else None


def _warn_if_shared(path: str) -> None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return
    if mode & 0o077 and path not in _warned:
        _warned.add(path)
        log.warning(
            "the database %s (Discord ids and answers) is readable by others (mode %o); "
            "run chmod 600 on it (and on its -wal and -shm files) unless that is intended",
            path,
            mode,
        )
