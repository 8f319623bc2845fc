"""The parser's hard limits, checked before sympy evaluates anything a student typed."""

from __future__ import annotations

import math

import sympy as sp

from bot.math.tokens import ParseError

MAX_LENGTH = 500
MAX_DEPTH = 50
MAX_NODES = 400
MAX_INTEGER = 10**12
# significant digits of a decimal: room for a pasted float (3.141592653589793) or a calculator's
# display, so it is read, and told to be exact, rather than refused
MAX_DECIMAL_DIGITS = 30
MAX_RESULT_BITS = 4096  # a numeric power whose exact value would need more bits is refused
MAX_POWER_NESTING = 3


def power_nesting(expr: sp.Expr) -> int:
    """How many powers are stacked in `expr` (x^(x^(x^x)) is 3)."""
    if expr.is_Atom:
        return 0
    inner = max((power_nesting(a) for a in expr.args), default=0)
    return inner + 1 if expr.is_Pow else inner


def guard_numeric_power(base: sp.Expr, exponent: sp.Expr, pos: int) -> None:
    """Refuse a numeric power before sympy evaluates it, if its exact value would be huge."""
    if not exponent.is_Rational:
        return
    if abs(exponent.p) > 10**7 * exponent.q:
        raise ParseError("that power is too large to check", pos)
    if base.is_Rational:
        size = max(abs(base.p), abs(base.q), 2)
        bits = abs(exponent.p) / exponent.q * math.log2(size)
        if bits > MAX_RESULT_BITS or abs(exponent.q) > 1000:
            raise ParseError("that number is too large to check", pos)
    elif abs(exponent.p) > 1000 or exponent.q > 1000:
        raise ParseError("that power is too large to check", pos)
