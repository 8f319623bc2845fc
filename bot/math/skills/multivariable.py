"""Functions of x and y, and the questions asked of them: a partial derivative, the gradient
(at level 3, at a point).

Level 1 draws polynomials, level 2 products of a power and an exp or trig function of the other
(or the same) variable, level 3 an exp, log, trig or power of an inner function of both.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from bot.math.equivalence import compare_many
from bot.math.rules import Step, derive, expr_latex, expr_text, rule_steps
from bot.math.skills.kinds import finite_real
from bot.math.skills.kinds_multi import LADDERS, Drawn
from bot.math.skills.pieces import Rng, coef

__all__ = ["XY", "gradient_l", "ladder_gradient", "ladder_partial", "partial_l", "two_vars"]

X, Y = sympy.symbols("x y")
XY = (X, Y)
_NAMES = ("x", "y")


def _monomial(r: Rng) -> sympy.Expr:
    a, b = r.randint(0, 3), r.randint(0, 3)
    if a + b == 0:
        a = 1
    return coef(r, 7) * X**a * Y**b


def _poly(r: Rng) -> sympy.Expr:
    """Two or three terms, one of them in both x and y."""
    terms = [coef(r, 6) * X ** r.randint(1, 3) * Y ** r.randint(1, 3)]
    terms += [_monomial(r) for _ in range(r.randint(1, 2))]
    return sympy.Add(*terms)


def _product(r: Rng) -> sympy.Expr:
    k = r.choice((1, 2, 3, -1, -2))
    a, b = r.randint(1, 3), r.randint(1, 2)
    return coef(r, 5) * r.choice(
        (
            X**a * sympy.sin(k * Y),
            X**a * sympy.cos(k * Y),
            Y**b * sympy.exp(k * X),
            X**a * Y**b * sympy.exp(k * Y),
            X**a * sympy.exp(k * X * Y),
            Y**b * sympy.ln(X),
        )
    )


def _composite(r: Rng) -> sympy.Expr:
    a, b = r.randint(1, 2), r.randint(1, 2)
    c = r.randint(1, 4)
    inner = r.choice((X**a * Y**b, c * X * Y, X**2 + c * Y, X + c * Y**2))
    positive = X**2 + c * Y**2 + r.randint(0, 3)
    return r.choice(
        (
            sympy.exp(inner),
            sympy.sin(inner),
            sympy.cos(inner),
            sympy.ln(positive),
            inner ** r.randint(2, 4),
            sympy.sqrt(positive),
        )
    )


def two_vars(level: int) -> Callable[[Rng], sympy.Expr]:
    """f(x, y) at `level`, in both variables."""
    return {1: _poly, 2: _product, 3: _composite}[level]


def _partials(f: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """∂f/∂x and ∂f/∂y when both are worth asking (neither 0, f uses both variables)."""
    if not (f.has(X) and f.has(Y)) or f.has(sympy.zoo, sympy.nan, sympy.I):
        return None
    ds = (sympy.diff(f, X), sympy.diff(f, Y))
    for d in ds:
        if d == 0 or compare_many(d, sympy.Integer(0), XY).equal is not False:
            return None
    return ds


def d_text(v: sympy.Symbol, name: str = "f") -> str:
    return f"∂{name}/∂{v}"


def d_latex(v: sympy.Symbol, name: str = "f") -> str:
    return r"\frac{\partial " + name + r"}{\partial " + str(v) + "}"


def _partial_steps(f: sympy.Expr, v: sympy.Symbol, d: sympy.Expr, budget: int = 6) -> list[Step]:
    other = Y if v == X else X
    hold = Step(
        "partial",
        f"Hold {other} constant",
        r"\mathrm{treat}\ " + f"{other}" + r"\ \mathrm{as\ a\ constant}",
        f"Differentiate with respect to {v}, treating {other} as a constant.",
    )
    result = Step(
        "result",
        "Result",
        f"{d_latex(v)} = {expr_latex(d)}",
        f"Result: {d_text(v)} = {expr_text(d)}",
    )
    return [hold, *rule_steps(derive(f, v), v, budget=budget), result]


def partial_l(level: int) -> Callable[[Rng], Drawn | None]:
    def build(r: Rng) -> Drawn | None:
        f = two_vars(level)(r)
        v = r.choice(XY)
        ds = _partials(f)
        if ds is None:
            return None
        d = ds[XY.index(v)]
        return Drawn(
            function=f,
            answer=d,
            vars=_NAMES,
            prompt=f"Find {d_text(v)} for f(x, y) = {expr_text(f)}",
            prompt_latex=d_latex(v) + r"\ \mathrm{for}\ f(x, y) = " + expr_latex(f),
            steps=tuple(_partial_steps(f, v, d)),
            tree_var=v,
            extra=(("respect_to", str(v)),),
        )

    return build


_POINTS = ((1, 0), (0, 1), (1, 1), (1, -1), (-1, 1), (2, 1), (1, 2), (2, 0), (0, 2), (-1, 2))


def _pick_point(
    r: Rng, f: sympy.Expr, grad: tuple[sympy.Expr, ...]
) -> tuple[tuple[int, int], tuple[sympy.Expr, ...]] | None:
    """A point where f and ∇f are finite and ∇f is not the zero vector, with short values."""
    valid = []
    for p in _POINTS:
        at = {X: p[0], Y: p[1]}
        if not finite_real(f.subs(at)):
            continue
        values = tuple(sympy.simplify(g.subs(at)) for g in grad)
        if not all(finite_real(v) for v in values) or all(v == 0 for v in values):
            continue
        valid.append((sum(len(str(v)) for v in values), p, values))
    if not valid:
        return None
    best = min(score for score, _, _ in valid)
    _, p, values = r.choice([v for v in valid if v[0] <= best + 3])
    return p, values


def _gradient_steps(f: sympy.Expr, grad: tuple[sympy.Expr, ...]) -> list[Step]:
    out: list[Step] = []
    for v, d in zip(XY, grad, strict=True):
        out += _partial_steps(f, v, d, budget=3)
    out.append(
        Step(
            "gradient",
            "The gradient",
            r"\nabla f = \left(" + ", ".join(expr_latex(d) for d in grad) + r"\right)",
            "∇f = (" + ", ".join(expr_text(d) for d in grad) + ")",
        )
    )
    return out


def gradient_l(level: int) -> Callable[[Rng], Drawn | None]:
    def build(r: Rng) -> Drawn | None:
        f = two_vars(level)(r)
        grad = _partials(f)
        if grad is None:
            return None
        steps = _gradient_steps(f, grad)
        extra: tuple[tuple[str, object], ...] = (("gradient", [str(g) for g in grad]),)
        if level < 3:
            return Drawn(
                function=f,
                answer=sympy.Tuple(*grad),
                vars=_NAMES,
                prompt=f"Find the gradient ∇f of f(x, y) = {expr_text(f)}",
                prompt_latex=r"\nabla f\ \mathrm{for}\ f(x, y) = " + expr_latex(f),
                steps=tuple(steps),
                tree_var=X,
                extra=extra,
            )
        picked = _pick_point(r, f, grad)
        if picked is None:
            return None
        (a, b), values = picked
        steps.append(
            Step(
                "evaluate",
                "Evaluate at the point",
                r"\nabla f"
                + f"({a}, {b}) = "
                + r"\left("
                + ", ".join(map(expr_latex, values))
                + r"\right)",
                f"∇f({a}, {b}) = (" + ", ".join(map(expr_text, values)) + ")",
            )
        )
        return Drawn(
            function=f,
            answer=sympy.Tuple(*values),
            vars=_NAMES,
            prompt=f"Find the gradient ∇f({a}, {b}) of f(x, y) = {expr_text(f)} at ({a}, {b})",
            prompt_latex=r"\nabla f"
            + f"({a}, {b})"
            + r"\ \mathrm{for}\ f(x, y) = "
            + expr_latex(f),
            steps=tuple(steps),
            tree_var=X,
            point=sympy.Tuple(a, b),
            extra=(*extra, ("at", [str(a), str(b)])),
        )

    return build


def ladder_partial(problem: object) -> list[tuple[str, str]]:
    """Hold the other variable, name the outer rule, then the derivative of each piece."""
    from bot.math.problem import Problem

    assert isinstance(problem, Problem)
    v = sympy.Symbol(str(problem.extra["respect_to"]))
    other = Y if v == X else X
    rungs = [
        (
            f"Treat {other} as a constant number: only {v} varies.",
            r"\mathrm{hold}\ " + f"{other}" + r"\ \mathrm{constant}",
        )
    ]
    return rungs + _rule_rungs(problem.function, v)


def _rule_rungs(f: sympy.Expr, v: sympy.Symbol) -> list[tuple[str, str]]:
    tree = derive(f, v)
    names = {
        "sum": "the sum rule: differentiate term by term",
        "product": "the product rule",
        "chain": "the chain rule: the outer function's derivative times the inner's",
        "constant_multiple": "the constant multiple rule: a factor without "
        + str(v)
        + " stays as it is",
        "power": "the power rule",
    }
    rule = names.get(tree.rule, f"the {tree.rule.replace('_', ' ')} rule")
    return [(f"With respect to {v}, start with {rule}.", r"\mathrm{" + tree.rule + "}")]


def ladder_gradient(problem: object) -> list[tuple[str, str]]:
    """One partial derivative per variable, then put them in order."""
    from bot.math.problem import Problem

    assert isinstance(problem, Problem)
    rungs = [
        (
            "The gradient is the vector of partial derivatives (∂f/∂x, ∂f/∂y).",
            r"\nabla f = \left(\frac{\partial f}{\partial x}, \frac{\partial f}{\partial y}\right)",
        )
    ]
    rungs += _rule_rungs(problem.function, X)
    if problem.point is not None:
        rungs.append(
            (
                "Find both partial derivatives first, then put in the point.",
                r"\mathrm{then\ evaluate\ at\ the\ point}",
            )
        )
    return rungs


LADDERS["partial"] = ladder_partial
LADDERS["gradient"] = ladder_gradient
