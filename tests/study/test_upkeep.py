"""Pruning presentations: what no button can need goes, what a student may still press stays,
and a pruned token answers "expired" (on both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
import sympy as sp
from sqlalchemy import func, select

from bot.config import Settings
from bot.db.models import Presentation, QuizAttempt, ReviewLog
from bot.math.workers import MathPool
from bot.study.service import (
    ANSWERED_KEEP,
    EXPIRED,
    UNANSWERED_KEEP,
    StudyError,
    StudyService,
)
from tests.seeds import seeded
from tests.study.test_service import Clock


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded())


async def _tokens(service: StudyService) -> set[str]:
    async with service.sessions() as session:
        return set((await session.scalars(select(Presentation.token))).all())


async def _count(service: StudyService, model) -> int:
    async with service.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_prune_keeps_what_buttons_may_still_need(service, clock) -> None:
    ada = await service.user_for_console("ada")
    # answered long ago: its Solution / Next buttons are stale -> pruned
    old_answered = await service.present(ada, "skill:power:1")
    await service.submit_answer(old_answered.token, sp.sstr(old_answered.problem.answer))
    # shown long ago, never answered, but younger than UNANSWERED_KEEP -> kept
    open_box = await service.present(ada, "skill:chain:1")
    clock.advance(days=ANSWERED_KEEP.days + 1)
    # answered just now -> kept (yesterday's solution still shows)
    recent = await service.present(ada, "skill:sum:1")
    await service.submit_answer(recent.token, sp.sstr(recent.problem.answer))
    wrong = await service.present(ada, "skill:product:1")  # a wrong try: not graded
    await service.submit_answer(wrong.token, sp.sstr(wrong.problem.function))
    logged = await _count(service, ReviewLog)
    attempts = await _count(service, QuizAttempt)

    pruned = await service.prune_presentations()

    assert pruned.presentations == 1
    assert await _tokens(service) == {open_box.token, recent.token, wrong.token}
    # history is never pruned: statistics and schedules come from it
    assert await _count(service, ReviewLog) == logged
    assert await _count(service, QuizAttempt) == attempts
    # the open answer box still grades
    late = await service.submit_answer(open_box.token, sp.sstr(open_box.problem.answer))
    assert late.verdict is not None and late.verdict.verdict == "correct"

    # two weeks on, everything is past its age
    clock.advance(days=UNANSWERED_KEEP.days + 1)
    assert (await service.prune_presentations(batch=2)).presentations == 3  # several batches
    assert await _tokens(service) == set()


async def test_a_pruned_token_says_expired_not_an_error(service, clock) -> None:
    bo = await service.user_for_console("bo")
    shown = await service.present(bo, "skill:power:1")
    clock.advance(days=UNANSWERED_KEEP.days + 1)
    await service.prune_presentations()
    for attempt in (
        lambda: service.submit_answer(shown.token, "2*x"),
        lambda: service.give_up(shown.token),
        lambda: service.hint(shown.token),
        lambda: service.presentation(shown.token),
    ):
        with pytest.raises(StudyError) as raised:
            await attempt()
        assert str(raised.value) == EXPIRED
    assert "expired" in EXPIRED and "start a fresh one" in EXPIRED


async def test_optimize_database_runs(service) -> None:
    await service.user_for_console("cy")
    await service.optimize_database()
    assert await _count(service, Presentation) == 0


@pytest.fixture
async def old_and_new(db_url, pool) -> str:
    """A problem shown in March (long expired by now) and one shown just now."""
    from bot.db.engine import create_engine, session_factory
    from bot.db.models import utcnow

    engine = create_engine(db_url)
    try:
        settings = Settings(database_url=db_url, _env_file=None)
        then = StudyService(
            session_factory(engine),
            pool,
            settings=settings,
            clock=lambda: dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
            seeds=seeded(),
        )
        user = await then.user_for_console("dee")
        await then.present(user, "skill:power:1")
        now = StudyService(session_factory(engine), pool, settings=settings, clock=utcnow)
        await now.present(user, "skill:power:1")
    finally:
        await engine.dispose()
    return db_url


def test_cli_db_prune(old_and_new: str, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["db", "prune", "--url", old_and_new]) == 0
    assert "pruned 1 presentations" in capsys.readouterr().out
    assert main(["db", "prune", "--url", old_and_new]) == 0  # the fresh one stays
    assert "pruned 0 presentations" in capsys.readouterr().out
    assert main(["db", "prune", "--url", old_and_new, "--unanswered-days", "-1"]) == 2
    assert main(["db", "optimize", "--url", old_and_new]) == 0
