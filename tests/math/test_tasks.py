"""Front-ends call the engine through the pool: a stuck task becomes a calm answer."""

from __future__ import annotations

import os
import signal
import time

import pytest
import sympy as sp

from bot.math import tasks
from bot.math.check import TOO_COMPLEX
from bot.math.generator import generate
from bot.math.workers import MathPool, WorkerCrashed, WorkTimeout


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=2, timeout=5.0) as p:
        yield p


def test_check_in_pool(pool: MathPool) -> None:
    verdict = tasks.check(pool, "2*x*cos(x**2)", "2x cos(x^2)")
    assert verdict.verdict == "correct"
    assert verdict.reading is not None and verdict.reading.text == "2·x·cos(x^2)"


def test_time_limit_gives_invalid_too_complex(pool: MathPool) -> None:
    # Defined nowhere on the reals, so sampling cannot decide and sympy's simplify gets a go:
    # in-process this takes over a second, far past the limit given here.
    expected = "sqrt(-x^2-1)"
    answer = "sqrt(-x^2-1)*((x+1)^30 - (x-1)^30)*sin(x)^7/cos(2x)^3"
    verdict = tasks.check(pool, expected, answer, timeout=0.2)
    assert verdict.verdict == "invalid"
    assert verdict.message == TOO_COMPLEX
    # the stuck worker was replaced: the pool still answers
    assert tasks.check(pool, "3*x**2", "3x^2").verdict == "correct"


async def test_async_problem_round_trip(pool: MathPool) -> None:
    problem = await tasks.agenerate(pool, "product", 2, 4)
    right = await tasks.acheck_generated(pool, "product", 2, 4, sp.sstr(problem.answer))
    assert right.verdict == "correct"
    wrong = await tasks.acheck_generated(pool, "product", 2, 4, sp.sstr(problem.function))
    assert wrong.verdict == "incorrect" and wrong.mistake == "not_differentiated"


@pytest.mark.parametrize("skill", ["power", "chain", "product", "backprop"])
async def test_a_check_with_the_callers_problem_judges_as_a_rebuilt_one(
    pool: MathPool, skill: str
) -> None:
    """The service sends its copy of the problem along (no rebuild in the worker): right,
    wrong and unreadable answers get the same verdicts, parts included."""
    problem = generate(skill, 1, 17)
    first = problem.parts[0].answer if problem.parts else problem.answer
    part = 0 if problem.parts else None
    for answer in (sp.sstr(first), sp.sstr(first) + " + 1", "2x +* 3"):
        sent = await tasks.acheck_generated(pool, skill, 1, 17, answer, part, problem=problem)
        rebuilt = await tasks.acheck_generated(pool, skill, 1, 17, answer, part)
        assert sent == rebuilt
    assert sent.verdict == "invalid"


async def test_render_is_cached_in_the_bot_process(pool: MathPool) -> None:
    first = await tasks.arender(pool, r"\frac{d}{dx}\left[x^{3}\right] = 3x^{2}", theme="light")
    assert first.png is not None and first.png.startswith(b"\x89PNG")
    again = await tasks.arender(pool, r"\frac{d}{dx}\left[x^{3}\right] = 3x^{2}", theme="light")
    assert again is first  # served from the parent's cache, no worker round trip


async def test_render_failure_falls_back_to_text(pool: MathPool) -> None:
    result = await tasks.arender(pool, r"\frac{", fallback_text="d/dx x^3")
    assert result.png is None
    assert result.text == "d/dx x^3"


async def test_steps_render_as_one_image(pool: MathPool) -> None:
    problem = generate("chain", 2, 1)
    lines = [f"${s.latex}$" for s in problem.steps]
    result = await tasks.arender(pool, lines)
    assert result.png is not None


def test_failures_of_the_pool_are_ours_not_the_students() -> None:
    overran = tasks.verdict_for_failure(WorkTimeout("check_task exceeded its 2s time limit"))
    assert (overran.verdict, overran.message) == ("invalid", TOO_COMPLEX)
    broke = tasks.verdict_for_failure(WorkerCrashed("worker pool broke while running check_task"))
    # still `invalid` (never graded as a wrong answer), but it says whose fault it is
    assert (broke.verdict, broke.message) == ("invalid", tasks.CHECKER_RESTARTING)
    assert "restarting" in tasks.CHECKER_RESTARTING


def slow_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_killed_idle_workers_do_not_make_the_next_checks_too_complex() -> None:
    with MathPool(workers=2, timeout=5.0) as p:
        p.warm_up()
        # two tasks that overlap in time run on the two workers
        victims = {f.result() for f in [p.submit(slow_pid, 0.5) for _ in range(2)]}
        assert len(victims) == 2
        for victim in victims:  # e.g. the OS's out-of-memory killer
            os.kill(victim, signal.SIGKILL)
        for victim in victims:
            while os.path.exists(f"/proc/{victim}") and _alive(victim):
                time.sleep(0.01)
        verdicts = [tasks.check(p, "3*x**2", "3x^2") for _ in range(5)]
        assert [v.message for v in verdicts if v.verdict != "correct"] == []


def _alive(pid: int) -> bool:
    """True until the process is gone or a zombie waiting to be reaped (it is dead then)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class _OrderedPool:
    """A pool stand-in that records what starts when, and holds checks until released."""

    workers = 2

    def __init__(self) -> None:
        import asyncio

        self.started: list[str] = []
        self.release = asyncio.Event()

    async def arun(self, fn, *args, **kwargs):
        from bot.math.render import Rendered

        self.started.append(fn.__name__)
        if fn.__name__ == "check_generated_task":
            await self.release.wait()
            return tasks.invalid("held")
        return Rendered(png=b"png", text="t", error=None)


async def test_pictures_wait_while_checks_wait_for_the_pool() -> None:
    import asyncio

    pool = _OrderedPool()
    check = asyncio.create_task(tasks.acheck_generated(pool, "power", 1, 1, "x"))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    picture = asyncio.create_task(tasks.arender(pool, r"\frac{1}{x_{lane}}"))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert pool.started == ["check_generated_task"]  # the picture has not gone to the pool
    pool.release.set()
    await check
    assert (await picture).png == b"png"
    assert pool.started == ["check_generated_task", "render_latex"]


async def test_pictures_leave_a_worker_for_checks() -> None:
    import asyncio

    pool = _OrderedPool()
    hold = asyncio.Event()
    running = []

    async def slow_render(fn, *args, **kwargs):
        running.append(fn.__name__)
        await hold.wait()
        from bot.math.render import Rendered

        return Rendered(png=b"png", text="t", error=None)

    pool.arun = slow_render  # type: ignore[method-assign]
    drawings = [
        asyncio.create_task(tasks.arender(pool, rf"x^{{{k}}} + lane"))  # type: ignore[arg-type]
        for k in range(3)
    ]
    await asyncio.sleep(0.01)
    assert len(running) == 1  # two workers: one draws, one is kept for checks
    hold.set()
    assert [(await d).png for d in drawings] == [b"png"] * 3
