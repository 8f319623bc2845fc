"""Problems of several variables through the service: a gradient (a vector) in one answer, a
backprop problem part by part, each part's verdict (and the right value of a wrong one) told
before the next, the whole graded once at the end."""

from __future__ import annotations

import datetime as dt

import pytest
import sympy as sp

from bot.config import Settings
from bot.math.workers import MathPool
from bot.study.service import StudyService

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=20.0) as p:
        yield p


@pytest.fixture
def service(session_factory, pool) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=lambda: NOW)


async def test_a_gradient_is_answered_as_a_vector(service) -> None:
    user = await service.user_for_console("vera")
    shown = await service.present_seeded(user, "skill:gradient:1", 5)
    fx, fy = shown.problem.answer
    swapped = await service.submit_answer(shown.token, f"({sp.sstr(fy)}, {sp.sstr(fx)})")
    assert swapped.status == "incorrect" and swapped.can_retry
    assert len(swapped.verdict.components) == 2
    right = await service.submit_answer(shown.token, f"<{sp.sstr(fx)}, {sp.sstr(fy)}>")
    assert right.status == "correct" and right.graded and right.steps


async def test_backprop_is_answered_part_by_part(service) -> None:
    user = await service.user_for_console("bao")
    shown = await service.present_seeded(user, "skill:backprop:1", 2)
    parts = shown.problem.parts
    assert len(parts) == 5
    first = await service.submit_answer(shown.token, sp.sstr(parts[0].answer))
    assert (first.status, first.part, first.parts) == ("correct", 0, 5)
    assert first.next_part == parts[1].prompt and not first.graded and first.right_answer is None
    unreadable = await service.submit_answer(shown.token, "((")
    assert unreadable.status == "invalid" and unreadable.part == 1  # the same part again
    wrong = await service.submit_answer(shown.token, sp.sstr(parts[1].answer + 7))
    assert wrong.status == "incorrect" and wrong.part == 1 and not wrong.graded
    assert wrong.right_answer == sp.sstr(parts[1].answer).replace("*", "·")
    assert wrong.next_part == parts[2].prompt  # told before the next part
    for k in (2, 3):
        middle = await service.submit_answer(shown.token, sp.sstr(parts[k].answer))
        assert middle.status == "correct" and middle.part == k
    last = await service.submit_answer(shown.token, sp.sstr(parts[4].answer))
    # every part answered; one was wrong: the problem as a whole was not right
    assert last.status == "incorrect" and last.part == 4 and last.next_part is None
    assert last.quality is not None and last.quality < 3 and last.steps
    again = await service.submit_answer(shown.token, sp.sstr(parts[4].answer))
    assert again.status == "already"


async def test_backprop_all_parts_right_is_correct(service) -> None:
    user = await service.user_for_console("ines")
    shown = await service.present_seeded(user, "skill:backprop:1", 3)
    outcome = None
    for part in shown.problem.parts:
        outcome = await service.submit_answer(shown.token, sp.sstr(part.answer), seconds=30)
        assert outcome.status == "correct"
    assert outcome.graded and outcome.quality >= 4 and outcome.points > 0


async def test_a_hint_for_backprop_gives_no_part_away(service) -> None:
    user = await service.user_for_console("noor")
    shown = await service.present_seeded(user, "skill:backprop:2", 1)
    hint = await service.hint(shown.token)
    assert hint is not None and "forward" in hint.text.lower()
    assert all(sp.sstr(p.answer) not in hint.text for p in shown.problem.parts if p.answer != 1)


async def test_an_unsimplified_quotient_is_sent_again(service) -> None:
    user = await service.user_for_console("lou")
    shown = await service.present_seeded(user, "skill:limit_definition:1", 4)
    p = shown.problem
    x, h = sp.symbols("x h")
    a = p.point
    raw = f"(({sp.sstr(p.function.subs(x, a + h))}) - ({sp.sstr(p.function.subs(x, a))}))/h"
    again = await service.submit_answer(shown.token, raw)
    assert again.status == "invalid" and again.can_retry and "simplify" in again.verdict.message
    first = await service.submit_answer(shown.token, sp.sstr(sp.expand(p.parts[0].answer)))
    assert first.status == "correct" and first.next_part == p.parts[1].prompt
    last = await service.submit_answer(shown.token, sp.sstr(p.answer))
    assert last.status == "correct" and last.graded and last.quality >= 4
