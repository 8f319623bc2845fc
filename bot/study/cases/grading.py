"""Answering and grading: typed answers, giving up, flashcard buttons, and the one place a grade
moves a schedule (`_grade`, through `srs.step`)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import Select, and_, bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.engine import transaction
from bot.db.models import Card, ItemState, Presentation, QuizAttempt, ReviewLog, User
from bot.db.upsert import insert_missing, insert_missing_each
from bot.math import tasks
from bot.math.generator import SKILLS, Problem
from bot.math.parser import plain
from bot.study import credit as credits
from bot.study import points as points_rollup
from bot.study.batching import Batcher
from bot.study.cases.base import ServiceBase, check_owner, schedule_state, store_schedule
from bot.study.cases.grades import (
    Answer,
    Batch,
    Grade,
    Moment,
    answer_seconds,
    attempt_row,
    fresh_state,
    gave_up,
    interval_days,
    log_entry,
    practice_reason,
    schedule_of,
    snapshot,
)
from bot.study.cases.library import review_events
from bot.study.cases.results import (
    EXPIRED,
    AlreadyGraded,
    Outcome,
    Practice,
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
# The most a review earns, kept for callers that read them; what each outcome earns is the
# table in `bot.study.credit`, the one grading pays from.
POINTS_PER_CARD = credits.points(Credit.EASY)  # a self-graded card: less than any solved problem
POINTS_PER_LEVEL = credits.points(Credit.FIRST_TRY)  # a problem at level n: n times this
UNLOCK_INTERVAL = 6  # passing level n at an interval of at least this many days unlocks n + 1
#: The most typed answers written in one transaction: a batch holds SQLite's one connection
#: for about a millisecond per answer, and other students' requests wait that long.
ANSWER_BATCH = 64
_STATE_KEY = ("user_id", "item_key")
# the log rows, inserted as plain rows: nothing reads them back in the transaction
_ATTEMPT_INSERT = insert(QuizAttempt.__table__)
_LOG_INSERT = insert(ReviewLog.__table__)


def _states(keys: list[tuple[int, str]]) -> Select[tuple[ItemState]]:
    """The item states of several (user, item) keys, locked in key order.

    One index lookup per key, OR-ed: SQLite read ``(user_id, item_key) IN (VALUES ...)`` by
    scanning the whole table (0.4 s a batch at 3 M states), and a superset such as ``user_id
    IN (...) AND item_key IN (...)`` would lock the batch's students' other rows on PostgreSQL."""
    match = or_(*(and_(ItemState.user_id == user, ItemState.item_key == key) for user, key in keys))
    return (
        select(ItemState)
        .where(match)
        .order_by(ItemState.user_id, ItemState.item_key)
        .with_for_update()
    )


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
            return await self._answer_writes(Answer(token, text, verdict, problem, steps, seconds))
        except AlreadyGraded:
            return Outcome("already", verdict, steps=steps)

    @functools.cached_property
    def _answer_writes(self) -> Batcher[Answer, Outcome]:
        """Checked answers are written in batches (group commit): see `bot.study.batching`."""
        return Batcher(self._write_answers, most=ANSWER_BATCH)

    async def _write_answers(self, answers: list[Answer]) -> list[Outcome | BaseException]:
        """Write checked answers in one transaction, each as if it had come alone: what each
        needs is read for all at once (presentations, then item states, created first where a
        right answer makes the first review), the log rows are written and the points added up
        at the end. A grading that lost a race raises AlreadyGraded for the batch
        (the batcher then writes each alone)."""
        results: list[Outcome | BaseException] = []
        async with transaction(self.sessions, keyed=True) as session:
            found = await self._presentations(session, {a.token for a in answers})
            batch = Batch(await self._states_for(session, answers, found))
            for answer in answers:
                p = found.get(answer.token)
                if p is None:
                    results.append(StudyError(EXPIRED))
                else:
                    results.append(await self._write_answer(session, p, answer, batch))
            await self._settle(session, batch)
        return results

    async def _states_for(
        self, session: AsyncSession, answers: list[Answer], found: dict[str, Presentation]
    ) -> dict[tuple[int, str], ItemState]:
        """The item states a batch of answers reads, locked in key order; those a right answer
        reviews for the first time are created (as `_new_state` would, one by one)."""
        keys = sorted({(p.user_id, p.item_key) for p in found.values()})
        if not keys:
            return {}
        states = {(s.user_id, s.item_key): s for s in await session.scalars(_states(keys))}
        fresh = {}
        for answer in answers:
            p = found.get(answer.token)
            if p is None or p.answered_at is not None or answer.verdict.verdict != "correct":
                continue
            if (p.user_id, p.item_key) in states or (p.kind == "skill" and (p.level or 1) > 1):
                continue  # a level above 1 is never created by its first review (`_judge`)
            fresh[(p.user_id, p.item_key)] = fresh_state(p, self.scheduler_of(p))
        if fresh:
            await insert_missing_each(session, ItemState, _STATE_KEY, list(fresh.values()))
            created = await session.scalars(_states(sorted(fresh)))
            states.update({(s.user_id, s.item_key): s for s in created})
        return states

    async def _settle(self, session: AsyncSession, batch: Batch) -> None:
        """End a grading (or a batch of them): write its log rows, add up its points."""
        await self._write_rows(session, batch)
        await points_rollup.record_many(session, batch.earned)
        batch.earned.clear()

    async def _write_rows(self, session: AsyncSession, batch: Batch) -> None:
        """Insert the batch's quiz-log and review-log rows so far: a statement each."""
        try:
            if batch.attempts:
                await session.execute(_ATTEMPT_INSERT, batch.attempts)
            if batch.logs:
                await session.execute(_LOG_INSERT, batch.logs)
            await session.flush()
        except IntegrityError:
            # the same presentation graded concurrently elsewhere: this attempt counts nothing
            raise AlreadyGraded from None
        batch.attempts.clear()
        batch.logs.clear()

    async def _write_answer(
        self, session: AsyncSession, p: Presentation, answer: Answer, batch: Batch
    ) -> Outcome:
        """One checked answer, in its batch's transaction (`_write_answers`)."""
        verdict, problem = answer.verdict, answer.problem
        if p.answered_at is not None:
            return Outcome("already", verdict, steps=answer.steps)
        answer_text = answer.text[:2000]
        # a right answer grades the presentation at once, so it cannot have come before
        repeated = verdict.verdict != "correct" and (
            batch.attempted(p.token, answer_text)
            or await session.scalar(_REPEATED, {"token": p.token, "text": answer_text}) is not None
        )
        if not repeated and p.kind == "skill" and problem is not None:
            batch.attempts.append(attempt_row(p, problem, answer_text, verdict, self.clock()))
        if verdict.verdict == "invalid":
            return Outcome("invalid", verdict, can_retry=True)
        if verdict.verdict == "incorrect":
            if not repeated:  # the same wrong answer sent twice is one try
                p.tries += 1
            return Outcome("incorrect", verdict, can_retry=True)
        grade = self._right(p, answer.seconds)
        result = await self._grade(session, p, grade, answer.seconds, batch)
        return _with(result, status="correct", verdict=verdict, steps=answer.steps)

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
            batch = Batch()
            batch.attempts.append(
                attempt_row(p, problem, f"part {k + 1}: {text}", verdict, self.clock())
            )
            p.part = k + 1
            if verdict.verdict != "correct":
                p.tries += 1
            if k + 1 < n:
                await self._settle(session, batch)
                nxt = problem.parts[k + 1].prompt
                return Outcome(
                    verdict.verdict, verdict, part=k, parts=n, next_part=nxt, right_answer=right
                )
            grade = gave_up(p) if p.tries else self._right(p, seconds)
            result = await self._grade(session, p, grade, seconds, batch)
            await self._settle(session, batch)
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

    def _right(self, p: Presentation, seconds: float | None) -> Grade:
        """A right answer's grade: by tries, hints and time (measured from when the item was
        shown unless given), against the skill's target time."""
        target = SKILLS[p.skill].target_seconds if p.skill else 30
        if seconds is None:
            seconds = max(0.0, (self.clock() - p.created_at).total_seconds())
        first = p.tries == 0
        quality = srs.problem_quality(
            correct=True, first_try=first, hinted=p.hinted, seconds=seconds, target_seconds=target
        )
        return Grade(quality, problem_credit(correct=True, first_try=first, hinted=p.hinted))

    async def give_up(self, token: str, *, user_id: int | None = None) -> Outcome:
        """Show the solution: quality 1 after a wrong try, 0 when skipped outright."""
        problem = await self.problem_for(token)
        steps = tuple(problem.steps)
        result = await self._grade_once(token, user_id, gave_up)
        if result.status == "already":
            return _with(result, steps=steps)
        return _with(result, status="revealed", steps=steps)

    async def grade_card(
        self, token: str, button: srs.Button, *, user_id: int | None = None
    ) -> Outcome:
        """Again / Hard / Good / Easy on a flashcard (self-graded: less credit than a problem)."""
        grade = Grade(srs.button_quality(button), card_credit(button))
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
        result = await self._grade_once(token, user_id, gave_up)
        return result if result.status == "already" else _with(result, status="revealed")

    async def _grade_once(
        self, token: str, user_id: int | None, grade: Callable[[Presentation], Grade]
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
        self,
        session: AsyncSession,
        p: Presentation,
        grade: Grade,
        seconds: float | None,
        batch: Batch | None = None,
    ) -> Outcome:
        """Apply one grade: new state and its log entry in the caller's transaction; in a
        ``batch``, its states read already and its points added up when the batch settles.

        Only a *review* moves the schedule: the first graded answer of the local day on an item
        that is new or due. Anything else is practice (a same-day re-drill, a second quiz on
        the item, answering before it is due, a level not unlocked yet): logged with
        ``counted`` false, changing nothing, so the counted log alone re-derives the schedule.
        """
        quality = grade.quality
        now = self.clock()
        user = p.user  # read with the presentation
        scheduler = self.scheduler_of(p)
        at = Moment(user, scheduler, now, self.today(user))
        state, practice = await self._judge(session, p, at, batch)
        before = snapshot(state) if state is not None else None
        points, new_leech = 0, False
        if state is not None and practice is None:
            points, new_leech = await self._review(session, p, state, at, grade)
        p.answered_at = now
        duration = answer_seconds(p, now, seconds)
        counted = practice is None
        own = batch is None
        batch = Batch() if batch is None else batch
        batch.logs.append(log_entry(p, at, quality, duration, before, state, points, counted))
        batch.earned.append(points_rollup.Earned(p.server_id, p.user_id, at.today, points, at.now))
        if own:
            await self._settle(session, batch)
        return Outcome(
            "graded",
            quality=quality,
            graded=practice is None,
            schedule=schedule_of(state) if state is not None else None,
            points=points,
            redrill=quality < 4,
            practice=practice,
            new_leech=new_leech,
            credit=grade.credit,
        )

    async def _judge(
        self, session: AsyncSession, p: Presentation, at: Moment, batch: Batch | None
    ) -> tuple[ItemState | None, Practice | None]:
        """The item's state (created on a first review) and why this grade is practice, if it
        is; a state kept under another scheduler is re-derived under this one first."""
        state = batch.states.get((p.user_id, p.item_key)) if batch is not None else None
        if state is None:
            state = await self._state(session, p.user_id, p.item_key)
        if state is None and p.kind == "skill" and (p.level or 1) > 1:
            return None, "locked"  # levels above 1 exist only once unlocked (`_unlock_next`)
        if state is None:
            state = await self._new_state(session, p, at.scheduler)
        if state is None:
            return None, None
        practice = practice_reason(state, at.user, at.today)
        if practice is None and state.scheduler != at.scheduler and state.reviews:
            # the server's default changed, or this server's differs: re-derive, as a switch does
            if batch is not None:  # the log is read: write what this batch logged so far
                await self._write_rows(session, batch)
            await self._rederive(session, state, at.user, at.scheduler)
        return state, practice

    async def _new_state(
        self, session: AsyncSession, p: Presentation, scheduler: str
    ) -> ItemState | None:
        """Create the item's state for its first review. Another grading of this item (another
        presentation, another process) may be creating it right now: then this one waits for
        it and is judged on its result."""
        await insert_missing(session, ItemState, _STATE_KEY, **fresh_state(p, scheduler))
        return await self._state(session, p.user_id, p.item_key)

    async def _review(
        self,
        session: AsyncSession,
        p: Presentation,
        state: ItemState,
        at: Moment,
        grade: Grade,
    ) -> tuple[int, bool]:
        """Move the schedule by this review: (points earned, whether it flagged a leech).
        Points are the credit table's (`bot.study.credit`); passing a skill level after a gap
        of UNLOCK_INTERVAL days unlocks the next level."""
        if state.introduced_day is None:
            state.introduced_day = at.today
        interval_before = interval_days(state)
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


def _with(outcome: Outcome, **changes: object) -> Outcome:
    return replace(outcome, **changes)
