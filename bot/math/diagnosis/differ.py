"""Differentiate by the textbook rules, with at most one classic wrong rule applied.

A `Bug` names the node and the wrong rule; everything else is differentiated right, so a
student's answer equal to the result is explained by that one slip.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

U = sp.Dummy("u")
RIGHT: dict[type, sp.Expr] = {
    sp.sin: sp.cos(U),
    sp.cos: -sp.sin(U),
    sp.tan: sp.sec(U) ** 2,
    sp.sec: sp.sec(U) * sp.tan(U),
    sp.csc: -sp.csc(U) * sp.cot(U),
    sp.cot: -(sp.csc(U) ** 2),
    sp.asin: 1 / sp.sqrt(1 - U**2),
    sp.acos: -1 / sp.sqrt(1 - U**2),
    sp.atan: 1 / (1 + U**2),
    sp.acot: -1 / (1 + U**2),
    sp.asec: 1 / (sp.Abs(U) * sp.sqrt(U**2 - 1)),
    sp.acsc: -1 / (sp.Abs(U) * sp.sqrt(U**2 - 1)),
    sp.sinh: sp.cosh(U),
    sp.cosh: sp.sinh(U),
    sp.tanh: sp.sech(U) ** 2,
    sp.sech: -sp.sech(U) * sp.tanh(U),
    sp.csch: -sp.csch(U) * sp.coth(U),
    sp.coth: -(sp.csch(U) ** 2),
    sp.exp: sp.exp(U),
    sp.log: 1 / U,
    sp.Abs: sp.sign(U),
}
FAMILY = {
    **dict.fromkeys((sp.sin, sp.cos, sp.tan, sp.sec, sp.csc, sp.cot), "trig"),
    **dict.fromkeys((sp.asin, sp.acos, sp.atan, sp.acot, sp.asec, sp.acsc), "inverse_trig"),
    **dict.fromkeys((sp.sinh, sp.cosh, sp.tanh, sp.sech, sp.csch, sp.coth), "hyperbolic"),
}
# The four inverse-trig formulas students mix up: any of them, with either sign, with the root
# added or dropped, may be given for any of the four functions.
_INVERSE_FORMS = (
    1 / sp.sqrt(1 - U**2),
    -1 / sp.sqrt(1 - U**2),
    1 / (1 + U**2),
    -1 / (1 + U**2),
    1 / sp.sqrt(1 + U**2),
    -1 / sp.sqrt(1 + U**2),
    sp.sqrt(1 - U**2),
    -sp.sqrt(1 - U**2),
    1 / (1 - U**2),
    1 / sp.sqrt(U**2 - 1),  # arcsec's root, or the root's inside turned round
    -1 / sp.sqrt(U**2 - 1),
    1 / (1 + U) ** 2,  # (1 + x)² for 1 + x²
)


def _swaps(func: type, *extra: sp.Expr) -> tuple[sp.Expr, ...]:
    return tuple(w for w in (*_INVERSE_FORMS, *extra) if w != RIGHT[func] and w != -RIGHT[func])


TRIG = (sp.sin, sp.cos, sp.tan, sp.sec, sp.csc, sp.cot)
# tan, sec, csc, cot (sin and cos, the most common nodes, only get the wrong sign, so they cost
# no more): a derivative mixed up with any other's (cot' = −sec², tan' = csc²), with the
# function itself (sec' = tan, csc' = sec), or with a mismatched pair (sec' = sec·cot), either sign
_TRIG_MIXUPS = tuple(
    s * w
    for w in (
        *(RIGHT[g] for g in TRIG),
        *(g(U) for g in TRIG),
        sp.sec(U) * sp.cot(U),
        sp.csc(U) * sp.tan(U),
    )
    for s in (1, -1)
)


def _mixups(func: type, *first: sp.Expr) -> tuple[sp.Expr, ...]:
    # ±f itself is left out: f copied, or −sin for sin, which is f'' (`order`)
    left_out = (RIGHT[func], func(U), -func(U))
    return tuple(dict.fromkeys(w for w in (*first, *_TRIG_MIXUPS) if w not in left_out))


# Classic confusions besides a flipped sign: tan' = sec (not squared), sec' = sec^2 ...; a
# hyperbolic function given its trig twin's derivative (tanh' = sec²); an inverse function's
# derivative as 1/f' (arcsin' = 1/cos)
CONFUSED: dict[type, tuple[sp.Expr, ...]] = {
    sp.tan: _mixups(sp.tan, sp.sec(U), -(sp.sec(U) ** 2), sp.sec(U) * sp.tan(U)),
    sp.sec: _mixups(sp.sec, sp.sec(U) ** 2, sp.tan(U) ** 2, sp.tan(U), sp.csc(U) * sp.cot(U)),
    sp.cot: _mixups(sp.cot, sp.csc(U) ** 2, -sp.csc(U), sp.sec(U) ** 2),
    sp.csc: _mixups(sp.csc, -(sp.csc(U) ** 2), -sp.cot(U), sp.sec(U) * sp.tan(U)),
    sp.sinh: (-sp.cos(U), sp.cos(U)),
    sp.cosh: (-sp.sinh(U), -sp.sin(U)),
    sp.sech: (sp.sech(U) * sp.tanh(U), sp.sec(U) * sp.tan(U)),
    sp.tanh: (sp.sech(U), -(sp.sech(U) ** 2), sp.sec(U) ** 2),
    sp.acos: _swaps(sp.acos, -1 / sp.sin(U)),
    sp.acot: _swaps(sp.acot),
    sp.atan: _swaps(sp.atan, sp.sec(U) ** 2, sp.cos(U) ** 2),
    sp.asin: _swaps(sp.asin, sp.cos(U), 1 / sp.cos(U)),
}


@dataclass(frozen=True)
class Bug:
    """A wrong rule at one node: `target` is the node, `kind` which wrong rule."""

    target: sp.Expr | None  # None: the same wrong rule everywhere it applies
    kind: str


def negative_exp(f: sp.Expr) -> bool:
    """e^(−u): written 1/e^u, so a student may treat it as a denominator."""
    return f.func is sp.exp and f.args[0].could_extract_minus_sign()


def as_variable(c: sp.Expr) -> sp.Expr:
    """A constant differentiated as if its letter were the variable: π² → 2π, e³ → 3e², ln 7 → 1/7.
    0 when no such slip makes sense for it."""
    if c.is_Mul:
        k, rest = c.as_coeff_Mul()
        return k * as_variable(rest) if k != 1 else sp.Integer(0)
    if c in (sp.pi, sp.E):
        return sp.Integer(1)
    if c.is_Pow and c.args[1].is_number:
        b, n = c.args
        return n * b ** (n - 1)
    if c.func is sp.exp:
        a = c.args[0]
        return a * sp.exp(a - 1)
    if c.func in RIGHT and len(c.args) == 1:
        return RIGHT[c.func].subs(U, c.args[0])
    return sp.Integer(0)


class Differ:
    """Differentiates by the textbook rules, applying at most one wrong rule (`bug`)."""

    def __init__(self, var: sp.Symbol, bug: Bug | None = None, alt: sp.Expr | None = None):
        self.var = var
        self.bug = bug
        self.alt = alt  # the confused outer derivative for trig-family bugs

    def hit(self, e: sp.Expr, kind: str) -> bool:
        bug = self.bug
        return bug is not None and bug.kind == kind and (bug.target is None or bug.target == e)

    def d(self, e: sp.Expr) -> sp.Expr:
        x = self.var
        if not e.has(x):
            return as_variable(e) if self.hit(e, "constant_as_var") else sp.Integer(0)
        if e == x:
            return sp.Integer(1)
        if e.is_Add:
            return sp.Add(
                *(self.term(t) if t.has(x) or not self.hit(e, "constant") else t for t in e.args)
            )
        if e.is_Mul:
            return self.mul(e)
        if e.is_Pow:
            return self.pow(e)
        return self.func(e)

    def term(self, t: sp.Expr) -> sp.Expr:
        """A term of a sum: copied undifferentiated, or its derivative's sign lost."""
        if self.hit(t, "term_kept"):
            return t
        if self.hit(t, "term_sign"):
            return -self.d(t)
        return self.d(t)

    def mul(self, e: sp.Expr) -> sp.Expr:
        x = self.var
        const = sp.Mul(*(f for f in e.args if not f.has(x)))
        rest = sp.Mul(*(f for f in e.args if f.has(x)))
        if const != 1:
            if self.hit(e, "constant_multiple"):
                return self.d(rest)
            if self.hit(e, "log_base"):  # forgot 1/ln(b), kept any other factor
                kept = sp.Mul(*(f for f in sp.Mul.make_args(const) if not f.has(sp.log)))
                return kept * self.d(rest)
            if self.hit(e, "log_base_number"):  # 1/(x·b) for log_b(x): b in place of ln b
                return const.replace(sp.log, lambda b: b) * self.d(rest)
            if self.hit(e, "log_base_upside"):  # ln(b)/x for log_b(x)
                return self.d(rest) / const
            if self.hit(e, "constant_factor_as_var"):  # π·x² → 2πx + x²: (π)' taken as 1
                return as_variable(const) * rest + const * self.d(rest)
            return const * self.d(rest)
        factors = list(e.args)
        den = [f for f in factors if f.is_Pow and f.args[1].is_negative and f.args[1].is_number]
        if self.bug is not None and self.bug.kind.startswith("quotient"):
            den += [f for f in factors if negative_exp(f)]
        num = [f for f in factors if f not in den]
        if den and num:
            return self.quotient(e, sp.Mul(*num), sp.Mul(*(1 / f for f in den)))
        ds = [self.d(f) for f in factors]
        if self.hit(e, "product_both"):
            return sp.Mul(*ds)
        terms = [
            sp.Mul(*(ds[i] if i == j else factors[i] for i in range(len(factors))))
            for j in range(len(factors))
        ]
        if self.hit(e, "product_first"):
            return terms[0]
        if self.hit(e, "product_last"):
            return terms[-1]
        if self.hit(e, "product_minus"):
            return terms[0] - sp.Add(*terms[1:])
        if self.hit(e, "product_minus_last"):  # the factors read in the other order
            return terms[-1] - sp.Add(*terms[:-1])
        return sp.Add(*terms)

    def quotient(self, e: sp.Expr, u: sp.Expr, v: sp.Expr) -> sp.Expr:
        du, dv = self.d(u), self.d(v)
        if self.hit(e, "quotient_sign"):
            return (u * dv - du * v) / v**2
        if self.hit(e, "quotient_square"):
            return (du * v - u * dv) / v
        if self.hit(e, "quotient_ratio"):
            return du / dv
        if self.hit(e, "quotient_plus"):
            return (du * v + u * dv) / v**2
        return (du * v - u * dv) / v**2

    def pow(self, e: sp.Expr) -> sp.Expr:
        x = self.var
        b, n = e.args
        if not n.has(x):
            return self.power(e, b, n)
        if not b.has(x):
            inner = sp.Integer(1) if self.hit(e, "chain") else self.d(n)
            ln_b = sp.Integer(1) if b is sp.E else sp.log(b)
            if self.hit(e, "exp_power"):
                return n * b ** (n - 1) * inner
            if self.hit(e, "exp_power_bare"):
                return n * b ** (n - 1)
            if self.hit(e, "inner_only"):
                return self.d(n)
            if self.hit(e, "exp_no_ln"):
                return b**n * inner
            if self.hit(e, "exp_ln_divided"):
                return b**n / ln_b * inner
            return b**n * ln_b * inner
        # f^g with x in both: logarithmic differentiation
        if self.hit(e, "power"):
            return n * b ** (n - 1) * self.d(b)
        if self.hit(e, "exp"):
            return b**n * sp.log(b) * self.d(n)
        return b**n * (self.d(n) * sp.log(b) + n * self.d(b) / b)

    def power(self, e: sp.Expr, b: sp.Expr, n: sp.Expr) -> sp.Expr:
        x = self.var
        if self.hit(e, "outer_at_inner_derivative"):
            return n * self.d(b) ** (n - 1)
        if self.hit(e, "reciprocal"):  # 1/g → 1/g'
            return 1 / self.d(b ** (-n))
        if self.hit(e, "inner_only"):
            return self.d(b)
        inner = sp.Integer(1) if self.hit(e, "chain") else self.d(b)
        if self.hit(e, "power_not_lowered"):
            return n * b**n * inner
        if self.hit(e, "power_not_down"):
            return b ** (n - 1) * inner
        if self.hit(e, "power_new_exponent"):
            return (n - 1) * b ** (n - 1) * inner
        if self.hit(e, "power_raised"):
            return n * b ** (n + 1) * inner
        if self.hit(e, "power_dropped"):  # the exponent came down and the power went: x³ → 3
            return n * inner
        if self.hit(e, "power_flipped"):  # n − 1 worked out as 1 − n: (2/3)x^(1/3)
            return n * b ** (1 - n) * inner
        if self.hit(e, "power_negated"):  # the exponent's sign flipped: (1/3)x^(-1/3)
            return n * b ** (-n) * inner
        if self.hit(e, "outer_at_x"):
            return n * x ** (n - 1) * inner
        return n * b ** (n - 1) * inner

    def func(self, e: sp.Expr) -> sp.Expr:
        if e.func not in RIGHT or len(e.args) != 1:
            return sp.diff(e, self.var)
        (g,) = e.args
        if e.func is sp.exp and self.hit(e, "exp_power"):
            return g * sp.exp(g - 1) * self.d(g)
        if e.func is sp.exp and self.hit(e, "exp_power_bare"):
            return g * sp.exp(g - 1)
        outer = RIGHT[e.func]
        if self.hit(e, "family") and self.alt is not None:
            outer = self.alt
        if self.hit(e, "log_recip"):
            outer = 1 / sp.log(U)
        if self.hit(e, "outer_at_inner_derivative"):
            return outer.subs(U, self.d(g))
        if self.hit(e, "inner_only"):
            return self.d(g)
        inner = sp.Integer(1) if self.hit(e, "chain") else self.d(g)
        at = self.var if self.hit(e, "outer_at_x") else g
        return outer.subs(U, at) * inner


def nth(function: sp.Expr, var: sp.Symbol, order: int) -> sp.Expr:
    """The derivative by the same textbook rules the variants use: sympy's own diff turns
    |x| into re/im parts over the complex numbers, which no real check can evaluate."""
    for _ in range(order):
        function = Differ(var).d(function)
    return function
