"""The classic wrong rules that apply at one node of f, each with its student-facing words.

The order is the order variants are tried in (after the skill's own codes and the missing inner
derivative, see `bot.math.diagnosis.rank`): the first that matches names the mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp

from bot.math.diagnosis.differ import CONFUSED, FAMILY, RIGHT, Bug, U, as_variable, negative_exp
from bot.math.parser import plain


@dataclass(frozen=True)
class Mistake:
    code: str
    explanation: str


Found = tuple[Bug, sp.Expr | None, Mistake]


def show(e: sp.Expr) -> str:
    return plain(e)


def fname(func: type) -> str:
    return {sp.log: "ln"}.get(func, func.__name__)


def is_linear(g: sp.Expr, x: sp.Symbol) -> bool:
    return g.is_polynomial(x) and sp.degree(g, x) == 1


def mistakes_at(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    """Each wrong rule that applies at node `e`, with the explanation."""
    if e.is_Add:
        yield from _constant_term_mistakes(e, x)
        yield from _term_mistakes(e, x)
    if e.is_Mul:
        yield from _mul_mistakes(e, x)
    elif e.is_Pow:
        yield from _pow_mistakes(e, x)
    elif e.func in RIGHT and len(e.args) == 1:
        yield from _function_mistakes(e, x)


def constant_as_variable(c: sp.Expr) -> Found | None:
    """π² → 2π: the constant `c` (a term of f, or f itself) differentiated like a variable."""
    wrong = as_variable(c)
    if wrong == 0:
        return None
    text = f"{show(c)} is a constant, so its derivative is 0, not {show(wrong)}."
    return Bug(c, "constant_as_var"), None, Mistake("constant", text)


def _constant_term_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    consts = [t for t in e.args if not t.has(x)]
    if not consts:
        return
    c = sp.Add(*consts)
    yield (
        Bug(e, "constant"),
        None,
        Mistake("constant", f"The derivative of a constant is 0, so the {show(c)} must go."),
    )
    for term in consts:
        found = constant_as_variable(term)
        if found is not None:
            yield found


def _term_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    """One term of a sum copied undifferentiated, or its derivative's sign lost."""
    for t in e.args:
        if not t.has(x):
            continue
        right = show(sp.diff(t, x))
        kept = f"The term {show(t)} is copied, not differentiated: its derivative is {right}."
        yield Bug(t, "term_kept"), None, Mistake("not_differentiated", kept)
        sign = f"The derivative of the term {show(t)} is {right}: check its sign."
        yield Bug(t, "term_sign"), None, Mistake("sign", sign)


def inner_only_bug(e: sp.Expr, inner: sp.Expr, x: sp.Symbol) -> Found:
    """g'(x) alone for f(g(x)): only the inside differentiated."""
    text = (
        f"Chain rule: (f(g))' = f'(g)·g'; you kept only the inner derivative "
        f"({show(inner)})' = {show(sp.diff(inner, x))}; multiply it by the outer derivative."
    )
    return Bug(e, "inner_only"), None, Mistake("chain", text)


def _mul_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    const = sp.Mul(*(f for f in e.args if not f.has(x)))
    rest = sp.Mul(*(f for f in e.args if f.has(x)))
    if const != 1:
        yield from _constant_factor_mistakes(e, const, rest)
        if rest.is_Mul:  # c·f·g or c·f/g: the product or quotient inside can go wrong too
            yield from mistakes_at(rest, x)
        return
    den = [f for f in e.args if f.is_Pow and f.args[1].is_negative and f.args[1].is_number]
    if den and len(den) < len(e.args):
        yield from _quotient_mistakes(e)
    elif not den:
        if any(negative_exp(f) for f in e.args):  # x²/eˣ: shown as a quotient
            yield from _quotient_mistakes(e)
        yield from _product_mistakes(e, x)


def _constant_factor_mistakes(e: sp.Expr, const: sp.Expr, rest: sp.Expr) -> Iterator[Found]:
    if const.has(sp.log) and rest.func is sp.log:
        yield (
            Bug(e, "log_base_upside"),
            None,
            Mistake("log", "d/dx logₐ(x) = 1/(x·ln a): ln a goes under x, not over it."),
        )
        yield (
            Bug(e, "log_base"),
            None,
            Mistake("log", "d/dx logₐ(x) = 1/(x·ln a): the factor 1/ln a of the base is missing."),
        )
        yield (
            Bug(e, "log_base_number"),
            None,
            Mistake("log", "d/dx logₐ(x) = 1/(x·ln a): divide by ln a, not by the base a."),
        )
    elif const not in (-1,):
        yield (
            Bug(e, "constant_multiple"),
            None,
            Mistake(
                "constant_multiple",
                f"A constant factor stays when you differentiate: keep the {show(const)}.",
            ),
        )
    wrong = as_variable(const)
    if wrong != 0:
        text = (
            f"{show(const)} is a constant factor: keep it, and give it no derivative of its own "
            f"(not {show(wrong)}): (c·f)' = c·f'."
        )
        yield Bug(e, "constant_factor_as_var"), None, Mistake("constant", text)


def _quotient_mistakes(e: sp.Expr) -> Iterator[Found]:
    for kind, text in (
        (
            "quotient_sign",
            "The quotient rule's numerator is f'g − fg', in that order; yours is reversed.",
        ),
        (
            "quotient_square",
            "In the quotient rule the denominator is squared: (f/g)' = (f'g − fg')/g².",
        ),
        ("quotient_ratio", "The derivative of f/g is not f'/g'; use (f'g − fg')/g²."),
        ("quotient_plus", "The quotient rule's numerator is a difference, f'g − fg', not a sum."),
    ):
        yield Bug(e, kind), None, Mistake("quotient", text)


def _product_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    yield (
        Bug(e, "product_both"),
        None,
        Mistake(
            "product",
            "The derivative of a product is not the product of the derivatives: (fg)' = f'g + fg'.",
        ),
    )
    factors = e.args
    terms = [
        sp.Mul(*(sp.diff(f, x) if i == j else f for i, f in enumerate(factors)))
        for j in range(len(factors))
    ]
    for kind, missing in (("product_first", terms[1:]), ("product_last", terms[:-1])):
        term = show(sp.Add(*missing))
        text = f"The product rule, (fg)' = f'g + fg', has two terms; {term} is missing."
        yield Bug(e, kind), None, Mistake("product", text)
    for kind, added in (("product_minus", terms[-1]), ("product_minus_last", terms[0])):
        text = f"The product rule adds its terms: (fg)' = f'g + fg'; {show(added)} is added."
        yield Bug(e, kind), None, Mistake("product", text)


def _pow_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    b, n = e.args
    if not n.has(x):
        yield from _power_rule_mistakes(e, b, n, x)
    elif not b.has(x):
        yield from _exponential_mistakes(e, b, n, x)
    else:
        yield (
            Bug(e, "power"),
            None,
            Mistake(
                "power",
                "The exponent depends on x too, so the power rule does not apply; "
                "use logarithmic differentiation.",
            ),
        )
        yield (
            Bug(e, "exp"),
            None,
            Mistake(
                "exp",
                "The base depends on x too, so aˣ·ln a does not apply; "
                "use logarithmic differentiation.",
            ),
        )


def _power_rule_mistakes(e: sp.Expr, b: sp.Expr, n: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    if b != x:
        yield chain_bug(e, b, x, "chain")
        yield _outer_at_x_bug(e, b, x, "chain")
        yield _outer_at_inner_derivative_bug(e, b, x)
        yield inner_only_bug(e, b, x)
    if n.is_number and n.is_negative:
        yield _reciprocal_bug(e, b, n, x)
    on = f"Power rule on {show(e)}: "
    lower = show(n - 1)
    for kind, text in (
        ("power_not_lowered", f"bring the exponent down, then lower it by one, to {lower}."),
        ("power_not_down", f"the exponent {show(n)} comes down in front as a factor."),
        ("power_new_exponent", "the factor in front is the original exponent n, not n − 1."),
        ("power_raised", f"lower the exponent by one, to {lower}, not raise it to {show(n + 1)}."),
    ):
        yield Bug(e, kind), None, Mistake("power", on + text)
    if n != 1:
        inner = sp.diff(b, x)  # 1 for a power of x itself
        right, kept = show(n * b ** (n - 1) * inner), show(n * inner)
        text = f"the exponent comes down in front and the power stays, lowered by one: {right}, "
        text += f"not just {kept}."
        yield Bug(e, "power_dropped"), None, Mistake("power", on + text)
    wrong = [("power_flipped", 1 - n)] if n not in (0, 1) else []
    if n.is_number and not n.is_integer:
        wrong.append(("power_negated", -n))
    for kind, m in wrong:
        text = f"the new exponent is {show(n)} − 1 = {lower}, not {show(m)}."
        yield Bug(e, kind), None, Mistake("power", on + text)


def _reciprocal_bug(e: sp.Expr, b: sp.Expr, n: sp.Expr, x: sp.Symbol) -> Found:
    """1/g → 1/g′: only the denominator differentiated (1/x² → 1/(2x))."""
    g = b ** (-n)
    if b == x:
        text = f"1/{show(g)} is not differentiated as 1/({show(g)})': write it as {show(e)} and "
        text += f"use the power rule, to {show(n * b ** (n - 1))}."
        return Bug(e, "reciprocal"), None, Mistake("power", text)
    text = f"(1/g)' = −g'/g², not 1/g': here g = {show(g)}."
    return Bug(e, "reciprocal"), None, Mistake("quotient", text)


def _exponential_mistakes(e: sp.Expr, b: sp.Expr, n: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    yield (
        Bug(e, "exp_power"),
        None,
        Mistake(
            "exp",
            f"{show(b)}^x is an exponential, not a power: (aˣ)' = aˣ·ln a, not x·aˣ⁻¹.",
        ),
    )
    yield Bug(e, "exp_power_bare"), None, Mistake("exp", _exp_power_text(e, n))
    yield (
        Bug(e, "exp_no_ln"),
        None,
        Mistake("exp", f"(aˣ)' = aˣ·ln a: the factor ln({show(b)}) is missing."),
    )
    yield (
        Bug(e, "exp_ln_divided"),
        None,
        Mistake("exp", f"(aˣ)' = aˣ·ln a: multiply by ln({show(b)}), do not divide by it."),
    )
    if n != x:
        yield chain_bug(e, n, x, "chain")
        yield inner_only_bug(e, n, x)


def _exp_power_text(e: sp.Expr, n: sp.Expr) -> str:
    return (
        f"{show(e)} is an exponential, not a power: the power rule does not apply, "
        f"so no {show(n)} comes down and the exponent stays {show(n)}."
    )


def _function_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    (g,) = e.args
    name = fname(e.func)
    family = FAMILY.get(e.func)
    if g != x:
        # e^(3x) for e^(3x): the inner derivative forgotten, a chain slip (the words still give
        # e^(kx)'s rule); 1/u for ln(u) is the log rule half-remembered (d/du ln u = u'/u)
        yield chain_bug(e, g, x, "log" if e.func is sp.log else "chain")
        yield _outer_at_x_bug(e, g, x, "log" if e.func is sp.log else "chain")
        if not is_linear(g, x):
            yield _outer_at_inner_derivative_bug(e, g, x)
        yield inner_only_bug(e, g, x)
    if family:
        right = show(RIGHT[e.func].subs(U, sp.Symbol("u")))
        at = f" in {show(e)}" if g != x else ""
        text = f"Check the derivative of {name}{at}: d/du {name}(u) = {right}."
        for wrong in (-RIGHT[e.func], *CONFUSED.get(e.func, ())):
            yield Bug(e, "family"), wrong, Mistake(family, text)
    if e.func is sp.exp:
        for kind in ("exp_power", "exp_power_bare"):
            yield Bug(e, kind), None, Mistake("exp", _exp_power_text(e, g))
    if e.func is sp.log:
        yield Bug(e, "log_recip"), None, Mistake("log", "d/dx ln(x) = 1/x, not 1/ln(x).")


def chain_bug(e: sp.Expr, inner: sp.Expr, x: sp.Symbol, code: str) -> Found:
    """The inner derivative forgotten: f'(g(x)) for f(g(x))."""
    d_inner = show(sp.diff(inner, x))
    if e.func is sp.exp and is_linear(inner, x):
        text = (
            f"Chain rule: d/dx e^(kx) = k·e^(kx), so the factor {d_inner} from the exponent "
            "is missing."
        )
    elif e.func is sp.log:
        text = f"d/dx ln(u) = u'/u: multiply by the inner derivative ({show(inner)})' = {d_inner}."
    else:
        text = (
            f"Chain rule: the derivative of the inside, ({show(inner)})' = {d_inner}, is missing."
        )
    return Bug(e, "chain"), None, Mistake(code, text)


def _outer_at_x_bug(e: sp.Expr, inner: sp.Expr, x: sp.Symbol, code: str) -> Found:
    """f'(x)·g'(x) for f(g(x)): the outer derivative taken at x instead of at the inside."""
    if code == "log":
        text = f"d/dx ln(u) = u'/u: divide by the inside, {show(inner)}, not by {x}."
    else:
        text = (
            f"Chain rule: evaluate the outer derivative at the inside, {show(inner)}, "
            f"not at {x}: f'(g(x))·g'(x)."
        )
    return Bug(e, "outer_at_x"), None, Mistake(code, text)


def _outer_at_inner_derivative_bug(e: sp.Expr, inner: sp.Expr, x: sp.Symbol) -> Found:
    """f'(g'(x)) for f(g(x)): the chain rule applied to the inner derivative instead."""
    d_inner = show(sp.diff(inner, x))
    text = (
        f"Chain rule: take the outer derivative at the inside, {show(inner)}, not at its "
        f"derivative {d_inner}, then multiply by {d_inner}."
    )
    return Bug(e, "outer_at_inner_derivative"), None, Mistake("chain", text)
