"""Create-if-missing without a race: ``INSERT ... ON CONFLICT DO NOTHING`` on either backend.

Reading a row and inserting it when absent is two statements; on PostgreSQL two transactions
can both read "absent" and the second insert then fails on the unique constraint. SQLite never
sees that (every transaction takes the write lock first, see ``bot.db.engine``), PostgreSQL
does: a new student's first two commands at once, two bot processes. Inserting with ``ON
CONFLICT DO NOTHING`` and selecting afterwards is correct on both: when another transaction
has inserted the same key and not committed yet, PostgreSQL waits for it and then does
nothing, and the following SELECT (a new snapshot under READ COMMITTED) sees its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["add_up_each", "insert_missing", "insert_missing_each"]

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


async def insert_missing(
    session: AsyncSession, model: type[Any], key: Sequence[str], **values: Any
) -> bool:
    """Insert a ``model`` row with ``values`` unless one with the same ``key`` columns (a
    unique constraint or primary key) exists, or is being inserted concurrently; whether this
    call inserted it. Select the row afterwards, with ``with_for_update()`` when the caller
    goes on to change it."""
    statement = _statement(session, model, tuple(key), None, tuple(values))
    return (await session.execute(statement, values)).first() is not None


async def insert_missing_each(
    session: AsyncSession, model: type[Any], key: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """`insert_missing` for several rows of the same columns, in one statement executed for
    each (without saying which were inserted: select them afterwards)."""
    if rows:
        statement = _statement(session, model, tuple(key), "", tuple(rows[0]))
        await session.execute(statement, list(rows))


async def add_up_each(
    session: AsyncSession,
    model: type[Any],
    key: Sequence[str],
    column: str,
    rows: Sequence[dict[str, Any]],
) -> None:
    """Insert each of ``rows`` (``model`` rows of the same columns), or add its ``column`` to
    that of the row with the same ``key``: one statement executed for each row, so two
    transactions adding to the same row at once (PostgreSQL) both count, the second waiting
    for the first's row lock."""
    if rows:
        statement = _statement(session, model, tuple(key), column, tuple(rows[0]))
        await session.execute(statement, list(rows))


_Shape = tuple[str, type[Any], tuple[str, ...], str | None, tuple[str, ...]]
#: statements by (dialect, model, key, column added to, None (insert, say whether) or ""
#: (insert, say nothing), columns given): built once, as building one (``excluded`` above all)
#: costs more than running it
_BUILT: dict[_Shape, Any] = {}


def _statement(
    session: AsyncSession,
    model: type[Any],
    key: tuple[str, ...],
    column: str | None,
    names: tuple[str, ...],
) -> Any:
    dialect = session.get_bind().dialect.name
    shape = (dialect, model, key, column, names)
    statement = _BUILT.get(shape)
    if statement is None:
        try:
            insert = _INSERTS[dialect]
        except KeyError:
            raise NotImplementedError(f"no ON CONFLICT support for {dialect}") from None
        # the model's table, not the model: a plain Core statement, whose rows the ORM does
        # not process one by one as an "ORM bulk insert" (a third of a batch's time)
        table = model.__table__
        statement = insert(table).values({name: bindparam(name) for name in names})
        if not column:
            statement = statement.on_conflict_do_nothing(index_elements=list(key))
            if column is None:  # RETURNING: a row when inserted, none on a conflict
                statement = statement.returning(*(table.c[name] for name in key))
        else:
            added = table.c[column] + statement.excluded[column]
            statement = statement.on_conflict_do_update(
                index_elements=list(key), set_={column: added}
            )
        _BUILT[shape] = statement
    return statement
