"""Are two expressions the same function on the expected answer's real domain?

The approach of the best answer checkers (WeBWorK, KAS, STACK): evaluate both at many points
spread over several ranges — near zero, moderate, larger, and negative — inside the domain of
the expected answer. Rational functions are compared exactly; everything else with mpmath at 30
digits, and a disagreement is re-checked at 90 digits so that cancellation in a correct answer is
never mistaken for a difference. Only when sampling cannot decide (too few points in the domain,
something the evaluator cannot compute) does sympy's symbolic simplification get a say.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from bot.math.numeric import Compiled, Undefined, Unsupported, compile_expr

RTOL = mpmath.mpf("1e-9")
ATOL = mpmath.mpf("1e-20")
DPS = 30
CONFIRM_DPS = 90
MIN_POINTS = 6
WANT_POINTS = 16

# (low, high) magnitudes; each is sampled on both signs. Near zero catches constant terms and
# tiny coefficients, moderate and larger catch powers, negatives catch `sqrt(x^2)` for `x`.
RANGES = ((Fraction(1, 20), Fraction(19, 20)), (Fraction(21, 20), 4), (4, 20))


def _draw_points(per_range: int, seed: int) -> tuple[Fraction, ...]:
    rng = random.Random(seed)
    points = []
    for _ in range(per_range):
        for low, high in RANGES:
            for sign in (1, -1):
                # denominators that are not round numbers keep clear of special angles and roots
                den = rng.choice((997, 1009, 1013, 1019))
                num = rng.randint(int(low * den) + 1, int(high * den) - 1)
                points.append(sign * Fraction(num, den))
    return tuple(points)


PRIMARY = _draw_points(3, 2026)  # 18 points, 3 per range and sign
RESERVE = _draw_points(10, 1127)  # redraws when the expected answer is undefined at some points
# A narrow band around zero for domains such as asin's (-1, 1) or atanh's.
NARROW = tuple(Fraction(k, 1013) for k in (-911, -650, -377, -102, 57, 281, 503, 788, 970))
POINTS = PRIMARY + NARROW + RESERVE


@dataclass(frozen=True)
class Comparison:
    """equal: True/False, or None when neither sampling nor simplification could decide."""

    equal: bool | None
    reason: str = ""
    point: Fraction | None = None


def _close(a: mpmath.mpf, b: mpmath.mpf) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + ATOL


def _disagree(expected: Compiled, answer: Compiled, point: Fraction) -> bool:
    """Confirm a disagreement at higher precision: a true difference does not shrink."""
    try:
        a = expected.at(point, CONFIRM_DPS)
        b = answer.at(point, CONFIRM_DPS)
    except Undefined:
        return True
    with mpmath.workdps(CONFIRM_DPS):
        return not _close(a, b)


def compare(expected: sp.Expr, answer: sp.Expr, var: sp.Symbol) -> Comparison:
    """Decide whether `answer` equals `expected` wherever `expected` is defined."""
    if expected == answer:
        return Comparison(True)
    try:
        exp_c = compile_expr(expected, var)
        ans_c = compile_expr(answer, var)
    except Unsupported:
        return symbolic_compare(expected, answer)
    exact = exp_c.exact is not None and ans_c.exact is not None
    checked = 0
    for point in POINTS:
        if checked >= WANT_POINTS:
            break
        try:
            expected_value = exp_c.sample(point, DPS)
        except Undefined:
            continue  # outside the expected answer's domain: draw the next point
        checked += 1
        try:
            if exact:
                if ans_c.exact_at(point) != expected_value:
                    return Comparison(False, f"differs at {var} = {point}", point)
                continue
            if isinstance(expected_value, Fraction):
                expected_value = exp_c.at(point, DPS)
            value = ans_c.at(point, DPS)
        except Undefined:
            return Comparison(False, f"undefined at {var} = {point}", point)
        with mpmath.workdps(DPS):
            same = _close(expected_value, value)
        if not same and _disagree(exp_c, ans_c, point):
            return Comparison(False, f"differs at {var} = {point}", point)
    if checked < MIN_POINTS:
        return symbolic_compare(expected, answer)
    return Comparison(True)


def symbolic_compare(expected: sp.Expr, answer: sp.Expr) -> Comparison:
    """The slow path, for when sampling cannot decide; callers bound it with the worker's limit."""
    difference = sp.simplify(expected - answer)
    if difference == 0:
        return Comparison(True)
    return Comparison(None, "could not confirm the two are equal")
