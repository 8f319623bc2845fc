"""How often a classic wrong answer gets the right mistake code (issue 11 §3).

Each family is one wrong *formula* a student uses (the power rule on eˣ, f'' for f', + C on a
derivative ...), applied to many functions drawn at random here, with their own generator: the
hand-picked examples in tests/math/test_diagnosis.py are not among them, so the share named
right is measured on answers the diagnosis was not tuned on. Every wrong answer goes through
`check_answer` as text (sympy's printed form), as a typed answer would, and is timed.

    .venv/bin/python -m bench.slips [--per-family N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator

import sympy as sp

from bot.math.check import check_answer

x = sp.Symbol("x")
Case = tuple[sp.Expr, str]  # (function, the wrong answer as typed)
Family = Callable[[random.Random], Iterator[Case]]


def _coef(r: random.Random) -> int:
    return r.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6])


def _k(r: random.Random) -> int:
    return r.choice([2, 3, 4, 5, 6, 7, -2, -3, -4, -5])


def _linear(r: random.Random) -> sp.Expr:
    return _k(r) * x + r.choice([1, 2, 3, 5, 7, -1, -2, -4, -9])


def _curved(r: random.Random) -> sp.Expr:
    """An inside whose derivative is not a constant."""
    a, b = r.choice([1, 2, 3, -1]), r.choice([1, 2, 5, 7, -3, -4])
    return a * x ** r.choice([2, 3, 4]) + b if r.random() < 0.7 else a * x**3 + _k(r) * x


def _s(e: sp.Expr) -> str:
    return sp.sstr(e)


def exp_power(r: random.Random) -> Iterator[Case]:
    """The power rule on an exponential: u·e^(u−1) for e^u, x·a^(x−1) for aˣ."""
    c = r.choice([1, 1, 2, 3, -4, 5])
    u = r.choice([x, x, _k(r) * x])
    if r.random() < 0.3:
        a = r.choice([2, 3, 5, 7, 10])
        yield c * a**u, _s(c * u * sp.Integer(a) ** (u - 1))
        return
    bare = sp.Mul(c, u, sp.exp(u - 1), evaluate=False)
    yield c * sp.exp(u), _s(bare if r.random() < 0.6 else bare * sp.diff(u, x))


def order(r: random.Random) -> Iterator[Case]:
    """The second derivative given for the first."""
    pick = r.randrange(6)
    if pick == 0:
        f = _coef(r) * x ** r.choice([3, 4, 5, 6, 7])
    elif pick == 1:
        f = _coef(r) * r.choice([sp.sin, sp.cos])(r.choice([x, _k(r) * x]))
    elif pick == 2:
        f = _coef(r) * x ** r.choice([3, 4, 5]) + _coef(r) * x**2 + _coef(r) * x
    elif pick == 3:
        f = sp.exp(_k(r) * x) + _coef(r) * x**3
    elif pick == 4:
        f = _coef(r) * sp.log(x) + _coef(r) * x**3
    else:
        f = _coef(r) * x ** sp.Rational(r.choice([3, 5, 7]), 2)
    yield f, _s(sp.diff(f, x, 2))


def integrated_c(r: random.Random) -> Iterator[Case]:
    """+ C on a derivative (the rest right), sometimes on an antiderivative."""
    f = _coef(r) * x ** r.choice([2, 3, 4, 5]) + r.choice([0, _coef(r) * sp.sin(x), _coef(r) * x])
    c = r.choice(["C", "c", "K", "C", "C"])
    if r.random() < 0.8:
        yield f, f"{_s(sp.diff(f, x))} + {c}"
    else:
        yield f, f"{_s(sp.integrate(f, x))} + {c}"


_INV = (sp.asin, sp.acos, sp.atan, sp.acot)
_U = sp.Symbol("u")
_INV_WRONG = (
    1 / sp.sqrt(1 - _U**2),
    -1 / sp.sqrt(1 - _U**2),
    1 / (1 + _U**2),
    -1 / (1 + _U**2),
    1 / sp.sqrt(1 + _U**2),
    sp.sqrt(1 - _U**2),
)


def inverse_trig(r: random.Random) -> Iterator[Case]:
    """A formula from the wrong inverse trig function (or its sign, or √ swapped in or out)."""
    func = r.choice(_INV)
    u = r.choice([x, x, _k(r) * x, x**2])
    c = r.choice([1, 1, 2, 3, -1])
    right = sp.diff(func(_U), _U)
    wrong = r.choice([w for w in _INV_WRONG if sp.simplify(w - right) != 0])
    yield c * func(u), _s(c * wrong.subs(_U, u) * sp.diff(u, x))


_TRIG_SWAP = {
    sp.sin: (-sp.cos(_U),),
    sp.cos: (sp.sin(_U),),
    sp.tan: (-(sp.sec(_U) ** 2),),
    sp.cot: (sp.csc(_U) ** 2,),
    sp.sec: (-sp.sec(_U) * sp.tan(_U),),
    sp.csc: (sp.csc(_U) * sp.cot(_U),),
}


def trig_sign(r: random.Random) -> Iterator[Case]:
    """The sign of a cofunction's derivative swapped (cos' = sin, sin' = −cos ...)."""
    func = r.choice(list(_TRIG_SWAP))
    u = r.choice([x, x, _k(r) * x, x**2])
    c = r.choice([1, 2, 3, -1, 5])
    rest = r.choice([0, 0, _coef(r) * x**3])
    (wrong,) = _TRIG_SWAP[func]
    yield c * func(u) + rest, _s(c * wrong.subs(_U, u) * sp.diff(u, x) + sp.diff(rest, x))


def power_off_by_one(r: random.Random) -> Iterator[Case]:
    """The exponent raised instead of lowered: n·xⁿ⁺¹ (6x⁷ for x⁶, −3/x² for 1/x³)."""
    n = r.choice([2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, sp.Rational(1, 2), sp.Rational(3, 2)])
    c = _coef(r)
    rest = r.choice([0, 0, _coef(r) * sp.sin(x), _coef(r) * x])
    yield c * x**n + rest, _s(c * n * x ** (n + 1) + sp.diff(rest, x))


def _constant(r: random.Random) -> tuple[sp.Expr, sp.Expr]:
    """A constant and what it turns into when treated as a variable."""
    pick = r.randrange(5)
    if pick == 0:
        n = r.choice([2, 3, 4])
        return sp.pi**n, n * sp.pi ** (n - 1)
    if pick == 1:
        n = r.choice([2, 3, 4, 5])
        return sp.exp(n), n * sp.exp(n - 1)
    if pick == 2:
        k = r.choice([2, 3, 5, 7, 10])
        return sp.log(k), sp.Integer(1) / k
    if pick == 3:
        k = r.choice([2, 3, 5, 7])
        return sp.sqrt(k), 1 / (2 * sp.sqrt(k))
    k = r.choice([1, 2, 3])
    return sp.sin(k), sp.cos(k)


def constant(r: random.Random) -> Iterator[Case]:
    """A constant (π², e³, ln 7, √2) differentiated as if it were a variable."""
    c, wrong = _constant(r)
    rest = r.choice([0, 0, _coef(r) * x ** r.choice([2, 3, 4]), _coef(r) * sp.sin(x)])
    yield c + rest, _s(wrong + sp.diff(rest, x))


def chain_wrong_part(r: random.Random) -> Iterator[Case]:
    """The outer derivative taken at the inner derivative: n(g')ⁿ⁻¹, cos(g')."""
    g = _curved(r)
    dg = sp.diff(g, x)
    if r.random() < 0.5:
        n = r.choice([2, 3, 4, 5, 6, -2, -3])
        yield g**n, _s(sp.Mul(n, sp.Pow(dg, n - 1, evaluate=False), evaluate=False))
    else:
        func = r.choice([sp.sin, sp.cos, sp.exp, sp.tan])
        f = func(g)
        if f.func is func:  # not cos(−u) turned into cos(u): the slip is on f as shown
            yield f, _s(sp.diff(func(_U), _U).subs(_U, sp.diff(f.args[0], x)))


def quotient_ratio(r: random.Random) -> Iterator[Case]:
    """f'/g' for f/g."""
    num = r.choice([x**2, x**3, _coef(r) * x, sp.sin(x), x**2 + 1, sp.log(x)])
    den = r.choice([sp.exp(x), sp.exp(2 * x), x**2 + 1, sp.cos(x), x**3 - 2, sp.sin(x), x + 4])
    if num == den:
        den = x**2 + 3
    yield num / den, _s(sp.diff(num, x) / sp.diff(den, x))


def chain_forgot_inner(r: random.Random) -> Iterator[Case]:
    """The inner derivative of a linear inside forgotten: n(ax+b)ⁿ⁻¹ (also a power-rule shape)."""
    u = _linear(r)
    c = r.choice([1, 1, 2, 3, -2, 4])
    n = r.choice([3, 4, 5, 6, 7, 8, -1, -2, -3, sp.Rational(1, 2), sp.Rational(-1, 2)])
    yield c * u**n, _s(c * n * u ** (n - 1))


def _pair(r: random.Random) -> tuple[sp.Expr, sp.Expr]:
    first = r.choice([x**2, x**3, _coef(r) * x, x**2 + 1, sp.exp(x)])
    second = r.choice([sp.sin(x), sp.cos(x), sp.log(x), sp.exp(2 * x), x**2 + 3, sp.sqrt(x)])
    return first, second if first != second else sp.tan(x)


def _two_factors(e: sp.Expr) -> bool:
    """Still a product of two functions of x (not √x·x² = x^(5/2))."""
    return len([a for a in sp.Mul.make_args(e) if a.has(x)]) >= 2


def product_minus(r: random.Random) -> Iterator[Case]:
    """(fg)' as f'g − fg'."""
    f, g = _pair(r)
    if _two_factors(f * g):
        yield f * g, _s(sp.diff(f, x) * g - f * sp.diff(g, x))


def quotient_plus(r: random.Random) -> Iterator[Case]:
    """(f/g)' as (f'g + fg')/g²."""
    f, g = _pair(r)
    if _two_factors(f / g):
        yield f / g, _s((sp.diff(f, x) * g + f * sp.diff(g, x)) / g**2)


def exp_ln_divided(r: random.Random) -> Iterator[Case]:
    """(aᵘ)' as aᵘ·u'/ln a."""
    a = r.choice([2, 3, 5, 7, 10])
    u = r.choice([x, x, _k(r) * x, x**2])
    yield sp.Integer(a) ** u, _s(sp.Integer(a) ** u * sp.diff(u, x) / sp.log(a))


def reciprocal(r: random.Random) -> Iterator[Case]:
    """c/xⁿ → c/(n·xⁿ⁻¹): only the denominator differentiated."""
    n = r.choice([2, 3, 4, 5])
    c = r.choice([1, 1, 2, 3, 5, -4])
    yield c / x**n, _s(c / (n * x ** (n - 1)))


FAMILIES: dict[str, tuple[Family, str]] = {
    "exp_power": (exp_power, "exp"),
    "order": (order, "order"),
    "integrated_c": (integrated_c, "integrated"),
    "inverse_trig": (inverse_trig, "inverse_trig"),
    "trig_sign": (trig_sign, "trig"),
    "power_off_by_one": (power_off_by_one, "power"),
    "constant": (constant, "constant"),
    "chain_wrong_part": (chain_wrong_part, "chain"),
    "quotient_ratio": (quotient_ratio, "quotient"),
    "chain_forgot_inner": (chain_forgot_inner, "chain"),
    "product_minus": (product_minus, "product"),
    "quotient_plus": (quotient_plus, "quotient"),
    "exp_ln_divided": (exp_ln_divided, "exp"),
    "reciprocal": (reciprocal, "power"),
}


def _beside(r: random.Random) -> sp.Expr:
    """A term differentiated right next to the slip: the slip must be found inside a sum."""
    k = _k(r)
    return r.choice(
        [
            _coef(r) * x ** r.choice([2, 3, 4]),
            _coef(r) * sp.sin(x),
            _coef(r) * sp.exp(k * x),
            _coef(r) * sp.log(x),
            _coef(r) * sp.sqrt(x),
            _coef(r) * x * sp.cos(x),
        ]
    )


def _cases(family: Family, r: random.Random, in_sum: bool) -> Iterator[Case]:
    for f, answer in family(r):
        extra = _beside(r)
        merged = len(sp.Add.make_args(f + extra)) != len(sp.Add.make_args(f)) + 1
        if not in_sum or family is order or merged:  # f'' is a slip on all of f, not a term
            yield f, answer
            continue
        d_extra = f"({_s(sp.diff(extra, x))})"
        if answer.endswith(("+ C", "+ c", "+ K")):  # the + C stays last
            yield f + extra, f"{answer[:-3]} + {d_extra} {answer[-3:]}"
        else:
            yield f + extra, f"{answer} + {d_extra}"


def run(per_family: int, seed: int, in_sum: bool = False) -> dict[str, object]:
    """`in_sum`: each slip with a rightly differentiated term added beside it (not for `order`,
    a slip on the whole function, nor when the added term would merge with one of f's)."""
    r = random.Random(seed)
    rows: dict[str, tuple[int, int]] = {}
    times: list[float] = []
    misses: dict[str, list[str]] = {}
    for name, (family, code) in FAMILIES.items():
        hit = total = 0
        tries = 0
        while total < per_family and tries < per_family * 5:
            tries += 1
            for f, answer in _cases(family, r, in_sum):
                right = sp.diff(f, x)
                t0 = time.process_time()
                verdict = check_answer(right, answer, function=f)
                times.append(time.process_time() - t0)
                if verdict.verdict == "correct":
                    continue  # this slip makes no difference for this f
                total += 1
                if verdict.mistake == code:
                    hit += 1
                else:
                    misses.setdefault(name, []).append(
                        f"f={sp.sstr(f)}  answer={answer}  got {verdict.mistake}"
                    )
        rows[name] = (hit, total)
    return {"rows": rows, "times": times, "misses": misses}


def unnamed_times(seeds: range = range(4)) -> list[float]:
    """CPU seconds per check of an answer no slip explains (8/7 of f'), on generated problems
    of every expression skill: the worst case, every variant compared before giving up."""
    from bot.math.generator import SKILLS, generate

    times = []
    for skill in SKILLS:
        for level in range(1, SKILLS[skill].levels + 1):
            for seed in seeds:
                p = generate(skill, level, seed)
                if p.answer_kind != "expression" or skill == "higher_order":
                    continue
                t0 = time.process_time()
                check_answer(p.answer, _s(p.answer * 8 / 7), function=p.function, var=p.var)
                times.append(time.process_time() - t0)
    return times


def generated_variants(seeds: range = range(6)) -> tuple[int, int, int]:
    """The engine's own wrong-rule variants of generated problems (every expression skill but
    second derivatives), typed back through `check_problem` with the skill's preference: how
    many are named with the code they were made with, named otherwise (another slip gives the
    same answer), or not named / accepted (never expected)."""
    from bot.math.check import check_problem
    from bot.math.diagnosis import variants
    from bot.math.generator import SKILLS, generate

    same = other = lost = 0
    for skill in SKILLS:
        for level in range(1, SKILLS[skill].levels + 1):
            for seed in seeds:
                p = generate(skill, level, seed)
                if p.answer_kind != "expression" or skill == "higher_order":
                    continue
                for v in variants(p.function, sp.Symbol(p.var))[:12]:
                    verdict = check_problem(p, _s(v.expr))
                    if verdict.mistake is None:
                        lost += 1
                    elif verdict.mistake == v.mistake.code:
                        same += 1
                    else:
                        other += 1
    return same, other, lost


def _share(hit: int, total: int) -> str:
    return f"{hit}/{total} ({100 * hit / total:.0f} %)" if total else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--misses", type=int, default=0, help="show up to N misses per family")
    args = parser.parse_args()
    check_answer("2*x", "2x", function="x**2")  # warm the imports
    alone = run(args.per_family, args.seed)
    in_sum = run(args.per_family, args.seed + 1, in_sum=True)
    print("| family (expected code) | the slip alone | the slip beside a right term |")
    print("|---|---|---|")
    totals = [0, 0, 0, 0]
    for name in FAMILIES:
        a, b = alone["rows"][name], in_sum["rows"][name]  # type: ignore[index]
        totals = [totals[0] + a[0], totals[1] + a[1], totals[2] + b[0], totals[3] + b[1]]
        print(f"| {name} ({FAMILIES[name][1]}) | {_share(*a)} | {_share(*b)} |")
    print(f"| **all** | **{_share(*totals[:2])}** | **{_share(*totals[2:])}** |")
    ms = sorted(1000 * t for t in (*alone["times"], *in_sum["times"]))  # type: ignore[misc]
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(
        f"\ncheck + diagnosis per answer (CPU time): median {statistics.median(ms):.1f} ms, "
        f"p95 {p95:.1f} ms, max {ms[-1]:.1f} ms ({len(ms)} answers)"
    )
    worst = sorted(1000 * t for t in unnamed_times())
    print(
        f"an answer no slip explains (every variant tried): median "
        f"{statistics.median(worst):.1f} ms, p95 {worst[int(0.95 * (len(worst) - 1))]:.1f} ms, "
        f"max {worst[-1]:.1f} ms ({len(worst)} generated problems)"
    )
    same, other, lost = generated_variants()
    total = same + other + lost
    print(
        f"the engine's own variants of generated problems: {_share(same, total)} named with "
        f"their own code, {other} with another code that gives the same answer, {lost} not named"
    )
    if args.misses:
        for result in (alone, in_sum):
            for name, lines in result["misses"].items():  # type: ignore[union-attr]
                print(f"\n{name}:")
                for line in lines[: args.misses]:
                    print("  " + line)


if __name__ == "__main__":
    main()
