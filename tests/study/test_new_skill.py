"""A skill added through the registry alone is generated, checked and scheduled end to end."""

from __future__ import annotations

import datetime as dt
import random

import sympy as sp

from bot.config import Settings
from bot.math.skills import Skill, register, registered
from bot.math.workers import MathPool
from bot.study.service import StudyService

X = sp.Symbol("x")


def _cubic(level: int):
    def build(r: random.Random) -> sp.Expr:
        return r.randint(2, 9) * X**3 + r.randint(2, 9) * X ** (level + 1)

    return build


THROWAWAY = Skill("throwaway", 2, "A test-only skill", 40, _cubic, required=("power",))


def _register_in_worker() -> None:
    register(THROWAWAY)


async def test_a_registered_skill_is_presented_graded_and_scheduled(session_factory) -> None:
    now = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    # workers come from a fork server that loaded the catalogue long ago: each registers the
    # skill as it starts, as a plugin's pool would
    with (
        registered(THROWAWAY),
        MathPool(workers=1, timeout=20.0, setup=_register_in_worker) as pool,
    ):
        service = StudyService(
            session_factory, pool, settings=settings, clock=lambda: now, seeds=lambda: 7
        )
        user = await service.user_for_console("tess")
        shown = await service.present(user, "skill:throwaway:1")
        assert shown.problem is not None and shown.problem.skill == "throwaway"
        assert shown.problem.answer == sp.diff(shown.problem.function, X)
        wrong = await service.submit_answer(shown.token, sp.sstr(shown.problem.function), seconds=5)
        assert wrong.status == "incorrect" and wrong.verdict.mistake == "not_differentiated"
        right = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=5)
        assert right.status == "correct" and right.graded and right.quality == 3
        assert right.schedule.due_day == dt.date(2026, 3, 3)  # a new item's first interval
        assert "skill:throwaway:1" not in await service.due_queue(user)
