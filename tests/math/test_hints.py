"""Hints and worked solutions give nothing away early, checked as a student reads them.

Every skill × level 1-3 × 40 seeds: each hint rung and each solution line is cut at `=`, `:`,
`;`, `,` and joining words, every piece our own parser can read is compared with the answer
with sympy-backed `compare`. No rung may state the answer (f′, f″, the value at the point or
the tangent line, simplified or not); only the last solution line may, and it must.
"""

from __future__ import annotations

import functools
import json
import re

import pytest
import sympy

from bot.math.equivalence import compare
from bot.math.generator import SKILLS, Problem, generate
from bot.math.hints import derivative_hints
from bot.math.parser import ParseError, parse
from bot.math.rules import derive, expr_text
from bot.math.texcheck import lines_problem

SEEDS = range(40)
LEVELS = (1, 2, 3)
x = sympy.Symbol("x")

_CUT = re.compile(r"\s*(?:=|:|;|\.\s|,\s|\band\b|\bwith\b|\bthen\b|\bso\b|->)\s*")


@functools.cache
def problem(skill: str, level: int, seed: int) -> Problem:
    return generate(skill, level, seed)


def _cut(text: str) -> list[str]:
    """`text` cut at `_CUT`, except inside brackets: log(x, 3) stays whole."""
    out, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        depth += {"(": 1, ")": -1}.get(ch, 0)
        m = _CUT.match(text, i) if depth == 0 else None
        if m and m.end() > i:
            out.append(text[start:i])
            start = i = m.end()
            continue
        i += 1
    return [*out, text[start:]]


def pieces(text: str) -> list[sympy.Expr]:
    """Everything in `text` the answer box would accept as an expression."""
    out = []
    for chunk in _cut(text):
        chunk = chunk.strip().rstrip(".").strip()
        if not chunk:
            continue
        try:
            out.append(parse(chunk, "x" if "w" not in chunk else "w").expr)
        except (ParseError, ValueError):
            continue
    return out


def states(text: str, answer: sympy.Expr, var: str, given: tuple[sympy.Expr, ...] = ()) -> bool:
    """Some piece of `text` equals `answer`; pieces the prompt already shows (the variable, the
    point: "put in x = 1" when f'(1) happens to be 1) give nothing away and are skipped."""
    v = sympy.Symbol(var)
    return any(compare(answer, e, v).equal for e in pieces(text) if e not in given)


def given(p: Problem) -> tuple[sympy.Expr, ...]:
    return (sympy.Symbol(p.var),) + (() if p.point is None else (p.point,))


@pytest.mark.parametrize("skill", list(SKILLS))
def test_no_hint_rung_states_the_answer(skill: str) -> None:
    for level in LEVELS:
        for seed in SEEDS:
            p = problem(skill, level, seed)
            assert 2 <= len(p.hints) <= 3, (level, seed)
            for i, rung in enumerate(p.hints, 1):
                assert rung.text and rung.latex
                assert not states(rung.text, p.answer, p.var, given(p)), (level, seed, i, rung.text)


@pytest.mark.parametrize("skill", list(SKILLS))
def test_only_the_last_solution_step_gives_the_result(skill: str) -> None:
    for level in LEVELS:
        for seed in SEEDS:
            p = problem(skill, level, seed)
            for step in p.steps[:-1]:
                assert not states(step.text, p.answer, p.var, given(p)), (level, seed, step.text)
            last = p.steps[-1].text
            final = parse(last.rsplit("=", 1)[-1].strip(), p.var).expr
            assert compare(p.answer, final, sympy.Symbol(p.var)).equal, (level, seed, last)


def _constant_multiple(a: sympy.Expr, b: sympy.Expr) -> bool:
    ratio = a / b
    return bool(ratio.is_number) or bool(sympy.cancel(ratio).is_number)


@pytest.mark.parametrize("skill", list(SKILLS))
def test_no_solution_step_is_redundant(skill: str) -> None:
    for level in LEVELS:
        for seed in SEEDS:
            p = problem(skill, level, seed)
            assert len({s.latex for s in p.steps}) == len(p.steps), (level, seed)
            # a second derivative works out f' and then f'': each half on its own
            halves, half = [], []
            for step in p.steps:
                half.append(step)
                if step.rule == "result":
                    halves.append(half)
                    half = []
            for part in halves:
                # the first line names the rule (d/dx[-2x^8] = -2·d/dx[x^8]); the others work
                # a piece out, and none may work out what another already did
                worked = [s.of for s in part[1:] if s.of is not None]
                for i, a in enumerate(worked):
                    for b in worked[i + 1 :]:
                        # d/dx[-sin 2x] after d/dx[sin 2x] (or the same twice) says it again
                        assert not _constant_multiple(a, b), (level, seed, a, b)


@pytest.mark.parametrize("skill", list(SKILLS))
def test_hint_rungs_render(skill: str) -> None:
    for level in LEVELS:
        for seed in range(5):
            for rung in problem(skill, level, seed).hints:
                assert lines_problem([rung.latex]) is None, rung.latex


def test_product_ladder_names_the_rule_then_the_pieces_then_the_formula() -> None:
    u, v = sympy.log(x), sympy.sin(x)
    first, second, third = derivative_hints(derive(5 * u * v, x), x)
    assert first.text.startswith("The constant 5 stays in front.")
    assert f"Product rule with u = {expr_text(u)} and v = {expr_text(v)}" in first.text
    assert "u′ = d/dx" in second.text and "v′ = d/dx" in second.text
    assert "f′ = 5·(u′·v + u·v′)" in third.text and "put in the 2 derivatives" in third.text
    assert "$u' = " in second.latex  # the picture has the same rung, math in $...$


def test_chain_ladder_names_outer_and_inner_and_leaves_them_to_the_student() -> None:
    f = (2 * x + 8) ** 5
    first, second, third = derivative_hints(derive(f, x), x)
    assert "Chain rule" in first.text and f"u = {expr_text(2 * x + 8)}" in first.text
    assert "outer derivative" in second.text and "inner derivative" in second.text
    assert "F′(u)·u′" in third.text
    for rung in (first, second, third):
        assert not states(rung.text, sympy.diff(f, x), "x")


def test_a_table_derivative_alone_has_two_rungs_and_never_its_entry() -> None:
    for f in (sympy.tan(x), sympy.cot(x), sympy.asin(x), sympy.cosh(x), x**-3):
        ladder = derivative_hints(derive(f, x), x)
        assert len(ladder) == 2
        assert all(not states(r.text, sympy.diff(f, x), "x") for r in ladder), f


def test_point_and_tangent_ladders_end_on_the_point() -> None:
    value = problem("at_point", 1, 0)
    assert f"x = {expr_text(value.point)}" in value.hints[-1].text
    line = problem("tangent_line", 1, 0)
    assert "tangent line" in line.hints[0].text and "f(" in line.hints[0].text


def test_second_derivative_ladder_gives_f_prime_but_not_f_double_prime() -> None:
    p = problem("higher_order", 1, 0)
    assert any(states(r.text, p.derivative, "x") for r in p.hints)  # f' is a piece here
    assert not any(states(r.text, p.answer, "x") for r in p.hints)
    assert "f″" in p.hints[-1].text


def test_generate_json_carries_the_hints() -> None:
    p = problem("product", 1, 0)
    data = json.loads(json.dumps(p.to_json()))
    assert data["hints"] == [{"text": h.text, "latex": h.latex} for h in p.hints]
    assert len(data["hints"]) == 3
