"""Assignments: a teacher sets a server's students so many problems of a skill (and level) or
so many cards of a deck, due by a day; students see how far they are, teachers who is where.

Progress is never stored. It is counted from what is already logged, in that server, between
the assignment's creation and its due moment (or its closing, if earlier): the review log for
what is done, the quiz attempts for the mistakes. /quiz and /review both log every graded
answer with the server it was shown in, so work from either counts alike, and a count cannot
drift from the work it counts.

What counts as done (`DONE_QUALITY`): a problem answered correctly by the student, even after a
wrong try or a hint (they still typed the right derivative), but not once the worked solution
was shown; a card graded Hard, Good or Easy (Again does not count), each card once. Accuracy is
/stats's: problems right at the first try without a hint (cards: not graded Again), out of
those finished.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Select, String, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.db.engine import transaction
from bot.db.models import Assignment, Card, Deck, Membership, QuizAttempt, ReviewLog, User
from bot.math.generator import SKILLS
from bot.srs.days import zone
from bot.study.cases.base import ServiceBase
from bot.study.cases.library import _find_deck
from bot.study.cases.results import StudyError
from bot.study.credit import FIRST_TRY_QUALITY
from bot.study.items import skill_key
from bot.study.text import clean_text

#: The least quality that makes an answer "done": right (after a retry or hint too), or a card
#: remembered (Hard or better); a shown solution (0-1) and Again (2) are not.
DONE_QUALITY = 3
#: The most problems or cards one assignment may ask for, and how far ahead it may be due.
MAX_TARGET = 200
MAX_AHEAD = dt.timedelta(days=366)
#: Reminders mention unfinished assignments due within this long.
DUE_SOON = dt.timedelta(days=1)
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: A weekday as typed: its full name or its first three letters ("fri", "friday").
WEEKDAYS = {name: n for n, day in enumerate(_DAYS) for name in (day, day[:3])}


@dataclass(frozen=True)
class AssignmentView:
    """One assignment as front-ends show it; ``label`` is "Chain rule L2" or a deck's title."""

    id: int
    server_id: int
    label: str
    skill: str | None
    level: int | None
    deck: str | None
    target: int
    due_day: dt.date
    timezone: str
    due_at: dt.datetime
    created_at: dt.datetime
    closed: bool

    @property
    def unit(self) -> str:
        return "cards" if self.deck is not None else "problems"


@dataclass(frozen=True)
class AssignmentProgress:
    """A student's progress on one assignment; ``today`` is the day in its time zone."""

    assignment: AssignmentView
    done: int
    today: dt.date

    @property
    def complete(self) -> bool:
        return self.done >= self.assignment.target


@dataclass(frozen=True)
class StudentStatus:
    """One student's row of /assign status. ``finished``: problems (or card reviews) ended,
    ``correct`` of them right at the first try (cards: not Again); ``mistake`` the most
    frequent named mistake code (a deck: the front of the card most often missed)."""

    user_id: int
    name: str
    done: int
    finished: int
    correct: int
    mistake: str | None
    mistake_count: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.finished if self.finished else None


@dataclass(frozen=True)
class AssignmentStatus:
    assignment: AssignmentView
    students: tuple[StudentStatus, ...]
    today: dt.date


@dataclass(frozen=True)
class _Tally:
    done: int = 0
    finished: int = 0
    correct: int = 0


def parse_due(text: str, today: dt.date) -> dt.date:
    """A due day as a teacher types it: ``2026-12-04``, ``today``, ``tomorrow``, a weekday
    (``fri``, ``Friday``: the next one after today) or ``+3`` (days from today)."""
    word = clean_text(text).strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + dt.timedelta(days=1)
    if re.fullmatch(r"\+\d{1,3}", word):
        return today + dt.timedelta(days=int(word[1:]))
    weekday = WEEKDAYS.get(word.rstrip("."))
    if weekday is not None:  # the next one after today: "fri" on a Friday is a week ahead
        return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        raise ValueError(
            "a due day is a date like 2026-12-04, a weekday like fri, today, tomorrow or +3"
        ) from None


def end_of_day(day: dt.date, tz: str) -> dt.datetime:
    """The first instant after ``day`` in ``tz``, in UTC: when an assignment is past due."""
    after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone(tz))
    return after.astimezone(dt.UTC)


def skill_label(skill: str, level: int | None) -> str:
    """ "Chain rule L2": the skill as the catalogue describes it, and the level if one is set."""
    name = SKILLS[skill].description.split(":")[0] if skill in SKILLS else skill
    return f"{name} L{level}" if level is not None else name


class AssignmentCases(ServiceBase):
    """Who may set or close assignments is the front-end's check (the teacher role)."""

    async def create_assignment(
        self,
        server_id: int,
        teacher_id: int,
        *,
        count: int,
        due: str | dt.date,
        skill: str | None = None,
        level: int | None = None,
        deck: str | None = None,
        timezone: str | None = None,
    ) -> AssignmentView:
        """Set an assignment: ``count`` problems of ``skill`` (at ``level``, else any level)
        or ``count`` cards of ``deck`` (a slug visible in the server), due by the end of
        ``due`` (a date, or text for `parse_due`) in ``timezone``. A server keeps no time zone
        of its own, so the default is the teacher's (from /settings); it is stored with the
        assignment, so the due moment never moves."""
        _check_target(skill, level, deck, count)
        async with transaction(self.sessions) as session:
            teacher = await self._user(session, teacher_id)
            tz = clean_text(timezone).strip() if timezone else teacher.timezone
            zone(tz)  # ValueError for an unknown zone
            today = self.clock().astimezone(zone(tz)).date()
            day = due if isinstance(due, dt.date) else parse_due(due, today)
            if day < today:
                raise ValueError(f"{day.isoformat()} is already past; pick today or later")
            if day - today > MAX_AHEAD:
                raise ValueError("an assignment can be due at most a year ahead")
            deck_row = await _find_deck(session, server_id, deck) if deck is not None else None
            row = Assignment(
                server_id=server_id,
                created_by=teacher_id,
                skill=skill,
                level=level,
                deck_id=deck_row.id if deck_row is not None else None,
                target=count,
                due_day=day,
                timezone=tz,
                due_at=end_of_day(day, tz),
                created_at=self.clock(),
            )
            session.add(row)
            await session.flush()
            return _view(row, deck_row)

    async def assignments(
        self, server_id: int, *, include_closed: bool = False
    ) -> list[AssignmentView]:
        """A server's assignments, soonest due first (past due ones too; closed ones only when
        asked)."""
        query = _with_deck().where(Assignment.server_id == server_id)
        if not include_closed:
            query = query.where(Assignment.closed_at.is_(None))
        async with self.sessions() as session:
            rows = await session.execute(query.order_by(Assignment.due_at, Assignment.id))
            return [_view(a, d) for a, d in rows]

    async def close_assignment(self, server_id: int, assignment_id: int) -> AssignmentView:
        """Close an assignment: students stop seeing it and work after now no longer counts."""
        async with transaction(self.sessions) as session:
            row, deck = await _assignment(session, server_id, assignment_id)
            if row.closed_at is not None:
                raise StudyError(f"assignment #{assignment_id} is already closed")
            row.closed_at = self.clock()
            return _view(row, deck)

    async def open_assignments(self, user_id: int, server_id: int) -> list[AssignmentProgress]:
        """The server's assignments a student still sees (not closed, not past due), with
        their progress on each, soonest due first."""
        now = self.clock()
        query = _with_deck().where(
            Assignment.server_id == server_id,
            Assignment.closed_at.is_(None),
            Assignment.due_at > now,
        )
        async with self.sessions() as session:
            rows = (await session.execute(query.order_by(Assignment.due_at, Assignment.id))).all()
            found = []
            for row, deck in rows:
                tally = (await _tallies(session, row, now, user_ids=[user_id])).get(user_id)
                done = tally.done if tally is not None else 0
                found.append(AssignmentProgress(_view(row, deck), done, _today(row, now)))
            return found

    async def assignments_due_soon(
        self, user_id: int, server_id: int | None = None
    ) -> list[AssignmentProgress]:
        """Unfinished assignments due within `DUE_SOON`, for a reminder: in ``server_id``, or
        in every server the student is a member of (a reminder set in a DM)."""
        if server_id is not None:
            servers = [server_id]
        else:
            async with self.sessions() as session:
                servers = list(
                    await session.scalars(
                        select(Membership.server_id).where(Membership.user_id == user_id)
                    )
                )
        soon = self.clock() + DUE_SOON
        found = []
        for server in servers:
            for progress in await self.open_assignments(user_id, server):
                if progress.assignment.due_at <= soon and not progress.complete:
                    found.append(progress)
        return sorted(found, key=lambda p: (p.assignment.due_at, p.assignment.id))

    async def assignment_status(self, server_id: int, assignment_id: int) -> AssignmentStatus:
        """Per student (every member of the server but the assignment's author): done,
        accuracy and the most frequent mistake; most done first."""
        now = self.clock()
        async with self.sessions() as session:
            row, deck = await _assignment(session, server_id, assignment_id)
            members = (
                await session.execute(
                    select(  # the name this server knows them by, as the leaderboard shows
                        User.id,
                        func.coalesce(func.nullif(Membership.display_name, ""), User.display_name),
                    )
                    .join(Membership, Membership.user_id == User.id)
                    .where(Membership.server_id == server_id)
                )
            ).all()
            students = {uid: name for uid, name in members if uid != row.created_by}
            tallies = await _tallies(session, row, now)
            mistakes = await _mistakes(session, row, now)
        rows = []
        for uid, name in students.items():
            tally = tallies.get(uid, _Tally())
            mistake, times = mistakes.get(uid, (None, 0))
            rows.append(
                StudentStatus(
                    uid,
                    name or f"user {uid}",
                    tally.done,
                    tally.finished,
                    tally.correct,
                    mistake,
                    times,
                )
            )
        rows.sort(key=lambda s: (-s.done, s.name.lower(), s.user_id))
        return AssignmentStatus(_view(row, deck), tuple(rows), _today(row, now))


# --- helpers --------------------------------------------------------------------------------


def _check_target(skill: str | None, level: int | None, deck: str | None, count: int) -> None:
    if (skill is None) == (deck is None):
        raise ValueError("an assignment is a skill or a deck: give one of them")
    if skill is not None and skill not in SKILLS:
        raise ValueError(f"there is no skill {skill!r}")
    if level is not None and (skill is None or not 1 <= level <= SKILLS[skill].levels):
        raise ValueError("a level goes with a skill, from 1 to the skill's highest")
    if type(count) is not int or not 1 <= count <= MAX_TARGET:
        raise ValueError(f"count must be a whole number from 1 to {MAX_TARGET}")


def _with_deck() -> Select[tuple[Assignment, Deck]]:
    """Assignments with their deck (None for a skill's)."""
    return select(Assignment, Deck).outerjoin(Deck, Deck.id == Assignment.deck_id)


async def _assignment(
    session: AsyncSession, server_id: int, assignment_id: int
) -> tuple[Assignment, Deck | None]:
    row = (
        await session.execute(
            _with_deck().where(Assignment.id == assignment_id, Assignment.server_id == server_id)
        )
    ).one_or_none()
    if row is None:
        raise StudyError(f"no assignment #{assignment_id} in this server")
    return row[0], row[1]


def _view(row: Assignment, deck: Deck | None) -> AssignmentView:
    label = deck.title if deck is not None else skill_label(row.skill or "", row.level)
    return AssignmentView(
        row.id,
        row.server_id,
        label,
        row.skill,
        row.level,
        deck.slug if deck is not None else None,
        row.target,
        row.due_day,
        row.timezone,
        row.due_at,
        row.created_at,
        row.closed_at is not None,
    )


def _today(row: Assignment, now: dt.datetime) -> dt.date:
    return now.astimezone(zone(row.timezone)).date()


def _window_end(row: Assignment, now: dt.datetime) -> dt.datetime:
    """Work counts until the assignment is due or closed, whichever came first."""
    ends = [row.due_at, now + dt.timedelta(seconds=1)]
    if row.closed_at is not None:
        ends.append(row.closed_at)
    return min(ends)


def _log_scope(row: Assignment, now: dt.datetime) -> list[ColumnElement[bool]]:
    """The review-log rows an assignment counts: its server, its window, its items."""
    where = [
        ReviewLog.server_id == row.server_id,
        ReviewLog.reviewed_at >= row.created_at,
        ReviewLog.reviewed_at < _window_end(row, now),
    ]
    if row.deck_id is not None:
        keys = select(literal("card:") + cast(Card.id, String)).where(Card.deck_id == row.deck_id)
        return [*where, ReviewLog.kind == "card", ReviewLog.item_key.in_(keys)]
    if row.level is not None:
        return [*where, ReviewLog.item_key == skill_key(row.skill or "", row.level)]
    prefix = f"skill:{row.skill}:"
    return [*where, ReviewLog.item_key.startswith(prefix, autoescape=True)]


async def _tallies(
    session: AsyncSession, row: Assignment, now: dt.datetime, *, user_ids: list[int] | None = None
) -> dict[int, _Tally]:
    """Done, finished and correct per student, in one grouped read of the review log."""
    good = ReviewLog.quality >= DONE_QUALITY
    if row.deck_id is not None:  # each card once; accuracy over every review
        done = func.count(func.distinct(case((good, ReviewLog.item_key))))
        correct = func.sum(case((good, 1), else_=0))
    else:  # each problem (one presentation, one log row) once
        done = func.sum(case((good, 1), else_=0))
        correct = func.sum(case((ReviewLog.quality >= FIRST_TRY_QUALITY, 1), else_=0))
    query = (
        select(ReviewLog.user_id, done, func.count(), correct)
        .where(*_log_scope(row, now))
        .group_by(ReviewLog.user_id)
    )
    if user_ids is not None:
        query = query.where(ReviewLog.user_id.in_(user_ids))
    rows = await session.execute(query)
    return {uid: _Tally(int(d or 0), int(f or 0), int(c or 0)) for uid, d, f, c in rows}


async def _mistakes(
    session: AsyncSession, row: Assignment, now: dt.datetime
) -> dict[int, tuple[str, int]]:
    """Each student's most frequent mistake in the assignment's window: a named mistake code
    from the quiz attempts, or for a deck the front of the card most often graded Again (or
    shown). Ties go to the alphabetically first, so the answer is stable."""
    if row.deck_id is not None:
        missed = func.count()
        query = (
            select(ReviewLog.user_id, Card.front, missed)
            .join(Card, ReviewLog.item_key == literal("card:") + cast(Card.id, String))
            .where(*_log_scope(row, now), ReviewLog.quality < DONE_QUALITY)
            .group_by(ReviewLog.user_id, Card.front)
        )
    else:
        missed = func.count()
        scope = [
            QuizAttempt.server_id == row.server_id,
            QuizAttempt.created_at >= row.created_at,
            QuizAttempt.created_at < _window_end(row, now),
            QuizAttempt.skill == row.skill,
            QuizAttempt.mistake.is_not(None),
        ]
        if row.level is not None:
            scope.append(QuizAttempt.level == row.level)
        query = (
            select(QuizAttempt.user_id, QuizAttempt.mistake, missed)
            .where(*scope)
            .group_by(QuizAttempt.user_id, QuizAttempt.mistake)
        )
    best: dict[int, tuple[str, int]] = {}
    for uid, what, times in await session.execute(query):
        current = best.get(uid)
        if current is None or (-times, what) < (-current[1], current[0]):
            best[uid] = (str(what), int(times))
    return best
