"""The verdict on an answer to a generated problem: its answer kind knows what is asked.

`check_answer`, `Verdict` and friends live in `bot.math.answers` and are re-exported here, the
import path every caller has used.
"""

from __future__ import annotations

import sympy as sp

from bot.math.answers import TOO_COMPLEX, Verdict, VerdictKind, check_answer, invalid
from bot.math.multivar import VectorVerdict, check_vars, check_vars_task
from bot.math.parser import ParseError, parse
from bot.math.problem import Problem
from bot.math.skills import TangentLine, Value, kind_of
from bot.math.skills.kinds import finite_real

__all__ = [
    "KIND_WORDS",
    "TOO_COMPLEX",
    "VectorVerdict",
    "Verdict",
    "VerdictKind",
    "check_answer",
    "check_kind",
    "check_problem",
    "check_vars",
    "check_vars_task",
    "invalid",
]

#: what `derivbot check --kind` and the jsonl field `answer_kind` take: the CLI's words and the
#: answer kinds' own (`derivbot generate` prints `number`, `line`, `expression`)
KIND_WORDS = {
    "value": "number",
    "number": "number",
    "tangent": "line",
    "line": "line",
    "expression": "expression",
}


def check_problem(problem: Problem, answer: str) -> Verdict:
    """Check an answer to a generated problem, with what its kind of question asks for."""
    return kind_of(problem).check(problem, answer)


def check_kind(
    kind: str,
    expected: sp.Expr | str,
    answer: str,
    *,
    function: sp.Expr | str | None = None,
    var: str = "x",
    point: sp.Expr | str | None = None,
) -> Verdict:
    """Check an answer to a question at a point without a generated problem (the command
    line): `expected` is the derivative f'(x) as always; `kind` says what is asked of it at
    `point`: `value` f'(point), `tangent` the tangent line there (which needs `function`)."""
    word = KIND_WORDS.get(kind)
    if word is None:
        return invalid(f"unknown answer kind {kind!r}: use value or tangent")
    if word == "expression":
        return check_answer(expected, answer, function=function, var=var)
    try:
        derivative = parse(expected, var).expr if isinstance(expected, str) else expected
        f = parse(function, var).expr if isinstance(function, str) else function
    except ParseError as exc:
        return invalid(f"the expected answer could not be read: {exc}")
    if point is None:
        return invalid("a question at a point needs the point")
    try:
        a = parse(point, var).expr if isinstance(point, str) else point
    except ParseError as exc:
        return invalid(f"the point could not be read: {exc}")
    x = sp.Symbol(var)
    if a.has(x) or not finite_real(a):
        return invalid("the point must be a number")
    slope = derivative.subs(x, a)
    if word == "number":
        if not finite_real(slope):
            return invalid("the derivative is not defined at that point")
        return Value().check_at(answer, slope, var=var, point=a, function=f)
    if f is None:
        return invalid("a tangent line needs the function (`function`, `--function`)")
    fa = f.subs(x, a)
    if not (finite_real(slope) and finite_real(fa)):
        return invalid("the function or its derivative is not defined at that point")
    line = sp.expand(fa + slope * (x - a))
    return TangentLine().check_at(answer, line, var=var, point=a, function=f, derivative=derivative)
