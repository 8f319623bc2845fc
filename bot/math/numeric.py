"""Evaluate sympy expressions at real points, fast and at high precision, with real-domain rules.

sympy's own evaluation (``subs``/``evalf``) is far too slow for checking answers at dozens of
points in a few milliseconds, and ``lambdify`` works over the complex numbers where students
work over the reals. So each expression is compiled once into a tree of closures over mpmath
(or over exact ``Fraction`` for rational functions), and a value outside the real domain — the
log of a negative, an even root of a negative, a division by zero, a number too large to hold —
raises ``Undefined`` instead of becoming complex or hanging.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache

import mpmath
import sympy as sp
from mpmath import mpf

MAX_MAGNITUDE_BITS = 60_000  # |value| < 2**60000; anything bigger is treated as undefined
MAX_EXACT_EXPONENT = 64


class Undefined(ArithmeticError):
    """The expression has no real value at this point."""


class Unsupported(ValueError):
    """The expression uses something this evaluator cannot compute; fall back to sympy."""


Fn = Callable[[object], object]
mp = mpmath.mp
#: what an expression is a function of: one variable, or several (then points are tuples)
Var = sp.Symbol | tuple[sp.Symbol, ...]
Point = Fraction | tuple[Fraction, ...]


def _position(expr: sp.Expr, var: Var) -> int | None:
    """Where `expr` sits among several variables (None: not one of them, or only one var)."""
    if isinstance(var, tuple) and expr.is_Symbol and expr in var:
        return var.index(expr)
    return None


def _check(value: mpf) -> mpf:
    # straight from mpmath's raw (sign, mantissa, exponent, bitcount): this runs per node
    # per point, and isfinite()/mag() cost more than the arithmetic they guard
    try:
        _sign, man, exp, bc = value._mpf_
    except AttributeError:
        raise Undefined("complex") from None
    if not man:
        if exp:  # +inf, -inf, nan
            raise Undefined("not finite")
        return value
    if exp + bc > MAX_MAGNITUDE_BITS:
        raise Undefined("too large")
    return value


def _domain(test: Callable[[mpf], bool], fn: Callable[[mpf], mpf]) -> Callable[[mpf], mpf]:
    def apply(a: mpf) -> mpf:
        if not test(a):
            raise Undefined("outside the domain")
        return fn(a)

    return apply


def _nonzero(fn: Callable[[mpf], mpf]) -> Callable[[mpf], mpf]:
    def apply(a: mpf) -> mpf:
        try:
            return fn(a)
        except ZeroDivisionError:
            raise Undefined("division by zero") from None

    return apply


def _exp(a: mpf) -> mpf:
    if a > 40_000:
        raise Undefined("too large")
    return mpmath.exp(a)


def _sign(a: mpf) -> mpf:
    return mpf((a > 0) - (a < 0))


_ONE = mpf(1)
_FUNCS: dict[type, Callable[[mpf], mpf]] = {
    sp.exp: _exp,
    sp.log: _domain(lambda a: a > 0, mpmath.log),
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tan: _nonzero(mpmath.tan),
    sp.sec: _nonzero(mpmath.sec),
    sp.csc: _nonzero(mpmath.csc),
    sp.cot: _nonzero(mpmath.cot),
    sp.asin: _domain(lambda a: -1 <= a <= 1, mpmath.asin),
    sp.acos: _domain(lambda a: -1 <= a <= 1, mpmath.acos),
    sp.atan: mpmath.atan,
    sp.acot: _domain(lambda a: a != 0, mpmath.acot),
    sp.asec: _domain(lambda a: abs(a) >= 1, mpmath.asec),
    sp.acsc: _domain(lambda a: abs(a) >= 1, mpmath.acsc),
    sp.sinh: mpmath.sinh,
    sp.cosh: mpmath.cosh,
    sp.tanh: mpmath.tanh,
    sp.sech: mpmath.sech,
    sp.csch: _domain(lambda a: a != 0, mpmath.csch),
    sp.coth: _domain(lambda a: a != 0, mpmath.coth),
    sp.asinh: mpmath.asinh,
    sp.acosh: _domain(lambda a: a >= 1, mpmath.acosh),
    sp.atanh: _domain(lambda a: abs(a) < 1, mpmath.atanh),
    sp.acoth: _domain(lambda a: abs(a) > 1, mpmath.acoth),
    sp.asech: _domain(lambda a: 0 < a <= 1, mpmath.asech),
    sp.acsch: _domain(lambda a: a != 0, mpmath.acsch),
    sp.Abs: abs,
    sp.sign: _sign,
}


def _pow_mp(base: mpf, exponent: mpf, exact: sp.Expr) -> mpf:
    """A real power: odd roots of negatives are real, even roots and irrational powers are not."""
    if base == 0:
        if exponent > 0:
            return mpf(0)
        raise Undefined("division by zero")
    if base < 0:
        if exact.is_Integer:
            pass
        elif exact.is_Rational and exact.q % 2 == 1:
            magnitude = _pow_mp(-base, exponent, exact)
            return -magnitude if exact.p % 2 else magnitude
        else:
            raise Undefined("root of a negative number")
    if abs(exponent) * abs(mpmath.log(abs(base), 2)) > MAX_MAGNITUDE_BITS:
        raise Undefined("too large")
    if exact.is_Integer:
        return base ** int(exact)
    return base**exponent


def _compile_mp(expr: sp.Expr, var: Var) -> Fn:
    atom = _atom_mp(expr, var)
    if atom is not None:
        return atom
    args = [_compile_mp(a, var) for a in expr.args]
    if expr.is_Add:
        return _add_mp(args)
    if expr.is_Mul:
        return _mul_mp(args)
    if expr.is_Pow:
        return _power_mp(expr, *args)
    fn = _FUNCS.get(expr.func)
    if fn is None or len(args) != 1:
        raise Unsupported(f"cannot evaluate {expr.func.__name__}")
    (arg,) = args
    return lambda v: _check(fn(arg(v)))


def _atom_mp(expr: sp.Expr, var: Var) -> Fn | None:
    """The variable or a constant; None for anything with arguments."""
    if expr == var:
        return lambda v: v
    k = _position(expr, var)
    if k is not None:
        return lambda v: v[k]
    if expr.is_Integer:
        n = mpf(int(expr))  # exact at any precision, so made once
        return lambda v: n
    if expr.is_Rational:
        p, q = int(expr.p), int(expr.q)
        return lambda v: mpf(p) / q
    if expr.is_Float:
        value = expr._mpf_
        return lambda v: mpf(value)
    if expr is sp.E:
        return lambda v: +mpmath.e
    if expr is sp.pi:
        return lambda v: +mpmath.pi
    if expr.is_Symbol:
        raise Unsupported(f"unexpected symbol {expr}")
    return None


def _add_mp(args: list[Fn]) -> Fn:
    first, rest = args[0], args[1:]

    def add(v: mpf) -> mpf:
        # plain sums: a cancellation error is caught by the confirmation at higher precision;
        # a sum of checked terms is finite and at most one bit larger, so no check here
        total = first(v)
        for f in rest:
            total = total + f(v)
        return total

    return add


def _mul_mp(args: list[Fn]) -> Fn:
    def mul(v: mpf) -> mpf:
        result = _ONE
        for f in args:
            result = result * f(v)
        return _check(result)

    return mul


def _power_mp(expr: sp.Expr, base_f: Fn, exp_f: Fn) -> Fn:
    exact = expr.args[1]
    if expr.args[0] is sp.E:
        return lambda v: _check(_exp(exp_f(v)))
    if exact == -1:

        def reciprocal(v: mpf) -> mpf:
            b = base_f(v)
            if b == 0:
                raise Undefined("division by zero")
            return _check(1 / b)

        return reciprocal
    if exact.is_Rational and exact.q == 2:
        p = int(exact.p)

        def half_power(v: mpf) -> mpf:
            b = base_f(v)
            if b < 0 or (b == 0 and p < 0):
                raise Undefined("square root of a negative number")
            return _check(mpmath.sqrt(b) ** p)

        return half_power
    return lambda v: _check(_pow_mp(base_f(v), exp_f(v), exact))


def _compile_exact(expr: sp.Expr, var: Var) -> Callable[[Point], Fraction]:
    if expr == var:
        return lambda v: v
    k = _position(expr, var)
    if k is not None:
        return lambda v: v[k]
    if expr.is_Rational:
        value = Fraction(int(expr.p), int(expr.q))
        return lambda v: value
    args = [_compile_exact(a, var) for a in expr.args]
    if expr.is_Add:
        return lambda v: sum((f(v) for f in args), Fraction(0))

    if expr.is_Mul:

        def mul(v: Fraction) -> Fraction:
            result = Fraction(1)
            for f in args:
                result *= f(v)
            return result

        return mul
    if expr.is_Pow:
        base_f = args[0]
        n = int(expr.args[1])

        def power(v: Fraction) -> Fraction:
            b = base_f(v)
            if b == 0 and n < 0:
                raise Undefined("division by zero")
            return b**n

        return power
    raise Unsupported(f"not rational: {expr.func.__name__}")


MAX_EXACT_DEGREE = 256


def is_rational_function(expr: sp.Expr, var: Var) -> bool:
    """Rational functions of modest degree are evaluated exactly, with no tolerance at all;
    nested powers like ((x+1)^64+1)^64 would make exact fractions explode, so they are not."""
    return _degree(expr, var) <= MAX_EXACT_DEGREE


def _degree(expr: sp.Expr, var: Var) -> float:
    """An upper bound on the (total) degree, or infinity when `expr` is not a rational function."""
    if expr == var or _position(expr, var) is not None:
        return 1
    if expr.is_Rational:
        return 0
    if expr.is_Pow:
        e = expr.args[1]
        if not (e.is_Integer and abs(int(e)) <= MAX_EXACT_EXPONENT):
            return math.inf
        return _degree(expr.args[0], var) * abs(int(e))
    if expr.is_Add:
        return max(_degree(a, var) for a in expr.args)
    if expr.is_Mul:
        return sum(_degree(a, var) for a in expr.args)
    return math.inf


class Compiled:
    """An expression ready to evaluate many times: an exact and/or an mpmath evaluator."""

    __slots__ = ("exact", "expr", "grid", "memo", "mp")

    def __init__(self, expr: sp.Expr, var: Var) -> None:
        self.expr = expr
        self.exact = _compile_exact(expr, var) if is_rational_function(expr, var) else None
        self.mp = _compile_mp(expr, var)
        self.memo: dict[Point, object] = {}
        #: the grid points `equivalence` samples this expression at, once found
        self.grid: list[Fraction] | None = None

    def sample(self, point: Point, dps: int) -> object:
        """The exact value if rational, else the value at `dps`; remembered, since the expected
        answer of a problem is checked against many answers. Raises Undefined."""
        try:
            value = self.memo[point]
        except KeyError:
            try:
                value = self.exact(point) if self.exact else self.at(point, dps)
            except Undefined as exc:
                value = exc
            if len(self.memo) < 256:
                self.memo[point] = value
        if isinstance(value, Undefined):
            raise value
        return value

    def at(self, point: Point, dps: int) -> mpf:
        """The value at `point` with `dps` significant digits; raises Undefined."""
        with mpmath.workdps(dps):
            try:
                if isinstance(point, tuple):
                    return self.mp(tuple(mpf(p.numerator) / p.denominator for p in point))
                return self.mp(mpf(point.numerator) / point.denominator)
            except (ZeroDivisionError, ValueError, OverflowError) as exc:
                raise Undefined(str(exc)) from None

    def exact_at(self, point: Point) -> Fraction:
        assert self.exact is not None
        return self.exact(point)


@lru_cache(maxsize=4096)
def compile_expr(expr: sp.Expr, var: Var) -> Compiled:
    """Compile once, evaluate many times (the expected answer of a problem is reused often)."""
    return Compiled(expr, var)
