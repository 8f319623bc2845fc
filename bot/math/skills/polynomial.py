"""Builders for the algebraic rules: power, sum, product, quotient, chain (one function per skill,
taking the level and returning a builder of f from a random generator).
"""

from __future__ import annotations

from typing import Any

import sympy

from bot.math.skills.pieces import (
    FRACTIONAL,
    NEGATIVE,
    RATIONAL_COEFS,
    Builder,
    R,
    Rng,
    X,
    basic,
    coef,
    coef1,
    higher_inner,
    linear,
    monomial,
    nonzero,
    poly_inner,
    power_of,
    quadratic,
    simple_inner,
    slope,
)


def power_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            c: Any = r.choice(RATIONAL_COEFS) if r.random() < 0.2 else coef(r)
            return c * X ** r.randint(2, 12) if r.random() < 0.85 else X ** r.randint(2, 12)
        if level == 2:
            c = 1 if r.random() < 0.2 else coef(r)
            return c * X ** r.choice(FRACTIONAL + NEGATIVE)
        exps = r.sample([2, 3, 4, 5, *FRACTIONAL, *NEGATIVE], r.randint(2, 3))
        terms = [coef1(r) * X**e for e in exps]
        if r.random() < 0.3:
            terms.append(nonzero(r, -9, 9))
        return sympy.Add(*terms)

    return build


_SUM_2 = (1, 2, 3, 4, 5, R(1, 2), -1, -2, R(1, 3), R(-1, 2))


def sum_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            exps = r.sample(range(1, 7), r.randint(2, 3))
            terms = [coef(r) * X**e for e in exps]
            if r.random() < 0.5:
                terms.append(nonzero(r, -9, 9))
            return sympy.Add(*terms)
        if level == 2:  # one root or negative power at least: level 1 has whole powers only
            odd = r.choice([R(1, 2), -1, -2, R(1, 3), R(-1, 2)])
            exps = [odd, *r.sample([e for e in _SUM_2 if e != odd], 2)]
            return sympy.Add(*(coef(r) * X**e for e in exps))
        exps = r.sample([2, 3, 4, 5, 6, R(1, 2), -1, -2, R(3, 2)], r.randint(2, 3))
        terms = [monomial(r, X, [e], rational=True) for e in exps]
        terms.append(coef(r) * basic(r, X))
        return sympy.Add(*terms)

    return build


def product_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        c = coef(r) if r.random() < 0.25 else 1
        if level == 1:
            form = r.choice((0, 0, 0, 1, 1, 2))
            if form == 0:
                f = power_of(r, X, 1, 5) if r.random() < 0.6 else linear(r, X)
                g = r.choice(
                    (
                        sympy.sin(X),
                        sympy.cos(X),
                        sympy.exp(X),
                        sympy.log(X),
                        sympy.sqrt(X),
                        X**2 + nonzero(r, -9, 9),
                    )
                )
                return c * f * g
            if form == 1:
                return c * linear(r, X) * quadratic(r, X)
            pair = r.sample([sympy.sin(X), sympy.cos(X), sympy.exp(X), sympy.log(X)], 2)
            return coef1(r) * pair[0] * pair[1]
        if level == 2:
            f = r.choice((power_of(r, X, 1, 4), linear(r, X), quadratic(r, X)))
            k = slope(r)
            g = r.choice(
                (
                    sympy.sin(k * X),
                    sympy.cos(k * X),
                    sympy.exp(k * X),
                    sympy.log(linear(r, X, positive=True)),
                    sympy.sqrt(linear(r, X, positive=True)),
                    linear(r, X) ** r.randint(2, 5),
                    sympy.exp(X ** r.randint(2, 3)),
                )
            )
            return c * f * g
        form = r.randrange(4)
        if form == 0:
            trig = r.choice((sympy.sin, sympy.cos))(slope(r) * X)
            return X ** r.randint(1, 3) * sympy.exp(slope(r) * X) * trig
        if form == 1:
            return linear(r, X) ** r.randint(2, 4) * quadratic(r, X) ** r.randint(2, 3)
        if form == 2:
            t = r.choice((sympy.sin, sympy.cos, sympy.tan))(simple_inner(r, X))
            return c * X ** r.randint(1, 4) * t ** r.randint(2, 3)
        return c * X ** r.randint(1, 3) * sympy.log(X) * r.choice((sympy.sin, sympy.cos))(X)

    return build


def quotient_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            num = r.choice(
                (
                    power_of(r, X, 1, 4),
                    sympy.sin(X),
                    sympy.cos(X),
                    sympy.exp(X),
                    sympy.log(X),
                    linear(r, X),
                    X**2 + nonzero(r, -9, 9),
                )
            )
            den = r.choice(
                (
                    power_of(r, X, 1, 3),
                    linear(r, X),
                    quadratic(r, X, positive=True),
                    X + nonzero(r, -5, 5),
                )
            )
            return coef1(r) * num / den
        if level == 2:
            k = slope(r)
            num = r.choice(
                (
                    sympy.sin(k * X),
                    sympy.cos(k * X),
                    sympy.exp(k * X),
                    sympy.log(linear(r, X, positive=True)),
                    power_of(r, X, 1, 3),
                    linear(r, X),
                )
            )
            den = r.choice(
                (
                    power_of(r, X, 1, 3),
                    quadratic(r, X, positive=True),
                    linear(r, X) ** 2,
                    sympy.sqrt(quadratic(r, X, positive=True)),
                    linear(r, X),
                )
            )
            return num / den
        form = r.randrange(3)
        if form == 0:
            num = X ** r.randint(1, 2) * r.choice(
                (sympy.exp(X), sympy.sin(X), sympy.cos(X), sympy.log(X))
            )
            return num / r.choice((linear(r, X), quadratic(r, X, positive=True)))
        if form == 1:
            return linear(r, X) ** r.randint(2, 3) / quadratic(r, X, positive=True) ** r.randint(
                1, 2
            )
        t1, t2 = r.sample([sympy.sin, sympy.cos], 2)
        return t1(X) / (r.randint(1, 3) + t2(slope(r) * X))

    return build


def chain_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            inner = linear(r, X) if r.random() < 0.5 else quadratic(r, X)
            n = r.choice((2, 3, 4, 5, 6, 7, 8, -1, -2, -3, R(1, 2), R(1, 3), R(3, 2), R(-1, 2)))
            return coef1(r, 5) * inner**n
        if level == 2:
            outer = r.randrange(6)
            if outer == 0:
                return coef1(r) * r.choice((sympy.sin, sympy.cos, sympy.tan))(poly_inner(r, X))
            if outer == 1:
                return coef1(r) * sympy.exp(poly_inner(r, X))
            if outer == 2:
                return coef1(r) * sympy.log(poly_inner(r, X, positive=True))
            # a root or power of a cubic or quartic: level 1 has those of linear and quadratics
            if outer == 3:
                return coef1(r) * sympy.sqrt(higher_inner(r, X, positive=True))
            return coef1(r) * higher_inner(r, X) ** r.choice((3, 4, 5, -2, R(2, 3)))
        middle = r.choice((sympy.sin, sympy.cos, sympy.tan, sympy.exp, sympy.log, sympy.sqrt))
        inner = r.choice((slope(r) * X, linear(r, X, positive=True), X**2 + r.randint(1, 5), X**2))
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
