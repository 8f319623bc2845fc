"""Copying a whole database between backends (SQLite <-> PostgreSQL), resumable and verified.

What ``derivbot db copy`` runs. The target is migrated to head under the start-up lock
(`migrate.prepare_database`, without loading decks: they come from the source); the source must
already be at head, so both have the same tables and columns. Tables are copied in dependency
order (``Base.metadata.sorted_tables``), each in primary-key order, in batches committed one by
one with ``INSERT ... ON CONFLICT DO NOTHING`` on the primary key: a copy interrupted anywhere
and run again continues, re-sending at most what it had sent, inserting nothing twice. After
copying into PostgreSQL every ``id`` sequence is moved to ``max(id)``, so the next row the bot
inserts does not collide.

Verification reads both sides again and compares, per table, the row count and a checksum
computed identically on both: sha256 over the rows in primary-key order (text keys ordered
bytewise, ``COLLATE "C"`` on PostgreSQL, as SQLite does), each row's values read through the
models' types and normalised in Python (datetimes as UTC ISO text, dates ISO, booleans,
JSON canonical with sorted keys).

Merge semantics: the target may be empty, or hold a previous (partial) copy of this source;
every row it already has must be in the source, equal. Anything else (a database the bot has
used, another source's copy) is refused before a row is written (:class:`TargetNotEmpty`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, String, Table, and_, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import NullPool

from bot.db import migrate
from bot.db.engine import create_engine
from bot.db.models import Base

__all__ = [
    "BATCH",
    "CopyError",
    "CopyInterrupted",
    "TableCheck",
    "TargetNotEmpty",
    "checksums",
    "copy_database",
]

#: Rows per INSERT batch (and per committed transaction on the target).
BATCH = 1000

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class CopyError(RuntimeError):
    """The copy cannot start or cannot finish; the message says why."""


class TargetNotEmpty(CopyError):
    """The target holds rows the source does not have (or has otherwise)."""


class CopyInterrupted(CopyError):
    """Raised by the test hook (``stop_after``) to stand for a process killed mid-copy."""


@dataclass(frozen=True, slots=True)
class TableCheck:
    """One table's verification: counts and checksums on both sides."""

    table: str
    source_rows: int
    target_rows: int
    source_sum: str
    target_sum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sum == self.target_sum


def tables() -> list[Table]:
    """Every table the models define, parents before children."""
    return list(Base.metadata.sorted_tables)


# --- reading rows the same way on both backends ---------------------------------------------


def _key_columns(table: Table, dialect: str) -> list[Any]:
    """ORDER BY for the primary key; text compared bytewise on both backends."""
    columns: list[Any] = []
    for column in table.primary_key.columns:
        if dialect == "postgresql" and isinstance(column.type, String):
            columns.append(column.collate("C"))
        else:
            columns.append(column)
    return columns


def _normal(value: Any) -> Any:
    """One value as JSON-able data that is equal on both backends when the value is."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # pragma: no cover - UTCDateTime always attaches UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value  # int, str, bool, None, JSON (dict / list / scalars)


def _row_bytes(row: Sequence[Any]) -> bytes:
    normal = [_normal(v) for v in row]
    return json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def _stream(
    conn: AsyncConnection, table: Table, batch: int
) -> AsyncIterator[list[Sequence[Any]]]:
    """The table's rows in primary-key order, ``batch`` at a time (keyset pagination, so no
    server-side cursor is held open and the order is the same on both backends)."""
    dialect = conn.dialect.name
    order = _key_columns(table, dialect)
    key_names = [c.name for c in table.primary_key.columns]
    last: tuple[Any, ...] | None = None
    while True:
        query = select(*table.columns).order_by(*order).limit(batch)
        if last is not None:
            query = query.where(_after(table, key_names, last, dialect))
        rows = list((await conn.execute(query)).all())
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = tuple(getattr(rows[-1], name) for name in key_names)


def _after(table: Table, names: list[str], last: tuple[Any, ...], dialect: str) -> Any:
    """Rows whose key is after ``last`` in the streaming order (a row-value comparison,
    spelled out as ORs so that SQLite and the collation apply column by column)."""

    def col(name: str) -> Any:
        column: Column[Any] = table.c[name]
        if dialect == "postgresql" and isinstance(column.type, String):
            return column.collate("C")
        return column

    terms = []
    for i, name in enumerate(names):
        equal = [col(n) == last[j] for j, n in enumerate(names[:i])]
        terms.append(and_(*equal, col(name) > last[i]))
    return or_(*terms)


async def table_checksum(
    conn: AsyncConnection, table: Table, batch: int = BATCH
) -> tuple[int, str]:
    """(row count, sha256 hex) of a table, the same on both backends for the same rows."""
    digest = hashlib.sha256()
    count = 0
    async for rows in _stream(conn, table, batch):
        for row in rows:
            digest.update(_row_bytes(row))
            digest.update(b"\n")
            count += 1
    return count, digest.hexdigest()


async def checksums(url: str) -> dict[str, tuple[int, str]]:
    """Every table's (count, checksum) in the database at ``url``."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return {t.name: await table_checksum(conn, t) for t in tables()}
    finally:
        await engine.dispose()


# --- copying --------------------------------------------------------------------------------


@dataclass
class _Progress:
    """Batches written so far; the test hook stops the copy after ``stop_after`` of them."""

    stop_after: int | None
    batches: int = 0
    rows: int = 0

    def wrote(self, rows: int) -> None:
        self.batches += 1
        self.rows += rows
        if self.stop_after is not None and self.batches >= self.stop_after:
            raise CopyInterrupted(f"stopped after {self.batches} batches (test hook)")


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    batch: int = BATCH,
    stop_after: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[TableCheck]:
    """Copy every row of ``source_url`` into ``target_url`` and verify; the per-table checks.

    Raises :class:`CopyError` when the source is not at head, :class:`TargetNotEmpty` when
    the target holds other data. ``stop_after`` (tests) interrupts after that many batches;
    ``progress(table, rows_sent)`` is told after each batch."""
    if make_url(source_url) == make_url(target_url):
        raise CopyError("the source and the target are the same database")
    head = migrate.head()
    if await migrate.current_async(source_url) != head:
        raise CopyError(f"the source is not at the latest schema ({head}): migrate it first")
    await migrate.prepare_database(target_url)
    source = create_engine(source_url, poolclass=NullPool)
    target = create_engine(target_url, poolclass=NullPool)
    try:
        await _refuse_other_data(source, target, batch)
        state = _Progress(stop_after)
        for table in tables():
            await _copy_table(source, target, table, batch, state, progress)
        await _reset_sequences(target)
    finally:
        await source.dispose()
        await target.dispose()
    await migrate.analyze(target_url)  # the planner's statistics describe the copied rows
    return await verify(source_url, target_url)


async def _copy_table(
    source: AsyncEngine,
    target: AsyncEngine,
    table: Table,
    batch: int,
    state: _Progress,
    progress: Callable[[str, int], None] | None,
) -> None:
    insert = _INSERTS[target.dialect.name]
    keys = [c.name for c in table.primary_key.columns]
    statement = insert(table).on_conflict_do_nothing(index_elements=keys)
    sent = 0
    async with source.connect() as reading:
        async for rows in _stream(reading, table, batch):
            async with target.begin() as writing:
                await writing.execute(statement, [row._asdict() for row in rows])  # type: ignore[attr-defined]
            sent += len(rows)
            if progress is not None:
                progress(table.name, sent)
            state.wrote(len(rows))


async def _reset_sequences(target: AsyncEngine) -> None:
    """PostgreSQL: each ``id`` sequence to ``max(id)`` (explicit ids never advanced it)."""
    if target.dialect.name != "postgresql":
        return
    async with target.begin() as conn:
        for table in tables():
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:t, 'id'),"
                    f' COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
                ),
                {"t": table.name},
            )


async def _refuse_other_data(source: AsyncEngine, target: AsyncEngine, batch: int) -> None:
    """Every row already in the target must be in the source, equal (a previous run's);
    otherwise nothing is written. A merge join over both sides in primary-key order."""
    async with source.connect() as src, target.connect() as dst:
        for table in tables():
            if not await dst.scalar(select(func.count()).select_from(table)):
                continue
            keys = [c.name for c in table.primary_key.columns]
            source_rows = _rows(src, table, batch)
            current = await anext(source_rows, None)
            async for rows in _stream(dst, table, batch):
                for row in rows:
                    key = _key(row, keys)
                    while current is not None and _key(current, keys) < key:
                        current = await anext(source_rows, None)
                    if current is None or _row_bytes(current) != _row_bytes(row):
                        raise TargetNotEmpty(
                            f"the target's table {table.name} holds a row the source does not"
                            f" ({', '.join(f'{k}={v!r}' for k, v in zip(keys, key, strict=True))}):"
                            " copy into an empty database (or a previous copy of this source)"
                        )


async def _rows(conn: AsyncConnection, table: Table, batch: int) -> AsyncIterator[Any]:
    async for rows in _stream(conn, table, batch):
        for row in rows:
            yield row


def _key(row: Any, keys: list[str]) -> tuple[Any, ...]:
    return tuple(getattr(row, k) for k in keys)


async def verify(source_url: str, target_url: str) -> list[TableCheck]:
    """Counts and checksums of every table on both sides."""
    source = await checksums(source_url)
    target = await checksums(target_url)
    return [
        TableCheck(name, source[name][0], target[name][0], source[name][1], target[name][1])
        for name in source
    ]
