"""The math engine as front-ends call it: every CPU-heavy call runs in the worker pool.

A task that runs past its limit, or that the pool fails under (after the pool's one retry), comes
back as a calm result (an `invalid` verdict, a plain-text rendering) rather than an exception:
the student always gets an answer, and it says whose fault it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator
from functools import lru_cache

import sympy as sp

from bot.math.check import (
    TOO_COMPLEX,
    Verdict,
    check_answer,
    check_kind,
    check_problem,
    invalid,
)
from bot.math.generator import Problem, generate
from bot.math.render import Rendered, render_latex, render_lines, render_tangent, tex_to_text
from bot.math.skills import kind_of
from bot.math.workers import MathPool, WorkerCrashed, WorkTimeout

log = logging.getLogger(__name__)
_FAILURES = (WorkTimeout, WorkerCrashed)
#: The pool failed under a check twice (a worker died, the pool was rebuilding): our fault,
#: not the student's answer's, and usually over in a moment.
CHECKER_RESTARTING = "The checker is restarting, try again in a moment."


def verdict_for_failure(exc: BaseException) -> Verdict:
    """The `invalid` verdict (never graded) a failed check gets: a check that ran past its
    limit is too complex; a pool that failed under it says so."""
    if isinstance(exc, WorkTimeout):
        return invalid(TOO_COMPLEX)
    if isinstance(exc, WorkerCrashed):
        log.warning("check failed in the worker pool: %s", exc)
        return invalid(CHECKER_RESTARTING)
    log.exception("checking failed", exc_info=exc)
    return invalid("Something went wrong while checking; please try again.")


def check_task(
    expected: sp.Expr | str,
    answer: str,
    function: sp.Expr | str | None,
    var: str,
    order: int = 1,
    kind: str | None = None,
    point: str | None = None,
) -> Verdict:
    """`check_answer` with positional arguments only: pebble reserves the keyword `function`.
    With `kind` (value, tangent) the question is asked of the derivative at `point`."""
    if kind is not None:
        return check_kind(kind, expected, answer, function=function, var=var, point=point)
    return check_answer(expected, answer, function=function, var=var, order=order)


def check(
    pool: MathPool,
    expected: sp.Expr | str,
    answer: str,
    *,
    function: sp.Expr | str | None = None,
    var: str = "x",
    timeout: float | None = None,
    kind: str | None = None,
    point: str | None = None,
) -> Verdict:
    """Blocking check in the pool (for the CLI and scripts); `kind` and `point` as in
    `check_task`."""
    try:
        return pool.run(
            check_task, expected, answer, function, var, 1, kind, point, timeout=timeout
        )
    except Exception as exc:
        return verdict_for_failure(exc)


async def acheck(
    pool: MathPool,
    expected: sp.Expr | str,
    answer: str,
    *,
    function: sp.Expr | str | None = None,
    var: str = "x",
    order: int = 1,
) -> Verdict:
    """Check one answer without blocking the event loop (typed flashcards, free checks)."""
    try:
        async with lanes(pool).check():
            return await pool.arun(check_task, expected, answer, function, var, order)
    except Exception as exc:
        return verdict_for_failure(exc)


@lru_cache(maxsize=1024)
def _generated(skill: str, level: int, seed: int) -> Problem:
    return generate(skill, level, seed)


def check_generated_task(
    skill: str,
    level: int,
    seed: int,
    answer: str,
    part: int | None = None,
    problem: Problem | None = None,
) -> Verdict:
    """Check an answer to a generated problem inside a worker: the caller's copy of the
    problem when it sends one (unpickling it costs a seventh of building it again, and with
    several workers recycled every few hundred tasks the one that built it rarely checks
    it), else rebuilt from (skill, level, seed). `part`: the answer is to that part
    (0-based) of a multi-part problem."""
    if problem is None:
        problem = _generated(skill, level, seed)
    if part is not None:
        return kind_of(problem).check_part(problem, part, answer)  # type: ignore[attr-defined]
    return check_problem(problem, answer)


async def acheck_generated(
    pool: MathPool,
    skill: str,
    level: int,
    seed: int,
    answer: str,
    part: int | None = None,
    *,
    problem: Problem | None = None,
) -> Verdict:
    """Check an answer to a generated problem without blocking the event loop; ``problem``:
    the caller's copy of it (generated from the same skill, level and seed), if it has one."""
    try:
        async with lanes(pool).check():
            return await pool.arun(check_generated_task, skill, level, seed, answer, part, problem)
    except Exception as exc:
        return verdict_for_failure(exc)


async def agenerate(pool: MathPool, skill: str, level: int, seed: int) -> Problem:
    """Generation is trusted input, but sympy can still be slow: it runs in the pool too,
    and the worker keeps the problem (`_generated`), so an answer checked there later does not
    build it again (generating is about half of checking a right answer)."""
    return await pool.arun(_generated, skill, level, seed)


class _RenderCache:
    """Rendered images kept in the bot process, so a repeat never reaches a worker."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.items: OrderedDict[tuple[object, ...], Rendered] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> Rendered | None:
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def put(self, key: tuple[object, ...], value: Rendered) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


_renders = _RenderCache()


class _Lanes:
    """One pool's traffic on one event loop: checks first, pictures in what is left.

    A picture waits while any check is waiting for the pool (a verdict waits for its check;
    its picture can come later), and pictures use one worker fewer than the pool has (at
    least one), so a check that arrives while pictures are being drawn finds a free worker."""

    def __init__(self, workers: int) -> None:
        self.pictures = asyncio.Semaphore(max(1, workers - 1))
        self.checks = 0
        self.no_checks = asyncio.Event()
        self.no_checks.set()

    @contextlib.asynccontextmanager
    async def check(self) -> AsyncIterator[None]:
        self.checks += 1
        self.no_checks.clear()
        try:
            yield
        finally:
            self.checks -= 1
            if not self.checks:
                self.no_checks.set()

    @contextlib.asynccontextmanager
    async def picture(self) -> AsyncIterator[None]:
        async with self.pictures:
            await self.no_checks.wait()
            yield


_lanes: weakref.WeakKeyDictionary[object, weakref.WeakKeyDictionary[object, _Lanes]]
_lanes = weakref.WeakKeyDictionary()


def lanes(pool: MathPool) -> _Lanes:
    """The pool's `_Lanes` on the running event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _lanes.setdefault(pool, weakref.WeakKeyDictionary())
    found = per_loop.get(loop)
    if found is None:
        found = per_loop[loop] = _Lanes(getattr(pool, "workers", 2))
    return found


async def arender(
    pool: MathPool, tex: str | list[str], *, theme: str = "dark", fallback_text: str | None = None
) -> Rendered:
    """LaTeX (one or several lines) to PNG; any failure gives the plain-text fallback instead."""
    key = (tuple(tex) if isinstance(tex, list) else tex, theme)
    cached = _renders.get(key)
    if cached is not None:
        return cached
    try:
        async with lanes(pool).picture():
            if isinstance(tex, list):
                result = await pool.arun(render_lines, tex, theme=theme)
            else:
                result = await pool.arun(
                    render_latex, tex, theme=theme, fallback_text=fallback_text
                )
    except Exception as exc:
        if not isinstance(exc, _FAILURES):
            log.exception("rendering failed", exc_info=exc)
        text = fallback_text or (
            "\n".join(tex_to_text(t) for t in tex) if isinstance(tex, list) else tex_to_text(tex)
        )
        why = (
            "the renderer is restarting"
            if isinstance(exc, WorkerCrashed)
            else "rendering took too long"
        )
        return Rendered(png=None, text=text, error=why)
    if result.png is not None:
        _renders.put(key, result)
    return result


async def arender_formula(
    pool: MathPool, tex: str, *, theme: str = "dark", timeout: float | None = None
) -> Rendered:
    """A student's formula drawn for others (`usertex.render_formula`) in the pool, within
    `timeout`: a refusal, a timeout or a failing pool all come back as ``png`` None with an
    ``error`` worded for the student."""
    from bot.math.usertex import render_formula  # its checker loads mathtext: only when asked

    try:
        return await pool.arun(render_formula, tex, theme, timeout=timeout)
    except WorkTimeout:
        return Rendered(None, tex, "it took too long to draw")
    except WorkerCrashed:
        return Rendered(None, tex, "the renderer is restarting; try again in a moment")


async def atangent(
    pool: MathPool, problem: Problem, *, theme: str = "dark", timeout: float | None = None
) -> Rendered | None:
    """The picture of f and its tangent at the problem's point, for answer kinds that show it
    (`shows_tangent`); None for the others, or when it cannot be drawn (a bonus: the worked
    solution already says it all)."""
    if not kind_of(problem).shows_tangent or problem.point is None:
        return None
    try:
        async with lanes(pool).picture():
            rendered = await pool.arun(
                render_tangent,
                problem.function,
                float(problem.point),
                var=sp.Symbol(problem.var),
                theme=theme,
                timeout=timeout,
            )
    except Exception as exc:
        if not isinstance(exc, _FAILURES):
            log.exception("drawing a tangent failed", exc_info=exc)
        return None
    return rendered if rendered.png is not None else None


async def agraph(
    pool: MathPool, problem: Problem, *, solved: bool = False, theme: str = "dark"
) -> Rendered | None:
    """The computation graph of a problem that has one (backprop), drawn in the pool: the
    problem's (inputs only) or the solution's; None for other problems or when it cannot be
    drawn (the text says it all)."""
    graph = problem.extra.get("graph")
    if graph is None:
        return None
    from bot.math.render.graph import render_graph

    try:
        rendered = await pool.arun(render_graph, graph, solved=solved, theme=theme)
    except Exception as exc:
        if not isinstance(exc, _FAILURES):
            log.exception("drawing a graph failed", exc_info=exc)
        return None
    return rendered if rendered.png is not None else None
