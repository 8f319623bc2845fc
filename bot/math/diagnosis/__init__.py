"""Name the mistake: differentiate the function again with one classic wrong rule at a time.

Every place a rule applies in f (its rule tree: each sum, product, quotient, power, exponential,
log and trig node) gets each wrong version of that rule a student is known to use, with the rest
of the derivative done right. If the student's answer equals one of those variants, that is the
mistake, and its one-line explanation names it. The same walk serves generated problems and
functions given by a teacher, since the rule tree is the shape of f itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from bot.math.diagnosis.clock import own_cpu
from bot.math.diagnosis.differ import Bug, Differ, nth
from bot.math.diagnosis.mistakes import Found, Mistake, constant_as_variable, mistakes_at, show
from bot.math.equivalence import apart, compare

__all__ = ["CODES", "Mistake", "Variant", "diagnose", "variants"]

# code -> what kind of mistake; the message is built per case so it can name the parts.
CODES = {
    "chain": "chain rule misapplied (inner derivative missing or taken at the wrong part)",
    "product": "product rule misapplied",
    "quotient": "quotient rule misapplied",
    "power": "power rule misapplied",
    "trig": "wrong derivative or sign of a trig function",
    "inverse_trig": "wrong derivative of an inverse trig function",
    "hyperbolic": "wrong derivative or sign of a hyperbolic function",
    "exp": "exponential rule misapplied",
    "log": "logarithm rule misapplied",
    "constant": "a constant kept, or differentiated as if it were a variable",
    "constant_multiple": "constant factor dropped",
    "sign": "overall sign",
    "not_differentiated": "answered the function itself",
    "integrated": "answered an antiderivative, or added + C to a derivative",
    "order": "wrong order of derivative (f'' for f', or f' for f'')",
    "tangent": "tangent line misassembled",
}


@dataclass(frozen=True)
class Variant:
    expr: sp.Expr
    mistake: Mistake
    kind: str = ""  # the wrong rule (`Bug.kind`): the ranking in `diagnose` uses it


Transform = Callable[[sp.Expr], sp.Expr]

# Wrong rules a student tends to apply consistently, tried at every node at once as well; the
# words then speak of every place, not one.
_EVERYWHERE = {
    "chain": "Chain rule: every inner derivative is missing; multiply by the derivative of each "
    "inside.",
    "power_not_lowered": "Power rule, in every power: bring the exponent down, then lower it by "
    "one: (xⁿ)' = n·xⁿ⁻¹.",
    "power_not_down": "Power rule, in every power: the exponent comes down in front as a "
    "factor: (xⁿ)' = n·xⁿ⁻¹.",
    "power_new_exponent": "Power rule, in every power: the factor in front is the original "
    "exponent n, not n − 1: (xⁿ)' = n·xⁿ⁻¹.",
    "power_raised": "Power rule, in every power: lower the exponent by one, not raise it: "
    "(xⁿ)' = n·xⁿ⁻¹.",
    "power_dropped": "Power rule, in every power: the exponent comes down in front and the "
    "power stays, lowered by one: (xⁿ)' = n·xⁿ⁻¹, not n.",
    "constant": "The derivative of a constant is 0: drop the constant terms.",
    "product_both": "The derivative of a product is not the product of the derivatives: "
    "(fg)' = f'g + fg'.",
}
# Tried first: the inner derivative forgotten is the most common slip of all, and the shape it
# gives often coincides with a stranger one (5(5x−4)⁴ for (5x−4)⁵ is also "the exponent not
# brought down, times the inner 5").
_FIRST = frozenset({"chain"})
# Tried last: wrong rules whose result mostly coincides with a likelier slip.
_LAST = frozenset(
    {
        "power_not_lowered",
        "power_not_down",
        "power_dropped",
        "constant_multiple",
        "term_kept",
        "term_sign",
    }
)
# f answered for f is named by these instead when one fits: e^(3x) for e^(3x) lacks the 3,
# 2ˣ for 2ˣ the ln 2; otherwise it is "not differentiated", however the shape may coincide.
_COPY_SLIPS = frozenset({"chain", "exp_no_ln"})
# A diagnosis that takes more CPU time than this gives up (the answer is then just "not
# quite"): its own CPU time (`clock.own_cpu`), so the verdict does not depend on how busy the
# machine or the process is, and well inside the worker's wall-clock limit (MATH_TIMEOUT, 2 s).
BUDGET_S = 0.5


# codes whose words speak of the rule only (f/g, fg, aˣ): they get the node's name in front
_GENERIC = frozenset({"product", "quotient", "exp", "log", "constant_multiple"})


def _where(node: sp.Expr, term: sp.Expr | None, root: sp.Expr, mistake: Mistake) -> Mistake:
    """Say where the slip is: in which part of f (for the rules whose words name no part) or
    which term of a sum, unless the words already name it."""
    text = mistake.explanation
    if mistake.code in _GENERIC and node is not root and node != term:
        name = show(node)
        if name not in text and len(name) <= 40:
            return Mistake(mistake.code, f"In {name}: {text}")
    if term is None:
        return mistake
    name = show(term)
    if name in text or len(name) > 40:
        return mistake
    return Mistake(mistake.code, f"In the term {name}: {text}")


def _places(function: sp.Expr, var: sp.Symbol) -> list[tuple[sp.Expr, sp.Expr | None]]:
    """Every node a rule applies at, outermost first, with the term of the sum it lies in."""
    terms = function.args if function.is_Add else ()
    varying = [t for t in terms if t.has(var)]
    out: list[tuple[sp.Expr, sp.Expr | None]] = []
    if function.is_Add:
        out.append((function, None))
    for term in varying or (function,):
        where = term if len(varying) > 1 else None
        for node in sp.preorder_traversal(term):
            if node.has(var) and node != var:
                out.append((node, where))
    return out


@lru_cache(maxsize=512)
def variants(function: sp.Expr, var: sp.Symbol) -> tuple[Variant, ...]:
    """The classic wrong derivatives of `function`: one wrong rule at one node (outermost
    first), then the same wrong rule at every node where it applies."""
    right = nth(function, var, 1)
    # one variant per (expression, code): a shape two rules give is kept under both codes, so
    # the ranking can pick the likelier one; `differs` remembers which shapes are really wrong
    seen: set[tuple[sp.Expr, str]] = set()
    differs: dict[sp.Expr, bool] = {right: False}
    out: list[Variant] = []
    kinds: dict[str, str] = {}

    def add(found: Found) -> None:
        bug, alt, mistake = found
        try:
            wrong = Differ(var, bug, alt).d(function)
        except (ValueError, TypeError, ZeroDivisionError):
            return
        if (wrong, mistake.code) in seen or wrong.has(sp.nan, sp.zoo):
            return
        seen.add((wrong, mistake.code))
        if wrong not in differs:
            differs[wrong] = compare(right, wrong, var).equal is False
        if differs[wrong]:  # else this wrong rule makes no difference here (inner derivative 1)
            out.append(Variant(wrong, mistake, bug.kind))

    if not function.has(var):
        found = constant_as_variable(function)
        if found is not None:
            add(found)
    for node, where in _places(function, var):
        for bug, alt, mistake in mistakes_at(node, var):
            add((bug, alt, _where(node, where, function, mistake)))
            kinds.setdefault(bug.kind, mistake.code)
    for kind, text in _EVERYWHERE.items():
        if kind in kinds:
            add((Bug(None, kind), None, Mistake(kinds[kind], text)))
    return tuple(out)


def _ranked(found: tuple[Variant, ...], prefer: Collection[str]) -> list[Variant]:
    """The order to try variants in: the missing inner derivative first, then the drilled
    skill's own mistakes (a slip that fits two rules is explained by the rule being practised),
    then the rest as enumerated, the coincidence-prone ones last."""

    def key(item: tuple[int, Variant]) -> tuple[int, int, int, int]:
        i, v = item
        first = 0 if v.kind in _FIRST else 1
        return (first, 0 if v.mistake.code in prefer else 1, int(v.kind in _LAST), i)

    return [v for _, v in sorted(enumerate(found), key=key)]


def diagnose(
    answer: sp.Expr,
    expected: sp.Expr,
    var: sp.Symbol,
    function: sp.Expr | None = None,
    transform: Transform | None = None,
    order: int = 1,
    prefer: Collection[str] = (),
) -> Mistake | None:
    """Name the mistake behind a wrong `answer`, or None when it matches no classic one.

    `transform` turns a derivative into what the question asks for (its value at a point, the
    tangent line); `order` 2 means the question asked for the second derivative; `prefer` are
    the codes of the drilled skill, named first when a slip fits more than one rule.
    """
    t = transform or (lambda d: d)
    deadline = own_cpu() + BUDGET_S

    def same(candidate: sp.Expr) -> bool:
        if own_cpu() > deadline:
            raise _OutOfTime
        try:
            wrong = t(candidate)
            return not apart(wrong, answer, var) and compare(wrong, answer, var).equal is True
        except (ValueError, TypeError, ZeroDivisionError):
            return False

    sign = Mistake("sign", "Your answer has the wrong sign overall; check your minus signs.")
    if function is None:
        return sign if compare(-expected, answer, var).equal is True else None
    # the overall sign is tried first but named last (a specific rule that flips the sign, as
    # cos' = +sin, explains more), so a long search that runs out of time still names it
    try:
        flipped = same(-nth(function, var, order))
    except _OutOfTime:
        return None
    try:
        if order == 1:
            plain = transform is None
            found = _first_order(answer, function, var, same, plain=plain, prefer=prefer)
        else:
            found = _second_order(function, var, same, prefer)
        if found is not None:
            return found
        plain_first = order == 1 and transform is None
        if plain_first and answer.has(var) and _is_antiderivative(answer, function, var):
            return Mistake(
                "integrated", "That is an antiderivative (you integrated); differentiate instead."
            )
        return sign if flipped else None
    except _OutOfTime:
        return sign if flipped else None


class _OutOfTime(Exception):
    """The diagnosis budget is spent."""


Same = Callable[[sp.Expr], bool]


def _first_order(
    answer: sp.Expr,
    function: sp.Expr,
    var: sp.Symbol,
    same: Same,
    *,
    plain: bool,
    prefer: Collection[str],
) -> Mistake | None:
    ranked = _ranked(variants(function, var), prefer)
    if plain and compare(function, answer, var).equal is True:
        # f itself: the student copied it, unless f' = f but for the inner factor (e^(3x))
        if not function.has(var):
            return Mistake("constant", f"{show(function)} is a constant: its derivative is 0.")
        for v in ranked:
            if v.kind in _COPY_SLIPS and same(v.expr):
                return v.mistake
        return Mistake("not_differentiated", "That is the original function; differentiate it.")
    for v in ranked:
        if same(v.expr):
            return v.mistake
    if plain and function.has(var) and same(nth(function, var, 2)):
        return Mistake(
            "order", "That is the second derivative: you differentiated twice; stop after once."
        )
    return None


def _second_order(
    function: sp.Expr, var: sp.Symbol, same: Same, prefer: Collection[str]
) -> Mistake | None:
    first = nth(function, var, 1)
    if same(first):
        return Mistake("order", "That is the first derivative; differentiate once more.")
    # the wrong rule in the first differentiation, the second, or both
    once = _ranked(variants(function, var), prefer)
    for v in once:
        if same(nth(v.expr, var, 1)):
            return v.mistake
    for v in _ranked(variants(first, var), prefer):
        if same(v.expr):
            return v.mistake
    for v in once:
        for w in variants(v.expr, var):
            if w.mistake.code == v.mistake.code and same(w.expr):
                return v.mistake
    return None


def _is_antiderivative(answer: sp.Expr, function: sp.Expr, var: sp.Symbol) -> bool:
    try:
        return compare(function, sp.diff(answer, var), var).equal is True
    except (ValueError, TypeError):
        return False
