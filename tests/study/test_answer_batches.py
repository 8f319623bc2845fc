"""Typed answers written in batches (group commit), on every configured backend.

When many students answer at once, their checked answers are written together, one
transaction per batch (`GradingCases._write_answers` through `bot.study.batching.Batcher`).
Each answer must come out as if it had been written alone: the same outcome, the same rows,
the same points, whatever else shares its batch.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from typing import Any

import pytest
import sympy as sp
from sqlalchemy import delete, event, func, select

from bot.config import Settings
from bot.db.models import (
    Presentation,
    QuizAttempt,
    ReviewLog,
    ServerPoints,
    ServerPointsDay,
    ServerPointsWindow,
    User,
)
from bot.math.answers import Verdict
from bot.math.workers import MathPool
from bot.study.cases.grades import Answer
from bot.study.cases.grading import ANSWER_BATCH
from bot.study.credit import Credit
from bot.study.service import AlreadyGraded, Presented, StudyError, StudyService
from tests.seeds import seeded

RIGHT = Verdict("correct", "Correct!")
WRONG = Verdict("incorrect", "Not quite.", mistake="power_rule_exponent")


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=2, timeout=10.0) as p:
        yield p


@pytest.fixture
def service(session_factory, pool) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=10, _env_file=None)
    now = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    return StudyService(session_factory, pool, settings=settings, clock=lambda: now, seeds=seeded())


@pytest.fixture
def commits(engine) -> list[int]:
    """How many transactions committed (one entry each)."""
    seen: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _conn: seen.append(1))
    return seen


def right(shown: Presented) -> Answer:
    problem = shown.problem
    assert problem is not None
    return Answer(shown.token, sp.sstr(problem.answer), RIGHT, problem, tuple(problem.steps), 5.0)


def wrong(shown: Presented) -> Answer:
    return Answer(shown.token, "0", WRONG, shown.problem, (), 5.0)


async def _scenario(service: StudyService, group: str) -> list[Answer]:
    """Students of one server and the answers they send, in the order they arrive: a double
    submit, a wrong answer sent twice then the right one, an expired question, one student's
    two questions on the same new skill, a level not unlocked yet, and plain right answers."""
    server = None
    students: dict[str, int] = {}
    for role in ("double", "retry", "gone", "twice", "locked", "plain1", "plain2"):
        students[role] = await service.user_for_discord(
            hash((group, role)) % 10**9, f"{group}-{role}"
        )
        server = await service.join_server(students[role], 77, "class", member_name=role)

    async def show(role: str, key: str = "skill:power:1") -> Presented:
        return await service.present(students[role], key, server)

    double, retry, gone = await show("double"), await show("retry"), await show("gone")
    twice = [await show("twice"), await show("twice")]
    locked = await show("locked", "skill:power:2")
    plain = [await show("plain1", "skill:chain:1"), await show("plain2", "skill:sum:1")]
    async with service.sessions() as session, session.begin():
        await session.execute(delete(Presentation).where(Presentation.token == gone.token))
    return [
        right(double),
        right(double),
        wrong(retry),
        wrong(retry),
        right(retry),
        right(gone),
        right(twice[0]),
        right(twice[1]),
        right(locked),
        right(plain[0]),
        right(plain[1]),
    ]


def _seen(result: object) -> tuple[object, ...]:
    """What a student would notice of an outcome (or of the error they got)."""
    if isinstance(result, BaseException):
        return (type(result).__name__, str(result))
    return (
        result.status,
        result.quality,
        result.graded,
        result.points,
        result.practice,
        result.schedule,
        result.credit,
        result.can_retry,
        result.new_leech,
        bool(result.steps),  # the worked solution, when right
    )


async def _rows_by_role(service: StudyService, group: str) -> dict[str, tuple[int, ...]]:
    """Per student of a group: review-log rows (and counted ones), quiz attempts, tries, and
    points in the rollups (all time, by day, by window)."""
    out: dict[str, tuple[int, ...]] = {}
    async with service.sessions() as session:
        users = (await session.execute(select(User.id, User.display_name))).all()
        for user_id, name in users:
            if not name.startswith(f"{group}-"):
                continue

            async def count(model, *where, uid=user_id) -> int:
                query = select(func.count()).select_from(model).where(model.user_id == uid)
                return int(await session.scalar(query.where(*where)))

            async def total(model, uid=user_id) -> int:
                query = select(func.coalesce(func.sum(model.points), 0))
                return int(await session.scalar(query.where(model.user_id == uid)))

            tries = select(func.coalesce(func.sum(Presentation.tries), 0))
            out[name.removeprefix(f"{group}-")] = (
                await count(ReviewLog),
                await count(ReviewLog, ReviewLog.counted),
                await count(QuizAttempt),
                int(await session.scalar(tries.where(Presentation.user_id == user_id))),
                await total(ServerPoints),
                await total(ServerPointsDay),
                await total(ServerPointsWindow),
            )
    return out


async def test_a_batch_of_answers_comes_out_as_if_each_came_alone(service, commits) -> None:
    """The same students and answers twice: one group written one answer per transaction, the
    other all in one batch. Outcomes, rows and points are the same, student for student, and
    the batch took one transaction."""
    alone = await _scenario(service, "alone")
    one_by_one = [(await service._write_answers([answer]))[0] for answer in alone]
    together = await _scenario(service, "batch")
    before = len(commits)
    in_batch = await asyncio.gather(
        *(service._answer_writes(answer) for answer in together), return_exceptions=True
    )
    assert len(commits) - before == 1  # the whole batch: one transaction

    assert [_seen(r) for r in in_batch] == [_seen(r) for r in one_by_one]
    assert await _rows_by_role(service, "batch") == await _rows_by_role(service, "alone")
    # and what that is, so the comparison cannot pass on two equal wrongs
    statuses = [r.status if not isinstance(r, BaseException) else "error" for r in in_batch]
    assert statuses == [
        "correct",
        "already",  # the double submit counts once
        "incorrect",
        "incorrect",
        "correct",
        "error",  # the expired question, alone
        "correct",
        "correct",
        "correct",
        "correct",
        "correct",
    ]
    assert isinstance(in_batch[5], StudyError)
    assert in_batch[6].graded and in_batch[7].practice == "today"  # two questions, one review
    assert in_batch[8].practice == "locked"
    assert in_batch[4].quality == 3 and in_batch[4].credit != Credit.FIRST_TRY  # after a try
    rows = await _rows_by_role(service, "batch")
    assert rows["retry"][2:4] == (2, 1)  # the wrong answer sent twice: one attempt, one try
    assert rows["double"][:2] == (1, 1) and rows["twice"][:2] == (2, 1)
    assert rows["plain1"][4] > 0 and rows["plain1"][4:] == (
        rows["plain1"][4],
        rows["plain1"][4],
        2 * rows["plain1"][4],  # the week's and the month's window
    )


async def test_an_answer_that_lost_a_race_fails_alone(service, commits) -> None:
    """Another process logged a grading of one presentation this batch still saw unanswered
    (PostgreSQL, between its read and our write): the batch is rolled back and written one by
    one, so that answer counts nothing and the others count once."""
    students = [await service.user_for_console(f"racer{k}") for k in range(3)]
    shown = [await service.present(u, "skill:power:1") for u in students]
    async with service.sessions() as session, session.begin():
        p = await session.get(Presentation, shown[1].token)
        session.add(
            ReviewLog(
                user_id=p.user_id,
                item_key=p.item_key,
                kind="skill",
                quality=5,
                scheduler="sm2",
                reviewed_at=service.clock(),
                local_day=service.clock().date(),
                duration_ms=1000,
                state_after={},
                presentation_token=p.token,
            )
        )
    before = len(commits)
    results = await asyncio.gather(
        *(service._answer_writes(right(s)) for s in shown), return_exceptions=True
    )
    assert results[0].status == "correct" and results[2].status == "correct"
    assert isinstance(results[1], AlreadyGraded)
    assert len(commits) - before == 2  # the batch rolled back; the two that count, alone
    async with service.sessions() as session:
        logged = select(ReviewLog.presentation_token, func.count()).group_by(
            ReviewLog.presentation_token
        )
        assert dict((await session.execute(logged)).all()) == {s.token: 1 for s in shown}
    # and through the front door, the student is told it was already graded
    outcome = await service.submit_answer(shown[1].token, right(shown[1]).text, seconds=5)
    assert outcome.status == "already"


async def test_a_burst_of_students_answering_at_once_is_graded_in_few_transactions(
    service, commits
) -> None:
    """Many students' right answers through the front door at once: each is graded once and
    correctly, in fewer transactions than answers (no batch holds more than ANSWER_BATCH)."""
    n = 3 * ANSWER_BATCH
    students = [await service.user_for_console(f"burst{k}") for k in range(n)]
    shown = [await service.present(u, "skill:power:1") for u in students]
    before = len(commits)
    outcomes = await asyncio.gather(
        *(
            service.submit_answer(s.token, sp.sstr(s.problem.answer), seconds=5, user_id=u)
            for u, s in zip(students, shown, strict=True)
        )
    )
    assert {(o.status, o.graded, o.quality) for o in outcomes} == {("correct", True, 5)}
    assert len(commits) - before < n
    async with service.sessions() as session:
        counted = select(func.count()).select_from(ReviewLog).where(ReviewLog.counted)
        assert await session.scalar(counted) == n


#: the tables that grow with every answer: a batch must reach their rows through an index
_GROWING = ("item_states", "presentations", "review_log", "quiz_attempts", "server_points")
#: SQLite's SCAN walks a table or a whole index (SEARCH looks rows up)
_SQLITE_WALK = re.compile(rf"^SCAN ({'|'.join(_GROWING)})")


def _postgres_walks(node: dict[str, Any]) -> list[str]:
    """The sequential scans of growing tables in a PostgreSQL plan (``EXPLAIN (FORMAT
    JSON)``, every level). Only those: over a test's few rows the planner may rightly walk a
    whole index in order rather than look keys up and sort, so on PostgreSQL this tells that
    an index path exists at all, and SQLite's plan (which does not weigh table sizes here)
    tells that it is a lookup."""
    walks = [walk for child in node.get("Plans", []) for walk in _postgres_walks(child)]
    table = node.get("Relation Name", "")
    if node["Node Type"] == "Seq Scan" and table.startswith(_GROWING):
        walks.append(f"Seq Scan on {table}")
    return walks


async def test_a_batch_reads_through_indexes_only(service, engine) -> None:
    """Each statement a batch reads with is planned (SQLite's ``EXPLAIN QUERY PLAN``,
    PostgreSQL's ``EXPLAIN`` with sequential scans discouraged) and none walks a growing
    table: the item states were once read with ``(user_id, item_key) IN (VALUES ...)``, which
    SQLite answered by scanning every state, 0.4 s a batch with 10,000 students' history."""
    answers = await _scenario(service, "plans")
    reads: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        await asyncio.gather(*(service._answer_writes(a) for a in answers), return_exceptions=True)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
    # the batch's own read of its states (one lookup per key, OR-ed) was among them
    assert any("FROM item_states" in statement and " OR " in statement for statement, _ in reads)
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as conn:
        if not sqlite:
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in reads:
            if sqlite:
                rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                walks = [str(row[-1]) for row in rows if _SQLITE_WALK.match(str(row[-1]))]
            else:
                rows = await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plan = rows.scalar_one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                walks = _postgres_walks(plan[0]["Plan"])
            assert not walks, (statement, walks)
