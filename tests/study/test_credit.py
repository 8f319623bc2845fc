"""Credit that reflects help (issue 11.2): what a right answer earns depends on how much help it
took, a self-graded flashcard earns less than a checked problem, and the rules are one table
(`bot.study.credit`) that grading, /help, the console and the README all show.

Service tests run on every configured database backend.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sympy as sp
from sqlalchemy import select

from bot import srs
from bot.config import Settings
from bot.db.models import Card, Deck, ReviewLog
from bot.math.workers import MathPool
from bot.study import credit
from bot.study.service import StudyService
from tests.seeds import seeded
from tests.study.test_service import Clock

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=20, _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded(11))


async def _cards(service: StudyService, server_id: int | None, n: int) -> list[str]:
    async with service.sessions() as session, session.begin():
        deck = Deck(server_id=server_id, slug=f"deck-{server_id}", title="rules")
        session.add(deck)
        await session.flush()
        cards = [
            Card(deck_id=deck.id, card_key=f"c{k}", front=f"rule {k}?", back=f"answer {k}")
            for k in range(n)
        ]
        session.add_all(cards)
        await session.flush()
        return [f"card:{c.id}" for c in cards]


async def _logged(service: StudyService, user: int) -> list[tuple[str, int, int]]:
    async with service.sessions() as session:
        rows = await session.execute(
            select(ReviewLog.item_key, ReviewLog.quality, ReviewLog.points)
            .where(ReviewLog.user_id == user)
            .order_by(ReviewLog.id)
        )
        return [tuple(r) for r in rows]


async def test_an_unaided_first_try_earns_full_points(service) -> None:
    user = await service.user_for_console("una")
    shown = await service.present(user, "skill:power:1")
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=5)
    assert right.status == "correct" and right.quality >= 4
    assert right.points == 10 == credit.points(credit.Credit.FIRST_TRY, level=1)
    assert right.credit == credit.Credit.FIRST_TRY
    assert (await service.stats(user)).accuracy_per_skill == {"power": (1, 1)}


async def test_a_right_answer_after_a_hint_earns_half_and_is_not_a_first_try(
    service, clock
) -> None:
    user = await service.user_for_console("hana")
    since = clock()
    shown = await service.present(user, "skill:power:1")
    assert await service.hint(shown.token) is not None
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=1)
    assert right.status == "correct" and right.graded
    assert right.quality <= 3  # correct with difficulty, however fast
    assert right.points == 5  # half of an unaided first try at level 1
    assert right.credit == credit.Credit.HINT
    assert (await service.stats(user)).accuracy_per_skill == {"power": (0, 1)}
    report = await service.session_summary(user, since)
    assert (report.reviewed, report.correct, report.points) == (1, 0, 5)


async def test_a_hint_taken_after_a_wrong_try_still_earns_the_hint_credit(service) -> None:
    user = await service.user_for_console("hal")
    shown = await service.present(user, "skill:sum:1")
    assert (await service.submit_answer(shown.token, "0")).status == "incorrect"
    await service.hint(shown.token)
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    assert right.quality == 3 and right.points == 5 and right.credit == credit.Credit.HINT


async def test_right_after_a_wrong_try_earns_less_than_full(service, clock) -> None:
    user = await service.user_for_console("rita")
    since = clock()
    shown = await service.present(user, "skill:power:1")
    assert (await service.submit_answer(shown.token, "0")).status == "incorrect"
    right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=1)
    assert right.quality == 3 and right.credit == credit.Credit.RETRY
    assert 5 < right.points < 10  # found the mistake alone: more than a hint, less than unaided
    report = await service.session_summary(user, since)
    assert (report.correct, report.points) == (0, right.points)


async def test_an_answer_after_the_worked_solution_is_a_lapse_with_no_points(
    service, clock
) -> None:
    user = await service.user_for_console("sol")
    since = clock()
    shown = await service.present(user, "skill:chain:1")
    revealed = await service.give_up(shown.token)
    assert revealed.status == "revealed" and revealed.steps
    assert revealed.quality <= 2 and revealed.points == 0
    assert revealed.credit == credit.Credit.SOLUTION
    copied = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    assert copied.status == "already" and copied.points == 0  # copying it earns nothing
    assert await _logged(service, user) == [("skill:chain:1", revealed.quality, 0)]
    assert (await service.stats(user)).accuracy_per_skill == {"chain": (0, 1)}
    report = await service.session_summary(user, since)
    assert (report.correct, report.points) == (0, 0)


async def test_a_good_card_earns_less_than_an_unaided_level_one_problem(service, clock) -> None:
    user = await service.user_for_console("cara")
    keys = await _cards(service, None, 4)
    earned = {}
    for key, button in zip(keys, srs.Button, strict=True):
        shown = await service.present(user, key)
        outcome = await service.grade_card(shown.token, button)
        assert outcome.graded
        earned[button] = outcome.points
    shown = await service.present(user, "skill:power:1")
    solved = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=5)
    assert solved.points == 10
    assert earned == {
        srs.Button.AGAIN: 0,
        srs.Button.HARD: 3,
        srs.Button.GOOD: 5,
        srs.Button.EASY: 5,
    }
    assert max(earned.values()) < solved.points


async def test_the_leaderboard_ranks_a_solver_above_a_card_clicker(service) -> None:
    clicker = await service.user_for_discord(1, "clicker")  # the lower id: first on a tie
    solver = await service.user_for_discord(2, "solver")
    server = await service.join_server(clicker, 100, "Class")
    await service.join_server(solver, 100, "Class")
    for key in await _cards(service, server, 3):
        shown = await service.present(clicker, key, server)
        assert (await service.grade_card(shown.token, srs.Button.EASY)).graded
    for key in ("skill:power:1", "skill:sum:1", "skill:chain:1"):
        shown = await service.present(solver, key, server)
        outcome = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
        assert outcome.status == "correct" and outcome.graded
    board = await service.leaderboard(server, "week")
    assert [s.name for s in board.top] == ["solver", "clicker"]
    assert board.top[0].points > board.top[1].points


def test_the_table_rewards_solving_over_clicking() -> None:
    """Whatever the numbers, these orders are what the issue asks for."""
    full = credit.points(credit.Credit.FIRST_TRY, level=1)
    assert full > credit.points(credit.Credit.RETRY) > credit.points(credit.Credit.HINT) > 0
    assert full == 2 * credit.points(credit.Credit.HINT)  # a hint halves the credit
    assert credit.points(credit.Credit.SOLUTION) == 0
    cards = [credit.points(credit.card_credit(b)) for b in srs.Button]
    assert max(cards) < full and credit.points(credit.card_credit(srs.Button.AGAIN)) == 0
    assert credit.points(credit.Credit.FIRST_TRY, level=3) == 3 * full
    assert credit.points(credit.Credit.GOOD, level=3) == credit.points(credit.Credit.GOOD)


@pytest.mark.parametrize("hinted", [False, True])
@pytest.mark.parametrize("first_try", [False, True])
@pytest.mark.parametrize("seconds", [1.0, 100.0])
def test_first_try_credit_is_exactly_a_problem_graded_four_or_more(
    hinted: bool, first_try: bool, seconds: float
) -> None:
    """Stats and summaries count "first try" by quality; grading by credit: they must agree."""
    quality = srs.problem_quality(
        correct=True, first_try=first_try, hinted=hinted, seconds=seconds, target_seconds=30
    )
    granted = credit.problem_credit(correct=True, first_try=first_try, hinted=hinted)
    assert (granted == credit.Credit.FIRST_TRY) == (quality >= credit.FIRST_TRY_QUALITY)


def test_the_readme_shows_the_credit_table() -> None:
    text = README.read_text(encoding="utf-8")
    assert "## What earns points" in text
    assert credit.markdown_table() in text
    for rule in credit.RULES:
        assert f"| {rule.situation} | {credit.points_text(rule)} |" in text
