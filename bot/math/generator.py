"""Problem generation: deterministic, varied, never-degenerate derivative exercises per skill.

A problem is fully determined by (skill, level, seed) so a stored attempt can be regenerated
instead of saved, and two students with the same seed see the same exercise.  Level 1 practises
one rule, level 2 adds a power or chain of a simple inner function, level 3 composes two or
three rules.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from bot.math.equivalence import compare
from bot.math.rules import (
    RuleNode,
    Step,
    bracket,
    derive,
    expr_latex,
    expr_text,
    frac,
    iter_nodes,
    paren,
    result_step,
    rule_steps,
    rules_used,
    steps,
)

__all__ = ["SKILLS", "Problem", "Skill", "generate"]

X = sympy.Symbol("x")
W = sympy.Symbol("w")
PI = sympy.pi
R = sympy.Rational


@dataclass(frozen=True)
class Skill:
    """A practisable topic; `target_seconds` is a good answer time at level 1 (for 'fast')."""

    name: str
    levels: int
    description: str
    target_seconds: int


SKILLS: dict[str, Skill] = {
    s.name: s
    for s in (
        Skill("power", 3, "Power rule: x^n, roots and negative powers", 30),
        Skill("sum", 3, "Sum and constant-multiple rules", 45),
        Skill("product", 3, "Product rule", 60),
        Skill("quotient", 3, "Quotient rule", 75),
        Skill("chain", 3, "Chain rule", 60),
        Skill("trig", 3, "Derivatives of the six trig functions", 45),
        Skill("exp", 3, "Exponentials e^(kx) and a^x", 45),
        Skill("log", 3, "Logarithms: ln, log base b, ln of an inner function", 45),
        Skill("inverse_trig", 3, "Inverse trig functions", 60),
        Skill("hyperbolic", 3, "Hyperbolic functions", 60),
        Skill("log_diff", 3, "Logarithmic differentiation of f(x)^g(x)", 120),
        Skill("higher_order", 3, "Second derivatives", 120),
        Skill("at_point", 3, "The derivative's value at a point", 90),
        Skill("tangent_line", 3, "Tangent line at a point", 150),
        Skill("ml", 3, "Machine learning: activations and losses in one weight", 120),
    )
}


@dataclass(frozen=True)
class Problem:
    """One exercise with its answer and worked solution; `derivative` is always sympy.diff."""

    skill: str
    level: int
    seed: int
    var: str
    function: sympy.Expr
    derivative: sympy.Expr
    answer: sympy.Expr
    answer_kind: str
    point: sympy.Expr | None
    prompt: str
    prompt_latex: str
    rule_tree: RuleNode
    steps: tuple[Step, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able dict; expressions as sympy str() so they can be rebuilt by a parser."""
        return {
            "skill": self.skill,
            "level": self.level,
            "seed": self.seed,
            "var": self.var,
            "function": str(self.function),
            "derivative": str(self.derivative),
            "answer": str(self.answer),
            "answer_kind": self.answer_kind,
            "point": None if self.point is None else str(self.point),
            "prompt": self.prompt,
            "latex": self.prompt_latex,
            "steps": [
                {"rule": s.rule, "title": s.title, "latex": s.latex, "text": s.text}
                for s in self.steps
            ],
        }


# --------------------------------------------------------------------------- random pieces

Rng = random.Random
Builder = Callable[[Rng], sympy.Expr]

TRIG = (sympy.sin, sympy.cos, sympy.tan, sympy.sec, sympy.csc, sympy.cot)
HYP = (sympy.sinh, sympy.cosh, sympy.tanh, sympy.sech, sympy.csch, sympy.coth)
INV = (sympy.asin, sympy.acos, sympy.atan)
INV3 = (sympy.acot, sympy.asec, sympy.acsc)
BASES = (2, 3, 5, 10)


def _coef(r: Rng, hi: int = 9, neg: float = 0.3) -> int:
    """A nonzero small integer, negative now and then."""
    c = r.randint(1, hi)
    return -c if r.random() < neg else c


def _coef1(r: Rng, hi: int = 9) -> int:
    """A coefficient that is often 1, so plain f(x) shows up too."""
    return 1 if r.random() < 0.35 else _coef(r, hi)


def _nz(r: Rng, lo: int, hi: int) -> int:
    return r.choice([k for k in range(lo, hi + 1) if k != 0])


def _k(r: Rng, hi: int = 5) -> int:
    """An inner slope other than 0 and 1."""
    return r.choice([k for k in range(-hi, hi + 1) if k not in (0, 1)])


def _linear(r: Rng, x: sympy.Symbol, positive: bool = False) -> sympy.Expr:
    a = r.randint(1, 5) if positive else _coef(r, 5)
    b = r.randint(1, 9) if positive else _nz(r, -9, 9)
    return a * x + b


def _quadratic(r: Rng, x: sympy.Symbol, positive: bool = False) -> sympy.Expr:
    """A small quadratic; `positive` keeps it > 0 for every real x (for ln, sqrt)."""
    if positive:
        return r.randint(1, 3) * x**2 + r.randint(1, 9)
    form = r.randrange(3)
    if form == 0:
        return _coef(r, 4) * x**2 + _nz(r, -9, 9)
    if form == 1:
        return x**2 + _nz(r, -6, 6) * x + _nz(r, -9, 9)
    return _coef(r, 4) * x**2 + _nz(r, -6, 6) * x


def _poly_inner(r: Rng, x: sympy.Symbol, positive: bool = False) -> sympy.Expr:
    form = r.randrange(3)
    if form == 0:
        return _linear(r, x, positive)
    if form == 1:
        return _quadratic(r, x, positive)
    if positive:
        return x**4 + r.randint(1, 9) if r.random() < 0.5 else x**2 + r.randint(1, 4) * x + 9
    return x**3 + _nz(r, -6, 6) * x if r.random() < 0.5 else x**3 + _nz(r, -9, 9)


def _simple_inner(r: Rng, x: sympy.Symbol) -> sympy.Expr:
    """The inside of a chain at level 2: kx, ax + b, x^2, x^2 + c."""
    form = r.randrange(4)
    if form == 0:
        return _k(r) * x
    if form == 1:
        return _linear(r, x)
    if form == 2:
        return x ** r.randint(2, 3)
    return x**2 + _nz(r, -5, 5)


def _power(r: Rng, x: sympy.Symbol, lo: int = 2, hi: int = 6) -> sympy.Expr:
    return x ** r.randint(lo, hi)


def _basic(r: Rng, x: sympy.Symbol) -> sympy.Expr:
    """One of the first functions a student meets: sin, cos, e^x, ln x."""
    return r.choice((sympy.sin(x), sympy.cos(x), sympy.exp(x), sympy.log(x)))


FRACTIONAL = (R(1, 2), R(1, 3), R(2, 3), R(3, 2), R(4, 3), R(5, 2), R(3, 4), R(5, 3))
NEGATIVE = (-1, -2, -3, -4, R(-1, 2), R(-1, 3), R(-3, 2), R(-2, 3))
RATIONAL_COEFS = (R(1, 2), R(1, 3), R(2, 3), R(3, 4), R(-1, 2), R(1, 4), R(-2, 3))


def _monomial(
    r: Rng, x: sympy.Symbol, exponents: Sequence[Any], rational: bool = False
) -> sympy.Expr:
    c: Any = r.choice(RATIONAL_COEFS) if rational and r.random() < 0.4 else _coef1(r)
    return c * x ** r.choice(exponents)


# --------------------------------------------------------------------------- skill builders


def _power_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            c: Any = r.choice(RATIONAL_COEFS) if r.random() < 0.2 else _coef(r)
            return c * X ** r.randint(2, 12) if r.random() < 0.85 else X ** r.randint(2, 12)
        if level == 2:
            c = 1 if r.random() < 0.2 else _coef(r)
            return c * X ** r.choice(FRACTIONAL + NEGATIVE)
        exps = r.sample([2, 3, 4, 5, *FRACTIONAL, *NEGATIVE], r.randint(2, 3))
        terms = [_coef1(r) * X**e for e in exps]
        if r.random() < 0.3:
            terms.append(_nz(r, -9, 9))
        return sympy.Add(*terms)

    return build


def _sum_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            exps = r.sample(range(1, 7), r.randint(2, 3))
            terms = [_coef(r) * X**e for e in exps]
            if r.random() < 0.5:
                terms.append(_nz(r, -9, 9))
            return sympy.Add(*terms)
        if level == 2:
            exps = r.sample([1, 2, 3, 4, 5, R(1, 2), -1, -2, R(1, 3), R(-1, 2)], 3)
            return sympy.Add(*(_coef(r) * X**e for e in exps))
        exps = r.sample([2, 3, 4, 5, 6, R(1, 2), -1, -2, R(3, 2)], r.randint(2, 3))
        terms = [_monomial(r, X, [e], rational=True) for e in exps]
        terms.append(_coef(r) * _basic(r, X))
        return sympy.Add(*terms)

    return build


def _product_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        c = _coef(r) if r.random() < 0.25 else 1
        if level == 1:
            form = r.choice((0, 0, 0, 1, 1, 2))
            if form == 0:
                f = _power(r, X, 1, 5) if r.random() < 0.6 else _linear(r, X)
                g = r.choice(
                    (
                        sympy.sin(X),
                        sympy.cos(X),
                        sympy.exp(X),
                        sympy.log(X),
                        sympy.sqrt(X),
                        X**2 + _nz(r, -9, 9),
                    )
                )
                return c * f * g
            if form == 1:
                return c * _linear(r, X) * _quadratic(r, X)
            pair = r.sample([sympy.sin(X), sympy.cos(X), sympy.exp(X), sympy.log(X)], 2)
            return _coef1(r) * pair[0] * pair[1]
        if level == 2:
            f = r.choice((_power(r, X, 1, 4), _linear(r, X), _quadratic(r, X)))
            k = _k(r)
            g = r.choice(
                (
                    sympy.sin(k * X),
                    sympy.cos(k * X),
                    sympy.exp(k * X),
                    sympy.log(_linear(r, X, positive=True)),
                    sympy.sqrt(_linear(r, X, positive=True)),
                    _linear(r, X) ** r.randint(2, 5),
                    sympy.exp(X ** r.randint(2, 3)),
                )
            )
            return c * f * g
        form = r.randrange(4)
        if form == 0:
            trig = r.choice((sympy.sin, sympy.cos))(_k(r) * X)
            return X ** r.randint(1, 3) * sympy.exp(_k(r) * X) * trig
        if form == 1:
            return _linear(r, X) ** r.randint(2, 4) * _quadratic(r, X) ** r.randint(2, 3)
        if form == 2:
            t = r.choice((sympy.sin, sympy.cos, sympy.tan))(_simple_inner(r, X))
            return c * X ** r.randint(1, 4) * t ** r.randint(2, 3)
        return c * X ** r.randint(1, 3) * sympy.log(X) * r.choice((sympy.sin, sympy.cos))(X)

    return build


def _quotient_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            num = r.choice(
                (
                    _power(r, X, 1, 4),
                    sympy.sin(X),
                    sympy.cos(X),
                    sympy.exp(X),
                    sympy.log(X),
                    _linear(r, X),
                    X**2 + _nz(r, -9, 9),
                )
            )
            den = r.choice(
                (
                    _power(r, X, 1, 3),
                    _linear(r, X),
                    _quadratic(r, X, positive=True),
                    X + _nz(r, -5, 5),
                )
            )
            return _coef1(r) * num / den
        if level == 2:
            k = _k(r)
            num = r.choice(
                (
                    sympy.sin(k * X),
                    sympy.cos(k * X),
                    sympy.exp(k * X),
                    sympy.log(_linear(r, X, positive=True)),
                    _power(r, X, 1, 3),
                    _linear(r, X),
                )
            )
            den = r.choice(
                (
                    _power(r, X, 1, 3),
                    _quadratic(r, X, positive=True),
                    _linear(r, X) ** 2,
                    sympy.sqrt(_quadratic(r, X, positive=True)),
                    _linear(r, X),
                )
            )
            return num / den
        form = r.randrange(3)
        if form == 0:
            num = X ** r.randint(1, 2) * r.choice(
                (sympy.exp(X), sympy.sin(X), sympy.cos(X), sympy.log(X))
            )
            return num / r.choice((_linear(r, X), _quadratic(r, X, positive=True)))
        if form == 1:
            return _linear(r, X) ** r.randint(2, 3) / _quadratic(r, X, positive=True) ** r.randint(
                1, 2
            )
        t1, t2 = r.sample([sympy.sin, sympy.cos], 2)
        return t1(X) / (r.randint(1, 3) + t2(_k(r) * X))

    return build


def _chain_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            inner = _linear(r, X) if r.random() < 0.5 else _quadratic(r, X)
            n = r.choice((2, 3, 4, 5, 6, 7, 8, -1, -2, -3, R(1, 2), R(1, 3), R(3, 2), R(-1, 2)))
            return _coef1(r, 5) * inner**n
        if level == 2:
            outer = r.randrange(6)
            if outer == 0:
                return _coef1(r) * r.choice((sympy.sin, sympy.cos, sympy.tan))(_poly_inner(r, X))
            if outer == 1:
                return _coef1(r) * sympy.exp(_poly_inner(r, X))
            if outer == 2:
                return _coef1(r) * sympy.log(_poly_inner(r, X, positive=True))
            if outer == 3:
                return _coef1(r) * sympy.sqrt(_poly_inner(r, X, positive=True))
            return _coef1(r) * _poly_inner(r, X) ** r.choice((3, 4, 5, -2, R(2, 3)))
        middle = r.choice((sympy.sin, sympy.cos, sympy.tan, sympy.exp, sympy.log, sympy.sqrt))
        inner = r.choice((_k(r) * X, _linear(r, X, positive=True), X**2 + r.randint(1, 5), X**2))
        mid = middle(inner)
        outer = r.randrange(5)
        if outer == 0 or middle in (sympy.exp, sympy.log):
            return mid ** r.choice((2, 3, 4, -1, R(1, 2)))
        if outer == 1:
            return sympy.exp(mid)
        if outer == 2:
            return sympy.sqrt(r.randint(1, 5) + mid**2)
        if outer == 3:
            return r.choice((sympy.sin, sympy.cos))(mid)
        return sympy.log(r.randint(2, 5) + mid)

    return build


def _trig_like(funcs: Sequence[Any], level: int) -> Builder:
    """Shared templates for the six trig and the six hyperbolic functions."""

    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            f1, f2 = r.sample(list(funcs), 2)
            form = r.randrange(3)
            if form == 0:
                return _coef1(r) * f1(X)
            if form == 1:
                return _coef1(r) * f1(X) + _coef(r) * f2(X)
            return _coef1(r) * f1(X) + _coef(r) * X ** r.randint(1, 4)
        if level == 2:
            f = r.choice(funcs)
            if r.random() < 0.65:
                return _coef1(r) * f(_simple_inner(r, X))
            return _coef1(r, 5) * f(X) ** r.randint(2, 4)
        f1, f2 = r.sample(list(funcs), 2)
        form = r.randrange(4)
        if form == 0:
            return X ** r.randint(1, 3) * f1(_k(r) * X)
        if form == 1:
            return f1(_simple_inner(r, X)) ** r.randint(2, 3)
        if form == 2:
            return _coef1(r, 5) * f1(X) ** r.randint(1, 2) * f2(_k(r, 3) * X)
        return f1(X) / X ** r.randint(1, 2) if r.random() < 0.5 else f1(sympy.sqrt(X) * _k(r))

    return build


def _exp_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        a = r.choice(BASES)
        if level == 1:
            form = r.randrange(4)
            if form == 0:
                return _coef1(r) * sympy.Integer(a) ** X
            if form == 1:
                return _coef1(r) * sympy.exp(_k(r, 9) * X)
            if form == 2:
                return _coef1(r) * sympy.exp(X) + _coef(r) * X ** r.randint(1, 4)
            return _coef1(r) * sympy.Integer(a) ** X + _coef(r) * sympy.exp(X)
        if level == 2:
            inner = r.choice((_poly_inner(r, X), -(X**2), sympy.sqrt(X), X / r.randint(2, 5)))
            if r.random() < 0.3:
                return _coef1(r) * sympy.Integer(a) ** inner
            return _coef1(r) * sympy.exp(inner)
        form = r.randrange(5)
        if form == 0:
            return sympy.exp(r.choice((sympy.sin, sympy.cos, sympy.tan))(_k(r, 3) * X))
        if form == 1:
            return X ** r.randint(1, 4) * sympy.exp(_k(r) * X)
        if form == 2:
            return sympy.exp(_k(r) * X) * r.choice((sympy.sin, sympy.cos))(_k(r) * X)
        if form == 3:
            e = sympy.exp(_k(r, 3) * X)
            return e / (r.randint(1, 5) + e)
        return X ** r.randint(1, 2) * sympy.Integer(a) ** (X ** r.randint(2, 3))

    return build


def _log_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        b = r.choice(BASES)
        if level == 1:
            form = r.randrange(4)
            if form == 0:
                return _coef1(r) * sympy.log(X) + _coef(r) * X ** r.randint(1, 4)
            if form == 1:
                return _coef1(r) * sympy.log(X, b)
            if form == 2:
                return _coef1(r) * sympy.log(X, b) + _coef(r) * X ** r.randint(1, 3)
            return _coef1(r) * sympy.log(X) + _coef(r) * r.choice((sympy.sin(X), sympy.exp(X)))
        if level == 2:
            inner = _poly_inner(r, X, positive=True)
            if r.random() < 0.35:
                return _coef1(r) * sympy.log(inner, b)
            return _coef1(r) * sympy.log(inner)
        form = r.randrange(6)
        if form == 0:
            return X ** r.randint(1, 4) * sympy.log(_linear(r, X, positive=True))
        if form == 1:
            return sympy.log(X) / X ** r.randint(1, 3)
        if form == 2:
            trig = r.choice((sympy.sin, sympy.cos, sympy.tan))
            return _coef1(r) * sympy.log(trig(r.randint(2, 4) * X))
        if form == 3:
            return sympy.log(_linear(r, X, positive=True)) ** r.randint(2, 4)
        if form == 4:
            return sympy.log(sympy.exp(_k(r, 3) * X) + r.randint(1, 9))
        return X ** r.randint(1, 3) * sympy.log(_quadratic(r, X, positive=True), b)

    return build


def _inverse_trig_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            f1, f2 = r.sample(list(INV), 2)
            form = r.choice((0, 1, 1, 2, 2))
            if form == 0:
                return _coef1(r) * f1(X)
            if form == 1:
                return _coef1(r) * f1(X) + _coef(r) * X ** r.randint(1, 4)
            return _coef1(r) * f1(X) + _coef(r) * f2(X) + _nz(r, -5, 5) * X
        if level == 2:
            f = r.choice(INV)
            inner = r.choice(
                (
                    _k(r) * X,
                    X / r.randint(2, 5),
                    X ** r.randint(2, 3),
                    sympy.sqrt(r.randint(1, 3) * X),
                    _linear(r, X),
                )
            )
            return _coef1(r) * f(inner)
        form = r.randrange(6)
        g = r.choice(INV3)
        if form <= 2:
            inner = r.choice((X, _k(r) * X, X**2, _linear(r, X, positive=True)))
            return _coef1(r) * g(inner)
        if form == 3:
            return X ** r.randint(1, 3) * r.choice(INV + INV3)(X)
        if form == 4:
            return r.choice(INV + INV3)(r.choice((X, X / 2, _k(r, 3) * X))) ** r.randint(2, 3)
        return r.choice((sympy.atan, sympy.acot))(
            r.choice((sympy.exp(_k(r, 3) * X), sympy.sqrt(X), sympy.log(X)))
        )

    return build


def _log_diff_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        c = _coef1(r, 3) if r.random() < 0.3 else 1
        if level == 1:
            base = X if r.random() < 0.6 else r.randint(2, 4) * X
            expo = r.choice(
                (
                    X,
                    _k(r) * X,
                    X ** r.randint(2, 3),
                    sympy.sqrt(X),
                    X ** R(1, 3),
                    r.randint(1, 3) / X,
                    X / r.randint(2, 3),
                )
            )
            return _coef1(r, 3) * base**expo
        if level == 2:
            if r.random() < 0.5:
                k = r.randint(1, 4)
                expo = r.choice(
                    (
                        sympy.sin(k * X),
                        sympy.cos(k * X),
                        k * sympy.log(X),
                        sympy.exp(k * X),
                        sympy.tan(k * X),
                        sympy.sqrt(X + k),
                    )
                )
                return c * X**expo
            base = r.choice(
                (
                    _quadratic(r, X, positive=True),
                    _linear(r, X, positive=True),
                    sympy.sin(X),
                    sympy.log(X),
                    sympy.exp(X) + r.randint(1, 5),
                )
            )
            return c * base ** r.choice((X, _k(r, 4) * X, X**2, sympy.sqrt(X)))
        base = r.choice(
            (
                _quadratic(r, X, positive=True),
                sympy.sin(X),
                sympy.cos(X),
                sympy.log(X),
                1 + r.randint(1, 3) / X,
                sympy.exp(X) + r.randint(1, 3),
            )
        )
        k = r.randint(1, 3)
        expo = r.choice(
            (
                sympy.sin(k * X),
                sympy.cos(k * X),
                sympy.log(X),
                sympy.sqrt(X),
                k * X**2,
                sympy.exp(k * X),
                sympy.atan(X),
            )
        )
        f = base**expo
        return f * X ** r.randint(1, 2) if r.random() < 0.25 else c * f

    return build


def _ml_l(level: int) -> Builder:
    def sigmoid(z: sympy.Expr) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-z))

    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            z = _coef(r, 4) * X + r.randint(-3, 3)
            act = r.randrange(4)
            if act == 0:
                f = sigmoid(z)
            elif act == 1:
                f = sympy.tanh(z)
            elif act == 2:
                f = sympy.log(1 + sympy.exp(z))
            else:
                f = X * sigmoid(_coef(r, 3) * X)  # swish
            return _coef1(r, 3) * f
        xi = _nz(r, -4, 4)
        if level == 2:
            form = r.randrange(6)
            z = _nz(r, -5, 5) * W + (_nz(r, -3, 3) if r.random() < 0.6 else 0)
            if form == 0:
                return -sympy.log(sigmoid(z))
            if form == 1:
                return -sympy.log(1 - sigmoid(z))
            if form == 5:
                return -sympy.log(sigmoid(z)) + r.choice((R(1, 2), 1, 2, R(1, 10))) * W**2
            if form == 2:
                return (xi * W - _nz(r, -9, 9)) ** 2
            if form == 3:
                return (sigmoid(z) - r.randint(0, 1)) ** 2
            return sympy.log(1 + sympy.exp(-r.choice((1, -1)) * z))
        n = r.randint(2, 3)
        xs = r.sample([k for k in range(-4, 5) if k != 0], n)
        form = r.randrange(4)
        if form == 0:
            loss = sympy.Add(*((xk * W - _nz(r, -9, 9)) ** 2 for xk in xs))
            return loss / n if r.random() < 0.5 else loss
        if form == 1:
            return sympy.Add(*(sympy.log(1 + sympy.exp(-r.choice((1, -1)) * xk * W)) for xk in xs))
        if form == 2:
            lam = r.choice((R(1, 2), 1, 2, R(1, 10)))
            return (xi * W - _nz(r, -9, 9)) ** 2 + lam * W**2
        y = r.randint(0, 1)
        p = sigmoid(xi * W)
        return -(y * sympy.log(p) + (1 - y) * sympy.log(1 - p)) - sympy.log(sigmoid(xs[0] * W))

    return build


# Per skill: a builder for each level (1..3).
_BUILDERS: dict[str, Callable[[int], Builder]] = {
    "power": _power_l,
    "sum": _sum_l,
    "product": _product_l,
    "quotient": _quotient_l,
    "chain": _chain_l,
    "trig": lambda lv: _trig_like(TRIG, lv),
    "exp": _exp_l,
    "log": _log_l,
    "inverse_trig": _inverse_trig_l,
    "hyperbolic": lambda lv: _trig_like(HYP, lv),
    "log_diff": _log_diff_l,
    "ml": _ml_l,
}

# Function pools for the skills that ask something about a function rather than its rule.
_POOLS: dict[str, dict[int, tuple[tuple[str, int], ...]]] = {
    "higher_order": {
        1: (("power", 1), ("power", 2), ("sum", 1)),
        2: (("chain", 1), ("trig", 1), ("exp", 1), ("log", 1), ("hyperbolic", 1)),
        3: (("product", 1), ("quotient", 1), ("chain", 2), ("ml", 1)),
    },
    "at_point": {
        1: (("power", 1), ("power", 2), ("sum", 1), ("sum", 2)),
        2: (("chain", 1), ("chain", 2), ("trig", 1), ("exp", 1), ("log", 1), ("exp", 2)),
        3: (("product", 1), ("quotient", 1), ("product", 2), ("log_diff", 1), ("inverse_trig", 1)),
    },
    "tangent_line": {
        1: (("power", 1), ("power", 2), ("sum", 1)),
        2: (("chain", 1), ("trig", 1), ("exp", 1), ("log", 1), ("chain", 2)),
        3: (("product", 1), ("quotient", 1), ("product", 2), ("inverse_trig", 1)),
    },
}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "power": ("power",),
    "sum": ("sum",),
    "product": ("product",),
    "quotient": ("quotient",),
    "chain": ("chain",),
    "trig": ("trig",),
    "exp": ("exp", "exp_base"),
    "log": ("log", "log_base"),
    "inverse_trig": ("inverse_trig",),
    "hyperbolic": ("hyperbolic",),
    "log_diff": ("log_diff",),
}

_INT_POINTS = (1, 2, -1, 0, 3, -2, R(1, 2))
_TRIG_POINTS = (0, PI / 6, PI / 4, PI / 3, PI / 2, PI, 2 * PI / 3)


# --------------------------------------------------------------------------- checks


def _finite_real(value: sympy.Expr) -> bool:
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return False
    try:
        c = complex(value.evalf(15))
    except (TypeError, ValueError):
        return False
    return abs(c.imag) < 1e-12 and abs(c.real) < 1e12


def _well_formed(f: sympy.Expr, var: sympy.Symbol) -> bool:
    """No stray constants like ln(-2), sqrt(-3), 1/0, and a non-empty real domain."""
    if not f.has(var) or f.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I):
        return False
    for node in sympy.preorder_traversal(f):
        if node.is_number and not node.is_Number and not _finite_real(node):
            return False
    return any(_finite_real(f.subs(var, p)) for p in (R(7, 10), R(13, 10), R(-3, 5), 2))


_MAX_CANCEL_TERMS = 6  # subsets of more terms than this are not searched (none are drawn)


def _terms_cancel(f: sympy.Expr, var: sympy.Symbol) -> bool:
    """Some terms' derivatives add up to 0 (``acos x + asin x``): a hidden constant.

    Such a sum keeps the practised rule in its rule tree, yet the student needs none of it:
    the derivative of ``5x + acos(x) + asin(x)`` is just 5.
    """
    if not f.is_Add:
        return False
    parts = [sympy.diff(t, var) for t in f.args if t.has(var)]
    if not 2 <= len(parts) <= _MAX_CANCEL_TERMS:
        return False
    for size in range(2, len(parts) + 1):
        for group in itertools.combinations(parts, size):
            total = sympy.Add(*group)
            if total == 0 or compare(total, sympy.Integer(0), var).equal is not False:
                return True
    return False


def _rule_count(tree: RuleNode, rule: str) -> int:
    return sum(1 for n in iter_nodes(tree) if n.rule == rule)


def _fits_skill(skill: str, level: int, tree: RuleNode) -> bool:
    """The practised rule must survive sympy's auto-simplification."""
    used = rules_used(tree)
    need = _REQUIRED.get(skill)
    if need and not used.intersection(need):
        return False
    if skill == "chain" and level == 3 and _rule_count(tree, "chain") < 2:
        return False
    if skill == "quotient" and level == 2 and "chain" not in used:
        return False
    # level 1 product/quotient: the rule itself at the top, not hidden inside a chain
    return not (skill in ("product", "quotient") and level == 1 and tree.rule == "chain")


# --------------------------------------------------------------------------- assembly


def _paren(expr: sympy.Expr) -> str:
    body = expr_latex(expr)
    if expr.is_Add or expr.could_extract_minus_sign():
        return paren(body)
    return body


def _paren_text(expr: sympy.Expr) -> str:
    body = expr_text(expr)
    return f"({body})" if expr.is_Add or expr.could_extract_minus_sign() else body


def _pick_point(
    r: Rng, f: sympy.Expr, d: sympy.Expr, var: sympy.Symbol
) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
    """A point a with f(a), f'(a) defined, f'(a) != 0, preferring short exact values."""
    has_trig = any(isinstance(n, TRIG) for n in sympy.preorder_traversal(f))
    valid = []
    for a in _TRIG_POINTS if has_trig else _INT_POINTS:
        a = sympy.Integer(a) if isinstance(a, int) else a
        fa = f.subs(var, a)
        if not _finite_real(fa):
            continue
        da = d.subs(var, a)
        if not da.is_number or da == 0 or not _finite_real(da):
            continue
        valid.append((len(str(da)) + len(str(fa)), a, (a, fa, da)))
    if not valid:
        return None
    best = min(score for score, _, _ in valid)
    return r.choice([v for score, _, v in valid if score <= best + 3])


def _candidate(skill: str, level: int, r: Rng) -> sympy.Expr:
    if skill in _POOLS:
        base_skill, base_level = r.choice(_POOLS[skill][level])
        return _BUILDERS[base_skill](base_level)(r)
    return _BUILDERS[skill](level)(r)


def generate(skill: str, level: int, seed: int) -> Problem:
    """The problem for (skill, level, seed); ValueError for an unknown skill or level."""
    if skill not in SKILLS:
        raise ValueError(f"unknown skill {skill!r}; choose one of {', '.join(SKILLS)}")
    if not isinstance(level, int) or not 1 <= level <= SKILLS[skill].levels:
        raise ValueError(f"level must be 1..{SKILLS[skill].levels}, got {level!r}")
    r = random.Random(f"{skill}:{level}:{seed}")
    for _ in range(200):
        problem = _attempt(skill, level, seed, r)
        if problem is not None:
            return problem
    raise RuntimeError(f"could not build a {skill} level {level} problem for seed {seed}")


def _attempt(skill: str, level: int, seed: int, r: Rng) -> Problem | None:
    f = _candidate(skill, level, r)
    var = W if f.has(W) else X
    if not _well_formed(f, var):
        return None
    d = sympy.diff(f, var)
    if d == 0 or (d - f) == 0:
        return None
    # identities sympy keeps apart (cosh(x)·sech(x) is 4, tanh·coth is 1): compare as functions
    if compare(d, sympy.Integer(0), var).equal is not False:
        return None
    if compare(d, f, var).equal is not False:
        return None
    if _terms_cancel(f, var):
        return None
    tree = derive(f, var)
    if not _fits_skill(skill, level, tree):
        return None
    v = str(var)
    f_text, f_latex = expr_text(f), expr_latex(f)
    name = "L" if var == W else "f"
    point = None
    if skill == "higher_order":
        answer = sympy.diff(f, var, 2)
        if answer == 0:
            return None
        kind = "expression"
        first = rule_steps(tree, var, budget=5)
        second = rule_steps(derive(d, var), var, budget=5)
        sol = [
            *first,
            result_step(f, var, d),
            *second,
            result_step(f, var, answer, order=2),
        ]
        prompt = f"Find the second derivative {name}''({v}) of {name}({v}) = {f_text}"
        prompt_latex = frac("d^{2}", f"d{v}^{{2}}") + bracket(f_latex)
    elif skill in ("at_point", "tangent_line"):
        picked = _pick_point(r, f, d, var)
        if picked is None:
            return None
        point, fa, da = picked
        a_l, a_t = expr_latex(point), expr_text(point)
        sol = [*rule_steps(tree, var, budget=8), result_step(f, var, d)]
        sol.append(
            Step(
                "evaluate",
                "Evaluate the derivative at the point",
                f"{name}'{paren(a_l)} = "
                + r"\left. "
                + expr_latex(d)
                + r" \right|_{"
                + f"{v} = {a_l}}} = {expr_latex(da)}",
                f"Evaluate at {v} = {a_t}: {name}'({a_t}) = {expr_text(da)}",
            )
        )
        if skill == "at_point":
            answer, kind = da, "number"
            prompt = f"Find {name}'({a_t}) for {name}({v}) = {f_text}"
            prompt_latex = f"{name}'{paren(a_l)}" + r"\ \mathrm{for}\ " + f"{name}({v}) = {f_latex}"
        else:
            answer = sympy.expand(da * var + fa - da * point)
            kind = "line"
            sol.insert(
                -1,
                Step(
                    "evaluate",
                    "Evaluate the function at the point",
                    f"{name}{paren(a_l)} = {expr_latex(fa)}",
                    f"{name}({a_t}) = {expr_text(fa)}",
                ),
            )
            sol.append(
                Step(
                    "point_slope",
                    "Point-slope form",
                    f"y - {_paren(fa)} = {_paren(da)} {paren(f'{v} - {_paren(point)}')}"
                    + r" \Rightarrow "
                    + f"y = {expr_latex(answer)}",
                    f"y - {_paren_text(fa)} = {_paren_text(da)}·({v} - {_paren_text(point)}), "
                    f"so y = {expr_text(answer)}",
                )
            )
            prompt = (
                f"Find the tangent line to {name}({v}) = {f_text} at {v} = {a_t} "
                f"(answer as y = m{v} + b)"
            )
            prompt_latex = (
                r"\mathrm{Tangent\ line\ to}\ y = " + f_latex + r"\ \mathrm{at}\ " + f"{v} = {a_l}"
            )
    else:
        answer, kind = d, "expression"
        sol = steps(tree, var, result=d)
        if var == W:
            prompt = f"Differentiate the loss L(w) = {f_text} with respect to w"
        else:
            prompt = f"Differentiate {name}({v}) = {f_text}"
        prompt_latex = frac("d", f"d{v}") + bracket(f_latex)
    return Problem(
        skill=skill,
        level=level,
        seed=seed,
        var=v,
        function=f,
        derivative=d,
        answer=answer,
        answer_kind=kind,
        point=point,
        prompt=prompt,
        prompt_latex=prompt_latex,
        rule_tree=tree,
        steps=tuple(sol),
    )
