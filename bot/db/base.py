"""What every table of `bot.db.models` is built on: the declarative base with its naming
convention, the UTC timestamp type, the shared string lengths and vocabularies.

Split from the models so each file stays small; `bot.db.models` re-exports what callers use
(`Base`, `UTCDateTime`, `utcnow`, `NAMING_CONVENTION`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Dialect, Integer, MetaData, Text, func
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SCHEDULERS = ("sm2", "fsrs")
ITEM_KINDS = ("card", "skill")
THEMES = ("dark", "light")
REMINDER_PLACES = ("dm", "channel")
SETTING_SCOPES = ("user", "server", "global")

# String lengths: generous, but bounded so PostgreSQL can index them cheaply.
KEY_LEN = 128  # item keys ("card:123", "skill:chain:2"), card keys
NAME_LEN = 100  # Discord names are at most 32 (users) / 100 (guilds) characters
TZ_LEN = 64  # IANA names (the longest is ~32)
TOKEN_LEN = 64  # presentation tokens
SHORT_LEN = 16  # vocabulary values ("sm2", "channel", "incorrect", ...)


def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime (the only kind the database accepts)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """``DateTime(timezone=True)`` that always round-trips aware UTC datetimes.

    PostgreSQL stores ``timestamptz`` and returns it in the session time zone; SQLite stores
    text without a zone. Normalising to UTC on both sides makes values compare equal across
    backends and keeps SQLite's text ordering consistent with time ordering.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        value = value.astimezone(dt.UTC)
        # SQLite's DATETIME type formats the value itself and rejects nothing, but would drop
        # the zone anyway; a naive UTC value keeps its text form canonical.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# 64-bit autoincrement key on PostgreSQL; SQLite only autoincrements "INTEGER PRIMARY KEY".
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL text for a CHECK that ``column`` holds one of ``values`` (or is NULL)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f'"{column}" IN ({listed})'


class Base(AsyncAttrs, DeclarativeBase):
    """Declarative base; its ``metadata`` is Alembic's ``target_metadata``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dt.datetime: UTCDateTime(),
        dt.date: Date(),
        str: Text(),
        bool: Boolean(),
    }


def _created_at() -> Mapped[dt.datetime]:
    # Python-side default for microsecond precision and an immediately usable attribute;
    # server-side default for rows written outside the ORM.
    return mapped_column(default=utcnow, server_default=func.now())
