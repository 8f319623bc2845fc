"""The mistakes of several variables: the wrong variable, a constant taken for a variable (or
the reverse), a gradient step taken uphill.

Like `bot.math.diagnosis`, each mistake is a wrong answer rebuilt from what the question is (its
context) and compared with the student's: a match names it. The classic one-variable slips
(chain, product…) are left to `diagnosis.diagnose`, which the checker calls after these.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp

from bot.math.diagnosis import Mistake
from bot.math.equivalence import compare_many
from bot.math.parser import plain

__all__ = [
    "CODES",
    "PartialContext",
    "StepContext",
    "name_mistake",
    "partial_mistake",
    "step_mistake",
]

CODES = {
    "wrong_variable": "differentiated with respect to the wrong variable",
    "constant": "a variable treated as a constant, or a constant as a variable",
    "step_sign": "gradient step taken with the wrong sign",
}


@dataclass(frozen=True)
class PartialContext:
    """A partial derivative question: ∂`function`/∂`wrt` among `variables`. `function` may be
    unknown; `siblings` are then the other components of the same gradient, which a student
    who mixed up the variables answered instead."""

    variables: tuple[sp.Symbol, ...]
    wrt: sp.Symbol
    function: sp.Expr | None = None
    siblings: tuple[sp.Expr, ...] = ()


@dataclass(frozen=True)
class StepContext:
    """A gradient-descent step: `params` − `rate`·`gradient`, each a scalar or, for several
    parameters at once, a tuple of one entry per parameter."""

    variables: tuple[sp.Symbol, ...]
    params: sp.Expr | tuple[sp.Expr, ...]
    gradient: sp.Expr | tuple[sp.Expr, ...]
    rate: sp.Expr

    def component(self, k: int) -> StepContext:
        """The step of the k-th parameter alone (for a per-component verdict)."""
        if not isinstance(self.params, tuple):
            return self
        grad = self.gradient[k] if isinstance(self.gradient, tuple) else self.gradient
        return StepContext(self.variables, self.params[k], grad, self.rate)


def _same(a: sp.Expr, b: sp.Expr, variables: tuple[sp.Symbol, ...]) -> bool:
    try:
        return compare_many(a, b, variables).equal is True
    except (ValueError, TypeError, ZeroDivisionError):
        return False


def name_mistake(
    answer: sp.Expr | tuple[sp.Expr, ...],
    expected: sp.Expr | tuple[sp.Expr, ...],
    context: PartialContext | StepContext,
) -> Mistake | None:
    """The several-variable mistake behind a wrong answer, or None (then try `diagnose`)."""
    if isinstance(context, StepContext):
        return step_mistake(answer, expected, context)
    if isinstance(answer, tuple) or isinstance(expected, tuple):
        return None
    return partial_mistake(answer, expected, context)


def step_mistake(
    answer: sp.Expr | tuple[sp.Expr, ...],
    expected: sp.Expr | tuple[sp.Expr, ...],
    context: StepContext,
) -> Mistake | None:
    """`w + η·∇L` for `w − η·∇L`: the step climbs the loss instead of descending it."""
    params = context.params if isinstance(context.params, tuple) else (context.params,)
    grads = context.gradient if isinstance(context.gradient, tuple) else (context.gradient,)
    answers = answer if isinstance(answer, tuple) else (answer,)
    if not (len(params) == len(grads) == len(answers)):
        return None
    variables = context.variables
    uphill = all(
        _same(p + context.rate * g, a, variables) and not _same(p - context.rate * g, a, variables)
        for p, g, a in zip(params, grads, answers, strict=True)
    )
    if not uphill:
        return None
    return Mistake(
        "step_sign",
        "The step goes uphill: gradient descent subtracts the gradient, "
        f"new = old − {plain(context.rate)}·gradient.",
    )


def partial_mistake(answer: sp.Expr, expected: sp.Expr, context: PartialContext) -> Mistake | None:
    """`wrong_variable` or `constant` for a wrong partial derivative, or None."""
    for wrong, mistake in _partial_variants(expected, context):
        if not _same(wrong, expected, context.variables) and _same(
            wrong, answer, context.variables
        ):
            return mistake
    return None


def _partial_variants(
    expected: sp.Expr, context: PartialContext
) -> Iterator[tuple[sp.Expr, Mistake]]:
    x, f = context.wrt, context.function
    if f is not None:
        for v in context.variables:
            if v != x:
                yield sp.diff(f, v), _wrong_variable(x, v)
    for other in context.siblings:
        yield other, _wrong_variable(x, None)
    if f is None:
        return
    if f.has(x):
        yield (
            sp.Integer(0),
            Mistake("constant", f"{x} is the variable here, not a constant: differentiate it."),
        )
    others = [v for v in context.variables if v != x and f.has(v)]
    if not others:
        return
    shown = ", ".join(str(v) for v in others)
    as_variable = Mistake(
        "constant",
        f"When differentiating with respect to {x}, {shown} is a constant: its derivative is 0, "
        "and as a factor it stays as it is.",
    )
    # every variable differentiated as if it depended on x (a total derivative)
    yield sum((sp.diff(f, v) for v in context.variables), sp.Integer(0)), as_variable
    # a factor without x differentiated too (x²y³ → 2x·3y²)
    if f.is_Mul:
        moving = sp.Mul(*[a for a in f.args if a.has(x)])
        still = sp.Mul(*[a for a in f.args if not a.has(x)])
        if still.free_symbols:
            total = sum((sp.diff(still, v) for v in others), sp.Integer(0))
            yield sp.diff(moving, x) * total, as_variable
    # a term without x kept as it is (x² + y³ → 2x + y³)
    if f.is_Add:
        kept = sp.Add(*[a for a in f.args if not a.has(x) and a.free_symbols])
        if kept != 0:
            yield expected + kept, as_variable


def _wrong_variable(x: sp.Symbol, v: sp.Symbol | None) -> Mistake:
    which = f"with respect to {v}" if v is not None else "for another variable"
    return Mistake(
        "wrong_variable",
        f"That is the partial derivative {which}; this one is with respect to {x}.",
    )
