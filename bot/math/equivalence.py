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
from functools import lru_cache

import mpmath
import sympy as sp

from bot.math.numeric import Compiled, Point, Undefined, Unsupported, Var, compile_expr

# A right answer differs from the expected one only by rounding, which at 50 digits is far
# below 1e-30 unless terms cancel (then the 150-digit confirmation settles it). A wrong answer
# that is merely close (a coefficient off by 1e-10, a difference quotient with a tiny step,
# e^(x-70) for 0) stays different at any precision.
RTOL = mpmath.mpf("1e-30")
DPS = 50
CONFIRM_DPS = 150
CONFIRM_RTOL = mpmath.mpf("1e-60")
MAX_DPS = 4000
SHRINK = mpmath.mpf("1e-40")  # rounding shrinks this much from DPS to CONFIRM_DPS; truth doesn't
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
# Two points drawn afresh in every process, with large random denominators: the fixed points
# above are public (this file), and an answer built to vanish exactly on them — say a
# sin(N·pi·x) term with N a multiple of every denominator — must still be caught.
_SECRET = random.SystemRandom()
SECRET = tuple(
    sign * Fraction(_SECRET.randrange(int(low * den) + 1, int(high * den)), den)
    for (low, high), sign in zip(RANGES[:2], (1, -1), strict=True)
    for den in (_SECRET.randrange(10**8, 10**9),)
)
POINTS = SECRET + PRIMARY + NARROW + RESERVE
# For domains the points above miss (a sliver like (1, 1.5), or only |x| > 20): a fine grid,
# walked only when too few of the usual points are in the domain.
GRID = tuple(Fraction(k, 29) + Fraction(1, 1013) for k in range(-29 * 30, 29 * 30 + 1)) + tuple(
    Fraction(k * 7, 3) + Fraction(1, 1013) for k in range(-450, 451) if abs(k * 7 / 3) > 30
)


# In several variables: points whose coordinates are drawn from the one-variable points above
# (secret ones first), so each coordinate covers every range and sign; candidates outside the
# expected answer's domain (ln(x·y) where x·y < 0) are skipped as in one variable.
MAX_CANDIDATES = 400


@lru_cache(maxsize=8)
def candidates(n: int) -> tuple[tuple[Fraction, ...], ...]:
    """Points in n variables; the first ones mix the process's secret coordinates."""
    rng = random.Random(7919 + n)
    pool = PRIMARY + NARROW + RESERVE
    secret = [tuple(rng.choice(SECRET + PRIMARY) for _ in range(n)) for _ in range(4)]
    drawn = [tuple(rng.choice(pool) for _ in range(n)) for _ in range(MAX_CANDIDATES)]
    return tuple(secret + drawn)


@dataclass(frozen=True)
class Comparison:
    """equal: True/False, or None when neither sampling nor simplification could decide."""

    equal: bool | None
    reason: str = ""
    point: Point | None = None


def where(var: Var, point: Point) -> str:
    """`x = 1/2`, or `(x, y) = (1/2, 3/4)` in several variables."""
    if isinstance(var, tuple):
        names = ", ".join(str(v) for v in var)
        return f"({names}) = ({', '.join(str(p) for p in point)})"  # type: ignore[union-attr]
    return f"{var} = {point}"


def _close(a: mpmath.mpf, b: mpmath.mpf) -> bool:
    return _same_at(a, b, RTOL)


def _disagree(expected: Compiled, answer: Compiled, point: Point, first_gap: mpmath.mpf) -> bool:
    """Confirm a disagreement at higher precision: rounding error shrinks with more digits (a
    cancelling sum, or a true zero computed as 1e-60), a true difference does not."""
    try:
        a = expected.at(point, CONFIRM_DPS)
        b = answer.at(point, CONFIRM_DPS)
    except Undefined:
        return True
    with mpmath.workdps(CONFIRM_DPS):
        if _same_at(a, b, CONFIRM_RTOL):
            return False
        if abs(a - b) <= abs(first_gap) * SHRINK:
            return False
        if (a == 0) != (b == 0):
            # one side cancelled to exactly 0 (1 - tanh(200)^2 needs ~175 digits): look again
            # with enough digits to see the other side's size, or confirm it really is 0
            tiny = abs(a if a != 0 else b)
            digits = int(-mpmath.log10(tiny)) + 60
            if digits <= MAX_DPS:
                try:
                    a = expected.at(point, digits)
                    b = answer.at(point, digits)
                except Undefined:
                    return True
                with mpmath.workdps(digits):
                    return not _same_at(a, b, RTOL)
        return True


def _same_at(a: mpmath.mpf, b: mpmath.mpf, rtol: mpmath.mpf) -> bool:
    return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))


def _variables(expected: sp.Expr, answer: sp.Expr, var: sp.Symbol) -> tuple[sp.Symbol, ...]:
    """`var` first, then any other symbol either side holds, in name order."""
    others = (expected.free_symbols | answer.free_symbols) - {var}
    return (var, *sorted(others, key=lambda s: s.name))


def compare(expected: sp.Expr, answer: sp.Expr, var: sp.Symbol) -> Comparison:
    """Decide whether `answer` equals `expected` wherever `expected` is defined. Symbols other
    than `var` (a partial derivative's other variables) are sampled too: see `compare_many`."""
    if expected == answer:
        return Comparison(True)
    symbols = _variables(expected, answer, var)
    if len(symbols) > 1:
        return compare_many(expected, answer, symbols)
    try:
        exp_c = compile_expr(expected, var)
        ans_c = compile_expr(answer, var)
    except Unsupported:
        return symbolic_compare(expected, answer)
    exact = exp_c.exact is not None and ans_c.exact is not None
    checked = 0
    for points in (POINTS, None):
        if points is None:  # the usual points mostly miss this domain: walk the fine grid
            if checked >= MIN_POINTS:
                break
            points = _grid_points(exp_c)
        for point in points:
            if checked >= WANT_POINTS:
                break
            try:
                expected_value = exp_c.sample(point, DPS)
            except Undefined:
                continue  # outside the expected answer's domain: draw the next point
            checked += 1
            verdict = _judge(exp_c, ans_c, point, expected_value, exact, var)
            if verdict is not None:
                return verdict
    if checked < MIN_POINTS:
        return symbolic_compare(expected, answer)
    return Comparison(True)


def apart(candidate: sp.Expr, answer: sp.Expr, var: sp.Symbol) -> bool:
    """True when `candidate` is certainly not `answer`, told at one point of the candidate's
    domain with `compare`'s precision and confirmation: the first usual point in it (the first
    point compare judges), else the first point of a coarse grid (`_first_point`), so a
    difference found is a real one. One rule goes further: a candidate with no real value at
    any of those points is parted from an answer that has one (compare would walk the whole
    grid, then ask simplification, which may call two expressions equal as complex
    functions). False says only that this look could not tell them apart: ask `compare`.

    For a search that holds one answer against dozens of candidates (the diagnosis): compare on
    a candidate with no real domain, as arccos' given as 1/sqrt(x^2 - 1) beside arcsin' =
    1/sqrt(1 - x^2), costs 0.3-0.4 s each time; here the coarse walk is at low precision and
    remembered per candidate."""
    if _variables(candidate, answer, var) != (var,):
        return False
    try:
        cand_c = compile_expr(candidate, var)
        ans_c = compile_expr(answer, var)
    except Unsupported:
        return False
    point = _first_point(candidate, var)
    if point is None:
        return any(_defined(ans_c, p) for p in POINTS)
    exact = cand_c.exact is not None and ans_c.exact is not None
    value = cand_c.sample(point, DPS)
    return _judge(cand_c, ans_c, point, value, exact, var) is not None


#: digits for finding where an expression is defined; its value there is taken at DPS
PROBE_DPS = 15
#: every 4th grid point: any interval of the grid's range 0.14 wide (near 0) holds one
PROBE_GRID = GRID[::4]


@lru_cache(maxsize=2048)
def _first_point(expr: sp.Expr, var: sp.Symbol) -> Fraction | None:
    """The first usual point where `expr` is defined, else the first such point of the coarse
    grid, else None (no real value anywhere we look)."""
    compiled = compile_expr(expr, var)
    for point in POINTS:
        if _defined(compiled, point):
            return point
    for point in PROBE_GRID:
        try:
            compiled.at(point, PROBE_DPS)
        except Undefined:
            continue
        if _defined(compiled, point):
            return point
    return None


def _defined(compiled: Compiled, point: Point) -> bool:
    try:
        compiled.sample(point, DPS)
    except Undefined:
        return False
    return True


def compare_many(expected: sp.Expr, answer: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Comparison:
    """`compare` in several variables: the same sampling, precision and confirmation, at points
    of n coordinates inside the expected answer's domain; simplification when too few are."""
    if expected == answer:
        return Comparison(True)
    if len(symbols) == 1:
        return compare(expected, answer, symbols[0])
    if len(symbols) > len(set(symbols)):
        raise ValueError("a variable is given twice")
    try:
        exp_c = compile_expr(expected, symbols)
        ans_c = compile_expr(answer, symbols)
    except Unsupported:
        return symbolic_compare(expected, answer)
    exact = exp_c.exact is not None and ans_c.exact is not None
    checked = 0
    for point in candidates(len(symbols)):
        if checked >= WANT_POINTS:
            break
        try:
            expected_value = exp_c.sample(point, DPS)
        except Undefined:
            continue
        checked += 1
        verdict = _judge(exp_c, ans_c, point, expected_value, exact, symbols)
        if verdict is not None:
            return verdict
    if checked < MIN_POINTS:
        return symbolic_compare(expected, answer)
    return Comparison(True)


def _judge(
    exp_c: Compiled,
    ans_c: Compiled,
    point: Point,
    expected_value: object,
    exact: bool,
    var: Var,
) -> Comparison | None:
    """The verdict one point gives: a Comparison when it shows a difference, else None."""
    try:
        if exact:
            if ans_c.exact_at(point) != expected_value:
                return Comparison(False, f"differs at {where(var, point)}", point)
            return None
        if isinstance(expected_value, Fraction):
            expected_value = exp_c.at(point, DPS)
        value = ans_c.at(point, DPS)
    except Undefined:
        return Comparison(False, f"undefined at {where(var, point)}", point)
    with mpmath.workdps(DPS):
        same = _close(expected_value, value)
        gap = expected_value - value
    if not same and _disagree(exp_c, ans_c, point, gap):
        return Comparison(False, f"differs at {where(var, point)}", point)
    return None


def _grid_points(compiled: Compiled) -> list[Fraction]:
    """Points of the fine grid inside the domain, spread evenly: for the rare expected answer
    whose domain the usual points miss. Found once per expression (a walk of the whole grid,
    0.1-0.2 s): every answer to that problem, and every variant a diagnosis tries against it,
    is compared at the same points."""
    if compiled.grid is None:
        inside = [point for point in GRID if _defined(compiled, point)]
        compiled.grid = inside[:: max(1, len(inside) // WANT_POINTS)]
    return compiled.grid


def symbolic_compare(expected: sp.Expr, answer: sp.Expr) -> Comparison:
    """The slow path, for when sampling cannot decide; callers bound it with the worker's limit."""
    difference = sp.simplify(expected - answer)
    if difference == 0:
        return Comparison(True)
    return Comparison(None, "could not confirm the two are equal")


def roughly(expected: sp.Expr, answer: sp.Expr, var: Var, rtol: float = 0.02) -> bool:
    """Equal to a few significant digits at several points: a rounded decimal for an exact
    value. Only used to word the reply, never to accept an answer. `var` may be a tuple of
    several variables."""
    try:
        exp_c = compile_expr(expected, var)
        ans_c = compile_expr(answer, var)
    except Unsupported:
        return False
    seen = 0
    points = candidates(len(var)) if isinstance(var, tuple) else PRIMARY
    for point in points:
        try:
            a = exp_c.at(point, 20)
            b = ans_c.at(point, 20)
        except Undefined:
            continue
        if abs(a - b) > rtol * max(abs(a), abs(b), mpmath.mpf("1e-12")):
            return False
        seen += 1
        if seen >= 6:
            break
    return seen > 0
