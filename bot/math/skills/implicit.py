"""Three skills around the derivative itself: implicit differentiation of a curve F(x, y) = c,
the derivative from its limit definition (the difference quotient, then its limit), and
derivatives beyond the second (f''' and f⁽⁴⁾).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from bot.math.problem import Part
from bot.math.rules import Step, expr_latex, expr_text
from bot.math.skills.kinds_multi import LADDERS, Drawn
from bot.math.skills.pieces import Rng, coef, nonzero

__all__ = ["implicit_l", "limit_definition_l", "nth_derivative_l"]

X, Y, H = sympy.symbols("x y h")


# --------------------------------------------------------------------------- implicit


def _curve(level: int, r: Rng) -> tuple[sympy.Expr, int]:
    """F(x, y) and c of a curve F = c."""
    a, b = r.randint(1, 4), r.randint(1, 4)
    if level == 1:
        f = r.choice((a * X**2 + b * Y**2, X**2 - b * Y**2, a * X * Y, X**2 + a * X * Y + Y**2))
        return f, r.randint(2, 30)
    if level == 2:
        f = r.choice(
            (
                X**3 + Y**3 - a * X * Y,
                X**2 * Y + b * Y**3,
                X * Y**2 + a * X**2,
                Y**3 + a * X**2 * Y - b * X,
            )
        )
        return f, r.randint(1, 20)
    f = r.choice(
        (
            sympy.exp(X * Y) - a * X,
            sympy.sin(X * Y) + b * Y,
            sympy.log(Y) + a * X * Y,
            X**2 + sympy.sin(Y) + a * Y,
            sympy.exp(Y) + a * X**2 * Y,
        )
    )
    return f, r.randint(1, 9)


def implicit_l(level: int) -> Callable[[Rng], Drawn | None]:
    def build(r: Rng) -> Drawn | None:
        f, c = _curve(level, r)
        fx, fy = sympy.diff(f, X), sympy.diff(f, Y)
        if fx == 0 or fy == 0:
            return None
        answer = sympy.cancel(-fx / fy) if level < 3 else sympy.simplify(-fx / fy)
        if not answer.free_symbols:
            return None  # a line in disguise ((x + y)² = c): nothing implicit to do
        eq_t, eq_l = f"{expr_text(f)} = {c}", f"{expr_latex(f)} = {c}"
        y_p = "y'"
        steps = (
            Step(
                "implicit",
                "Differentiate both sides with respect to x",
                r"\frac{d}{dx}\left(" + expr_latex(f) + r"\right) = 0",
                f"Differentiate both sides in x, with y a function of x: d/dx ({expr_text(f)}) = 0",
            ),
            Step(
                "implicit",
                "Chain rule on the y terms",
                expr_latex(fx) + " + " + r"\left(" + expr_latex(fy) + r"\right) y' = 0",
                f"{expr_text(fx)} + ({expr_text(fy)})·{y_p} = 0",
            ),
            Step(
                "result",
                "Solve for dy/dx",
                r"\frac{dy}{dx} = " + expr_latex(answer),
                f"dy/dx = {expr_text(answer)}",
            ),
        )
        return Drawn(
            function=f,
            answer=answer,
            vars=("x", "y"),
            prompt=f"Find dy/dx for the curve {eq_t}, in terms of x and y",
            prompt_latex=r"\frac{dy}{dx}\ \mathrm{for}\ " + eq_l,
            steps=steps,
            tree_var=X,
            extra=(("equation", eq_t),),
        )

    return build


def ladder_implicit(problem: object) -> list[tuple[str, str]]:
    """y depends on x; the chain rule on y terms; collect y' and solve."""
    return [
        (
            "Differentiate both sides with respect to x; y is a function of x.",
            r"\frac{d}{dx}\,\mathrm{both\ sides}",
        ),
        (
            "Every y term gets a factor y' from the chain rule, e.g. d/dx y² = 2y·y'.",
            r"\frac{d}{dx} y^{2} = 2 y y'",
        ),
        ("Collect the y' terms on one side and divide.", r"y' = \ldots"),
    ]


# --------------------------------------------------------------------------- limit definition


def _limit_function(level: int, r: Rng) -> sympy.Expr:
    if level == 1:
        return coef(r, 5) * X**2 + nonzero(r, -6, 6) * X + r.randint(-5, 5)
    if level == 2:
        return r.choice((X**3 + coef(r, 4) * X, coef(r, 4) * X**3, X**3 - coef(r, 5) * X**2))
    k = r.randint(1, 4)
    return r.choice((k / X, 1 / (X + k), sympy.sqrt(X), k / X**2))


def limit_definition_l(level: int) -> Callable[[Rng], Drawn | None]:
    def build(r: Rng) -> Drawn | None:
        f = _limit_function(level, r)
        points = (1, 2, 4, 9) if f.has(sympy.sqrt(X)) else (1, 2, -1, 3, -2)
        a = sympy.Integer(r.choice(points))
        fa = f.subs(X, a)
        if fa.has(sympy.zoo, sympy.nan) or (f.subs(X, a + H) - fa) == 0:
            return None
        quotient = sympy.factor(sympy.cancel((f.subs(X, a + H) - fa) / H))
        if level == 3:
            quotient = sympy.simplify(sympy.radsimp(quotient)) if f.has(sympy.sqrt(X)) else quotient
        slope = sympy.limit(quotient, H, 0)
        if slope == 0 or not slope.is_finite:
            return None
        f_t, a_t = expr_text(f), expr_text(a)
        dq_t = f"(f({a_t} + h) − f({a_t}))/h"
        dq_l = r"\frac{f(" + a_t + r" + h) - f(" + a_t + ")}{h}"
        parts = (
            Part(f"Simplify the difference quotient {dq_t}", dq_l, quotient, ("h",)),
            Part(f"f'({a_t}) = the limit of it as h → 0", r"\lim_{h \to 0}" + dq_l, slope, ("h",)),
        )
        steps = (
            Step(
                "limit",
                "The difference quotient",
                dq_l + " = " + expr_latex(quotient),
                f"{dq_t} = {expr_text(quotient)} (simplified: h cancelled)",
            ),
            Step(
                "limit",
                "Let h → 0",
                f"f'({a_t}) = " + r"\lim_{h \to 0} " + f"{expr_latex(quotient)} = "
                + expr_latex(slope),
                f"f'({a_t}) = lim h→0 of {expr_text(quotient)} = {expr_text(slope)}",
            ),
        )  # fmt: skip
        return Drawn(
            function=f,
            answer=slope,
            vars=("x", "h"),
            prompt=f"From the limit definition, for f(x) = {f_t} at x = {a_t}: "
            "first the difference quotient simplified, then its limit f'(a).",
            prompt_latex=r"f'(" + a_t + r") = \lim_{h \to 0}" + dq_l + r",\ f(x) = "
            + expr_latex(f),
            steps=steps,
            tree_var=X,
            point=a,
            parts=parts,
            extra=(("defined_at_zero", [0]),),
        )  # fmt: skip

    return build


def ladder_limit(problem: object) -> list[tuple[str, str]]:
    """Expand f(a + h), cancel h, then let h → 0."""
    return [
        ("Write out f(a + h) and f(a) with the numbers in.", r"f(a + h) - f(a)"),
        (
            "Expand (or combine fractions, or multiply by the conjugate) so that every term has "
            "a factor h, then cancel it.",
            r"\frac{h \cdot (\ldots)}{h}",
        ),
        ("Only then put h = 0 into what is left.", r"\lim_{h \to 0}"),
    ]


# --------------------------------------------------------------------------- third and fourth


def _nth_function(level: int, r: Rng) -> tuple[sympy.Expr, int]:
    k = nonzero(r, -3, 3)
    if level == 1:
        n = r.randint(4, 6)
        return coef(r, 5) * X**n + coef(r, 6) * X**3 + nonzero(r, -9, 9) * X**2, 3
    if level == 2:
        return (
            r.choice((sympy.sin(k * X), sympy.cos(k * X), sympy.exp(k * X), sympy.log(X), 1 / X))
            * coef(r, 4),
            3,
        )
    j, c = r.choice((1, 2, -1)), coef(r, 3)
    return c * r.choice(
        (
            X * sympy.exp(k * X),
            X * sympy.sin(k * X),
            X * sympy.cos(k * X),
            sympy.exp(j * X) * sympy.cos(k * X),
            sympy.exp(j * X) * sympy.sin(k * X),
            X**2 * sympy.log(X),
        )
    ), 4


_PRIMES = {3: "f'''", 4: "f⁽⁴⁾"}


def nth_derivative_l(level: int) -> Callable[[Rng], Drawn | None]:
    def build(r: Rng) -> Drawn | None:
        f, n = _nth_function(level, r)
        derivatives = [f]
        for _ in range(n):
            derivatives.append(sympy.simplify(sympy.diff(derivatives[-1], X)))
        answer = derivatives[-1]
        if answer == 0 or sympy.count_ops(answer) > 40:
            return None
        steps = tuple(
            Step(
                "derivative" if k < n else "result",
                f"Derivative {k}",
                f"f^{{({k})}}(x) = {expr_latex(d)}",
                f"f^({k})(x) = {expr_text(d)}",
            )
            for k, d in enumerate(derivatives[1:], 1)
        )
        name = _PRIMES[n]
        return Drawn(
            function=f,
            answer=answer,
            vars=("x",),
            prompt=f"Find the derivative of order {n}, {name}(x), of f(x) = {expr_text(f)}",
            prompt_latex=r"\frac{d^{" + str(n) + "}}{dx^{" + str(n) + r"}}\left("
            + expr_latex(f) + r"\right)",
            steps=steps,
            tree_var=X,
            extra=(("order", n),),
        )  # fmt: skip

    return build


def ladder_nth(problem: object) -> list[tuple[str, str]]:
    """One derivative at a time, tidying each before the next."""
    return [
        (
            "Differentiate once, then differentiate the result again, and so on.",
            r"f \to f' \to f''",
        ),
        (
            "Tidy each derivative (expand, collect) before differentiating it again.",
            r"f'' = \ldots",
        ),
        ("Count: the order is how many times you differentiate.", r"f^{(n)}"),
    ]


LADDERS["implicit"] = ladder_implicit
LADDERS["limit_definition"] = ladder_limit
LADDERS["nth_derivative"] = ladder_nth
