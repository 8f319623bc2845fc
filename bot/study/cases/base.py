"""What every use-case part shares: `ServiceBase` declares the state all parts read (sessions,
pool, settings, clock, seeds, caches) and the few lookups they all need.

Each part (`people`, `queue`, `presenting`, `grading`, `library`, `progress`, `reminding`,
`servers`) is a mixin over `ServiceBase`; `bot.study.service.StudyService` composes them into
the one object front-ends call. A part that needs another part's use case declares it here as
abstract (`due_queue`, `assignments_due_soon`), so every dependency between parts is written
down in one place.
"""

from __future__ import annotations

import abc
import asyncio
import datetime as dt
import secrets
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Literal, NamedTuple

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import contains_eager

from bot import srs
from bot.config import Settings, get_settings
from bot.db.models import ItemState, Presentation, Server, User, utcnow
from bot.math import tasks
from bot.math.generator import Problem
from bot.math.workers import MathPool, WorkerCrashed, WorkTimeout
from bot.study import importing
from bot.study.cases.results import EXPIRED, StudyError

if TYPE_CHECKING:
    from bot.study.cases.assignments import AssignmentProgress

SchedulerName = Literal["sm2", "fsrs"]
Clock = Callable[[], dt.datetime]
#: Recently generated problems kept in memory (answers rebuild them from (skill, level, seed)).
PROBLEM_CACHE = 1024
#: Recently shown presentations' fixed facts kept in memory (`Shown`).
SHOWN_CACHE = 8192
#: Leaderboard windows a process remembers as built (a few per server a day).
BUILT_CACHE = 4096


class Shown(NamedTuple):
    """What a presentation is about: fixed when it is stored (only its progress changes), so
    every process may keep it, and an answer need not read the row before its check."""

    user_id: int
    kind: str
    item_key: str
    skill: str | None
    level: int | None
    seed: int | None
    card_id: int | None
    server_id: int | None

    @classmethod
    def of(cls, p: Presentation) -> Shown:
        return cls(p.user_id, p.kind, p.item_key, p.skill, p.level, p.seed, p.card_id, p.server_id)


def _presentation_query(*, lock: bool, many: bool = False) -> Select[tuple[Presentation]]:
    """A presentation with its user and server (grading reads both from the session, no
    round trip more), or with ``many`` those of several tokens, locked in token order; built
    once: building a statement costs more than running it here."""
    query = (
        select(Presentation)
        .join(Presentation.user)
        .outerjoin(Presentation.server)
        .options(contains_eager(Presentation.user), contains_eager(Presentation.server))
    )
    if many:
        tokens = bindparam("tokens", expanding=True)
        query = query.where(Presentation.token.in_(tokens)).order_by(Presentation.token)
    else:
        query = query.where(Presentation.token == bindparam("token"))
    # PostgreSQL: a concurrent grading of the same token waits, then sees it done
    return query.with_for_update(of=Presentation) if lock else query


_PRESENTATION = {lock: _presentation_query(lock=lock) for lock in (False, True)}
#: the presentations of several tokens (`presentations`), locked
_PRESENTATIONS = _presentation_query(lock=True, many=True)
_STATE = (
    select(ItemState)
    .where(ItemState.user_id == bindparam("user_id"), ItemState.item_key == bindparam("key"))
    .with_for_update()
)


class ServiceBase(abc.ABC):
    """The state and lookups the use-case parts share; see the module docstring."""

    #: one short transaction or read per use case; never held across an await on the pool
    sessions: async_sessionmaker[AsyncSession]
    #: the math worker pool (generation, checking, deck validation)
    pool: MathPool
    settings: Settings
    #: the service's time (answer durations, study days, reminders); tests move it by hand
    clock: Clock
    #: draws each new problem's seed
    seeds: Callable[[], int]
    #: (skill, level, seed) -> problem, at most PROBLEM_CACHE (`_problem`)
    _problems: dict[tuple[str, int, int], Problem]
    #: token -> what it shows, at most SHOWN_CACHE (`_shown`)
    _shown_cache: dict[str, Shown]
    #: (server, days, since) leaderboard windows known built (`progress`), at most BUILT_CACHE
    _built_windows: set[tuple[int, int, dt.date]]
    #: discord id -> (user id, display name) and (user id, guild id) -> server id (`people`)
    _known_users: dict[int, tuple[int, str]]
    #: (user, guild) -> (server row id, the member's name there)
    _known_members: dict[tuple[int, int], tuple[int, str]]
    #: how uploads are split into worker tasks, and one deck import at a time (`library`)
    import_limits: importing.ImportLimits
    _deck_import: asyncio.Lock

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
        self._problems = {}
        self._shown_cache = {}
        self._built_windows = set()
        self._known_users = {}
        self._known_members = {}
        self.import_limits = import_limits or importing.ImportLimits()
        self._deck_import = asyncio.Lock()

    # --- what parts ask of other parts --------------------------------------------------------

    @abc.abstractmethod
    async def due_queue(self, user_id: int, server_id: int | None = None) -> list[str]:
        """Today's queue (`queue.QueueCases`); reminders count it."""

    @abc.abstractmethod
    async def assignments_due_soon(
        self, user_id: int, server_id: int | None = None
    ) -> list[AssignmentProgress]:
        """Unfinished assignments due within a day (`assignments.AssignmentCases`); reminders
        mention them."""

    # --- shared lookups -------------------------------------------------------------------------

    async def _user(self, session: AsyncSession, user_id: int) -> User:
        user = await session.get(User, user_id)
        if user is None:
            raise StudyError(f"no user {user_id}")
        return user

    async def scheduler_for(self, session: AsyncSession, user: User, server_id: int | None) -> str:
        """The user's own choice, else the server's default, else the bot's."""
        server = None
        if not user.scheduler and server_id is not None:
            server = await session.get(Server, server_id)
        return _scheduler(user, server, self.settings.default_scheduler)

    def scheduler_of(self, p: Presentation) -> str:
        """`scheduler_for` a presentation read with its user and server: no round trip."""
        return _scheduler(p.user, p.server, self.settings.default_scheduler)

    def today(self, user: User) -> dt.date:
        """The user's study day now (their zone, their day start)."""
        return srs.local_day(self.clock(), user.timezone, user.day_start_hour)

    async def _state(self, session: AsyncSession, user_id: int, item_key: str) -> ItemState | None:
        params = {"user_id": user_id, "key": item_key}
        return (await session.execute(_STATE, params)).scalar_one_or_none()

    async def _presentation(
        self, session: AsyncSession, token: str, *, lock: bool = False
    ) -> Presentation:
        p = (await session.execute(_PRESENTATION[lock], {"token": token})).scalar_one_or_none()
        if p is None:
            raise StudyError(EXPIRED)
        self._note(p)
        return p

    async def _presentations(
        self, session: AsyncSession, tokens: Collection[str]
    ) -> dict[str, Presentation]:
        """Several presentations by token, locked in token order (two batches of gradings
        lock shared rows in the same order); a token not found is left out."""
        params = {"tokens": sorted(tokens)}
        found = {p.token: p for p in (await session.execute(_PRESENTATIONS, params)).scalars()}
        for p in found.values():
            self._note(p)
        return found

    def _note(self, p: Presentation) -> None:
        """Remember what a presentation read from the database shows (`_shown`)."""
        if p.token not in self._shown_cache:
            self._remember(p.token, Shown.of(p))

    def _remember(self, token: str, shown: Shown) -> None:
        """Keep what a token shows, at most SHOWN_CACHE of them (the oldest go first)."""
        self._shown_cache[token] = shown
        while len(self._shown_cache) > SHOWN_CACHE:
            self._shown_cache.pop(next(iter(self._shown_cache)))

    def _remember_built(self, window: tuple[int, int, dt.date]) -> None:
        """A window, once built, stays built until it is old (then nobody asks for it)."""
        if len(self._built_windows) >= BUILT_CACHE:
            self._built_windows.clear()
        self._built_windows.add(window)

    async def _shown(self, token: str) -> Shown:
        """What a token shows, from memory when this process showed or read it lately. A
        presentation deleted since (pruned, a user's data erased) is still found here: the
        transaction that then writes about it reads the row and says it expired."""
        shown = self._shown_cache.get(token)
        if shown is None:
            async with self.sessions() as session:
                shown = Shown.of(await self._presentation(session, token))
        return shown

    async def _problem(self, skill: str, level: int, seed: int) -> Problem:
        """Problems are rebuilt from (skill, level, seed); recent ones are kept in memory, so
        answering does not pay for a worker round trip and a large unpickle on the loop."""
        key = (skill, level, seed)
        problem = self._problems.get(key)
        if problem is None:
            try:
                problem = await tasks.agenerate(self.pool, skill, level, seed)
            except WorkerCrashed:  # our fault, not the student's: the pool retried once already
                raise StudyError(tasks.CHECKER_RESTARTING) from None
            except WorkTimeout:
                raise StudyError("Building that problem took too long; please try again.") from None
            self._problems[key] = problem
            while len(self._problems) > PROBLEM_CACHE:
                self._problems.pop(next(iter(self._problems)))
        return problem

    async def problem_for(self, token: str) -> Problem:
        """Rebuild a presented problem from its stored (skill, level, seed): after a restart too."""
        p = await self._shown(token)
        if p.kind != "skill" or p.skill is None or p.level is None or p.seed is None:
            raise StudyError("that presentation is not a problem")
        return await self._problem(p.skill, p.level, p.seed)


def check_owner(p: Presentation | Shown, user_id: int | None) -> None:
    """A token from someone else's message is refused (buttons are visible to everyone)."""
    if user_id is not None and p.user_id != user_id:
        raise StudyError("that question was someone else's; start your own")


def local_date(moment: dt.datetime | None, user: User) -> dt.date | None:
    return None if moment is None else srs.local_day(moment, user.timezone, user.day_start_hour)


def _scheduler(user: User, server: Server | None, default: str) -> str:
    if user.scheduler:
        return user.scheduler
    if server is not None and server.default_scheduler:
        return server.default_scheduler
    return default


def _random_seed() -> int:
    return secrets.randbelow(2**31)


def schedule_state(state: ItemState) -> srs.ScheduleState:
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


def store_schedule(state: ItemState, schedule: srs.ScheduleState) -> None:
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
