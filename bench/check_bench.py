"""How fast an answer is checked, against the naive approach (`parse_expr` + `simplify`).

The corpus is a few hundred (expected, answer) pairs built from generated problems of every
skill and level: the right answer as sympy prints it, expanded, factored and simplified, and
wrong answers made with classic wrong rules (the diagnosis variants). Each check is timed cold:
the compiled-expression caches are cleared first, as for a problem a worker has never seen.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from bot.math import diagnosis, numeric
from bot.math.check import check_answer, check_vars
from bot.math.generator import SKILLS, generate
from bot.math.parser import parse
from bot.math.skills.kinds_multi import MultiKind

SEEDS = (0, 1)


@dataclass(frozen=True)
class Pair:
    expected: sp.Expr
    answer: str
    function: sp.Expr
    right: bool
    var: str = "x"


def corpus() -> list[Pair]:
    """Deterministic: the same pairs on every run."""
    pairs: list[Pair] = []
    for skill in SKILLS:
        if skill in ("at_point", "tangent_line", "higher_order"):
            continue  # these ask for something other than f'; the check itself is the same
        if isinstance(SKILLS[skill].kind, MultiKind):
            continue  # several variables: `run_several` measures those
        for level in range(1, SKILLS[skill].levels + 1):
            for seed in SEEDS:
                p = generate(skill, level, seed)
                x = sp.Symbol(p.var)
                forms = {sp.sstr(p.answer), sp.sstr(sp.expand(p.answer))}
                for make in (sp.factor, sp.simplify):
                    forms.add(sp.sstr(make(p.answer)))
                pairs += [Pair(p.answer, t, p.function, True, p.var) for t in sorted(forms)]
                for v in diagnosis.variants(p.function, x)[:3]:
                    pairs.append(Pair(p.answer, sp.sstr(v.expr), p.function, False, p.var))
    return pairs


def _clear() -> None:
    numeric.compile_expr.cache_clear()
    diagnosis.variants.cache_clear()


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


_NAIVE = (*standard_transformations, implicit_multiplication_application, convert_xor)


def _naive(expected: sp.Expr, answer: str) -> bool:
    # What a first version would do (and what we must never do with user text): eval-based
    # parsing, then ask simplify whether the difference is zero. Trusted corpus text only.
    parsed = parse_expr(answer, transformations=_NAIVE)
    return sp.simplify(expected - parsed) == 0


def run() -> dict[str, object]:
    pairs = corpus()
    # as in a math worker, whose initializer freezes the loaded heap (bot/math/workers.py)
    gc.collect()
    gc.freeze()
    ours_verdict, ours_full, naive = [], [], []
    wrong_verdicts = 0
    for pair in pairs:
        _clear()
        start = time.perf_counter()
        result = check_answer(pair.expected, pair.answer, var=pair.var)
        ours_verdict.append((time.perf_counter() - start) * 1000)
        if result.correct != pair.right:
            wrong_verdicts += 1
        _clear()
        start = time.perf_counter()
        check_answer(pair.expected, pair.answer, function=pair.function, var=pair.var)
        ours_full.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        _naive(pair.expected, pair.answer)
        naive.append((time.perf_counter() - start) * 1000)
    n_right = sum(p.right for p in pairs)
    p50, p99 = _percentile(ours_verdict, 50), _percentile(ours_verdict, 99)
    n50, n99 = _percentile(naive, 50), _percentile(naive, 99)
    return {
        "pairs": len(pairs),
        "right / wrong answers": f"{n_right} / {len(pairs) - n_right}",
        "verdicts that disagree with the corpus": wrong_verdicts,
        "check p50 (ms)": round(p50, 2),
        "check p99 (ms)": round(p99, 2),
        "check + diagnosis p50 (ms)": round(_percentile(ours_full, 50), 2),
        "check + diagnosis p99 (ms)": round(_percentile(ours_full, 99), 2),
        "naive parse_expr+simplify p50 (ms)": round(n50, 2),
        "naive parse_expr+simplify p99 (ms)": round(n99, 2),
        "speed-up p50 (naive / ours)": f"{n50 / p50:.1f}x",
        "speed-up p99 (naive / ours)": f"{n99 / p99:.1f}x",
        "check mean (ms)": round(statistics.fmean(ours_verdict), 2),
        "generate mean (ms)": round(_generation_mean_ms(), 1),
        **run_several(),
    }


#: functions of several variables (and their variables) for gradients and partial derivatives
SEVERAL = (
    ("x^2*y + y^3", ("x", "y")),
    ("sin(x*y)", ("x", "y")),
    ("exp(x*y)*cos(y)", ("x", "y")),
    ("log(x^2 + y^2 + 1)", ("x", "y")),
    ("x*y*z + z^2", ("x", "y", "z")),
    ("(3*w + b - 1)^2", ("w", "b")),
    ("(w1 + 2*w2 - 3)^2", ("w1", "w2")),
    ("1/(1 + exp(-(2*w + b)))", ("w", "b")),  # a neuron's output at input 2
    ("theta^2*sin(theta)", ("theta",)),
)


def several_corpus() -> list[tuple[list[str], str, tuple[str, ...], str, bool]]:
    """(expected gradient, answer, variables, function, right?): right forms written as vectors
    and wrong ones a student makes (components swapped, a wrong variable, a constant moved)."""
    out = []
    for text, names in SEVERAL:
        symbols = [sp.Symbol(n) for n in names]
        f = parse(text, vars=list(names)).expr
        grad = [sp.diff(f, s) for s in symbols]
        expected = [sp.sstr(g) for g in grad]
        show = [sp.sstr(sp.expand(g)).replace("**", "^") for g in grad]
        out.append((expected, "(" + ", ".join(expected) + ")", names, text, True))
        out.append((expected, "[" + ", ".join(show) + "]", names, text, True))
        if len(grad) > 1:
            total = sp.sstr(sum(grad))
            out.append((expected, "<" + ", ".join([total] * len(grad)) + ">", names, text, False))
            swapped = "(" + ", ".join(reversed(expected)) + ")"
            out.append((expected, swapped, names, text, False))
            out.append((expected, "(" + ", ".join(expected[:-1]) + ")", names, text, False))
    return out


def run_several() -> dict[str, object]:
    """Gradients and vectors (several variables): time and agreement with the corpus."""
    times, disagree = [], 0
    pairs = several_corpus()
    for expected, answer, names, function, right in pairs:
        _clear()
        start = time.perf_counter()
        verdict = check_vars(expected, answer, vars=list(names), function=function)
        times.append((time.perf_counter() - start) * 1000)
        disagree += verdict.correct != right
    return {
        "several variables: vector pairs": len(pairs),
        "several variables: verdicts that disagree": disagree,
        "several variables: check + diagnosis p50 (ms)": round(_percentile(times, 50), 2),
        "several variables: check + diagnosis p99 (ms)": round(_percentile(times, 99), 2),
    }


def _generation_mean_ms(seeds: range = range(1000, 1010)) -> float:
    """Mean time to build one problem over every skill and level (redraws included)."""
    levels = [(s, lv) for s in SKILLS for lv in range(1, SKILLS[s].levels + 1)]
    start = time.perf_counter()
    for seed in seeds:
        for skill, level in levels:
            generate(skill, level, seed)
    return (time.perf_counter() - start) * 1000 / (len(levels) * len(seeds))


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--several"]:  # just the several-variable part, quickly
        for key, value in run_several().items():
            print(f"{key}: {value}")
        sys.exit()
    for key, value in run().items():
        print(f"{key}: {value}")
