"""Answer kinds: what a question asks of a function, and how an answer to it is checked.

A skill draws a function f; its answer kind turns (f, f', the rule tree) into the question (the
prompt, the expected answer, the worked solution) and later checks a typed answer against it.
A new kind of answer (a vector, several parts) is one subclass of `AnswerKind`, registered with
`bot.math.skills.register_kind`; nothing else branches on the kind.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import sympy

from bot.math.answers import Verdict, check_answer
from bot.math.equivalence import compare
from bot.math.forms import teacher_form
from bot.math.hints import (
    Hint,
    derivative_hints,
    second_derivative_hints,
    tangent_hints,
    value_hints,
)
from bot.math.rules import (
    RuleNode,
    Step,
    bracket,
    derive,
    expr_latex,
    expr_text,
    frac,
    paren,
    steps,
)
from bot.math.skills.pieces import PI, TRIG, R, Rng, W

if TYPE_CHECKING:
    from bot.math.problem import Problem

__all__ = [
    "AnswerKind",
    "Derivative",
    "Posed",
    "Question",
    "SecondDerivative",
    "TangentLine",
    "Value",
    "finite_real",
]


@dataclass(frozen=True)
class Question:
    """What every kind starts from: f, its derivative (in a teacher's form: sec^2(x), not
    tan(x)^2 + 1), its variable and its rule tree."""

    f: sympy.Expr
    d: sympy.Expr
    var: sympy.Symbol
    tree: RuleNode

    @property
    def v(self) -> str:
        return str(self.var)

    @property
    def name(self) -> str:
        """L(w) for a loss in a weight, f(x) otherwise."""
        return "L" if self.var == W else "f"

    @functools.cached_property
    def text(self) -> str:
        return expr_text(self.f)

    @functools.cached_property
    def latex(self) -> str:
        return expr_latex(self.f)


def _named(q: Question, step: Step, order: int = 1) -> Step:
    """A closing line in the function's own name: `L'(w) = …` for a loss, not `f'(w)`."""
    if q.name == "f":
        return step
    primes = "'" * order
    text = step.text.replace(f"f{primes}({q.v})", f"{q.name}{primes}({q.v})", 1)
    return dataclasses.replace(step, text=text)


def _solution(q: Question, *, max_steps: int | None = None) -> list[Step]:
    """The worked solution for f' (`solution.steps`), its last line in the function's name."""
    found = steps(
        q.tree, q.var, result=q.d, **({} if max_steps is None else {"max_steps": max_steps})
    )
    return [*found[:-1], _named(q, found[-1])]


@dataclass(frozen=True)
class Posed:
    """A question as a student sees it, with its answer and worked solution."""

    answer: sympy.Expr
    prompt: str
    prompt_latex: str
    steps: tuple[Step, ...]
    point: sympy.Expr | None = None


class AnswerKind:
    """One kind of answer. `name` is the word `Problem.answer_kind` carries (and the JSON of
    `derivbot generate`); `title` heads the question in both front-ends."""

    name: ClassVar[str]
    title: ClassVar[str]
    order: ClassVar[int] = 1  # how many times f is differentiated for the answer
    #: its solution is shown with a picture of f and its tangent at the problem's point
    shows_tangent: ClassVar[bool] = False

    def pose(self, q: Question, r: Rng) -> Posed | None:
        """The question for f, or None when this f makes a poor one (the generator redraws).
        May draw from `r` (a point, say): every draw is part of the problem's seed."""
        raise NotImplementedError

    def check(self, problem: Problem, answer: str) -> Verdict:
        """The verdict on a typed answer; never raises for student input."""
        raise NotImplementedError

    def hints(self, q: Question, posed: Posed) -> tuple[Hint, ...]:
        """The hint ladder (`bot.math.hints`): nearer the answer each rung, never stating it."""
        return derivative_hints(q.tree, q.var)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Derivative(AnswerKind):
    """f'(x) as an expression."""

    name = "expression"
    title = "Differentiate"

    def pose(self, q: Question, r: Rng) -> Posed | None:
        if q.var == W:
            prompt = f"Differentiate the loss L(w) = {q.text} with respect to w"
        else:
            prompt = f"Differentiate {q.name}({q.v}) = {q.text}"
        return Posed(
            answer=q.d,
            prompt=prompt,
            prompt_latex=frac("d", f"d{q.v}") + bracket(q.latex),
            steps=tuple(_solution(q)),
        )

    def check(self, problem: Problem, answer: str) -> Verdict:
        return check_answer(
            problem.answer,
            answer,
            function=problem.function,
            var=problem.var,
            order=self.order,
            prefer=(problem.skill,),  # a slip that fits two rules: the drilled one
        )


class SecondDerivative(Derivative):
    """f''(x) as an expression: the same word and title as the first derivative (front-ends
    show both as "Differentiate"), checked and diagnosed at order 2."""

    order = 2

    def pose(self, q: Question, r: Rng) -> Posed | None:
        answer = teacher_form(sympy.diff(q.f, q.var, 2))
        if answer == 0:
            return None
        first = _solution(q, max_steps=6)
        again = steps(derive(q.d, q.var), q.var, result=answer, max_steps=6, order=2, of=q.f)
        done = {s.latex for s in first}  # a piece worked out for f' is not worked out again
        rest = [s for s in again[:-1] if s.latex not in done]
        sol = (*first, *rest, _named(q, again[-1], order=2))
        return Posed(
            answer=answer,
            prompt=f"Find the second derivative {q.name}''({q.v}) of {q.name}({q.v}) = {q.text}",
            prompt_latex=frac("d^{2}", f"d{q.v}^{{2}}") + bracket(q.latex),
            steps=sol,
        )

    def hints(self, q: Question, posed: Posed) -> tuple[Hint, ...]:
        return second_derivative_hints(q.tree, q.d, q.var, derive(q.d, q.var))


# --------------------------------------------------------------------------- at a point

_INT_POINTS = (1, 2, -1, 0, 3, -2, R(1, 2))
_TRIG_POINTS = (0, PI / 6, PI / 4, PI / 3, PI / 2, PI, 2 * PI / 3)


def finite_real(value: sympy.Expr) -> bool:
    """A real number of sensible size (not zoo, nan, complex or astronomically large)."""
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return False
    try:
        c = complex(value.evalf(15))
    except (TypeError, ValueError):
        return False
    return abs(c.imag) < 1e-12 and abs(c.real) < 1e12


def _pick_point(
    r: Rng, f: sympy.Expr, d: sympy.Expr, var: sympy.Symbol
) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
    """A point a with f(a), f'(a) defined, f'(a) != 0, preferring short exact values."""
    has_trig = any(isinstance(n, TRIG) for n in sympy.preorder_traversal(f))
    valid = []
    for a in _TRIG_POINTS if has_trig else _INT_POINTS:
        a = sympy.Integer(a) if isinstance(a, int) else a
        fa = f.subs(var, a)
        if not finite_real(fa):
            continue
        da = d.subs(var, a)
        if not da.is_number or da == 0 or not finite_real(da):
            continue
        valid.append((len(str(da)) + len(str(fa)), a, (a, fa, da)))
    if not valid:
        return None
    best = min(score for score, _, _ in valid)
    return r.choice([v for score, _, v in valid if score <= best + 3])


def _paren(expr: sympy.Expr) -> str:
    body = expr_latex(expr)
    if expr.is_Add or expr.could_extract_minus_sign():
        return paren(body)
    return body


def _paren_text(expr: sympy.Expr) -> str:
    body = expr_text(expr)
    return f"({body})" if expr.is_Add or expr.could_extract_minus_sign() else body


@dataclass(frozen=True)
class _AtPoint:
    """A point a with f(a) and f'(a), and the solution up to evaluating f' there."""

    a: sympy.Expr
    fa: sympy.Expr
    da: sympy.Expr
    steps: list[Step]

    @property
    def a_latex(self) -> str:
        return expr_latex(self.a)

    @property
    def a_text(self) -> str:
        return expr_text(self.a)


def _at_point(q: Question, r: Rng) -> _AtPoint | None:
    picked = _pick_point(r, q.f, q.d, q.var)
    if picked is None:
        return None
    a, fa, da = picked
    a_l, a_t = expr_latex(a), expr_text(a)
    evaluate = Step(
        "evaluate",
        "Evaluate the derivative at the point",
        f"{q.name}'{paren(a_l)} = "
        + r"\left. "
        + expr_latex(q.d)
        + r" \right|_{"
        + f"{q.v} = {a_l}}} = {expr_latex(da)}",
        f"Evaluate at {q.v} = {a_t}: {q.name}'({a_t}) = {expr_text(da)}",
    )
    sol = [*_solution(q, max_steps=9), evaluate]
    return _AtPoint(a, fa, da, sol)


class Value(AnswerKind):
    """f'(a), a number."""

    name = "number"
    title = "Evaluate the derivative"
    shows_tangent = True  # f'(a) is the slope of the tangent at a: the picture says so

    def pose(self, q: Question, r: Rng) -> Posed | None:
        at = _at_point(q, r)
        if at is None:
            return None
        return Posed(
            answer=at.da,
            prompt=f"Find {q.name}'({at.a_text}) for {q.name}({q.v}) = {q.text}",
            prompt_latex=f"{q.name}'{paren(at.a_latex)}"
            + r"\ \mathrm{for}\ "
            + f"{q.name}({q.v}) = {q.latex}",
            steps=tuple(at.steps),
            point=at.a,
        )

    def check(self, problem: Problem, answer: str) -> Verdict:
        return self.check_at(
            answer, problem.answer, var=problem.var, point=problem.point, function=problem.function
        )

    def hints(self, q: Question, posed: Posed) -> tuple[Hint, ...]:
        assert posed.point is not None
        return value_hints(q.tree, q.var, posed.point, posed.answer)

    def check_at(
        self,
        answer: str,
        expected: sympy.Expr,
        *,
        var: str,
        point: sympy.Expr,
        function: sympy.Expr | None = None,
    ) -> Verdict:
        """The verdict on f'(point) typed as `answer`, without a generated problem (`derivbot
        check --kind value`); with `function`, the mistake is named."""
        x = sympy.Symbol(var)

        def at_point(d: sympy.Expr) -> sympy.Expr:
            return d.subs(x, point)

        return check_answer(
            expected, answer, function=function, var=var, transform=at_point, number=True
        )


class TangentLine(AnswerKind):
    """y = f'(a)(x - a) + f(a), as an expression in x."""

    name = "line"
    title = "Find the tangent line"
    shows_tangent = True

    def pose(self, q: Question, r: Rng) -> Posed | None:
        at = _at_point(q, r)
        if at is None:
            return None
        a, fa, da, v = at.a, at.fa, at.da, q.v
        answer = sympy.expand(da * q.var + fa - da * a)
        sol = at.steps
        sol.insert(
            -1,
            Step(
                "evaluate",
                "Evaluate the function at the point",
                f"{q.name}{paren(at.a_latex)} = {expr_latex(fa)}",
                f"{q.name}({at.a_text}) = {expr_text(fa)}",
            ),
        )
        sol.append(
            Step(
                "point_slope",
                "Point-slope form",
                f"y - {_paren(fa)} = {_paren(da)} {paren(f'{v} - {_paren(a)}')}"
                + r" \Rightarrow "
                + f"y = {expr_latex(answer)}",
                f"y - {_paren_text(fa)} = {_paren_text(da)}·({v} - {_paren_text(a)}), "
                f"so y = {expr_text(answer)}",
            )
        )
        return Posed(
            answer=answer,
            prompt=f"Find the tangent line to {q.name}({v}) = {q.text} at {v} = {at.a_text} "
            f"(answer as y = m{v} + b)",
            prompt_latex=r"\mathrm{Tangent\ line\ to}\ y = "
            + q.latex
            + r"\ \mathrm{at}\ "
            + f"{v} = {at.a_latex}",
            steps=tuple(sol),
            point=a,
        )

    def hints(self, q: Question, posed: Posed) -> tuple[Hint, ...]:
        assert posed.point is not None
        height = q.f.subs(q.var, posed.point)
        return tangent_hints(q.tree, q.var, posed.point, height, posed.answer)

    def check(self, problem: Problem, answer: str) -> Verdict:
        return self.check_at(
            answer,
            problem.answer,
            var=problem.var,
            point=problem.point,
            function=problem.function,
            derivative=problem.derivative,
        )

    def check_at(
        self,
        answer: str,
        expected: sympy.Expr,
        *,
        var: str,
        point: sympy.Expr,
        function: sympy.Expr,
        derivative: sympy.Expr,
    ) -> Verdict:
        """The verdict on the tangent line at `point` typed as `answer`: y = m·x + b, or any
        equation of the line (`y - 9 = 6(x - 3)`, `6x - y = 9`); misassembled lines are named."""
        x, a, f = sympy.Symbol(var), point, function
        fa = f.subs(x, a)

        def tangent(d: sympy.Expr) -> sympy.Expr:
            return fa + d.subs(x, a) * (x - a)

        verdict = check_answer(expected, answer, function=f, var=var, transform=tangent, line=True)
        if verdict.verdict == "incorrect" and verdict.mistake is None and verdict.reading:
            slope = derivative.subs(x, a)
            mistake = _tangent_mistake(verdict.reading.expr, x, a, fa, slope, derivative)
            if mistake:
                return Verdict("incorrect", "Not quite.", verdict.reading, "tangent", mistake)
        return verdict


def _tangent_mistake(
    answer: sympy.Expr,
    x: sympy.Symbol,
    a: sympy.Expr,
    fa: sympy.Expr,
    slope: sympy.Expr,
    derivative: sympy.Expr,
) -> str | None:
    """The classic ways to misassemble y - f(a) = f'(a)(x - a)."""
    if compare(slope * (x - a), answer, x).equal:
        return "The line must pass through (a, f(a)): add f(a) to f'(a)(x − a)."
    if compare(slope * x + fa, answer, x).equal:
        return "Use y = f(a) + f'(a)(x − a): the slope multiplies (x − a), not x."
    if compare(fa * (x - a) + slope, answer, x).equal:
        return "The slope is f'(a) and the point is (a, f(a)); you swapped them."
    if derivative.has(x) and compare(fa + derivative * (x - a), answer, x).equal:
        return "The slope is the number f'(a): put x = a into f'(x) before building the line."
    return None
