"""The skills of several variables, each answer recomputed independently with sympy from what
the problem states: a partial derivative, the gradient, a gradient descent step, backprop."""

from __future__ import annotations

import functools
import json

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.math.check import check_problem
from bot.math.generator import SKILLS, Problem, generate
from bot.math.multivar import check_vars
from bot.math.skills import kind_of
from tests.math.test_rules import assert_mathtext
from tests.property import examples

MULTI = (
    "partial",
    "gradient",
    "gradient_step",
    "backprop",
    "implicit",
    "limit_definition",
    "nth_derivative",
)
SEEDS = range(25)
LEVELS = [(s, lv) for s in MULTI for lv in (1, 2, 3)]
IDS = [f"{s}-{lv}" for s, lv in LEVELS]
X, Y, W, B = sp.symbols("x y w b")


@functools.cache
def problem(skill: str, level: int, seed: int) -> Problem:
    return generate(skill, level, seed)


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.simplify(a - b) == 0


def _vector(p: Problem) -> tuple[sp.Expr, ...]:
    return tuple(p.answer) if isinstance(p.answer, sp.Tuple) else (p.answer,)


def _recompute(p: Problem) -> tuple[sp.Expr, ...]:
    """The expected answer, from the problem's own statement, without the skill's code."""
    f = p.function
    symbols = [sp.Symbol(v) for v in p.vars]
    if p.skill == "partial":
        return (sp.diff(f, sp.Symbol(p.extra["respect_to"])),)
    if p.skill == "gradient":
        grad = [sp.diff(f, s) for s in symbols]
        if p.point is not None:
            at = dict(zip(symbols, p.point, strict=True))
            grad = [g.subs(at) for g in grad]
        return tuple(grad)
    if p.skill == "gradient_step":
        at = [sp.Rational(s) for s in p.extra["start"]]
        rate = sp.Rational(p.extra["learning_rate"])
        for _ in range(p.extra["steps_taken"]):
            values = dict(zip(symbols, at, strict=True))
            at = [a - rate * sp.diff(f, s).subs(values) for a, s in zip(at, symbols, strict=True)]
        return tuple(at)
    if p.skill == "implicit":  # F(x, y) = c: dy/dx = −F_x/F_y
        return (-sp.diff(f, X) / sp.diff(f, Y),)
    if p.skill == "limit_definition":
        return (sp.diff(f, X).subs(X, p.point),)
    if p.skill == "nth_derivative":
        return (sp.diff(f, X, p.extra["order"]),)
    assert p.skill == "backprop"
    given = {n["id"]: n["value"] for n in p.extra["graph"]["nodes"]}
    at = {
        s: sp.Rational(given[str(s)]) for s in symbols
    }  # the graph's inputs, as the problem states them
    return tuple(sp.diff(f, s).subs(at) for s in symbols)


@pytest.mark.parametrize(("skill", "level"), LEVELS, ids=IDS)
def test_answers_recomputed_with_sympy(skill: str, level: int) -> None:
    for seed in SEEDS:
        p = problem(skill, level, seed)
        expected = _recompute(p)
        got = _vector(p)
        assert len(got) == len(expected)
        assert all(_same(a, b) for a, b in zip(got, expected, strict=True)), (p.prompt, got)
        # the right answer, as sympy prints it, is accepted; the same negated is not
        assert check_problem(p, sp.sstr(p.answer)).verdict == "correct", p.prompt
        assert check_problem(p, sp.sstr(_perturbed(p.answer))).verdict == "incorrect", p.prompt


def _perturbed(answer: sp.Expr) -> sp.Expr:
    if isinstance(answer, sp.Tuple):
        return sp.Tuple(*(a + 1 for a in answer))
    return answer + 1


@pytest.mark.parametrize(("skill", "level"), LEVELS, ids=IDS)
def test_non_degenerate_and_varied(skill: str, level: int) -> None:
    prompts = set()
    for seed in SEEDS:
        p = problem(skill, level, seed)
        prompts.add(p.prompt)
        assert not all(a == 0 for a in _vector(p)), p.prompt
        assert p.vars and p.steps and p.prompt_latex
        # as for every problem, `derivative` is d/d(var) of the function (var: the first)
        assert p.var == p.vars[0] and p.derivative == sp.diff(p.function, sp.Symbol(p.var))
        if skill in ("partial", "gradient"):
            assert p.function.free_symbols == {X, Y}  # f is of both variables
    assert len(prompts) >= 18, f"only {len(prompts)} distinct problems in {len(SEEDS)} seeds"


@pytest.mark.parametrize(("skill", "level"), LEVELS, ids=IDS)
def test_latex_renders_in_mathtext(skill: str, level: int) -> None:
    for seed in range(2):
        p = problem(skill, level, seed)
        assert_mathtext(p.prompt_latex)
        for step in p.steps:
            assert_mathtext(step.latex)
        for part in p.parts:
            assert_mathtext(part.prompt_latex)


@pytest.mark.parametrize(("skill", "level"), LEVELS, ids=IDS)
def test_json_rows_round_trip_through_the_checker(skill: str, level: int) -> None:
    """What `derivbot generate --jsonl` prints, checked back with the row's own `vars`."""
    for seed in range(6):
        row = json.loads(json.dumps(problem(skill, level, seed).to_json()))
        assert row["answer_kind"] == SKILLS[skill].kind.name
        assert isinstance(row["vars"], list) and row["vars"]
        verdict = check_vars(row["answer"], row["answer"], vars=row["vars"])
        assert verdict.verdict == "correct", row
        if skill == "partial":
            assert row["respect_to"] in row["vars"]
        if skill == "gradient":
            assert len(row["gradient"]) == len(row["vars"])
            for g, v in zip(row["gradient"], row["vars"], strict=True):
                assert check_vars(g, g, vars=row["vars"], wrt=v).verdict == "correct"
        if skill == "gradient_step":
            assert len(row["start"]) == len(row["vars"]) and row["learning_rate"]
        if skill == "backprop":
            assert len(row["parts"]) >= 5
            for part in row["parts"]:
                assert set(part) == {"prompt", "answer", "vars"}
                assert check_vars(part["answer"], part["answer"], vars=part["vars"]).verdict == (
                    "correct"
                )


def test_partial_names_the_wrong_variable() -> None:
    p = next(q for s in SEEDS if (q := problem("partial", 1, s)).extra["respect_to"] == "x")
    verdict = check_problem(p, sp.sstr(sp.diff(p.function, Y)))
    assert verdict.verdict == "incorrect" and verdict.mistake == "wrong_variable"


def test_gradient_is_a_vector_with_verdicts_per_component() -> None:
    p = problem("gradient", 1, 3)
    fx, fy = p.answer
    right = check_problem(p, f"({sp.sstr(fx)}, {sp.sstr(fy)})")
    assert right.verdict == "correct" and len(right.components) == 2
    swapped = check_problem(p, f"({sp.sstr(fy)}, {sp.sstr(fx)})")
    assert swapped.verdict == "incorrect"
    assert [c.verdict for c in swapped.components] == ["incorrect", "incorrect"]
    one = check_problem(p, sp.sstr(fx))
    assert one.verdict == "incorrect" and "2 components" in one.message


def test_gradient_step_uphill_is_named() -> None:
    p = next(q for s in SEEDS if (q := problem("gradient_step", 2, s)).extra["steps_taken"] == 1)
    w0, b0 = (sp.Rational(v) for v in p.extra["start"])
    rate = sp.Rational(p.extra["learning_rate"])
    gw, gb = (sp.diff(p.function, s).subs({W: w0, B: b0}) for s in (W, B))
    verdict = check_problem(p, f"({w0 + rate * gw}, {b0 + rate * gb})")
    assert verdict.verdict == "incorrect" and verdict.mistake == "step_sign"


def test_backprop_parts_are_checked_one_at_a_time() -> None:
    p = problem("backprop", 2, 4)
    kind = kind_of(p)
    names = [part.prompt for part in p.parts]
    assert names[0].startswith("Forward: z") and names[-1] == "Backward: ∂L/∂b"
    assert any(n.startswith("Local derivative") for n in names)
    for k, part in enumerate(p.parts):
        assert kind.check_part(p, k, sp.sstr(part.answer)).verdict == "correct"
        assert kind.check_part(p, k, sp.sstr(part.answer + 1)).verdict == "incorrect"
    # σ'(0) = 1/4 whatever the weights: the local derivative of the sigmoid part
    assert p.parts[4].answer == sp.Rational(1, 4)
    whole = "; ".join(sp.sstr(part.answer) for part in p.parts)
    assert check_problem(p, whole).verdict == "correct"
    wrong = "; ".join(["123", *(sp.sstr(part.answer) for part in p.parts[1:])])
    verdict = check_problem(p, wrong)
    assert verdict.verdict == "incorrect" and verdict.message.startswith("Part 1 of")


def test_backprop_graph_has_forward_values_and_local_derivatives() -> None:
    p = problem("backprop", 2, 1)
    graph = p.extra["graph"]
    ids = [n["id"] for n in graph["nodes"]]
    assert ids[-3:] == ["z", "a", "L"]
    z_to_a = next(e for e in graph["edges"] if (e["from"], e["to"]) == ("z", "a"))
    assert z_to_a["local"] == "1/4"


@pytest.mark.parametrize("skill", MULTI)
def test_hint_ladders_never_give_the_answer(skill: str) -> None:
    for level in (1, 2, 3):
        for seed in range(5):
            p = problem(skill, level, seed)
            rungs = kind_of(p).hint_ladder(p)
            assert len(rungs) >= 2
            answers = {sp.sstr(a) for a in _vector(p)} | {sp.sstr(p.answer)}
            for text, latex in rungs:
                assert text and latex
                assert_mathtext(latex)
                for a in answers:
                    if len(a) > 2:  # a digit may appear in any sentence
                        assert a not in text and a not in latex


def test_limit_definition_wants_the_quotient_simplified() -> None:
    p = problem("limit_definition", 1, 2)
    a, h = p.point, sp.Symbol("h")
    kind = kind_of(p)
    raw = f"(({sp.sstr(p.function.subs(X, a + h))}) - ({sp.sstr(p.function.subs(X, a))}))/h"
    unsimplified = kind.check_part(p, 0, raw)
    # the right value, not simplified: sent again (nothing graded), not a wrong part
    assert unsimplified.verdict == "invalid" and "simplify" in unsimplified.message
    assert kind.check_part(p, 0, sp.sstr(sp.expand(p.parts[0].answer))).verdict == "correct"
    assert kind.check_part(p, 1, sp.sstr(p.parts[1].answer)).verdict == "correct"
    # the quotient's limit is the derivative at a, recomputed
    assert sp.limit(p.parts[0].answer, h, 0) == sp.diff(p.function, X).subs(X, a) == p.answer


def test_implicit_names_the_sign_slip() -> None:
    p = problem("implicit", 1, 0)
    fx, fy = sp.diff(p.function, X), sp.diff(p.function, Y)
    verdict = check_problem(p, sp.sstr(fx / fy))
    assert verdict.verdict == "incorrect" and verdict.mistake == "sign"
    upside = check_problem(p, sp.sstr(-fy / fx))
    assert upside.verdict == "incorrect" and "dx/dy" in upside.message


def test_nth_derivative_names_a_wrong_order() -> None:
    p = problem("nth_derivative", 1, 0)
    n = p.extra["order"]
    assert n == 3
    verdict = check_problem(p, sp.sstr(sp.diff(p.function, X, 2)))
    assert verdict.verdict == "incorrect" and verdict.mistake == "order"
    assert "number 2" in verdict.diagnosis and "once more" in verdict.diagnosis
    assert problem("nth_derivative", 3, 0).extra["order"] == 4


@settings(max_examples=examples(30), deadline=None)
@given(skill=st.sampled_from(MULTI), level=st.integers(1, 3), seed=st.integers(0, 2**40))
def test_any_seed_gives_a_right_answer(skill: str, level: int, seed: int) -> None:
    p = generate(skill, level, seed)
    expected = _recompute(p)
    assert all(_same(a, b) for a, b in zip(_vector(p), expected, strict=True)), p.prompt
    assert check_problem(p, sp.sstr(p.answer)).verdict == "correct", p.prompt
    assert_mathtext(p.prompt_latex)
