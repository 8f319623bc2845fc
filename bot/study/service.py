"""The study service: the one set of use cases every front-end calls.

Discord cogs and the console turn gestures into these calls and results into messages; nothing
here knows about either. Maths runs in the worker pool (``bot.math.tasks``), the schedule is the
pure ``bot.srs`` room, and every grading writes the item's new state and its review-log entry in
one transaction, keyed by the presentation token so a double click counts once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import String, bindparam, cast, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import contains_eager

from bot import srs
from bot.config import Settings, get_settings
from bot.db.engine import transaction
from bot.db.models import (
    THEMES,
    Card,
    Deck,
    ItemState,
    Membership,
    Presentation,
    QuizAttempt,
    Reminder,
    ReviewLog,
    Server,
    User,
    utcnow,
)
from bot.db.upsert import insert_missing
from bot.math import tasks
from bot.math.check import Verdict
from bot.math.generator import SKILLS, Problem
from bot.math.rules import Step
from bot.math.workers import MathPool
from bot.srs.session import REDRILL_PASS
from bot.study import decks, importing, reminders
from bot.study import stats as stats_module
from bot.study.importing import ImportBusy
from bot.study.items import ItemKey, card_key, parse_key, skill_key
from bot.study.text import clean_text

SchedulerName = Literal["sm2", "fsrs"]
#: What a user may set their study day start and daily limits to (inclusive).
PREFERENCE_LIMITS: dict[str, tuple[int, int]] = {
    "day_start_hour": (0, 23),
    "new_per_day": (0, 100),
    "reviews_per_day": (0, 1000),
}
#: The longest answer time the review log records (a day); buttons outlive their messages.
MAX_DURATION_S = 24 * 3600
POINTS_PER_CARD = 10
POINTS_PER_LEVEL = 10  # a skill review at level n is worth n times this
UNLOCK_INTERVAL = 6
PROBLEM_CACHE = 1024  # passing level n at an interval of at least this many days unlocks n + 1


class StudyError(LookupError):
    """A request the service cannot serve (unknown token, someone else's item, ...)."""


@dataclass(frozen=True)
class CardView:
    id: int
    deck: str
    front: str
    back: str
    latex_front: str | None
    latex_back: str | None
    typed_answer: str | None
    typed_var: str


@dataclass(frozen=True)
class Presented:
    """An item shown to a user; ``token`` goes into the buttons and comes back with the answer."""

    token: str
    item_key: str
    kind: str
    new: bool
    problem: Problem | None = None
    card: CardView | None = None
    #: a skill level not unlocked yet: it can be tried, as practice (see PRACTICE_NOTES)
    locked: bool = False


@dataclass(frozen=True)
class Schedule:
    scheduler: str
    due_day: dt.date | None
    due_at: dt.datetime | None
    interval: int
    lapses: int
    leech: bool


#: Why an answer did not move the schedule: ``today`` it already moved today (a re-drill or a
#: second go), ``early`` the item is not due yet, ``locked`` the skill level is not unlocked.
Practice = Literal["today", "early", "locked"]

#: Said when a review makes an item a leech (`Outcome.new_leech`).
LEECH_NOTE = "Now a leech: you keep forgetting this one, so it's worth some focused practice."

#: The same reasons in words, for every front-end.
PRACTICE_NOTES: dict[str, str] = {
    "today": "Practice only: this item's schedule already moved today.",
    "early": "Practice only: it isn't due yet, so its schedule stays as it was.",
    "locked": "Practice only: this level unlocks once you pass the level below after a 6-day gap.",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to an answer or a grade.

    ``status``: ``correct`` / ``incorrect`` / ``invalid`` for typed answers, ``revealed`` when
    the solution was shown, ``graded`` for a flashcard button, ``already`` when this
    presentation had been graded before (nothing counted twice).
    """

    status: str
    verdict: Verdict | None = None
    quality: int | None = None
    graded: bool = False
    schedule: Schedule | None = None
    points: int = 0
    can_retry: bool = False
    redrill: bool = False
    steps: tuple[Step, ...] = field(default_factory=tuple)
    #: why a graded answer was practice and left the schedule alone (``graded`` false)
    practice: Practice | None = None
    #: this review made the item a leech (at 8 lapses, and again every 4 more)
    new_leech: bool = False


@dataclass(frozen=True)
class Preferences:
    timezone: str
    day_start_hour: int
    new_per_day: int
    reviews_per_day: int
    theme: str
    scheduler: str


@dataclass(frozen=True)
class SessionReport:
    reviewed: int
    correct: int
    new_learned: int
    points: int
    streak: int
    next_due: dt.date | None


@dataclass(frozen=True)
class ReminderInfo:
    """A user's daily reminder as the front-end shows it (``next_fire_at`` in UTC)."""

    local_time: str
    timezone: str
    where: str
    channel_id: int | None
    server_id: int | None
    next_fire_at: dt.datetime
    paused: bool
    paused_reason: str | None


@dataclass(frozen=True)
class ServerSettings:
    """A server's own settings; ``default_scheduler`` None means the global default."""

    server_id: int
    guild_id: int
    default_scheduler: str | None
    leaderboard_enabled: bool
    teacher_role_id: int | None
    reminder_channel_id: int | None


@dataclass(frozen=True)
class MemberPrivacy:
    """What a member lets others in a server see: the leaderboard and their stats."""

    leaderboard_opt_out: bool
    stats_shared: bool


Clock = Callable[[], dt.datetime]


# The rest of the use cases, kept beside the core so front-ends see one object.


class _StudyServiceMore:
    """Mixed into StudyService below: decks, progress, leaderboards, reminders, schedulers."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock

    # --- decks ------------------------------------------------------------------------------

    async def sync_shipped_decks(self, directory: Path | None = None) -> list[str]:
        """Load cards/*.yaml (or .yml) into the database: new cards added, edited ones updated
        in place (same id, so progress stays), removed ones retired. Returns the deck ids."""
        folder = directory or decks.shipped_decks_dir()
        loaded = []
        paths = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
        for path in sorted(paths):
            deck = decks.load_path(path)
            async with transaction(self.sessions) as session:
                await _store_deck(session, deck, server_id=None)
            loaded.append(deck.id)
        return loaded

    async def import_deck(
        self, server_id: int, text: str, fmt: Literal["yaml", "csv"], *, deck_id: str = ""
    ) -> str:
        """A teacher's deck (YAML or CSV), all or nothing: a bad file raises DeckError naming
        the line of its first problem, with every problem in `.problems`, and imports nothing.

        Validation runs in the pool a slice of cards at a time, so students' checks are never
        queued behind a whole deck (`bot.study.importing`); and one import at a time per bot:
        while one runs, another raises `ImportBusy` at once. Importing a deck with the id of
        a removed (retired) one brings it back, with the students' progress on it.
        """
        if fmt not in ("yaml", "csv"):
            raise ValueError("decks are YAML or CSV files")
        deck_id = clean_text(deck_id)  # a name; the file itself is refused if unclean
        if self._deck_import.locked():
            raise ImportBusy("another deck import is running; try again when it has finished")
        async with self._deck_import:
            deck = await importing.check_upload(
                self.pool, text, fmt, deck_id=deck_id or "imported", limits=self.import_limits
            )
            async with transaction(self.sessions) as session:
                await _store_deck(session, deck, server_id=server_id)
        return deck.id

    async def export_deck(self, server_id: int | None, slug: str, fmt: str = "yaml") -> str:
        async with self.sessions() as session:
            row = await _find_deck(session, server_id, slug)
            cards = (
                (
                    await session.execute(
                        select(Card)
                        .where(Card.deck_id == row.id, ~Card.retired)
                        .order_by(Card.position)
                    )
                )
                .scalars()
                .all()
            )
        deck = decks.Deck(
            id=row.slug,
            title=row.title,
            description=row.description,
            version=row.version,
            cards=tuple(_card_model(c) for c in cards),
        )
        return decks.dump_deck_csv(deck) if fmt == "csv" else decks.dump_deck_yaml(deck)

    async def list_decks(self, server_id: int | None) -> list[tuple[str, str, int, bool]]:
        """(slug, title, card count, shipped) for the decks visible in a server."""
        visible = Deck.server_id.is_(None)
        if server_id is not None:
            visible = visible | (Deck.server_id == server_id)
        async with self.sessions() as session:
            rows = await session.execute(
                select(Deck.slug, Deck.title, func.count(Card.id), Deck.server_id)
                .outerjoin(Card, (Card.deck_id == Deck.id) & ~Card.retired)
                .where(visible, ~Deck.retired)
                .group_by(Deck.id, Deck.slug, Deck.title, Deck.server_id)
                .order_by(Deck.server_id.is_not(None), Deck.slug)
            )
            return [(slug, title, int(n), sid is None) for slug, title, n, sid in rows]

    async def remove_deck(self, server_id: int, slug: str) -> None:
        """Retire one of a server's own decks (the shipped ones are everyone's): it leaves the
        list and its cards leave the queues, but the students' progress is kept, and
        importing a deck with the same id again brings it back (`import_deck`)."""
        async with transaction(self.sessions) as session:
            row = await _find_deck(session, server_id, slug, own_only=True)
            row.retired = True
            await session.execute(update(Card).where(Card.deck_id == row.id).values(retired=True))

    # --- progress ---------------------------------------------------------------------------

    async def stats(self, user_id: int) -> stats_module.Stats:
        async with self.sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise StudyError(f"no user {user_id}")
            return await stats_module.stats(session, user, self.clock())

    async def leaderboard(
        self, server_id: int, period: stats_module.Period = "week", *, user_id: int | None = None
    ) -> stats_module.Leaderboard:
        async with self.sessions() as session:
            return await stats_module.leaderboard(
                session, server_id, period, self.clock(), user_id=user_id
            )

    async def set_leaderboard_opt_out(self, user_id: int, server_id: int, opt_out: bool) -> None:
        async with transaction(self.sessions) as session:
            member = await session.get(Membership, (user_id, server_id))
            if member is None:
                raise StudyError("not a member of that server")
            member.leaderboard_opt_out = opt_out

    async def set_stats_shared(self, user_id: int, server_id: int, shared: bool) -> None:
        """Let the server's members see the user's stats (off by default: they are theirs)."""
        async with transaction(self.sessions) as session:
            member = await session.get(Membership, (user_id, server_id))
            if member is None:
                raise StudyError("not a member of that server")
            member.stats_shared = shared

    async def member_privacy(self, user_id: int, server_id: int) -> MemberPrivacy | None:
        """The member's privacy choices in a server; None if they never studied there."""
        async with self.sessions() as session:
            member = await session.get(Membership, (user_id, server_id))
            if member is None:
                return None
            return MemberPrivacy(member.leaderboard_opt_out, member.stats_shared)

    async def set_scheduler(self, user_id: int, scheduler: SchedulerName) -> int:
        """Switch a user's scheduler; every item's state is re-derived from its review log, so
        nothing is lost (switching back gives the old state exactly). Returns items updated."""
        if scheduler not in ("sm2", "fsrs"):
            raise ValueError("scheduler must be sm2 or fsrs")
        async with transaction(self.sessions) as session:
            user = await session.get(User, user_id)
            if user is None:
                raise StudyError(f"no user {user_id}")
            user.scheduler = scheduler
            states = (
                (
                    await session.execute(
                        select(ItemState).where(ItemState.user_id == user_id).with_for_update()
                    )
                )
                .scalars()
                .all()
            )
            logs = (
                await session.execute(
                    select(ReviewLog.item_key, ReviewLog.quality, ReviewLog.reviewed_at)
                    .where(ReviewLog.user_id == user_id, ReviewLog.counted)
                    .order_by(ReviewLog.reviewed_at, ReviewLog.id)
                )
            ).all()
            events: dict[str, list[srs.ReviewEvent]] = {}
            for key, quality, at in logs:
                events.setdefault(key, []).append(srs.ReviewEvent(quality, at))
            for state in states:
                derived = srs.replay(
                    events.get(state.item_key, []),
                    scheduler,
                    tz=user.timezone,
                    day_start_hour=user.day_start_hour,
                )
                _store_schedule(state, derived)
            return len(states)

    async def session_summary(self, user_id: int, since: dt.datetime) -> SessionReport:
        """What a study session achieved, per item (a re-drilled item counts once): reviewed,
        correct at the first answer, new items learned, points, streak, next due."""
        async with self.sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise StudyError(f"no user {user_id}")
            rows = (
                await session.execute(
                    select(
                        ReviewLog.item_key,
                        ReviewLog.quality,
                        ReviewLog.state_before,
                        ReviewLog.points,
                        ReviewLog.counted,
                    )
                    .where(ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= since)
                    .order_by(ReviewLog.reviewed_at, ReviewLog.id)
                )
            ).all()
            progress = await stats_module.stats(session, user, self.clock())
            upcoming = [
                day
                for day in (
                    await session.scalar(
                        select(func.min(ItemState.due_day)).where(
                            ItemState.user_id == user_id, ItemState.due_day > progress.today
                        )
                    ),
                    _local(
                        await session.scalar(
                            select(func.min(ItemState.due_at)).where(
                                ItemState.user_id == user_id, ItemState.due_at > self.clock()
                            )
                        ),
                        user,
                    ),
                )
                if day is not None
            ]
        first: dict[str, tuple[int, dict | None, bool]] = {}
        for key, quality, before, _, counted in rows:
            first.setdefault(key, (quality, before, counted))
        return SessionReport(
            reviewed=len(first),
            correct=sum(1 for quality, *_ in first.values() if quality >= 3),
            # learned: its first answer started a schedule (practice on a locked level did not)
            new_learned=sum(
                1 for _, before, counted in first.values() if counted and _never_reviewed(before)
            ),
            points=sum(points for _, _, _, points, _ in rows),
            streak=progress.streak,
            next_due=min(upcoming, default=None),
        )

    async def leeches(self, user_id: int, server_id: int | None = None) -> list[str]:
        """Items failed again and again, most lapses first, offered for focused practice (only
        cards visible here: a server's own deck stays in that server)."""
        q = _queue_statements(server_id is not None)
        async with self.sessions() as session:
            rows = await session.execute(q.leeches, {"user_id": user_id, "server_id": server_id})
            return list(rows.scalars())

    # --- reminders --------------------------------------------------------------------------

    async def set_reminder(
        self,
        user_id: int,
        local_time: str,
        timezone: str,
        *,
        where: str = "dm",
        channel_id: int | None = None,
        server_id: int | None = None,
    ) -> dt.datetime:
        """Returns the next time it will fire (UTC)."""
        async with transaction(self.sessions) as session:
            reminder = await reminders.set_reminder(
                session,
                user_id,
                clean_text(local_time),
                clean_text(timezone),
                self.clock(),
                where=where,
                channel_id=channel_id,
                server_id=server_id,
            )
            return reminder.next_fire_at

    async def clear_reminder(self, user_id: int) -> bool:
        async with transaction(self.sessions) as session:
            return await reminders.clear_reminder(session, user_id)

    async def reminders_due(
        self, *, user_id: int | None = None, discord_only: bool = False
    ) -> list[reminders.DueReminder]:
        """Due reminders, all or only those a front-end can deliver (see `due_reminders`)."""
        async with transaction(self.sessions) as session:
            return await reminders.due_reminders(
                session, self.clock(), user_id=user_id, discord_only=discord_only
            )

    async def reminder_sent(self, reminder_id: int) -> None:
        async with transaction(self.sessions) as session:
            await reminders.mark_sent(session, reminder_id, self.clock())

    async def reminder_undeliverable(self, reminder_id: int, reason: str) -> None:
        async with transaction(self.sessions) as session:
            await reminders.pause(session, reminder_id, reason, self.clock())

    # --- front-end settings: reminder status and notices, server settings -------------------
    # (used by the reminders and admin cogs)

    async def reminder(self, user_id: int) -> ReminderInfo | None:
        """The user's reminder, for /remind show; None when there is none."""
        async with self.sessions() as session:
            row = await reminders.get_reminder(session, user_id)
            if row is None:
                return None
            return ReminderInfo(
                row.local_time,
                row.timezone,
                row.where,
                row.channel_id,
                row.server_id,
                row.next_fire_at,
                row.paused,
                row.paused_reason,
            )

    async def pending_notice(self, user_id: int) -> str | None:
        """Why the user's reminder was paused, handed out once: front-ends call this when the
        user next talks to the bot and tell them. The reminder stays paused until set again.

        A cheap read on every call; the write happens only when there is something to tell."""
        async with self.sessions() as session:
            row = await reminders.get_reminder(session, user_id)
            if row is None or not row.paused_reason:
                return None
            reason = row.paused_reason
        async with transaction(self.sessions) as session:
            cleared = await session.execute(
                update(Reminder)
                .where(Reminder.user_id == user_id, Reminder.paused_reason.is_not(None))
                .values(paused_reason=None)
            )
        return reason if cleared.rowcount else None  # told once, even with two commands at once

    async def leaderboard_opted_out(self, user_id: int, server_id: int) -> bool:
        async with self.sessions() as session:
            member = await session.get(Membership, (user_id, server_id))
            return bool(member is not None and member.leaderboard_opt_out)

    async def server_settings(self, server_id: int) -> ServerSettings:
        async with self.sessions() as session:
            server = await session.get(Server, server_id)
            if server is None:
                raise StudyError(f"no server {server_id}")
            return _server_settings(server)

    async def server_settings_for_guild(self, guild_id: int) -> ServerSettings | None:
        """By Discord guild id, without creating anything: permission checks run before a
        command has registered anyone."""
        async with self.sessions() as session:
            server = (
                await session.execute(select(Server).where(Server.discord_guild_id == guild_id))
            ).scalar_one_or_none()
            return _server_settings(server) if server is not None else None

    async def update_server_settings(self, server_id: int, **changes: Any) -> ServerSettings:
        """Teacher role, default scheduler, leaderboard on/off, reminder channel (None clears a
        role, channel or scheduler). Who may change them is the front-end's check."""
        allowed = {
            "default_scheduler",
            "leaderboard_enabled",
            "teacher_role_id",
            "reminder_channel_id",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown server settings: {', '.join(sorted(unknown))}")
        if changes.get("default_scheduler") not in (None, "sm2", "fsrs"):
            raise ValueError("scheduler must be sm2 or fsrs")
        async with transaction(self.sessions) as session:
            server = await session.get(Server, server_id)
            if server is None:
                raise StudyError(f"no server {server_id}")
            for key, value in changes.items():
                setattr(server, key, value)
            await session.flush()
            return _server_settings(server)


class StudyService(_StudyServiceMore):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        pool: MathPool,
        *,
        settings: Settings | None = None,
        clock: Clock = utcnow,
        seeds: Callable[[], int] | None = None,
        import_limits: importing.ImportLimits | None = None,
    ) -> None:
        """``seeds`` draws each new problem's seed (default: unpredictable); tests pass a
        seeded one so that every run presents the same problems."""
        self.sessions = sessions
        self.pool = pool
        self.settings = settings or get_settings()
        self.clock = clock
        self.seeds = seeds or _random_seed
        self._problems: dict[tuple[str, int, int], Problem] = {}
        self._known_users: dict[int, tuple[int, str]] = {}
        self._known_members: dict[tuple[int, int], int] = {}
        #: how uploads are split into worker tasks (`import_deck`); one import at a time
        self.import_limits = import_limits or importing.ImportLimits()
        self._deck_import = asyncio.Lock()

    # --- people and places ------------------------------------------------------------------

    async def user_for_discord(self, discord_id: int, display_name: str = "") -> int:
        """The user row id for a Discord user, created on first contact (then remembered: every
        interaction asks, and a write transaction each time would queue behind grading)."""
        display_name = clean_text(display_name)
        known = self._known_users.get(discord_id)
        if known is not None and known[1] == display_name:
            return known[0]
        user_id = await self._user_for_discord(discord_id, display_name)
        self._known_users[discord_id] = (user_id, display_name)
        return user_id

    async def user_id_for_discord(self, discord_id: int) -> int | None:
        """The user row id for a Discord user, or None: a lookup of someone else, which must
        not register them (user_for_discord is for whoever is talking to the bot)."""
        known = self._known_users.get(discord_id)
        if known is not None:
            return known[0]
        async with self.sessions() as session:
            return await session.scalar(select(User.id).where(User.discord_id == discord_id))

    async def _user_for_discord(self, discord_id: int, display_name: str) -> int:
        return await self._ensure_user(
            "discord_id", discord_id=discord_id, display_name=display_name
        )

    async def user_for_console(self, name: str) -> int:
        name = clean_text(name)
        return await self._ensure_user("console_name", console_name=name, display_name=name)

    async def _ensure_user(self, key: str, **values: object) -> int:
        """The user whose unique ``key`` column has ``values[key]``, created if missing (on
        PostgreSQL a student's first two commands may both find none: ON CONFLICT settles it)."""
        where = getattr(User, key) == values[key]
        async with transaction(self.sessions) as session:
            user = (await session.execute(select(User).where(where))).scalar_one_or_none()
            if user is None:
                await insert_missing(
                    session,
                    User,
                    [key],
                    timezone=self.settings.default_timezone,
                    day_start_hour=self.settings.day_start_hour,
                    new_per_day=self.settings.new_per_day,
                    reviews_per_day=self.settings.reviews_per_day,
                    **values,
                )
                user = (await session.execute(select(User).where(where))).scalar_one()
            if values.get("display_name") and user.display_name != values["display_name"]:
                user.display_name = str(values["display_name"])
            return user.id

    async def join_server(self, user_id: int, guild_id: int, name: str = "") -> int:
        """The server row id; makes the user a member (leaderboards are per server)."""
        name = clean_text(name)
        known = self._known_members.get((user_id, guild_id))
        if known is not None:
            return known
        server_id = await self._join_server(user_id, guild_id, name)
        self._known_members[(user_id, guild_id)] = server_id
        return server_id

    async def _join_server(self, user_id: int, guild_id: int, name: str) -> int:
        find = select(Server.id).where(Server.discord_guild_id == guild_id)
        async with transaction(self.sessions) as session:
            server_id = await session.scalar(find)
            if server_id is None:  # the guild's name is taken when it is first seen
                await insert_missing(
                    session, Server, ["discord_guild_id"], discord_guild_id=guild_id, name=name
                )
                server_id = (await session.execute(find)).scalar_one()
            await insert_missing(
                session, Membership, ["user_id", "server_id"], user_id=user_id, server_id=server_id
            )
            return server_id

    async def set_user_preferences(self, user_id: int, **changes: object) -> None:
        """Time zone, day start, daily limits, theme; the scheduler has its own call."""
        changes = {k: clean_text(v) if isinstance(v, str) else v for k, v in changes.items()}
        unknown = set(changes) - set(PREFERENCE_LIMITS) - {"timezone", "theme"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        # checked here, for every front-end, rather than left to a database constraint error
        for key, (low, high) in PREFERENCE_LIMITS.items():
            if key in changes:
                value = changes[key]
                if type(value) is not int or not low <= value <= high:
                    raise ValueError(f"{key} must be a whole number from {low} to {high}")
        if "theme" in changes and changes["theme"] not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}")
        if "timezone" in changes:
            srs.days.zone(changes["timezone"])  # type: ignore[arg-type]  # ValueError if bad
        async with transaction(self.sessions) as session:
            user = await self._user(session, user_id)
            for key, value in changes.items():
                setattr(user, key, value)

    async def preferences(self, user_id: int) -> Preferences:
        async with self.sessions() as session:
            user = await self._user(session, user_id)
            scheduler = await self.scheduler_for(session, user, None)
            return Preferences(
                user.timezone,
                user.day_start_hour,
                user.new_per_day,
                user.reviews_per_day,
                user.theme,
                scheduler,
            )

    async def _user(self, session: AsyncSession, user_id: int) -> User:
        user = await session.get(User, user_id)
        if user is None:
            raise StudyError(f"no user {user_id}")
        return user

    async def scheduler_for(self, session: AsyncSession, user: User, server_id: int | None) -> str:
        if user.scheduler:
            return user.scheduler
        if server_id is not None:
            server = await session.get(Server, server_id)
            if server is not None and server.default_scheduler:
                return server.default_scheduler
        return self.settings.default_scheduler

    def today(self, user: User) -> dt.date:
        return srs.local_day(self.clock(), user.timezone, user.day_start_hour)

    # --- what to study next -----------------------------------------------------------------

    async def due_queue(self, user_id: int, server_id: int | None = None) -> list[str]:
        """Today's queue: due reviews, most overdue (relative to interval) first, then new items,
        within the user's daily limits.

        Runs on every /review, so each part is one indexed query returning only what is needed
        (due rows via (user_id, due_day|due_at), new cards via the (user_id, item_key) index),
        and the statements are built once (`_queue_statements`), not on every call.
        """
        q = _queue_statements(server_id is not None)
        async with self.sessions() as session:
            user = await self._user(session, user_id)
            today = self.today(user)
            params = {"user_id": user_id, "server_id": server_id, "today": today}
            done = (await session.execute(q.done_today, params)).one()
            # an item introduced today has exactly one counted answer today, its first: that
            # one counts against the new-item limit, not the review limit
            new_done = int(done[1] or 0)
            reviews_done = max(0, int(done[0] or 0) - new_done)
            tomorrow = srs.day_start_utc(
                today + dt.timedelta(days=1), user.timezone, user.day_start_hour
            )
            rows = await session.execute(q.due, {**params, "tomorrow": tomorrow})
            due = []
            for key, due_day, due_at, interval, reviewed_at in rows:
                if due_at is not None:  # FSRS: due by the day of its due instant
                    due_day = srs.local_day(due_at, user.timezone, user.day_start_hour)
                    if reviewed_at is not None:
                        interval = round((due_at - reviewed_at).total_seconds() / 86400)
                due.append((srs.sort_key(due_day, today, max(interval, 1)), key))
            due.sort()
            allowance = max(0, user.new_per_day - new_done)
            new: list[str] = []
            if allowance:
                new = await self._new_items(session, q, params, allowance)
            return srs.select_for_today(
                [key for _, key in due],
                new,
                done_reviews_today=reviews_done,
                done_new_today=new_done,
                max_reviews=user.reviews_per_day,
                max_new=user.new_per_day,
            )

    async def _new_items(
        self, session: AsyncSession, q: _QueueStatements, params: dict[str, Any], limit: int
    ) -> list[str]:
        """Up to `limit` new skills and new cards, taking turns."""
        # one query: the unseen items in view, and which skills have a level-1 state at all
        rows = (await session.execute(q.unseen, params)).all()
        unseen = [(r.item_key, r.kind) for r in rows if r.introduced_day is None and r.unlocked]
        first_levels = {r.skill for r in rows if r.kind == "skill" and r.level == 1}
        skills = [key for key, kind in unseen if kind == "skill"]
        skills += [skill_key(n, 1) for n in SKILLS if n not in first_levels]
        cards = [key for key, kind in unseen if kind == "card"]
        if len(cards) < limit:
            fresh = await session.execute(q.fresh_cards, {**params, "limit": limit - len(cards)})
            cards += [card_key(cid) for cid in fresh.scalars()]
        return _interleave(skills, cards)[:limit]

    async def next_item(self, user_id: int, server_id: int | None = None) -> str | None:
        queue = await self.due_queue(user_id, server_id)
        return queue[0] if queue else None

    # --- presenting -------------------------------------------------------------------------

    async def present(self, user_id: int, item_key: str, server_id: int | None = None) -> Presented:
        """Show an item: a fresh generated problem for a skill (never the same twice), or a card.

        The presentation is stored, so its buttons keep working after a restart."""
        key = parse_key(item_key)
        token = secrets.token_urlsafe(12)
        seed = self.seeds() if key.kind == "skill" else None
        async with transaction(self.sessions) as session:
            await self._user(session, user_id)
            card_view = None
            if key.kind == "card":
                card_view = await self._card_view(session, key.card_id, server_id)
            state = await self._state(session, user_id, item_key)
            session.add(
                Presentation(
                    token=token,
                    user_id=user_id,
                    item_key=item_key,
                    kind=key.kind,
                    skill=key.skill,
                    level=key.level,
                    seed=seed,
                    card_id=key.card_id,
                    server_id=server_id,
                    created_at=self.clock(),  # the service's clock: answer times use it too
                )
            )
        problem = None
        if key.kind == "skill":
            problem = await self._problem(key.skill, key.level, seed)
        new = state is None or state.introduced_day is None
        locked = _locked(key, state)
        return Presented(
            token, item_key, key.kind, new and not locked, problem, card_view, locked=locked
        )

    async def _card_view(
        self, session: AsyncSession, card_id: int | None, server_id: int | None
    ) -> CardView:
        row = (
            await session.execute(
                select(Card, Deck).join(Deck, Card.deck_id == Deck.id).where(Card.id == card_id)
            )
        ).one_or_none()
        if row is None:
            raise StudyError(f"no card {card_id}")
        card, deck = row
        if deck.server_id is not None and deck.server_id != server_id:
            raise StudyError("that card belongs to another server's deck")
        return CardView(
            card.id,
            deck.slug,
            card.front,
            card.back,
            card.latex_front,
            card.latex_back,
            card.typed_answer,
            card.typed_var,
        )

    async def problem_for(self, token: str) -> Problem:
        """Rebuild a presented problem from its stored (skill, level, seed): after a restart too."""
        async with self.sessions() as session:
            p = await self._presentation(session, token)
        if p.kind != "skill" or p.skill is None or p.level is None or p.seed is None:
            raise StudyError("that presentation is not a problem")
        return await self._problem(p.skill, p.level, p.seed)

    async def _problem(self, skill: str, level: int, seed: int) -> Problem:
        """Problems are rebuilt from (skill, level, seed); recent ones are kept in memory, so
        answering does not pay for a worker round trip and a large unpickle on the loop."""
        key = (skill, level, seed)
        problem = self._problems.get(key)
        if problem is None:
            problem = await tasks.agenerate(self.pool, skill, level, seed)
            self._problems[key] = problem
            while len(self._problems) > PROBLEM_CACHE:
                self._problems.pop(next(iter(self._problems)))
        return problem

    async def _presentation(
        self, session: AsyncSession, token: str, *, lock: bool = False
    ) -> Presentation:
        # its user comes along (one round trip less when grading reads it from the session)
        query = (
            select(Presentation)
            .join(Presentation.user)
            .options(contains_eager(Presentation.user))
            .where(Presentation.token == token)
        )
        if lock:  # PostgreSQL: a concurrent grading of the same token waits, then sees it done
            query = query.with_for_update(of=Presentation)
        p = (await session.execute(query)).scalar_one_or_none()
        if p is None:
            raise StudyError("that question has expired")
        return p

    async def _state(self, session: AsyncSession, user_id: int, item_key: str) -> ItemState | None:
        return (
            await session.execute(
                select(ItemState)
                .where(ItemState.user_id == user_id, ItemState.item_key == item_key)
                .with_for_update()
            )
        ).scalar_one_or_none()

    # --- answering --------------------------------------------------------------------------

    async def hint(self, token: str, *, user_id: int | None = None) -> Step | None:
        """The first worked step; taking it caps the grade at 'correct after a hint'."""
        problem = await self.problem_for(token)
        async with transaction(self.sessions) as session:
            p = await self._presentation(session, token)
            _check_owner(p, user_id)
            if p.answered_at is None:
                p.hinted = True
        return problem.steps[0] if problem.steps else None

    async def submit_answer(
        self, token: str, text: str, *, seconds: float | None = None, user_id: int | None = None
    ) -> Outcome:
        """Check a typed answer to a problem or a typed card; grades on a right answer.

        A wrong answer can be retried (the grade then drops to 3); an unreadable one costs
        nothing. Answers to an already graded presentation are checked but count for nothing.
        The text is cleaned first (`clean_text`): what is checked is what is stored.
        """
        text = clean_text(text)
        async with self.sessions() as session:
            p = await self._presentation(session, token)
            _check_owner(p, user_id)
            card = await session.get(Card, p.card_id) if p.kind == "card" else None
        if p.kind == "skill":
            verdict = await tasks.acheck_generated(self.pool, p.skill, p.level, p.seed, text)
            problem = await self.problem_for(token)
        else:
            if card is None or not card.typed_answer:
                raise StudyError("that card takes no typed answer")
            verdict = await tasks.acheck(
                self.pool,
                card.typed_answer,
                text,
                function=card.typed_function,
                var=card.typed_var,
                order=card.typed_order,
            )
            problem = None
        steps = tuple(problem.steps) if problem and verdict.verdict == "correct" else ()
        try:
            return await self._record_answer(token, text, verdict, problem, steps, seconds)
        except AlreadyGraded:
            return Outcome("already", verdict, steps=steps)

    async def _record_answer(
        self,
        token: str,
        text: str,
        verdict: Verdict,
        problem: Problem | None,
        steps: tuple[Step, ...],
        seconds: float | None,
    ) -> Outcome:
        async with transaction(self.sessions) as session:
            p = await self._presentation(session, token, lock=True)
            if p.answered_at is not None:
                return Outcome("already", verdict, steps=steps)
            answer_text = text[:2000]
            repeated = await session.scalar(
                select(QuizAttempt.id)
                .where(
                    QuizAttempt.presentation_token == token,
                    QuizAttempt.answer_text == answer_text,
                )
                .limit(1)
            )
            if repeated is None and p.kind == "skill" and problem is not None:
                session.add(
                    QuizAttempt(
                        user_id=p.user_id,
                        server_id=p.server_id,
                        presentation_token=token,
                        skill=problem.skill,
                        level=problem.level,
                        seed=problem.seed,
                        answer_text=answer_text,
                        verdict=verdict.verdict,
                        mistake=verdict.mistake,
                    )
                )
            if verdict.verdict == "invalid":
                return Outcome("invalid", verdict, can_retry=True)
            if verdict.verdict == "incorrect":
                if repeated is None:  # the same wrong answer sent twice is one try
                    p.tries += 1
                return Outcome("incorrect", verdict, can_retry=True)
            target = SKILLS[p.skill].target_seconds if p.skill else 30
            if seconds is None:  # measured from when the item was shown
                seconds = max(0.0, (self.clock() - p.created_at).total_seconds())
            quality = srs.problem_quality(
                correct=True,
                first_try=p.tries == 0,
                hinted=p.hinted,
                seconds=seconds,
                target_seconds=target,
            )
            result = await self._grade(session, p, quality, seconds)
        return _with(result, status="correct", verdict=verdict, steps=steps)

    async def give_up(self, token: str, *, user_id: int | None = None) -> Outcome:
        """Show the solution: quality 1 after a wrong try, 0 when skipped outright."""
        problem = await self.problem_for(token)
        steps = tuple(problem.steps)
        try:
            async with transaction(self.sessions) as session:
                p = await self._presentation(session, token, lock=True)
                _check_owner(p, user_id)
                if p.answered_at is not None:
                    return Outcome("already", steps=steps)
                quality = srs.problem_quality(
                    correct=False, gave_up=p.tries == 0, seconds=0, target_seconds=1
                )
                result = await self._grade(session, p, quality, None)
        except AlreadyGraded:
            return Outcome("already", steps=steps)
        return _with(result, status="revealed", steps=steps)

    async def grade_card(
        self, token: str, button: srs.Button, *, user_id: int | None = None
    ) -> Outcome:
        """Again / Hard / Good / Easy on a flashcard."""
        try:
            async with transaction(self.sessions) as session:
                p = await self._presentation(session, token, lock=True)
                _check_owner(p, user_id)
                if p.answered_at is not None:
                    return Outcome("already")
                result = await self._grade(session, p, srs.button_quality(button), None)
        except AlreadyGraded:
            return Outcome("already")
        return _with(result, status="graded")

    async def _grade(
        self, session: AsyncSession, p: Presentation, quality: int, seconds: float | None
    ) -> Outcome:
        """Apply one grade: new state and its log entry in the caller's transaction.

        Only a *review* moves the schedule: the first graded answer of the local day on an item
        that is new or due. Anything else is practice (a same-day re-drill, a second quiz on
        the item, answering before it is due, a level not unlocked yet): logged with
        ``counted`` false, changing nothing, so the counted log alone re-derives the schedule.
        """
        now = self.clock()
        if seconds is None:  # a card or a give-up: measured from when the item was shown
            seconds = max(0.0, (now - p.created_at).total_seconds())
        # a button pressed weeks later is not a weeks-long answer (and would overflow the column)
        seconds = min(seconds, MAX_DURATION_S)
        user = await self._user(session, p.user_id)
        today = self.today(user)
        scheduler = await self.scheduler_for(session, user, p.server_id)
        state = await self._state(session, p.user_id, p.item_key)
        practice: Practice | None = None
        if state is None and p.kind == "skill" and (p.level or 1) > 1:
            practice = "locked"  # levels above 1 exist only once unlocked (`_unlock_next`)
        elif state is None:
            # another grading of this item (another presentation, another process) may be
            # creating it right now: then this one waits for it and is judged on its result
            await insert_missing(
                session,
                ItemState,
                ["user_id", "item_key"],
                user_id=p.user_id,
                item_key=p.item_key,
                kind=p.kind,
                card_id=p.card_id,
                skill=p.skill,
                level=p.level,
                scheduler=scheduler,
                repetitions=0,
                interval=0,
                ease=250,
                lapses=0,
                reviews=0,
                leech_flagged=False,
                unlocked=True,
            )
            state = await self._state(session, p.user_id, p.item_key)
        if state is not None and practice is None:
            # judged on the state as stored, as due_queue judged it when it offered the item
            if state.last_reviewed_at is not None and (
                srs.local_day(state.last_reviewed_at, user.timezone, user.day_start_hour) == today
            ):
                practice = "today"
            elif state.introduced_day is not None and not _is_due(state, user, today):
                practice = "early"
        if (
            state is not None
            and practice is None
            and state.scheduler != scheduler
            and state.reviews
        ):
            # the server's default changed, or this server's differs: re-derive, as a switch does
            await self._rederive(session, state, user, scheduler)
        before = _snapshot(state) if state is not None else None
        points, new_leech = 0, False
        if state is not None and practice is None:
            if state.introduced_day is None:
                state.introduced_day = today
            interval_before = _interval_days(state)
            new_leech = self._advance(state, scheduler, quality, now, user)
            if quality >= 3:
                points = POINTS_PER_LEVEL * (p.level or 1) if p.kind == "skill" else POINTS_PER_CARD
            if p.kind == "skill" and quality >= 3 and interval_before >= UNLOCK_INTERVAL:
                await self._unlock_next(session, p.user_id, p.skill, p.level, scheduler)
        p.answered_at = now
        session.add(
            ReviewLog(
                user_id=p.user_id,
                server_id=p.server_id,
                item_key=p.item_key,
                kind=p.kind,
                quality=quality,
                rating=int(srs.fsrs_rating(quality)) if scheduler == "fsrs" else None,
                scheduler=scheduler,
                reviewed_at=now,
                local_day=today,
                duration_ms=int(seconds * 1000),
                state_before=before,
                state_after=_snapshot(state) if state is not None else {},
                points=points,
                counted=practice is None,
                presentation_token=p.token,
            )
        )
        try:
            await session.flush()
        except IntegrityError:
            # the same presentation graded concurrently elsewhere: this attempt counts nothing
            raise AlreadyGraded from None
        return Outcome(
            "graded",
            quality=quality,
            graded=practice is None,
            schedule=_schedule(state) if state is not None else None,
            points=points,
            redrill=quality < 4,
            practice=practice,
            new_leech=new_leech,
        )

    async def _rederive(
        self, session: AsyncSession, state: ItemState, user: User, scheduler: str
    ) -> None:
        """One item's state under another scheduler, from its counted log (see set_scheduler)."""
        logs = await session.execute(
            select(ReviewLog.quality, ReviewLog.reviewed_at)
            .where(
                ReviewLog.user_id == state.user_id,
                ReviewLog.item_key == state.item_key,
                ReviewLog.counted,
            )
            .order_by(ReviewLog.reviewed_at, ReviewLog.id)
        )
        events = [srs.ReviewEvent(quality, at) for quality, at in logs]
        derived = srs.replay(
            events, scheduler, tz=user.timezone, day_start_hour=user.day_start_hour
        )
        _store_schedule(state, derived)

    def _advance(
        self, state: ItemState, scheduler: str, quality: int, now: dt.datetime, user: User
    ) -> bool:
        """Move the schedule by one review (`srs.step`); True when this review flagged a leech."""
        done = srs.step(
            _schedule_state(state),
            quality,
            now,
            scheduler,  # type: ignore[arg-type]
            tz=user.timezone,
            day_start_hour=user.day_start_hour,
        )
        _store_schedule(state, done.state)
        if done.leech:
            state.leech_flagged = True
        return done.leech

    async def _unlock_next(
        self,
        session: AsyncSession,
        user_id: int,
        skill: str | None,
        level: int | None,
        scheduler: str,
    ) -> None:
        if skill is None or level is None or level >= SKILLS[skill].levels:
            return
        await insert_missing(
            session,
            ItemState,
            ["user_id", "item_key"],
            user_id=user_id,
            item_key=skill_key(skill, level + 1),
            kind="skill",
            skill=skill,
            level=level + 1,
            scheduler=scheduler,
            unlocked=True,
        )

    # --- review sessions (/review): what a button needs after a restart --------------------

    async def presentation(self, token: str, *, user_id: int | None = None) -> Presented:
        """A stored presentation again (its card, or the same problem), so a button pressed
        after a restart still knows what it was about. ``new``: not introduced yet."""
        async with self.sessions() as session:
            p = await self._presentation(session, token)
            _check_owner(p, user_id)
            card_view = None
            if p.kind == "card":
                card_view = await self._card_view(session, p.card_id, p.server_id)
            introduced = await session.scalar(
                select(ItemState.introduced_day).where(
                    ItemState.user_id == p.user_id, ItemState.item_key == p.item_key
                )
            )
        problem = await self.problem_for(token) if p.kind == "skill" else None
        return Presented(
            token, p.item_key, p.kind, introduced is None, problem=problem, card=card_view
        )

    async def presentation_server(self, token: str, *, user_id: int | None = None) -> int | None:
        """The server an item was shown in (None: a DM or the console), so a session rebuilt
        after a restart from a button pressed in a DM keeps that server's decks."""
        async with self.sessions() as session:
            p = await self._presentation(session, token)
            _check_owner(p, user_id)
            return p.server_id

    async def reveal(self, token: str, *, user_id: int | None = None) -> Outcome:
        """Show the answer of a problem or of a typed card, graded as giving up (1 after a
        wrong try, 0 when skipped): either way the item comes back soon."""
        async with self.sessions() as session:
            p = await self._presentation(session, token)
            _check_owner(p, user_id)
        if p.kind == "skill":
            return await self.give_up(token, user_id=user_id)
        try:
            async with transaction(self.sessions) as session:
                p = await self._presentation(session, token, lock=True)
                if p.answered_at is not None:
                    return Outcome("already")
                quality = srs.problem_quality(
                    correct=False, gave_up=p.tries == 0, seconds=0, target_seconds=1
                )
                result = await self._grade(session, p, quality, None)
        except AlreadyGraded:
            return Outcome("already")
        return _with(result, status="revealed")

    async def session_redrills(self, user_id: int, since: dt.datetime) -> list[str]:
        """Items whose latest answer since ``since`` scored below 4, in answer order: the
        same-day re-drills (SM-2 step 7) a session still owes when it is rebuilt after a
        restart."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(ReviewLog.item_key, ReviewLog.quality)
                .where(ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= since)
                .order_by(ReviewLog.reviewed_at, ReviewLog.id)
            )
            latest: dict[str, int] = {}
            for key, quality in rows:
                latest.pop(key, None)  # re-inserted: ordered by each item's latest answer
                latest[key] = quality
        return [key for key, quality in latest.items() if quality < REDRILL_PASS]

    # --- the console front-end (bot/console.py) ---------------------------------------------

    async def present_seeded(self, user_id: int, item_key: str, seed: int) -> Presented:
        """`present` for a skill with a chosen problem seed, so a scripted console session (and
        its tests) knows every problem in advance. Discord never calls this: there the seed is
        secret, or a student could look the answers up."""
        key = parse_key(item_key)
        if key.kind != "skill" or key.skill is None or key.level is None:
            raise StudyError("only problems have seeds")
        token = secrets.token_urlsafe(12)
        async with transaction(self.sessions) as session:
            await self._user(session, user_id)
            state = await self._state(session, user_id, item_key)
            session.add(
                Presentation(
                    token=token,
                    user_id=user_id,
                    item_key=item_key,
                    kind="skill",
                    skill=key.skill,
                    level=key.level,
                    seed=seed,
                    created_at=self.clock(),
                )
            )
        problem = await self._problem(key.skill, key.level, seed)
        new = state is None or state.introduced_day is None
        locked = _locked(key, state)
        return Presented(token, item_key, "skill", new and not locked, problem, locked=locked)

    async def console_leaderboard(
        self, period: stats_module.Period = "week", *, user_id: int | None = None, size: int = 10
    ) -> stats_module.Leaderboard:
        """The local leaderboard: everyone with a console name on this database, ranked by all
        their points in the period (a console has no server to scope it to)."""
        if period not in stats_module.PERIOD_DAYS:
            raise ValueError(f"period must be one of {', '.join(stats_module.PERIOD_DAYS)}")
        points = func.sum(ReviewLog.points)
        query = (
            select(User.id, User.display_name, User.console_name, points)
            .join(ReviewLog, ReviewLog.user_id == User.id)
            .where(User.console_name.is_not(None))
            .group_by(User.id, User.display_name, User.console_name)
            .having(points > 0)
            .order_by(points.desc(), User.id)
        )
        days = stats_module.PERIOD_DAYS[period]
        if days is not None:  # as on Discord: counted back from UTC today
            since = self.clock().date() - dt.timedelta(days=days - 1)
            query = query.where(ReviewLog.local_day >= since)
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        standings = [
            stats_module.Standing(rank, uid, display or console or f"user {uid}", int(total))
            for rank, (uid, display, console, total) in enumerate(rows, start=1)
        ]
        me = next((s for s in standings if s.user_id == user_id), None)
        return stats_module.Leaderboard(period, True, standings[:size], me)


def _random_seed() -> int:
    return secrets.randbelow(2**31)


class AlreadyGraded(Exception):
    """Raised inside a grading transaction when its presentation was graded concurrently."""


@dataclass(frozen=True)
class _QueueStatements:
    """The statements behind `StudyService.due_queue`, with bound parameters ``user_id``,
    ``today``, ``tomorrow`` (when the next study day starts, UTC), ``limit`` and (in a server)
    ``server_id``."""

    done_today: Any  # reviews counted and items introduced today, in one round trip
    due: Any  # introduced items due by today (SM-2) or before tomorrow starts (FSRS), in view
    unseen: Any  # unseen items in view, plus every level-1 skill state
    fresh_cards: Any  # visible cards with no state at all yet, in deck order
    leeches: Any  # flagged leeches in view, most lapses first


@functools.cache
def _queue_statements(in_server: bool) -> _QueueStatements:
    """Built once per shape: constructing a select costs more Python than running it."""
    user_id, today = bindparam("user_id"), bindparam("today")
    decks = Deck.server_id.is_(None)
    if in_server:  # shipped decks everywhere, a server's own decks only in that server
        decks = decks | (Deck.server_id == bindparam("server_id"))
    visible_cards = select(Card.id).join(Deck, Card.deck_id == Deck.id).where(decks, ~Card.retired)
    in_view = or_(ItemState.kind == "skill", ItemState.card_id.in_(visible_cards))
    reviews = (
        select(func.count())
        .select_from(ReviewLog)
        .where(ReviewLog.user_id == user_id, ReviewLog.local_day == today, ReviewLog.counted)
        .scalar_subquery()
    )
    introduced = (
        select(func.count())
        .select_from(ItemState)
        .where(ItemState.user_id == user_id, ItemState.introduced_day == today)
        .scalar_subquery()
    )
    seen = (
        select(ItemState.id)
        .where(
            ItemState.user_id == user_id,
            ItemState.item_key == literal("card:") + cast(Card.id, String),
        )
        .exists()
    )
    return _QueueStatements(
        done_today=select(reviews, introduced),
        due=select(
            ItemState.item_key,
            ItemState.due_day,
            ItemState.due_at,
            ItemState.interval,
            ItemState.last_reviewed_at,
        ).where(
            ItemState.user_id == user_id,
            ItemState.introduced_day.is_not(None),
            or_(ItemState.due_day <= today, ItemState.due_at < bindparam("tomorrow")),
            in_view,
        ),
        unseen=select(
            ItemState.item_key,
            ItemState.kind,
            ItemState.skill,
            ItemState.level,
            ItemState.introduced_day,
            ItemState.unlocked,
        )
        .where(
            ItemState.user_id == user_id,
            or_(
                ItemState.introduced_day.is_(None),
                (ItemState.kind == "skill") & (ItemState.level == 1),
            ),
            in_view,
        )
        .order_by(ItemState.id),
        fresh_cards=select(Card.id)
        .where(Card.id.in_(visible_cards), ~seen)
        .order_by(Card.id)
        .limit(bindparam("limit")),
        leeches=select(ItemState.item_key)
        .where(ItemState.user_id == user_id, ItemState.leech_flagged, in_view)
        .order_by(ItemState.lapses.desc(), ItemState.item_key),
    )


def _never_reviewed(before: dict | None) -> bool:
    return not before or (not before.get("repetitions") and not before.get("interval"))


def _local(moment: dt.datetime | None, user: User) -> dt.date | None:
    return None if moment is None else srs.local_day(moment, user.timezone, user.day_start_hour)


def _check_owner(p: Presentation, user_id: int | None) -> None:
    if user_id is not None and p.user_id != user_id:
        raise StudyError("that question was someone else's; start your own")


def _interleave(a: list[str], b: list[str]) -> list[str]:
    out: list[str] = []
    for pair in zip(a, b, strict=False):
        out.extend(pair)
    shorter = min(len(a), len(b))
    return out + a[shorter:] + b[shorter:]


def _is_due(state: ItemState, user: User, today: dt.date) -> bool:
    """Due on or before the user's study day `today` (FSRS's due instant counts by its day)."""
    if state.scheduler == "fsrs" and state.due_at is not None:
        return srs.local_day(state.due_at, user.timezone, user.day_start_hour) <= today
    return state.due_day is None or state.due_day <= today


def _locked(key: ItemKey, state: ItemState | None) -> bool:
    """Levels above 1 get a state only when unlocked (`_unlock_next`), so none means locked."""
    return key.kind == "skill" and (key.level or 1) > 1 and state is None


def _interval_days(state: ItemState) -> int:
    """The gap the item was last scheduled for: FSRS's own, else SM-2's interval."""
    if state.scheduler == "fsrs" and state.due_at is not None and state.last_reviewed_at:
        return round((state.due_at - state.last_reviewed_at).total_seconds() / 86400)
    return state.interval


def _snapshot(state: ItemState) -> dict[str, object]:
    return {
        "scheduler": state.scheduler,
        "repetitions": state.repetitions,
        "interval": state.interval,
        "ease": state.ease,
        "lapses": state.lapses,
        "due_day": state.due_day.isoformat() if state.due_day else None,
        "due_at": state.due_at.isoformat() if state.due_at else None,
        "fsrs": state.fsrs_state,
    }


def _schedule(state: ItemState) -> Schedule:
    return Schedule(
        state.scheduler,
        state.due_day,
        state.due_at,
        state.interval,
        state.lapses,
        state.leech_flagged,
    )


def _with(outcome: Outcome, **changes: object) -> Outcome:
    return replace(outcome, **changes)


__all__ = [
    "AlreadyGraded",
    "CardView",
    "ImportBusy",
    "ItemKey",
    "Outcome",
    "Preferences",
    "Presented",
    "ReminderInfo",
    "Schedule",
    "ServerSettings",
    "SessionReport",
    "StudyError",
    "StudyService",
]


async def _store_deck(session: AsyncSession, deck: decks.Deck, *, server_id: int | None) -> None:
    row = (
        await session.execute(
            select(Deck).where(
                Deck.slug == deck.id,
                Deck.server_id.is_(None) if server_id is None else Deck.server_id == server_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        row = Deck(server_id=server_id, slug=deck.id, title=deck.title)
        session.add(row)
        await session.flush()
    row.title = deck.title
    row.description = deck.description
    row.version = deck.version
    row.retired = False  # a removed deck imported again comes back, progress and all
    existing = {
        c.card_key: c
        for c in (await session.execute(select(Card).where(Card.deck_id == row.id))).scalars()
    }
    for position, card in enumerate(deck.cards):
        target = existing.pop(card.id, None) or Card(deck_id=row.id, card_key=card.id)
        target.front = card.front
        target.back = card.back
        target.latex_front = card.latex_front
        target.latex_back = card.latex_back
        target.tags = list(card.tags)
        target.typed_answer = card.typed.answer if card.typed else None
        target.typed_var = card.typed.var if card.typed else "x"
        target.typed_function = card.typed.function if card.typed else None
        target.typed_order = card.typed.order if card.typed else 1
        target.position = position
        target.retired = False
        session.add(target)
    for gone in existing.values():
        gone.retired = True  # kept, so the students' progress on it is not lost


async def _find_deck(
    session: AsyncSession, server_id: int | None, slug: str, *, own_only: bool = False
) -> Deck:
    slug = clean_text(slug)
    visible = Deck.server_id == server_id if own_only else Deck.server_id.is_(None)
    if server_id is not None and not own_only:
        visible = visible | (Deck.server_id == server_id)
    rows = (
        (
            await session.execute(
                select(Deck)
                .where(Deck.slug == slug, visible, ~Deck.retired)
                .order_by(Deck.server_id.is_(None))
            )
        )
        .scalars()
        .first()
    )
    if rows is None:
        raise StudyError(f"no deck {slug!r} here")
    return rows


def _server_settings(server: Server) -> ServerSettings:
    return ServerSettings(
        server.id,
        server.discord_guild_id,
        server.default_scheduler,
        server.leaderboard_enabled,
        server.teacher_role_id,
        server.reminder_channel_id,
    )


def _card_model(card: Card) -> decks.Card:
    typed = (
        decks.TypedAnswer(
            answer=card.typed_answer,
            var=card.typed_var,
            function=card.typed_function,
            order=card.typed_order,
        )
        if card.typed_answer
        else None
    )
    return decks.Card(
        id=card.card_key,
        front=card.front,
        back=card.back,
        latex_front=card.latex_front,
        latex_back=card.latex_back,
        tags=tuple(card.tags or ()),
        typed=typed,
    )


def _schedule_state(state: ItemState) -> srs.ScheduleState:
    """An item's stored schedule as `srs.step` takes it."""
    return srs.ScheduleState(
        scheduler=state.scheduler,  # type: ignore[arg-type]
        sm2_state=srs.State(state.repetitions, state.interval, state.ease),
        fsrs_state=srs.FsrsState.from_dict(state.fsrs_state) if state.fsrs_state else None,
        lapses=state.lapses,
        reviews=state.reviews,
        last_reviewed_at=state.last_reviewed_at,
        due_day=state.due_day,
        due_at=state.due_at,
    )


def _store_schedule(state: ItemState, schedule: srs.ScheduleState) -> None:
    """Write a stepped or replayed schedule back to its row (the row is its cache)."""
    state.scheduler = schedule.scheduler
    state.repetitions = schedule.sm2_state.repetitions
    state.interval = schedule.sm2_state.interval
    state.ease = schedule.sm2_state.ease
    state.fsrs_state = schedule.fsrs_state.to_dict() if schedule.fsrs_state else None
    state.lapses = schedule.lapses
    state.reviews = schedule.reviews
    state.last_reviewed_at = schedule.last_reviewed_at
    state.due_day = schedule.due_day
    state.due_at = schedule.due_at
