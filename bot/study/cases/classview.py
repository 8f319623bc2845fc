"""The class at a glance, for a server's teachers: students × skills (level reached, recent
accuracy), the mistakes the class makes most with an example each, the class's leeches, and
the same per student and skill as CSV rows for a gradebook (the data and its CSV and text
forms are `bot.study.classreport`, re-exported here).

Who counts as the class: the server's members with at least one answer logged in this server
(a teacher who only looks is not a row). Members who keep their stats private are included:
this is the teachers' view, and the front-end lets only teachers ask for it. What is per server
and what is per student: answers, accuracy, points and mistakes count only what was done in
this server; the level reached, the next due day, streaks and leeches are the student's own
schedule, which every server shares (the same numbers their `/stats` shows).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.models import (
    Card,
    Deck,
    ItemState,
    Membership,
    QuizAttempt,
    ReviewLog,
    Server,
    User,
)
from bot.math.generator import SKILLS
from bot.study import stats as stats_module
from bot.study.cases.base import ServiceBase
from bot.study.cases.results import StudyError
from bot.study.classreport import (
    CSV_COLUMNS,
    RECENT_PROBLEMS,
    TOP_MISTAKES,
    ClassLeech,
    ClassMistake,
    ClassStudent,
    ClassView,
    MistakeExample,
    SkillCell,
    class_csv_rows,
    class_csv_text,
    class_report_text,
    grid_data,
    mistake_words,
)
from bot.study.credit import FIRST_TRY_QUALITY
from bot.study.items import item_label, parse_key


@dataclass
class _Answers:
    """One student's log rows for one skill, newest first, as read."""

    rows: list[tuple[int, bool, int, dt.date]] = field(default_factory=list)


class ClassViewCases(ServiceBase):
    """Reads only. Whether the asker is a teacher is the front-end's check, not this one."""

    async def class_view(self, server_id: int, *, examples: bool = True) -> ClassView:
        """The class of a server at a glance. `examples` rebuilds each top mistake's problem
        (in the pool) to quote its prompt."""
        async with self.sessions() as session:
            view, attempts = await _read_class(session, server_id, self.clock())
        if not examples:
            return view
        mistakes = []
        for mistake, (skill, level, seed) in zip(view.mistakes, attempts, strict=True):
            try:
                prompt: str | None = (await self._problem(skill, level, seed)).prompt
            except (StudyError, KeyError, ValueError):
                prompt = None
            mistakes.append(replace(mistake, example=replace(mistake.example, problem=prompt)))
        return replace(view, mistakes=tuple(mistakes))

    async def class_csv(self, server_id: int) -> str:
        """The gradebook: one row per student and skill (`CSV_COLUMNS`)."""
        return class_csv_text(await self.class_view(server_id, examples=False))

    async def server_id_for_guild(self, guild_id: int) -> int | None:
        """A server's row id by its Discord guild id (the command line's --server), creating
        nothing."""
        async with self.sessions() as session:
            return await session.scalar(
                select(Server.id).where(Server.discord_guild_id == guild_id)
            )


async def _read_class(
    session: AsyncSession, server_id: int, now: dt.datetime
) -> tuple[ClassView, list[tuple[str, int, int]]]:
    """The view without example prompts, and each top mistake's (skill, level, seed)."""
    people, member_names = await _members(session, server_id)
    ids = list(people)
    answers = await _answers(session, server_id, ids)
    states = await _skill_states(session, ids)
    mistakes = await _mistakes(session, server_id, ids)
    streaks = await _streaks(session, people, now)
    per_user_points = await _points(session, server_id, ids)
    skills = tuple(s for s in SKILLS if any((uid, s) in answers for uid in ids))
    students = []
    answered = {uid for uid, _ in answers}
    for uid, user in people.items():
        if uid not in answered and uid not in per_user_points:
            continue  # never answered anything here
        cells = {
            skill: _cell(
                skill,
                answers.get((uid, skill)),
                states.get((uid, skill), []),
                user,
                mistakes.get((uid, skill)),
            )
            for skill in skills
            if (uid, skill) in answers
        }
        students.append(
            ClassStudent(
                uid,
                user.discord_id,
                _name(user, member_names.get(uid, "")),
                streaks.get(uid, 0),
                per_user_points.get(uid, 0),
                cells,
            )
        )
    students.sort(key=lambda s: (s.name.casefold(), s.user_id))
    names = {s.user_id: s.name for s in students}
    top, seeds = await _top_mistakes(session, server_id, names)
    leeches = await _leeches(session, server_id, names)
    name = await session.scalar(select(Server.name).where(Server.id == server_id))
    if name is None:
        raise StudyError(f"no server {server_id}")
    view = ClassView(server_id, name, now.date(), skills, tuple(students), top, leeches)
    return view, seeds


def _name(user: User, member_name: str) -> str:
    """The name this server knows them by (their nickname there, kept per membership), else
    their own name, else their console name: as the leaderboard shows them."""
    return member_name or user.display_name or user.console_name or f"user {user.id}"


async def _members(session: AsyncSession, server_id: int) -> tuple[dict[int, User], dict[int, str]]:
    """The server's members, and the name each has there."""
    rows = await session.execute(
        select(User, Membership.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.server_id == server_id)
        .order_by(User.id)
    )
    people: dict[int, User] = {}
    names: dict[int, str] = {}
    for user, member_name in rows.all():
        people[user.id] = user
        names[user.id] = member_name or ""
    return people, names


async def _answers(
    session: AsyncSession, server_id: int, ids: Sequence[int]
) -> dict[tuple[int, str], _Answers]:
    """Every skill answer logged in this server, per (student, skill), newest first."""
    out: dict[tuple[int, str], _Answers] = defaultdict(_Answers)
    if not ids:
        return out
    rows = await session.execute(
        select(
            ReviewLog.user_id,
            ReviewLog.item_key,
            ReviewLog.quality,
            ReviewLog.counted,
            ReviewLog.points,
            ReviewLog.local_day,
        )
        .where(ReviewLog.server_id == server_id, ReviewLog.kind == "skill")
        .where(ReviewLog.user_id.in_(ids))
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc())
    )
    for uid, key, quality, counted, points, day in rows:
        skill = _skill_of(key)
        if skill is not None:
            out[(uid, skill)].rows.append((quality, counted, points, day))
    return out


def _skill_of(key: str) -> str | None:
    try:
        return parse_key(key).skill
    except ValueError:  # a skill no longer registered
        return None


async def _skill_states(
    session: AsyncSession, ids: Sequence[int]
) -> dict[tuple[int, str], list[ItemState]]:
    out: dict[tuple[int, str], list[ItemState]] = defaultdict(list)
    if not ids:
        return out
    rows = await session.execute(
        select(ItemState).where(ItemState.user_id.in_(ids), ItemState.kind == "skill")
    )
    for state in rows.scalars():
        if state.skill is not None:
            out[(state.user_id, state.skill)].append(state)
    return out


async def _mistakes(
    session: AsyncSession, server_id: int, ids: Sequence[int]
) -> dict[tuple[int, str], str]:
    """Each student's most frequent mistake per skill, in this server (ties: the code first in
    the alphabet, so the report is the same every time)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(QuizAttempt.user_id, QuizAttempt.skill, QuizAttempt.mistake, func.count())
        .where(_wrong_here(server_id), QuizAttempt.user_id.in_(ids))
        .group_by(QuizAttempt.user_id, QuizAttempt.skill, QuizAttempt.mistake)
    )
    counts: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for uid, skill, code, n in rows:
        counts[(uid, skill)].append((-int(n), code))
    return {key: min(found)[1] for key, found in counts.items()}


def _wrong_here(server_id: int):  # type: ignore[no-untyped-def]
    return (
        (QuizAttempt.server_id == server_id)
        & (QuizAttempt.verdict == "incorrect")
        & QuizAttempt.mistake.is_not(None)
    )


async def _streaks(
    session: AsyncSession, people: dict[int, User], now: dt.datetime
) -> dict[int, int]:
    """Each student's streak as their `/stats` shows it (every counted review, in their own
    study days)."""
    if not people:
        return {}
    since = now.date() - dt.timedelta(days=400)
    rows = await session.execute(
        select(ReviewLog.user_id, ReviewLog.local_day, func.count())
        .where(ReviewLog.user_id.in_(list(people)), ReviewLog.counted)
        .where(ReviewLog.local_day >= since)
        .group_by(ReviewLog.user_id, ReviewLog.local_day)
    )
    per_day: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for uid, day, n in rows:
        per_day[uid][day] = int(n)
    return {
        uid: stats_module.streak(days, srs.local_day(now, user.timezone, user.day_start_hour))
        for uid, user in people.items()
        if (days := per_day.get(uid))
    }


async def _points(session: AsyncSession, server_id: int, ids: Sequence[int]) -> dict[int, int]:
    """Points earned in this server, for everyone who answered anything here (cards too)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(ReviewLog.user_id, func.sum(ReviewLog.points))
        .where(ReviewLog.server_id == server_id, ReviewLog.user_id.in_(ids))
        .group_by(ReviewLog.user_id)
    )
    return {uid: int(total or 0) for uid, total in rows}


def _cell(
    skill: str,
    answers: _Answers | None,
    states: Iterable[ItemState],
    user: User,
    mistake: str | None,
) -> SkillCell:
    rows = answers.rows if answers is not None else []
    recent = rows[:RECENT_PROBLEMS]
    unlocked = [s.level for s in states if s.unlocked and s.level is not None]
    due = [d for s in states if (d := _due_day(s, user)) is not None]
    return SkillCell(
        level=max(unlocked, default=1 if rows else 0),
        levels=SKILLS[skill].levels,
        reviews=sum(1 for _, counted, *_ in rows if counted),
        problems=len(rows),
        first_try=sum(1 for quality, *_ in rows if quality >= FIRST_TRY_QUALITY),
        recent_problems=len(recent),
        recent_first_try=sum(1 for quality, *_ in recent if quality >= FIRST_TRY_QUALITY),
        points=sum(points for _, _, points, *_ in rows),
        last_studied=max((day for *_, day in rows), default=None),
        next_due=min(due, default=None),
        top_mistake=mistake,
    )


def _due_day(state: ItemState, user: User) -> dt.date | None:
    """When an item comes back, in the student's own study days (as their forecast says)."""
    if state.introduced_day is None:
        return None
    if state.scheduler == "fsrs" and state.due_at is not None:
        return srs.local_day(state.due_at, user.timezone, user.day_start_hour)
    return state.due_day


async def _top_mistakes(
    session: AsyncSession, server_id: int, names: dict[int, str]
) -> tuple[tuple[ClassMistake, ...], list[tuple[str, int, int]]]:
    """The TOP_MISTAKES mistakes made most here (most wrong answers, then most students, then
    the code), each with its latest wrong answer as the example."""
    if not names:
        return (), []
    students = func.count(func.distinct(QuizAttempt.user_id))
    rows = (
        await session.execute(
            select(QuizAttempt.mistake, func.count(), students)
            .where(_wrong_here(server_id), QuizAttempt.user_id.in_(list(names)))
            .group_by(QuizAttempt.mistake)
        )
    ).all()
    ranked = sorted(rows, key=lambda r: (-int(r[1]), -int(r[2]), r[0]))[:TOP_MISTAKES]
    mistakes, seeds = [], []
    for code, count, who in ranked:
        latest = (
            await session.execute(
                select(QuizAttempt)
                .where(_wrong_here(server_id), QuizAttempt.user_id.in_(list(names)))
                .where(QuizAttempt.mistake == code)
                .order_by(QuizAttempt.created_at.desc(), QuizAttempt.id.desc())
                .limit(1)
            )
        ).scalar_one()
        example = MistakeExample(
            names[latest.user_id], latest.skill, latest.level, None, latest.answer_text
        )
        mistakes.append(ClassMistake(code, mistake_words(code), int(count), int(who), example))
        seeds.append((latest.skill, latest.level, latest.seed))
    return tuple(mistakes), seeds


async def _leeches(
    session: AsyncSession, server_id: int, names: dict[int, str]
) -> tuple[ClassLeech, ...]:
    """Items the students keep failing (`srs` flags them at 8 lapses), as seen in this server:
    skills, and cards of the shipped decks or of this server's own."""
    if not names:
        return ()
    visible = (
        select(Card.id)
        .join(Deck, Card.deck_id == Deck.id)
        .where(or_(Deck.server_id.is_(None), Deck.server_id == server_id), ~Card.retired)
    )
    rows = (
        await session.execute(
            select(ItemState.item_key, ItemState.user_id, ItemState.lapses, Card.front)
            .outerjoin(Card, Card.id == ItemState.card_id)
            .where(ItemState.user_id.in_(list(names)), ItemState.leech_flagged)
            .where(or_(ItemState.kind == "skill", ItemState.card_id.in_(visible)))
            .order_by(ItemState.item_key, ItemState.lapses.desc(), ItemState.user_id)
        )
    ).all()
    found: dict[str, list[tuple[str, int]]] = defaultdict(list)
    fronts: dict[str, str | None] = {}
    for key, uid, lapses, front in rows:
        found[key].append((names[uid], int(lapses)))
        fronts[key] = front
    leeches = [
        ClassLeech(
            key, _leech_label(key, fronts[key]), tuple(n for n, _ in who), sum(n for _, n in who)
        )
        for key, who in found.items()
    ]
    leeches.sort(key=lambda leech: (-len(leech.students), -leech.lapses, leech.item_key))
    return tuple(leeches)


def _leech_label(key: str, front: str | None) -> str:
    if front is None:
        return item_label(key)
    flat = " ".join(front.split())
    return f"card: {flat[:60]}" + ("…" if len(flat) > 60 else "")


__all__ = [
    "CSV_COLUMNS",
    "RECENT_PROBLEMS",
    "TOP_MISTAKES",
    "ClassLeech",
    "ClassMistake",
    "ClassStudent",
    "ClassView",
    "ClassViewCases",
    "MistakeExample",
    "SkillCell",
    "class_csv_rows",
    "class_csv_text",
    "class_report_text",
    "grid_data",
]
