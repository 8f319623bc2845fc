"""Shared database fixtures: a fresh, migrated database per test, on every configured backend.

Fixtures (all function-scoped, parametrised over the backends, ids ``sqlite`` / ``postgres``):

- ``db_url``: URL of a fresh database migrated to head.
- ``engine``: an :class:`AsyncEngine` on it (``bot.db.engine.create_engine``), disposed after.
- ``session_factory``: an ``async_sessionmaker`` on that engine.
- ``empty_db_url``: URL of a fresh database with no tables (for migration tests).
- ``db_backend``: ``"sqlite"`` or ``"postgres"``, for the odd backend-specific assertion.
- ``sqlite_db_url``: a fresh migrated SQLite database, not parametrised (SQLite-only tests).

SQLite always runs (a file under ``tmp_path``). PostgreSQL runs only when
``DERIVBOT_TEST_POSTGRES_URL`` is set (e.g. ``postgresql+asyncpg://postgres@127.0.0.1/test``);
without it the ``postgres`` parameter does not exist at all, rather than showing as skipped.

Speed: migrations run once per session and backend. SQLite: each test gets a copy of a
migrated template file (milliseconds). PostgreSQL: CREATE/DROP DATABASE costs ~0.5 s here, so
``db_url`` tests share one migrated database for the session (uniquely named, so concurrent
test runs on one server never meet) that is emptied after each test: every table DELETEd in
dependency order and every sequence restarted, ~30 ms, so ids start at 1 as on SQLite. If the
clean-up cannot get its locks (a test left a transaction open), the database is dropped and
the next test gets a new one. A test that changes the *schema* must not use ``db_url``: take
``empty_db_url`` (a database of its own, dropped afterwards) and migrate it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import warnings
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _sa_create_async_engine
from sqlalchemy.pool import NullPool

from bot.db import engine as db_engine
from bot.db import migrate
from bot.db.models import Base
from tests.property import FUZZ

T = TypeVar("T")

# `make test` is the same suite for everyone, every time: property tests run a fixed sequence of
# examples and no example database (whose saved failures differ from machine to machine).
# `make fuzz` (DERIVBOT_FUZZ=1) explores new examples and keeps the failures it finds in
# .hypothesis/; each one is a bug to fix and pin with an @example.
hypothesis_settings.register_profile("fixed", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("fuzz", derandomize=False, print_blob=True)
hypothesis_settings.load_profile("fuzz" if FUZZ else "fixed")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every Hypothesis test `property`, so `make fuzz` can run just those."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)


POSTGRES_URL = os.environ.get("DERIVBOT_TEST_POSTGRES_URL") or None
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


def _run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, whether or not a loop is running here."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coro).result()


class Databases:
    """Hands out fresh databases; migrations run once per session and backend."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite_template: Path | None = None
        self._pg_shared: str | None = None

    # --- SQLite -----------------------------------------------------------------------------

    @staticmethod
    def sqlite_url(path: Path) -> str:
        return f"sqlite+aiosqlite:///{path}"

    async def _sqlite_template_path(self) -> Path:
        if self._sqlite_template is None:
            path = self.root / "template.db"
            await migrate.upgrade_async(self.sqlite_url(path))
            self._sqlite_template = path
        return self._sqlite_template

    async def new_sqlite(self, directory: Path, *, migrated: bool) -> str:
        path = directory / f"derivbot_{secrets.token_hex(4)}.db"
        if migrated:
            shutil.copy(await self._sqlite_template_path(), path)  # owner-only, as migrated
        return self.sqlite_url(path)

    # --- PostgreSQL -------------------------------------------------------------------------

    @staticmethod
    def _pg_url(database: str) -> str:
        assert POSTGRES_URL is not None
        return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)

    @staticmethod
    async def _pg_admin(*statements: str) -> None:
        """Run statements outside a transaction (CREATE/DROP DATABASE) on the given URL."""
        admin = _sa_create_async_engine(
            POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            async with admin.connect() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await admin.dispose()

    async def _pg_create(self) -> str:
        name = f"derivbot_t_{os.getpid()}_{secrets.token_hex(4)}"
        await self._pg_admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    async def _pg_drop(self, name: str) -> None:
        await self._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _pg_migrated(self) -> str:
        if self._pg_shared is None:
            name = await self._pg_create()
            try:
                await migrate.upgrade_async(self._pg_url(name))
            except BaseException:
                await self._pg_drop(name)
                raise
            self._pg_shared = name
        return self._pg_url(self._pg_shared)

    async def _pg_clean(self, url: str) -> None:
        """Empty every table and restart every sequence: the database is as good as new."""
        engine = _sa_create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("SET LOCAL lock_timeout = '5s'"))
                for table in reversed(Base.metadata.sorted_tables):
                    await conn.execute(table.delete())
                await conn.execute(text(_PG_RESTART_SEQUENCES))
        except Exception as exc:
            # A test left a transaction holding locks (or worse): start over with a new one.
            warnings.warn(f"shared test database replaced, clean-up failed: {exc}", stacklevel=1)
            assert self._pg_shared is not None
            shared, self._pg_shared = self._pg_shared, None
            await self._pg_drop(shared)
        finally:
            await engine.dispose()

    # --- either -----------------------------------------------------------------------------

    async def new(self, backend: str, directory: Path, *, migrated: bool) -> str:
        if backend == "sqlite":
            return await self.new_sqlite(directory, migrated=migrated)
        if migrated:
            return await self._pg_migrated()
        return self._pg_url(await self._pg_create())

    async def release(self, backend: str, url: str, *, migrated: bool) -> None:
        if backend != "postgres":
            return  # tmp_path takes care of SQLite files
        if migrated:
            await self._pg_clean(url)
        else:
            await self._pg_drop(str(make_url(url).database))

    def close(self) -> None:
        if self._pg_shared is not None:
            shared, self._pg_shared = self._pg_shared, None
            _run_in_thread(self._pg_drop(shared))


_PG_RESTART_SEQUENCES = """
DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT schemaname, sequencename FROM pg_sequences
             WHERE schemaname = current_schema() LOOP
        EXECUTE format('ALTER SEQUENCE %I.%I RESTART', s.schemaname, s.sequencename);
    END LOOP;
END $$
"""


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    databases = Databases(tmp_path_factory.mktemp("db-template"))
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """The backend under test: ``"sqlite"``, or ``"postgres"`` when configured."""
    return request.param


@pytest.fixture
async def db_url(db_backend: str, tmp_path: Path, _databases: Databases) -> AsyncIterator[str]:
    """A fresh database migrated to head."""
    url = await _databases.new(db_backend, tmp_path, migrated=True)
    yield url
    await _databases.release(db_backend, url, migrated=True)


@pytest.fixture
async def empty_db_url(
    db_backend: str, tmp_path: Path, _databases: Databases
) -> AsyncIterator[str]:
    """A fresh database without any tables (SQLite: a file that does not exist yet)."""
    url = await _databases.new(db_backend, tmp_path, migrated=False)
    yield url
    await _databases.release(db_backend, url, migrated=False)


@pytest.fixture
async def sqlite_db_url(tmp_path: Path, _databases: Databases) -> str:
    """A fresh migrated SQLite database, for tests of SQLite-only behaviour."""
    return await _databases.new("sqlite", tmp_path, migrated=True)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """The application's engine on a fresh migrated database."""
    eng = db_engine.create_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The application's session factory on a fresh migrated database."""
    return db_engine.session_factory(engine)
