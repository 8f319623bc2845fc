"""Random pieces the skill builders share: coefficients, inner functions, exponent pools.

Every draw goes through the `random.Random` a builder is given, in a fixed order, so a problem
stays a pure function of (skill, level, seed): reorder nothing here without expecting every
generated problem to change.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import sympy

X = sympy.Symbol("x")
W = sympy.Symbol("w")
PI = sympy.pi
R = sympy.Rational

Rng = random.Random
Builder = Callable[[Rng], sympy.Expr]

TRIG = (sympy.sin, sympy.cos, sympy.tan, sympy.sec, sympy.csc, sympy.cot)
HYP = (sympy.sinh, sympy.cosh, sympy.tanh, sympy.sech, sympy.csch, sympy.coth)
INV = (sympy.asin, sympy.acos, sympy.atan)
INV3 = (sympy.acot, sympy.asec, sympy.acsc)
BASES = (2, 3, 5, 10)


def coef(r: Rng, hi: int = 9, neg: float = 0.3) -> int:
    """A nonzero small integer, negative now and then."""
    c = r.randint(1, hi)
    return -c if r.random() < neg else c


def coef1(r: Rng, hi: int = 9) -> int:
    """A coefficient that is often 1, so plain f(x) shows up too."""
    return 1 if r.random() < 0.35 else coef(r, hi)


def nonzero(r: Rng, lo: int, hi: int) -> int:
    return r.choice([k for k in range(lo, hi + 1) if k != 0])


#: inner slopes for a chain that must stay one: neither 0 nor ±1
STEEP = (-5, -4, -3, -2, 2, 3, 4, 5)


def slope(r: Rng, hi: int = 5) -> int:
    """An inner slope other than 0 and 1."""
    return r.choice([k for k in range(-hi, hi + 1) if k not in (0, 1)])


def linear(r: Rng, x: sympy.Symbol, positive: bool = False) -> sympy.Expr:
    a = r.randint(1, 5) if positive else coef(r, 5)
    b = r.randint(1, 9) if positive else nonzero(r, -9, 9)
    return a * x + b


def quadratic(r: Rng, x: sympy.Symbol, positive: bool = False) -> sympy.Expr:
    """A small quadratic; `positive` keeps it > 0 for every real x (for ln, sqrt)."""
    if positive:
        return r.randint(1, 3) * x**2 + r.randint(1, 9)
    form = r.randrange(3)
    if form == 0:
        return coef(r, 4) * x**2 + nonzero(r, -9, 9)
    if form == 1:
        return x**2 + nonzero(r, -6, 6) * x + nonzero(r, -9, 9)
    return coef(r, 4) * x**2 + nonzero(r, -6, 6) * x


def poly_inner(r: Rng, x: sympy.Symbol, positive: bool = False) -> sympy.Expr:
    form = r.randrange(3)
    if form == 0:
        return linear(r, x, positive)
    if form == 1:
        return quadratic(r, x, positive)
    if positive:
        return x**4 + r.randint(1, 9) if r.random() < 0.5 else x**2 + r.randint(1, 4) * x + 9
    return x**3 + nonzero(r, -6, 6) * x if r.random() < 0.5 else x**3 + nonzero(r, -9, 9)


def higher_inner(r: Rng, x: sympy.Symbol, positive: bool = False) -> sympy.Expr:
    """A cubic or quartic inside (x^3 - 4x, x^4 + 2): level 2's chains, beyond level 1's
    linear and quadratic ones; `positive` keeps it > 0 for every real x."""
    form = r.randrange(3)
    if form == 0:
        if positive:
            return x**4 + r.randint(1, 5) * x**2 + r.randint(1, 9)
        return x**3 + nonzero(r, -6, 6) * x
    if form == 1:
        return x**4 + r.randint(1, 9) if positive else x**3 + nonzero(r, -9, 9)
    return x**4 + (r.randint(1, 9) if positive else nonzero(r, -9, 9))


def simple_inner(r: Rng, x: sympy.Symbol) -> sympy.Expr:
    """The inside of a chain at level 2: kx, ax + b, x^2, x^2 + c (k never ±1: sin(-x) is
    written -sin(x), and the chain is gone)."""
    form = r.randrange(4)
    if form == 0:
        return r.choice(STEEP) * x
    if form == 1:
        return linear(r, x)
    if form == 2:
        return x ** r.randint(2, 3)
    return x**2 + nonzero(r, -5, 5)


def power_of(r: Rng, x: sympy.Symbol, lo: int = 2, hi: int = 6) -> sympy.Expr:
    return x ** r.randint(lo, hi)


def basic(r: Rng, x: sympy.Symbol) -> sympy.Expr:
    """One of the first functions a student meets: sin, cos, e^x, ln x."""
    return r.choice((sympy.sin(x), sympy.cos(x), sympy.exp(x), sympy.log(x)))


FRACTIONAL = (R(1, 2), R(1, 3), R(2, 3), R(3, 2), R(4, 3), R(5, 2), R(3, 4), R(5, 3))
NEGATIVE = (-1, -2, -3, -4, R(-1, 2), R(-1, 3), R(-3, 2), R(-2, 3))
RATIONAL_COEFS = (R(1, 2), R(1, 3), R(2, 3), R(3, 4), R(-1, 2), R(1, 4), R(-2, 3))


def monomial(
    r: Rng, x: sympy.Symbol, exponents: Sequence[Any], rational: bool = False
) -> sympy.Expr:
    c: Any = r.choice(RATIONAL_COEFS) if rational and r.random() < 0.4 else coef1(r)
    return c * x ** r.choice(exponents)
