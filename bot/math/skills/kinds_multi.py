"""Answer kinds of several variables: a partial derivative, a gradient (a vector), a gradient
descent step, and a multi-part question (a backprop graph), each part checked in turn.

These kinds build their whole problem (`attempt`), since what they draw is not one function of
one variable: the generator hands over to `attempt` when a kind has one. Their checks go
through `bot.math.multivar.check_vars` with the problem's declared variables. Each kind also
gives its hint ladder (`hint_ladder`: text and LaTeX rungs, none of which gives the answer away).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import sympy

from bot.math.answers import Verdict, check_answer, invalid
from bot.math.equivalence import compare_many
from bot.math.multivar import check_vars
from bot.math.multivar_mistakes import StepContext
from bot.math.rules import RuleNode, Step, derive
from bot.math.skills.kinds import AnswerKind, Posed, Question
from bot.math.skills.pieces import Rng

if TYPE_CHECKING:
    from bot.math.problem import Part, Problem
    from bot.math.skills.registry import Skill

__all__ = [
    "LADDERS",
    "PART_SEPARATOR",
    "Drawn",
    "GradientKind",
    "ImplicitKind",
    "LimitKind",
    "MultiKind",
    "MultiPartKind",
    "NthDerivativeKind",
    "PartialKind",
    "StepKind",
]

#: how the parts of a multi-part answer are joined when sent whole (`3; 1/4; -2`)
PART_SEPARATOR = ";"

Ladder = list[tuple[str, str]]

#: each skill's hint ladder, registered by the family module that poses it
LADDERS: dict[str, Callable[[Problem], Ladder]] = {}


@dataclass(frozen=True)
class Drawn:
    """What a several-variable skill drew and posed: everything a `Problem` needs."""

    function: sympy.Expr
    answer: sympy.Expr
    vars: tuple[str, ...]
    prompt: str
    prompt_latex: str
    steps: tuple[Step, ...]
    tree_var: sympy.Symbol
    point: sympy.Expr | None = None
    parts: tuple[Part, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()


class MultiKind(AnswerKind):
    """A kind that builds its whole problem from its skill's draw (`Skill.builder(level)` gives
    a function of the random source returning a `Drawn`, or None to draw again)."""

    #: the word `derivbot skills --json` gives for it
    json_word: ClassVar[str]

    def pose(self, q: Question, r: Rng) -> Posed | None:  # pragma: no cover - never called
        raise TypeError(f"{type(self).__name__} builds its own problems (attempt)")

    def attempt(self, skill: Skill, level: int, seed: int, r: Rng) -> Problem | None:
        """One draw of the whole problem; None when it makes a poor question."""
        from bot.math.problem import Problem

        assert skill.builder is not None
        drawn: Drawn | None = skill.builder(level)(r)  # type: ignore[assignment]
        if drawn is None:
            return None
        tree: RuleNode = derive(drawn.function, drawn.tree_var)
        return Problem(
            skill=skill.name,
            level=level,
            seed=seed,
            var=drawn.vars[0],
            function=drawn.function,
            # as for every problem: d/d(var) of the function, var the first declared variable
            derivative=sympy.diff(drawn.function, sympy.Symbol(drawn.vars[0])),
            answer=drawn.answer,
            answer_kind=self.name,
            point=drawn.point,
            prompt=drawn.prompt,
            prompt_latex=drawn.prompt_latex,
            rule_tree=tree,
            steps=drawn.steps,
            vars=drawn.vars,
            parts=drawn.parts,
            extra=dict(drawn.extra),
        )

    def hint_ladder(self, problem: Problem) -> Ladder:
        """The rungs of hints for this problem (text, LaTeX), none giving the answer away."""
        ladder = LADDERS.get(problem.skill)
        return [] if ladder is None else ladder(problem)


class PartialKind(MultiKind):
    """∂f/∂v of f in several variables: an expression in those variables."""

    name = "partial"
    title = "Partial derivative"
    json_word = "expression"

    def check(self, problem: Problem, answer: str) -> Verdict:
        return check_vars(
            problem.answer,
            answer,
            vars=problem.vars,
            function=problem.function,
            wrt=str(problem.extra.get("respect_to", problem.var)),
        )


class GradientKind(MultiKind):
    """∇f as a vector, its components in the order of the declared variables."""

    name = "vector"
    title = "Find the gradient"
    json_word = "vector"

    def check(self, problem: Problem, answer: str) -> Verdict:
        components = list(problem.answer) if isinstance(problem.answer, sympy.Tuple) else []
        function = problem.function if problem.point is None else None
        return check_vars(components, answer, vars=problem.vars, function=function)


class StepKind(MultiKind):
    """The next point of gradient descent: one number per parameter (a vector of several)."""

    name = "step"
    title = "Take a gradient descent step"
    json_word = "vector"

    def check(self, problem: Problem, answer: str) -> Verdict:
        expected = problem.answer
        context = step_context(problem)
        if isinstance(expected, sympy.Tuple):
            return check_vars(list(expected), answer, vars=problem.vars, step=context)
        return check_vars(expected, answer, vars=problem.vars, step=context)


def step_context(problem: Problem) -> StepContext | None:
    """The one-step context (start, gradient there, rate) that names an uphill step; None for
    two steps, where no single wrong sign explains an answer."""
    if problem.extra.get("steps_taken", 1) != 1:
        return None
    symbols = tuple(sympy.Symbol(v) for v in problem.vars)
    rate = sympy.Rational(str(problem.extra["learning_rate"]))
    start = tuple(sympy.Rational(s) for s in problem.extra["start"])
    at = dict(zip(symbols, start, strict=True))
    g0 = tuple(sympy.diff(problem.function, s).subs(at) for s in symbols)
    if len(symbols) > 1:
        return StepContext(symbols, start, g0, rate)
    return StepContext(symbols, start[0], g0[0], rate)


class MultiPartKind(MultiKind):
    """Several parts answered in turn (`check_part`); the whole answer, the parts joined by
    `;`, is right when every part is."""

    name = "multipart"
    title = "Backpropagate"
    json_word = "multipart"

    def check_part(self, problem: Problem, k: int, answer: str) -> Verdict:
        """The verdict on part k (0-based) alone."""
        if not 0 <= k < len(problem.parts):
            return invalid(f"this problem has {len(problem.parts)} parts")
        part = problem.parts[k]
        verdict = check_vars(part.answer, answer, vars=part.vars)
        if verdict.correct and k in problem.extra.get("defined_at_zero", ()):
            return _defined_at_zero(verdict, part.vars[0])
        return verdict

    def check(self, problem: Problem, answer: str) -> Verdict:
        """The parts joined by `;`; without `;`, the final answer (its `answer`) alone."""
        if PART_SEPARATOR not in answer:
            final = problem.answer
            expected = list(final) if isinstance(final, sympy.Tuple) else final
            return check_vars(expected, answer, vars=problem.vars)
        pieces = answer.split(PART_SEPARATOR)
        n = len(problem.parts)
        if len(pieces) != n:
            return invalid(
                f"Answer the {n} parts in order, separated by `{PART_SEPARATOR}` "
                "(or one at a time)."
            )
        verdicts = [self.check_part(problem, k, p) for k, p in enumerate(pieces)]
        unsure = [k for k, v in enumerate(verdicts, 1) if v.verdict == "invalid"]
        if unsure:
            return invalid(f"Part {unsure[0]}: {verdicts[unsure[0] - 1].message}")
        wrong = [k for k, v in enumerate(verdicts, 1) if v.verdict != "correct"]
        if not wrong:
            return Verdict("correct", "Correct!", verdicts[-1].reading)
        first = verdicts[wrong[0] - 1]
        listed = ", ".join(str(k) for k in wrong)
        return Verdict(
            "incorrect",
            f"Part{'s' if len(wrong) > 1 else ''} {listed} of {n}: not quite.",
            first.reading,
            first.mistake,
            first.diagnosis,
        )


def _defined_at_zero(verdict: Verdict, var: str) -> Verdict:
    """A difference quotient is simplified when h = 0 can be put in: the h cancelled. The
    value is right, so it is sent again simplified (`invalid`: nothing graded, no try spent)."""
    assert verdict.reading is not None
    value = verdict.reading.expr.subs(sympy.Symbol(var), 0)
    if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return Verdict(
            "invalid",
            f"That equals the quotient, but simplify it: cancel the {var} so that {var} = 0 can "
            "be put in.",
            verdict.reading,
        )
    return verdict


class LimitKind(MultiPartKind):
    """The derivative from its limit definition: the difference quotient simplified, then
    its limit, f'(a)."""

    name = "limit"
    title = "Derivative from the definition"
    json_word = "multipart"


def _equal(a: sympy.Expr, b: sympy.Expr, symbols: tuple[sympy.Symbol, ...]) -> bool:
    try:
        return compare_many(a, b, symbols).equal is True
    except (TypeError, ValueError, ZeroDivisionError):
        return False


class ImplicitKind(MultiKind):
    """dy/dx of a curve F(x, y) = c, in terms of x and y."""

    name = "implicit"
    title = "Differentiate implicitly"
    json_word = "expression"

    def check(self, problem: Problem, answer: str) -> Verdict:
        verdict = check_vars(problem.answer, answer, vars=problem.vars)
        if verdict.verdict != "incorrect" or verdict.reading is None or verdict.mistake:
            return verdict
        x, y = (sympy.Symbol(v) for v in problem.vars)
        fx, fy = (sympy.diff(problem.function, v) for v in (x, y))
        got = verdict.reading.expr
        if _equal(fx / fy, got, (x, y)):
            return Verdict(
                "incorrect",
                "Not quite.",
                verdict.reading,
                "sign",
                "Moving the x-terms across changes their sign: dy/dx = −(∂F/∂x)/(∂F/∂y).",
            )
        if _equal(-fy / fx, got, (x, y)):
            return Verdict(
                "incorrect",
                "That is dx/dy, upside down: solve for dy/dx = −(∂F/∂x)/(∂F/∂y).",
                verdict.reading,
            )
        return verdict


class NthDerivativeKind(MultiKind):
    """The third or fourth derivative: the order is the problem's (`extra["order"]`); an
    answer of a neighbouring order is named."""

    name = "nth"
    title = "Higher derivative"
    json_word = "expression"

    def check(self, problem: Problem, answer: str) -> Verdict:
        verdict = check_answer(problem.answer, answer, var=problem.var)
        if verdict.verdict != "incorrect" or verdict.reading is None:
            return verdict
        n, x = int(problem.extra["order"]), sympy.Symbol(problem.var)
        got = verdict.reading.expr
        for k, how in ((n - 1, "once more"), (n + 1, "one time fewer"), (n - 2, "twice more")):
            if k >= 1 and _equal(sympy.diff(problem.function, x, k), got, (x,)):
                return Verdict(
                    "incorrect",
                    "Not quite.",
                    verdict.reading,
                    "order",
                    f"That is derivative number {k}; this one asks for number {n}: "
                    f"differentiate {how}.",
                )
        return verdict
