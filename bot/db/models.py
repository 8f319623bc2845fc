"""The database schema: typed SQLAlchemy 2 models, portable across SQLite and PostgreSQL.

Conventions, so that every table reads the same and migrations stay boring:

- Every constraint and index has a deterministic name (``NAMING_CONVENTION``): Alembic can then
  drop or alter them on both backends, including SQLite's batch mode, which needs names.
- Timestamps are ``UTCDateTime``: aware UTC datetimes in and out on both backends (SQLite keeps
  no time zone, so one is attached on the way out; naive datetimes are refused on the way in,
  because a naive ``datetime.now()`` is a silent local-time bug). Days in the learner's own
  calendar (SM-2 due days, "new today", leaderboards) are plain ``Date`` columns.
- Small closed vocabularies ("sm2"/"fsrs", "card"/"skill", ...) are strings with named CHECK
  constraints, not database enums: adding a value is then a one-line migration on both backends.
- JSON columns use the portable :class:`sqlalchemy.JSON`; nullable ones store Python ``None``
  as SQL NULL (``none_as_null``), so ``IS NULL`` queries work.
- Every column with a natural default has a server default too, so rows written by raw SQL,
  future migrations or other tools get the same values as rows written through the ORM.
- Surrogate keys are 64-bit on PostgreSQL and SQLite's ``INTEGER PRIMARY KEY`` (the rowid, also
  64-bit) on SQLite; Discord snowflakes are ``BigInteger``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import (
    ITEM_KINDS,
    KEY_LEN,
    NAME_LEN,
    NAMING_CONVENTION,
    REMINDER_PLACES,
    SCHEDULERS,
    SETTING_SCOPES,
    SHORT_LEN,
    THEMES,
    TOKEN_LEN,
    TZ_LEN,
    Base,
    BigIntPK,
    UTCDateTime,
    _created_at,
    _in,
    utcnow,
)

__all__ = [
    "NAMING_CONVENTION",
    "Assignment",
    "Base",
    "Card",
    "Deck",
    "ItemState",
    "LeaderboardWindow",
    "Membership",
    "Presentation",
    "QuizAttempt",
    "Reminder",
    "ReviewLog",
    "Server",
    "ServerDeck",
    "ServerPoints",
    "ServerPointsDay",
    "ServerPointsWindow",
    "Setting",
    "UTCDateTime",
    "User",
    "utcnow",
]


class User(Base):
    """A learner: a Discord user, a console user, or both once linked.

    Study preferences live on the row (not in ``settings``) because the scheduler reads them
    on every answer. ``scheduler`` NULL means "the server's, else the global default".
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    discord_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    console_name: Mapped[str | None] = mapped_column(String(NAME_LEN), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_LEN), server_default="")
    timezone: Mapped[str] = mapped_column(String(TZ_LEN), default="UTC", server_default="UTC")
    day_start_hour: Mapped[int] = mapped_column(SmallInteger, default=4, server_default=text("4"))
    new_per_day: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))
    reviews_per_day: Mapped[int] = mapped_column(Integer, default=200, server_default=text("200"))
    scheduler: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    theme: Mapped[str] = mapped_column(String(SHORT_LEN), default="dark", server_default="dark")
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        CheckConstraint("discord_id IS NOT NULL OR console_name IS NOT NULL", name="has_identity"),
        CheckConstraint("day_start_hour BETWEEN 0 AND 23", name="day_start_hour"),
        CheckConstraint("new_per_day >= 0 AND reviews_per_day >= 0", name="limits"),
        CheckConstraint(_in("scheduler", SCHEDULERS), name="scheduler"),
        CheckConstraint(_in("theme", THEMES), name="theme"),
    )


class Server(Base):
    """A Discord guild the bot is in. ``default_scheduler`` NULL means the global default."""

    __tablename__ = "servers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    discord_guild_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN), server_default="")
    default_scheduler: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    leaderboard_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    teacher_role_id: Mapped[int | None] = mapped_column(BigInteger)
    reminder_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (CheckConstraint(_in("default_scheduler", SCHEDULERS), name="scheduler"),)


class Membership(Base):
    """A user studies in a server (leaderboards are per server)."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    server_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("servers.id", ondelete="CASCADE"), index=True
    )
    leaderboard_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: others in the server may see this member's /stats (teachers always may, privately)
    stats_shared: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the name the member goes by in this server (their nickname there), which the server's
    #: leaderboard shows; "" until seen there (then the user's own ``display_name`` stands in)
    display_name: Mapped[str] = mapped_column(String(NAME_LEN), server_default="")
    joined_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        PrimaryKeyConstraint("user_id", "server_id"),
        # the few who opted out of a server's board: a rank subtracts those ahead
        Index(
            "ix_memberships_opted_out",
            "server_id",
            sqlite_where=text("leaderboard_opt_out"),
            postgresql_where=text("leaderboard_opt_out"),
        ),
    )


class Deck(Base):
    """A flashcard deck: shipped with the bot (``server_id`` NULL) or a server's own.

    Slugs are unique per server, and unique among shipped decks. A plain
    ``UNIQUE (server_id, slug)`` cannot give the second half, because both SQLite and
    PostgreSQL treat NULLs as distinct in unique constraints; so a partial unique index on
    ``slug WHERE server_id IS NULL`` (supported by both) covers the shipped decks. A sentinel
    server id (say 0) was rejected: it would need a fake ``servers`` row for the foreign key
    and every query would have to remember it. A server may reuse a shipped deck's slug.
    """

    __tablename__ = "decks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    server_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("servers.id", ondelete="CASCADE")
    )
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    content_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # a removed server deck is retired, not deleted: students' progress on its cards stays,
    # and importing it again brings it back
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = _created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    __table_args__ = (
        UniqueConstraint("server_id", "slug"),
        Index(
            "uq_decks_shipped_slug",
            "slug",
            unique=True,
            sqlite_where=text("server_id IS NULL"),
            postgresql_where=text("server_id IS NULL"),
        ),
    )


class Card(Base):
    """One flashcard. ``card_key`` is the stable id from the deck file, so edits keep progress;
    cards removed from the file are ``retired`` rather than deleted for the same reason."""

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    deck_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("decks.id", ondelete="CASCADE"))
    card_key: Mapped[str] = mapped_column(String(KEY_LEN))
    front: Mapped[str] = mapped_column(Text)
    back: Mapped[str] = mapped_column(Text)
    latex_front: Mapped[str | None] = mapped_column(Text)
    latex_back: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    typed_answer: Mapped[str | None] = mapped_column(Text)
    typed_var: Mapped[str] = mapped_column(String(8), default="x", server_default="x")
    # what a typed answer is the derivative of (names the student's mistake), and its order
    typed_function: Mapped[str | None] = mapped_column(Text)
    typed_order: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())
    # card keys of earlier cards of the deck this one takes over (a split): progress copied
    replaces: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # the generator skill that practises this card (`bot.math.skills.SKILLS`), if any
    skill: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("deck_id", "card_key"),)


class ServerDeck(Base):
    """A server's choice about one deck it sees (a shipped one or its own): whether its cards
    are studied there, and where it comes in the order new cards are introduced.

    No row means the default: enabled, and ordered after the decks the teacher placed, the
    server's own decks before the shipped ones (`bot.study.cases.queue`). Progress lives on
    item states, so disabling a deck loses nothing."""

    __tablename__ = "server_decks"

    server_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servers.id", ondelete="CASCADE"))
    deck_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("decks.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    position: Mapped[int | None] = mapped_column(Integer)  # 1 first; NULL: not placed

    __table_args__ = (PrimaryKeyConstraint("server_id", "deck_id"),)


class ItemState(Base):
    """A user's scheduling state for one item: a card, or one level of a generated skill.

    ``item_key`` ("card:123", "skill:chain:2") is what the rest of the code passes around;
    ``card_id`` / ``skill`` + ``level`` are the same thing broken out for joins and cascades.
    SM-2 schedules whole local days (``due_day``); FSRS schedules instants (``due_at``).
    ``ease`` is in hundredths (250 = 2.5) so it stays an exact integer.
    """

    __tablename__ = "item_states"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(KEY_LEN))
    kind: Mapped[str] = mapped_column(String(SHORT_LEN))
    card_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("cards.id", ondelete="CASCADE"), index=True
    )
    skill: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    scheduler: Mapped[str] = mapped_column(String(SHORT_LEN))
    repetitions: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    interval: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # days
    ease: Mapped[int] = mapped_column(Integer, default=250, server_default=text("250"))
    fsrs_state: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    due_day: Mapped[dt.date | None]
    due_at: Mapped[dt.datetime | None]
    lapses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    leech_flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    reviews: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_reviewed_at: Mapped[dt.datetime | None]
    introduced_day: Mapped[dt.date | None]  # NULL until first shown (new-per-day limit)
    unlocked: Mapped[bool] = mapped_column(default=True, server_default=true())

    __table_args__ = (
        UniqueConstraint("user_id", "item_key"),
        Index(None, "user_id", "due_day"),
        Index(None, "user_id", "due_at"),
        Index(None, "user_id", "introduced_day"),
        CheckConstraint(_in("kind", ITEM_KINDS), name="kind"),
        CheckConstraint(_in("scheduler", SCHEDULERS), name="scheduler"),
        CheckConstraint(
            "(kind = 'card' AND card_id IS NOT NULL)"
            " OR (kind = 'skill' AND skill IS NOT NULL AND level IS NOT NULL)",
            name="kind_fields",
        ),
    )


class ReviewLog(Base):
    """One answered review, append-only: statistics, leaderboards and undo read it.

    ``presentation_token`` is unique, so a double click or a retried request for the same
    presentation can only ever be logged (and scored) once: the second insert fails and its
    whole transaction, state update included, rolls back. It is deliberately not a foreign key:
    presentations are short-lived and may be pruned, the log is kept. ``counted`` marks the
    first review of the item that local day (the one that scores).
    """

    __tablename__ = "review_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    server_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("servers.id", ondelete="SET NULL")
    )
    item_key: Mapped[str] = mapped_column(String(KEY_LEN))
    kind: Mapped[str] = mapped_column(String(SHORT_LEN))
    quality: Mapped[int] = mapped_column(SmallInteger)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    scheduler: Mapped[str] = mapped_column(String(SHORT_LEN))
    reviewed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    local_day: Mapped[dt.date]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    state_before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    state_after: Mapped[dict[str, Any]] = mapped_column(JSON)
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    counted: Mapped[bool] = mapped_column(default=False, server_default=false())
    presentation_token: Mapped[str | None] = mapped_column(String(TOKEN_LEN), unique=True)

    __table_args__ = (
        Index(None, "server_id", "local_day"),  # leaderboard: a server's points per day
        Index(None, "user_id", "local_day"),  # stats, streaks, reviews done today
        Index(None, "user_id", "reviewed_at"),  # a session's summary: the log since it began
        CheckConstraint(_in("kind", ITEM_KINDS), name="kind"),
        CheckConstraint(_in("scheduler", SCHEDULERS), name="scheduler"),
    )


class ServerPointsDay(Base):
    """Points earned in a server per student per (their local) day: the review log's points
    summed as reviews are logged, so a leaderboard window reads a row per student and day."""

    __tablename__ = "server_points_days"

    server_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servers.id", ondelete="CASCADE"))
    local_day: Mapped[dt.date]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (PrimaryKeyConstraint("server_id", "local_day", "user_id"),)


class ServerPoints(Base):
    """All the points a student earned in a server: the all-time leaderboard, by index."""

    __tablename__ = "server_points"

    server_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (
        PrimaryKeyConstraint("server_id", "user_id"),
        Index(None, "server_id", "points", "user_id"),
    )


class ServerPointsWindow(Base):
    """Each student's points in a server's leaderboard window of ``days`` local days from
    ``since`` (week, month): read in points order by index, as the all-time board is.

    A row is complete only once its window is built (`LeaderboardWindow`): the build adds what
    was logged before the UTC day that opened the window began, gradings add the rest as they
    happen (`bot.study.points`)."""

    __tablename__ = "server_points_windows"

    server_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servers.id", ondelete="CASCADE"))
    days: Mapped[int] = mapped_column(SmallInteger)
    since: Mapped[dt.date]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (
        PrimaryKeyConstraint("server_id", "days", "since", "user_id"),
        Index(None, "server_id", "days", "since", "points", "user_id"),
    )


class LeaderboardWindow(Base):
    """A server's window (``days`` from ``since``) whose `ServerPointsWindow` rows are built:
    inserted in the build's transaction, so a window is built exactly once."""

    __tablename__ = "leaderboard_windows"

    server_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servers.id", ondelete="CASCADE"))
    days: Mapped[int] = mapped_column(SmallInteger)
    since: Mapped[dt.date]
    built_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (PrimaryKeyConstraint("server_id", "days", "since"),)


class Presentation(Base):
    """An item as shown to a user, keyed by the token carried in its buttons' custom ids.

    Stored so that buttons keep working across restarts and so that answering is idempotent
    (the token ends up, unique, on the review log / quiz attempt).
    """

    __tablename__ = "presentations"

    token: Mapped[str] = mapped_column(String(TOKEN_LEN), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(KEY_LEN))
    kind: Mapped[str] = mapped_column(String(SHORT_LEN))
    skill: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    card_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("cards.id", ondelete="CASCADE"), index=True
    )
    server_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("servers.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = _created_at()
    answered_at: Mapped[dt.datetime | None]
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    hinted: Mapped[bool] = mapped_column(default=False, server_default=false())
    # how many rungs of the problem's hint ladder were shown: the next press shows the next one
    hints_shown: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    #: the part a multi-part problem is at (0-based): its parts are answered in turn
    part: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    # loaded together with the presentation when grading, never lazily (async has no lazy I/O)
    user: Mapped[User] = relationship(lazy="raise_on_sql", viewonly=True)
    # its server's default scheduler is read when grading: loaded in the same statement too
    server: Mapped[Server | None] = relationship(lazy="raise_on_sql", viewonly=True)

    __table_args__ = (
        Index(None, "user_id", "created_at"),
        Index(None, "created_at"),  # pruning old presentations
        Index(None, "answered_at"),  # pruning graded presentations
        CheckConstraint(_in("kind", ITEM_KINDS), name="kind"),
    )


class QuizAttempt(Base):
    """Every typed answer to a generated problem, right or wrong (mistake statistics)."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    server_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("servers.id", ondelete="SET NULL")
    )
    presentation_token: Mapped[str | None] = mapped_column(String(TOKEN_LEN), index=True)
    skill: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(SmallInteger)
    seed: Mapped[int] = mapped_column(BigInteger)
    answer_text: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(SHORT_LEN))
    mistake: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created_at()

    __table_args__ = (
        Index(None, "user_id", "created_at"),
        Index(None, "server_id", "user_id"),  # /class: a server's mistakes
    )


CLAIM_OWNER_LEN = 64


class Reminder(Base):
    """A user's daily study reminder (at most one per user).

    ``next_fire_at`` is precomputed in UTC from ``local_time`` + ``timezone`` so the reminder
    loop is one indexed range query; ``last_sent_day`` stops double sends after a restart.
    ``claim_owner`` / ``claimed_until``: the delivery process that claimed it and until when
    (`study.reminders.claim_due`), so several processes never send one reminder twice and a
    dead one's claims lapse.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    server_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("servers.id", ondelete="SET NULL")
    )
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM"
    timezone: Mapped[str] = mapped_column(String(TZ_LEN), default="UTC", server_default="UTC")
    where: Mapped[str] = mapped_column(String(SHORT_LEN), default="dm", server_default="dm")
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    next_fire_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_sent_day: Mapped[dt.date | None]
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    paused_reason: Mapped[str | None] = mapped_column(String(200))
    claim_owner: Mapped[str | None] = mapped_column(String(CLAIM_OWNER_LEN))
    claimed_until: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint("local_time LIKE '__:__'", name="local_time"),
        CheckConstraint(_in("where", REMINDER_PLACES), name="where"),
        CheckConstraint(
            "\"where\" = 'dm' OR channel_id IS NOT NULL", name="channel_needs_channel_id"
        ),
    )


class Setting(Base):
    """A free-form setting for a user, a server or the whole bot (``scope_id`` 0).

    For options read rarely or added often, without a migration each; hot-path preferences
    have real columns on ``users`` and ``servers``. ``scope_id`` is the row id of the user or
    server (not a Discord id), kept as a plain column because it points at different tables.
    """

    __tablename__ = "settings"

    scope: Mapped[str] = mapped_column(String(SHORT_LEN))
    scope_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    key: Mapped[str] = mapped_column(String(KEY_LEN))
    value: Mapped[Any] = mapped_column(JSON)

    __table_args__ = (
        PrimaryKeyConstraint("scope", "scope_id", "key"),
        CheckConstraint(_in("scope", SETTING_SCOPES), name="scope"),
        CheckConstraint("scope <> 'global' OR scope_id = 0", name="global_scope_id"),
    )


class Assignment(Base):
    """A teacher's assignment in a server: ``target`` problems of a skill (and level, if given)
    or ``target`` cards of a deck, due by the end of ``due_day`` in ``timezone``.

    No progress is stored: it is counted from the review log and the quiz attempts (work in
    that server between ``created_at`` and the due moment or the closing), so it cannot drift
    from what the student actually did. ``due_at`` is the due day's end in ``timezone`` as a UTC
    instant (the first instant past due), kept so "open" and "due soon" are plain comparisons.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    server_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("servers.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    skill: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    deck_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("decks.id", ondelete="CASCADE")
    )
    target: Mapped[int] = mapped_column(Integer)
    due_day: Mapped[dt.date]
    timezone: Mapped[str] = mapped_column(String(TZ_LEN), default="UTC", server_default="UTC")
    due_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = _created_at()
    closed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        CheckConstraint("target > 0", name="target"),
        CheckConstraint(
            "(skill IS NOT NULL AND deck_id IS NULL)"
            " OR (skill IS NULL AND level IS NULL AND deck_id IS NOT NULL)",
            name="skill_or_deck",
        ),
    )
