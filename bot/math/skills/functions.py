"""Builders for the elementary function families: trig, hyperbolic, exponential, logarithm,
inverse trig.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from bot.math.skills.pieces import (
    BASES,
    INV,
    INV3,
    Builder,
    Rng,
    X,
    coef,
    coef1,
    linear,
    nonzero,
    poly_inner,
    quadratic,
    simple_inner,
    slope,
)


def trig_like(funcs: Sequence[Any], level: int) -> Builder:
    """Shared templates for the six trig and the six hyperbolic functions."""

    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            f1, f2 = r.sample(list(funcs), 2)
            form = r.randrange(3)
            if form == 0:
                return coef1(r) * f1(X)
            if form == 1:
                return coef1(r) * f1(X) + coef(r) * f2(X)
            return coef1(r) * f1(X) + coef(r) * X ** r.randint(1, 4)
        if level == 2:
            f = r.choice(funcs)
            if r.random() < 0.65:
                return coef1(r) * f(simple_inner(r, X))
            return coef1(r, 5) * f(X) ** r.randint(2, 4)
        f1, f2 = r.sample(list(funcs), 2)
        form = r.randrange(4)
        if form == 0:
            return X ** r.randint(1, 3) * f1(slope(r) * X)
        if form == 1:
            return f1(simple_inner(r, X)) ** r.randint(2, 3)
        if form == 2:
            return coef1(r, 5) * f1(X) ** r.randint(1, 2) * f2(slope(r, 3) * X)
        return f1(X) / X ** r.randint(1, 2) if r.random() < 0.5 else f1(sympy.sqrt(X) * slope(r))

    return build


def exp_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        a = r.choice(BASES)
        if level == 1:
            form = r.randrange(4)
            if form == 0:
                return coef1(r) * sympy.Integer(a) ** X
            if form == 1:
                return coef1(r) * sympy.exp(slope(r, 9) * X)
            if form == 2:
                return coef1(r) * sympy.exp(X) + coef(r) * X ** r.randint(1, 4)
            return coef1(r) * sympy.Integer(a) ** X + coef(r) * sympy.exp(X)
        if level == 2:
            # never kx alone (level 1's e^(kx)): e^(-x^2/2), e^(sqrt(x)), e^(x^3 - 2x)…
            inner = r.choice((poly_inner(r, X), -(X**2), sympy.sqrt(X), -(X**2) / r.randint(2, 5)))
            if r.random() < 0.3:
                return coef1(r) * sympy.Integer(a) ** inner
            return coef1(r) * sympy.exp(inner)
        form = r.randrange(5)
        if form == 0:
            return sympy.exp(r.choice((sympy.sin, sympy.cos, sympy.tan))(slope(r, 3) * X))
        if form == 1:
            return X ** r.randint(1, 4) * sympy.exp(slope(r) * X)
        if form == 2:
            return sympy.exp(slope(r) * X) * r.choice((sympy.sin, sympy.cos))(slope(r) * X)
        if form == 3:
            e = sympy.exp(slope(r, 3) * X)
            return e / (r.randint(1, 5) + e)
        return X ** r.randint(1, 2) * sympy.Integer(a) ** (X ** r.randint(2, 3))

    return build


def log_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        b = r.choice(BASES)
        if level == 1:
            form = r.randrange(4)
            if form == 0:
                return coef1(r) * sympy.log(X) + coef(r) * X ** r.randint(1, 4)
            if form == 1:
                return coef1(r) * sympy.log(X, b)
            if form == 2:
                return coef1(r) * sympy.log(X, b) + coef(r) * X ** r.randint(1, 3)
            return coef1(r) * sympy.log(X) + coef(r) * r.choice((sympy.sin(X), sympy.exp(X)))
        if level == 2:
            inner = poly_inner(r, X, positive=True)
            if r.random() < 0.35:
                return coef1(r) * sympy.log(inner, b)
            return coef1(r) * sympy.log(inner)
        form = r.randrange(6)
        if form == 0:
            return X ** r.randint(1, 4) * sympy.log(linear(r, X, positive=True))
        if form == 1:
            return sympy.log(X) / X ** r.randint(1, 3)
        if form == 2:
            trig = r.choice((sympy.sin, sympy.cos, sympy.tan))
            return coef1(r) * sympy.log(trig(r.randint(2, 4) * X))
        if form == 3:
            return sympy.log(linear(r, X, positive=True)) ** r.randint(2, 4)
        if form == 4:
            return sympy.log(sympy.exp(slope(r, 3) * X) + r.randint(1, 9))
        return X ** r.randint(1, 3) * sympy.log(quadratic(r, X, positive=True), b)

    return build


def inverse_trig_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            f1, f2 = r.sample(list(INV), 2)
            form = r.choice((0, 1, 1, 2, 2))
            if form == 0:
                return coef1(r) * f1(X)
            if form == 1:
                return coef1(r) * f1(X) + coef(r) * X ** r.randint(1, 4)
            return coef1(r) * f1(X) + coef(r) * f2(X) + nonzero(r, -5, 5) * X
        if level == 2:
            f = r.choice(INV)
            inner = r.choice(
                (
                    slope(r) * X,
                    X / r.randint(2, 5),
                    X ** r.randint(2, 3),
                    sympy.sqrt(r.randint(1, 3) * X),
                    linear(r, X),
                )
            )
            return coef1(r) * f(inner)
        form = r.randrange(6)
        g = r.choice(INV3)
        if form <= 2:
            inner = r.choice((X, slope(r) * X, X**2, linear(r, X, positive=True)))
            return coef1(r) * g(inner)
        if form == 3:
            return X ** r.randint(1, 3) * r.choice(INV + INV3)(X)
        if form == 4:
            return r.choice(INV + INV3)(r.choice((X, X / 2, slope(r, 3) * X))) ** r.randint(2, 3)
        return r.choice((sympy.atan, sympy.acot))(
            r.choice((sympy.exp(slope(r, 3) * X), sympy.sqrt(X), sympy.log(X)))
        )

    return build
