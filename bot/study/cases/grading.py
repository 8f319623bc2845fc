"""Answering and grading: typed answers, giving up, flashcard buttons, and the one place a grade
moves a schedule (`_grade`, through `srs.step`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.engine import transaction
from bot.db.models import Card, ItemState, Presentation, QuizAttempt, ReviewLog, User
from bot.db.upsert import insert_missing
from bot.math import tasks
from bot.math.check import Verdict
from bot.math.generator import SKILLS, Problem
from bot.math.parser import plain
from bot.math.rules import Step
from bot.study import credit as credits
from bot.study import points as points_rollup
from bot.study.cases.base import ServiceBase, check_owner, schedule_state, store_schedule
from bot.study.cases.library import review_events
from bot.study.cases.results import (
    AlreadyGraded,
    Outcome,
    Practice,
    Schedule,
    ShownHint,
    StudyError,
)
from bot.study.credit import Credit, card_credit, problem_credit
from bot.study.items import skill_key
from bot.study.text import clean_text

# the same answer to the same presentation before (a double submit counts one try)
_REPEATED = (
    select(QuizAttempt.id)
    .where(
        QuizAttempt.presentation_token == bindparam("token"),
        QuizAttempt.answer_text == bindparam("text"),
    )
    .limit(1)
)
#: The longest answer time the review log records (a day); buttons outlive their messages.
MAX_DURATION_S = 24 * 3600
# The most a review earns, kept for callers that read them; what each outcome earns is the
# table in `bot.study.credit`, the one grading pays from.
POINTS_PER_CARD = credits.points(Credit.EASY)  # a self-graded card: less than any solved problem
POINTS_PER_LEVEL = credits.points(Credit.FIRST_TRY)  # a problem at level n: n times this
UNLOCK_INTERVAL = 6  # passing level n at an interval of at least this many days unlocks n + 1


class GradingCases(ServiceBase):
    """A grading writes the new state and its log entry in one transaction, keyed by the token."""

    async def hint(self, token: str, *, user_id: int | None = None) -> ShownHint | None:
        """The next rung of the problem's hint ladder ("Hint 2/3"), the last one again once
        all were shown; None for a problem without hints. Any rung caps the grade at 'correct
        after a hint' and the credit at `Credit.HINT` (one flag per presentation, however many
        rungs it shows); the count of rungs shown survives a restart."""
        ladder = (await self.problem_for(token)).hints
        async with transaction(self.sessions, keyed=True) as session:
            p = await self._presentation(session, token, lock=True)
            check_owner(p, user_id)
            if not ladder:
                return None
            number = min(p.hints_shown + 1, len(ladder))
            p.hints_shown = number
            if p.answered_at is None:
                p.hinted = True
        rung = ladder[number - 1]
        return ShownHint(number, len(ladder), rung.text, rung.latex)

    async def submit_answer(
        self, token: str, text: str, *, seconds: float | None = None, user_id: int | None = None
    ) -> Outcome:
        """Check a typed answer to a problem or a typed card; grades on a right answer.

        A wrong answer can be retried (the grade then drops to 3); an unreadable one costs
        nothing. Answers to an already graded presentation are checked but count for nothing.
        The text is cleaned first (`clean_text`): what is checked is what is stored.
        """
        text = clean_text(text)
        p = await self._shown(token)
        check_owner(p, user_id)
        card = None
        if p.kind == "card":
            async with self.sessions() as session:
                card = await session.get(Card, p.card_id)
        if p.kind == "skill":
            problem = await self.problem_for(token)
            if problem.parts:  # the part it is at changes: read it
                async with self.sessions() as session:
                    part = (await self._presentation(session, token)).part
                return await self._submit_part(token, part, problem, text, seconds)
            verdict = await tasks.acheck_generated(
                self.pool, p.skill, p.level, p.seed, text, problem=problem
            )
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
        async with transaction(self.sessions, keyed=True) as session:
            p = await self._presentation(session, token, lock=True)
            if p.answered_at is not None:
                return Outcome("already", verdict, steps=steps)
            answer_text = text[:2000]
            # a right answer grades the presentation at once, so it cannot have come before
            repeated = (
                None
                if verdict.verdict == "correct"
                else await session.scalar(_REPEATED, {"token": token, "text": answer_text})
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
                        created_at=self.clock(),  # the service's time, as the review log's
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
            earned = problem_credit(correct=True, first_try=p.tries == 0, hinted=p.hinted)
            result = await self._grade(session, p, _Grade(quality, earned), seconds)
        return _with(result, status="correct", verdict=verdict, steps=steps)

    async def _submit_part(
        self, token: str, k: int, problem: Problem, text: str, seconds: float | None
    ) -> Outcome:
        """One part of a multi-part problem: checked, its verdict told (with the right answer
        when wrong) before the next part; the last part grades the whole, right only when
        every part was (a wrong part is a try, as a wrong answer is)."""
        n = len(problem.parts)
        if k >= n:  # every part answered: the problem was graded
            return Outcome("already", parts=n)
        verdict = await tasks.acheck_generated(
            self.pool, problem.skill, problem.level, problem.seed, text, part=k, problem=problem
        )
        if verdict.verdict == "invalid":
            return Outcome("invalid", verdict, can_retry=True, part=k, parts=n)
        right = None if verdict.verdict == "correct" else plain(problem.parts[k].answer)
        async with transaction(self.sessions, keyed=True) as session:
            p = await self._presentation(session, token, lock=True)
            if p.answered_at is not None or p.part != k:  # answered meanwhile (a double click)
                return Outcome("already", verdict, part=k, parts=n)
            session.add(_attempt(p, problem, f"part {k + 1}: {text}", verdict))
            p.part = k + 1
            if verdict.verdict != "correct":
                p.tries += 1
            if k + 1 < n:
                nxt = problem.parts[k + 1].prompt
                return Outcome(
                    verdict.verdict, verdict, part=k, parts=n, next_part=nxt, right_answer=right
                )
            grade = _gave_up(p) if p.tries else self._first_try(p, problem, seconds)
            result = await self._grade(session, p, grade, seconds)
        status = "incorrect" if p.tries else "correct"
        return _with(
            result,
            status=status,
            verdict=verdict,
            steps=tuple(problem.steps),
            part=k,
            parts=n,
            right_answer=right,
        )

    def _first_try(self, p: Presentation, problem: Problem, seconds: float | None) -> _Grade:
        target = SKILLS[problem.skill].target_seconds
        if seconds is None:
            seconds = max(0.0, (self.clock() - p.created_at).total_seconds())
        quality = srs.problem_quality(
            correct=True, first_try=True, hinted=p.hinted, seconds=seconds, target_seconds=target
        )
        return _Grade(quality, problem_credit(correct=True, first_try=True, hinted=p.hinted))

    async def give_up(self, token: str, *, user_id: int | None = None) -> Outcome:
        """Show the solution: quality 1 after a wrong try, 0 when skipped outright."""
        problem = await self.problem_for(token)
        steps = tuple(problem.steps)
        result = await self._grade_once(token, user_id, _gave_up)
        if result.status == "already":
            return _with(result, steps=steps)
        return _with(result, status="revealed", steps=steps)

    async def grade_card(
        self, token: str, button: srs.Button, *, user_id: int | None = None
    ) -> Outcome:
        """Again / Hard / Good / Easy on a flashcard (self-graded: less credit than a problem)."""
        grade = _Grade(srs.button_quality(button), card_credit(button))
        result = await self._grade_once(token, user_id, lambda _: grade)
        return result if result.status == "already" else _with(result, status="graded")

    async def reveal(self, token: str, *, user_id: int | None = None) -> Outcome:
        """Show the answer of a problem or of a typed card, graded as giving up (1 after a
        wrong try, 0 when skipped): either way the item comes back soon."""
        async with self.sessions() as session:
            p = await self._presentation(session, token)
            check_owner(p, user_id)
        if p.kind == "skill":
            return await self.give_up(token, user_id=user_id)
        result = await self._grade_once(token, user_id, _gave_up)
        return result if result.status == "already" else _with(result, status="revealed")

    async def _grade_once(
        self, token: str, user_id: int | None, grade: Callable[[Presentation], _Grade]
    ) -> Outcome:
        """Grade a presentation in its own transaction; ``already`` when it had been graded
        (here before, or by a concurrent grading that won the race)."""
        try:
            async with transaction(self.sessions, keyed=True) as session:
                p = await self._presentation(session, token, lock=True)
                check_owner(p, user_id)
                if p.answered_at is not None:
                    return Outcome("already")
                return await self._grade(session, p, grade(p), None)
        except AlreadyGraded:
            return Outcome("already")

    async def _grade(
        self, session: AsyncSession, p: Presentation, grade: _Grade, seconds: float | None
    ) -> Outcome:
        """Apply one grade: new state and its log entry in the caller's transaction.

        Only a *review* moves the schedule: the first graded answer of the local day on an item
        that is new or due. Anything else is practice (a same-day re-drill, a second quiz on
        the item, answering before it is due, a level not unlocked yet): logged with
        ``counted`` false, changing nothing, so the counted log alone re-derives the schedule.
        """
        quality = grade.quality
        now = self.clock()
        user = await self._user(session, p.user_id)
        scheduler = await self.scheduler_for(session, user, p.server_id)
        at = _Moment(user, scheduler, now, self.today(user))
        state, practice = await self._judge(session, p, at)
        before = _snapshot(state) if state is not None else None
        points, new_leech = 0, False
        if state is not None and practice is None:
            points, new_leech = await self._review(session, p, state, at, grade)
        p.answered_at = now
        duration = _duration(p, now, seconds)
        counted = practice is None
        session.add(_log_entry(p, at, quality, duration, before, state, points, counted))
        try:
            await session.flush()
        except IntegrityError:
            # the same presentation graded concurrently elsewhere: this attempt counts nothing
            raise AlreadyGraded from None
        await points_rollup.record(session, p.server_id, p.user_id, at.today, points, at.now)
        return Outcome(
            "graded",
            quality=quality,
            graded=practice is None,
            schedule=_schedule(state) if state is not None else None,
            points=points,
            redrill=quality < 4,
            practice=practice,
            new_leech=new_leech,
            credit=grade.credit,
        )

    async def _judge(
        self, session: AsyncSession, p: Presentation, at: _Moment
    ) -> tuple[ItemState | None, Practice | None]:
        """The item's state (created on a first review) and why this grade is practice, if it
        is; a state kept under another scheduler is re-derived under this one first."""
        state = await self._state(session, p.user_id, p.item_key)
        if state is None and p.kind == "skill" and (p.level or 1) > 1:
            return None, "locked"  # levels above 1 exist only once unlocked (`_unlock_next`)
        if state is None:
            state = await self._new_state(session, p, at.scheduler)
        if state is None:
            return None, None
        practice = _practice(state, at.user, at.today)
        if practice is None and state.scheduler != at.scheduler and state.reviews:
            # the server's default changed, or this server's differs: re-derive, as a switch does
            await self._rederive(session, state, at.user, at.scheduler)
        return state, practice

    async def _new_state(
        self, session: AsyncSession, p: Presentation, scheduler: str
    ) -> ItemState | None:
        """Create the item's state for its first review. Another grading of this item (another
        presentation, another process) may be creating it right now: then this one waits for
        it and is judged on its result."""
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
        return await self._state(session, p.user_id, p.item_key)

    async def _review(
        self,
        session: AsyncSession,
        p: Presentation,
        state: ItemState,
        at: _Moment,
        grade: _Grade,
    ) -> tuple[int, bool]:
        """Move the schedule by this review: (points earned, whether it flagged a leech).
        Points are the credit table's (`bot.study.credit`); passing a skill level after a gap
        of UNLOCK_INTERVAL days unlocks the next level."""
        if state.introduced_day is None:
            state.introduced_day = at.today
        interval_before = _interval_days(state)
        new_leech = self._advance(state, at.scheduler, grade.quality, at.now, at.user)
        if grade.quality < 3:
            return 0, new_leech
        if p.kind == "skill" and interval_before >= UNLOCK_INTERVAL:
            await self._unlock_next(session, p.user_id, p.skill, p.level, at.scheduler)
        return credits.points(grade.credit, level=p.level or 1), new_leech

    async def _rederive(
        self, session: AsyncSession, state: ItemState, user: User, scheduler: str
    ) -> None:
        """One item's state under another scheduler, from its counted log (see set_scheduler)."""
        events = (await review_events(session, state.user_id, [state]))[state.item_key]
        derived = srs.replay(
            events, scheduler, tz=user.timezone, day_start_hour=user.day_start_hour
        )
        store_schedule(state, derived)

    def _advance(
        self, state: ItemState, scheduler: str, quality: int, now: dt.datetime, user: User
    ) -> bool:
        """Move the schedule by one review (`srs.step`); True when this review flagged a leech."""
        done = srs.step(
            schedule_state(state),
            quality,
            now,
            scheduler,  # type: ignore[arg-type]
            tz=user.timezone,
            day_start_hour=user.day_start_hour,
        )
        store_schedule(state, done.state)
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


@dataclass(frozen=True)
class _Grade:
    """What a grading scores: the quality that moves the schedule, the credit that pays."""

    quality: int
    credit: Credit


@dataclass(frozen=True)
class _Moment:
    """Who is graded, under which scheduler, when: read once per grading, so the state, the
    log entry and the study day all agree on the same instant."""

    user: User
    scheduler: str
    now: dt.datetime
    today: dt.date


def _log_entry(
    p: Presentation,
    at: _Moment,
    quality: int,
    seconds: float,
    before: dict[str, object] | None,
    state: ItemState | None,
    points: int,
    counted: bool,
) -> ReviewLog:
    """The review-log row of one grading; ``counted`` rows alone re-derive the schedule."""
    return ReviewLog(
        user_id=p.user_id,
        server_id=p.server_id,
        item_key=p.item_key,
        kind=p.kind,
        quality=quality,
        rating=int(srs.fsrs_rating(quality)) if at.scheduler == "fsrs" else None,
        scheduler=at.scheduler,
        reviewed_at=at.now,
        local_day=at.today,
        duration_ms=int(seconds * 1000),
        state_before=before,
        state_after=_snapshot(state) if state is not None else {},
        points=points,
        counted=counted,
        presentation_token=p.token,
    )


def _attempt(p: Presentation, problem: Problem, text: str, verdict: Verdict) -> QuizAttempt:
    return QuizAttempt(
        user_id=p.user_id,
        server_id=p.server_id,
        presentation_token=p.token,
        skill=problem.skill,
        level=problem.level,
        seed=problem.seed,
        answer_text=text[:2000],
        verdict=verdict.verdict,
        mistake=verdict.mistake,
    )


def _gave_up(p: Presentation) -> _Grade:
    """The solution (or a typed card's answer) shown: a lapse, no points."""
    quality = srs.problem_quality(correct=False, gave_up=p.tries == 0, seconds=0, target_seconds=1)
    return _Grade(quality, Credit.SOLUTION)


def _duration(p: Presentation, now: dt.datetime, seconds: float | None) -> float:
    """The answer time to log: a card or a give-up is measured from when the item was shown;
    a button pressed weeks later is not a weeks-long answer (and would overflow the column)."""
    if seconds is None:
        seconds = max(0.0, (now - p.created_at).total_seconds())
    return min(seconds, MAX_DURATION_S)


def _practice(state: ItemState, user: User, today: dt.date) -> Practice | None:
    """Judged on the state as stored, as `due_queue` judged it when it offered the item."""
    if state.last_reviewed_at is not None and (
        srs.local_day(state.last_reviewed_at, user.timezone, user.day_start_hour) == today
    ):
        return "today"
    if state.introduced_day is not None and not _is_due(state, user, today):
        return "early"
    return None


def _is_due(state: ItemState, user: User, today: dt.date) -> bool:
    """Due on or before the user's study day `today` (FSRS's due instant counts by its day)."""
    if state.scheduler == "fsrs" and state.due_at is not None:
        return srs.local_day(state.due_at, user.timezone, user.day_start_hour) <= today
    return state.due_day is None or state.due_day <= today


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
