"""Builders for the applied skills: logarithmic differentiation of f(x)^g(x), and losses and
activations in one weight w (machine learning).
"""

from __future__ import annotations

import sympy

from bot.math.skills.pieces import (
    Builder,
    R,
    Rng,
    W,
    X,
    coef,
    coef1,
    linear,
    nonzero,
    quadratic,
    slope,
)


def log_diff_l(level: int) -> Builder:
    def build(r: Rng) -> sympy.Expr:
        c = coef1(r, 3) if r.random() < 0.3 else 1  # drawn first at every level
        if level == 1:
            return _log_diff_1(r)
        if level == 2:
            return _log_diff_2(r, c)
        return _log_diff_3(r, c)

    return build


def _log_diff_1(r: Rng) -> sympy.Expr:
    """x^g(x) or (kx)^g(x): one simple base, one exponent."""
    base = X if r.random() < 0.6 else r.randint(2, 4) * X
    expo = r.choice(
        (
            X,
            slope(r) * X,
            X ** r.randint(2, 3),
            sympy.sqrt(X),
            X ** R(1, 3),
            r.randint(1, 3) / X,
            X / r.randint(2, 3),
        )
    )
    return coef1(r, 3) * base**expo


def _log_diff_2(r: Rng, c: int) -> sympy.Expr:
    """x to a function of x, or a function of x to a simple power of x."""
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
            quadratic(r, X, positive=True),
            linear(r, X, positive=True),
            sympy.sin(X),
            sympy.log(X),
            sympy.exp(X) + r.randint(1, 5),
        )
    )
    return c * base ** r.choice((X, slope(r, 4) * X, X**2, sympy.sqrt(X)))


def _log_diff_3(r: Rng, c: int) -> sympy.Expr:
    """A function of x to a function of x, sometimes times a power of x."""
    base = r.choice(
        (
            quadratic(r, X, positive=True),
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
            sympy.sqrt(X + k),
            X**2 + k,
            sympy.exp(k * X),
            sympy.atan(X),
        )
    )  # never sqrt(x) or x^2 alone: those are level 2's exponents
    f = base**expo
    return f * X ** r.randint(1, 2) if r.random() < 0.25 else c * f


def ml_l(level: int) -> Builder:
    def sigmoid(z: sympy.Expr) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-z))

    def build(r: Rng) -> sympy.Expr:
        if level == 1:
            z = coef(r, 4) * X + r.randint(-3, 3)
            act = r.randrange(4)
            if act == 0:
                f = sigmoid(z)
            elif act == 1:
                f = sympy.tanh(z)
            elif act == 2:
                f = sympy.log(1 + sympy.exp(z))
            else:
                f = X * sigmoid(coef(r, 3) * X)  # swish
            return coef1(r, 3) * f
        xi = nonzero(r, -4, 4)
        if level == 2:
            form = r.randrange(6)
            z = nonzero(r, -5, 5) * W + (nonzero(r, -3, 3) if r.random() < 0.6 else 0)
            if form == 0:
                return -sympy.log(sigmoid(z))
            if form == 1:
                return -sympy.log(sigmoid(-z))  # -ln(1 - σ(z)), as one sigmoid
            if form == 5:
                return -sympy.log(sigmoid(z)) + r.choice((R(1, 2), 1, 2, R(1, 10))) * W**2
            if form == 2:
                return (xi * W - nonzero(r, -9, 9)) ** 2
            if form == 3:  # (σ(z) - y)^2, with 1 - σ(z) written as σ(-z)
                return sigmoid(-z if r.randint(0, 1) else z) ** 2
            return sympy.log(1 + sympy.exp(-r.choice((1, -1)) * z))
        n = r.randint(2, 3)
        xs = r.sample([k for k in range(-4, 5) if k != 0], n)
        form = r.randrange(4)
        if form == 0:
            loss = sympy.Add(*((xk * W - nonzero(r, -9, 9)) ** 2 for xk in xs))
            return loss / n if r.random() < 0.5 else loss
        if form == 1:
            return sympy.Add(*(sympy.log(1 + sympy.exp(-r.choice((1, -1)) * xk * W)) for xk in xs))
        if form == 2:
            lam = r.choice((R(1, 2), 1, 2, R(1, 10)))
            return (xi * W - nonzero(r, -9, 9)) ** 2 + lam * W**2
        y = r.randint(0, 1)
        p = sigmoid(xi * W)
        q = sigmoid(-xi * W)  # 1 - p
        return -(y * sympy.log(p) + (1 - y) * sympy.log(q)) - sympy.log(sigmoid(xs[0] * W))

    return build
