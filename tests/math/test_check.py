"""The promise to students, as properties over generated problems of every skill and level:
every form of the right answer is accepted, every classic wrong answer is rejected and named."""

from __future__ import annotations

import re

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.math.check import check_answer, check_problem
from bot.math.diagnosis import variants
from bot.math.generator import SKILLS, generate
from bot.math.skills.kinds_multi import MultiKind
from tests.property import examples

# the skills of one variable; those of several have theirs in tests/math/test_multi_skills.py
ONE_VARIABLE = sorted(s for s in SKILLS if not isinstance(SKILLS[s].kind, MultiKind))
PROBLEMS = st.tuples(st.sampled_from(ONE_VARIABLE), st.integers(1, 3), st.integers(0, 10_000)).map(
    lambda t: generate(*t)
)
FAST = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _forms(answer: sp.Expr) -> set[str]:
    """The answer as sympy prints it, expanded, factored and simplified."""
    forms = set()
    for make in (lambda e: e, sp.expand, sp.factor, sp.simplify):
        try:
            text = sp.sstr(make(answer))
        except ValueError:
            # sympy itself sometimes builds a form it cannot print (an integer of more than
            # 4300 digits from simplify); there is no such text for a student to type
            continue
        if re.search(r"\d{13}", text):
            # simplify folds 35·log(5) into log(2910383045673370361328125): no student types
            # that, and the parser refuses literals over 10^12 by design
            continue
        forms.add(text)
    return forms


@FAST
@given(PROBLEMS)
def test_every_printed_form_of_the_right_answer_is_correct(problem) -> None:
    for text in _forms(problem.answer):
        verdict = check_problem(problem, text)
        assert verdict.verdict == "correct", (problem.prompt, text, verdict)


@FAST
@given(PROBLEMS)
def test_trig_rewritten_forms_are_correct(problem) -> None:
    answer = problem.answer
    if not answer.has(sp.sin, sp.cos, sp.tan, sp.sec, sp.csc, sp.cot):
        return
    for rewritten in (answer.rewrite(sp.sin), answer.rewrite(sp.cos), sp.trigsimp(answer)):
        if rewritten.has(sp.Piecewise, sp.I):
            continue
        verdict = check_problem(problem, sp.sstr(rewritten))
        assert verdict.verdict == "correct", (problem.prompt, rewritten, verdict)


@FAST
@given(PROBLEMS)
def test_every_classic_wrong_answer_is_rejected_and_named(problem) -> None:
    if problem.answer_kind != "expression" or problem.skill == "higher_order":
        return
    x = sp.Symbol(problem.var)
    for variant in variants(problem.function, x)[:8]:
        verdict = check_problem(problem, sp.sstr(variant.expr))
        assert verdict.verdict == "incorrect", (problem.prompt, variant)
        assert verdict.mistake is not None, (problem.prompt, variant)


@FAST
@given(PROBLEMS)
def test_sign_and_not_differentiated_are_named(problem) -> None:
    if problem.answer_kind != "expression" or problem.skill == "higher_order":
        return
    wrong_sign = check_problem(problem, sp.sstr(-problem.answer))
    assert wrong_sign.verdict == "incorrect"
    # a more specific wrong rule that also flips the sign (cos' = +sin, a reversed quotient,
    # a power rule slip on x^-1) is named in preference to "sign"
    assert wrong_sign.mistake is not None
    itself = check_problem(problem, sp.sstr(problem.function))
    assert itself.verdict == "incorrect" and itself.mistake is not None


@FAST
@given(PROBLEMS, st.integers(-5, 5).filter(bool))
def test_perturbed_answers_are_never_correct(problem, k) -> None:
    x = sp.Symbol(problem.var)
    for wrong in (problem.answer + k, problem.answer * 2, problem.answer + k * x):
        if problem.answer_kind == "number" and wrong.has(x):
            continue
        verdict = check_problem(problem, sp.sstr(wrong))
        assert verdict.verdict == "incorrect", (problem.prompt, wrong)


@pytest.mark.parametrize("skill", sorted(SKILLS))  # every skill, of several variables too
def test_each_skill_accepts_its_answer_and_rejects_zero(skill: str) -> None:
    for level in range(1, SKILLS[skill].levels + 1):
        problem = generate(skill, level, 11)
        assert check_problem(problem, sp.sstr(problem.answer)).verdict == "correct"
        assert check_problem(problem, "0").verdict == "incorrect"
        assert check_problem(problem, "").verdict == "invalid"


def test_at_point_wants_a_number() -> None:
    problem = generate("at_point", 1, 3)
    verdict = check_problem(problem, sp.sstr(problem.derivative))
    assert verdict.verdict == "incorrect"
    assert "number" in verdict.message


def test_tangent_line_accepts_y_equals_and_point_slope_forms() -> None:
    problem = generate("tangent_line", 1, 5)
    x = sp.Symbol(problem.var)
    a = problem.point
    fa = problem.function.subs(x, a)
    m = problem.derivative.subs(x, a)
    assert check_problem(problem, f"y = {sp.sstr(problem.answer)}").verdict == "correct"
    point_slope = f"{sp.sstr(fa)} + ({sp.sstr(m)})*(x - ({sp.sstr(a)}))"
    assert check_problem(problem, point_slope).verdict == "correct"
    forgot_fa = check_problem(problem, f"({sp.sstr(m)})*(x - ({sp.sstr(a)}))")
    if fa != 0:
        assert forgot_fa.verdict == "incorrect" and forgot_fa.mistake == "tangent"


def test_tangent_line_built_with_the_function_f_prime_x_is_named() -> None:
    """y = f(a) + f'(x)(x − a): the slope left as a function, not the number f'(a)."""
    for seed in range(40):
        problem = generate("tangent_line", 2, seed)
        if problem.derivative.diff(sp.Symbol(problem.var)) != 0:
            break
    x = sp.Symbol(problem.var)
    a = problem.point
    fa = problem.function.subs(x, a)
    slope_as_function = f"{sp.sstr(fa)} + ({sp.sstr(problem.derivative)})*(x - ({sp.sstr(a)}))"
    verdict = check_problem(problem, slope_as_function)
    assert verdict.verdict == "incorrect" and verdict.mistake == "tangent"
    assert "put x = a into f'(x)" in (verdict.diagnosis or "")


def test_second_derivative_given_first_is_named() -> None:
    problem = generate("higher_order", 1, 2)
    verdict = check_problem(problem, sp.sstr(problem.derivative))
    assert verdict.verdict == "incorrect" and verdict.mistake == "order"


def test_hostile_answers_are_calmly_invalid() -> None:
    for payload in ("__import__('os').system('x')", "@everyone", "9^9^9", "x" * 600, "\u202e"):
        verdict = check_answer("2*x", payload)
        assert verdict.verdict == "invalid" and verdict.message


TOKENS = st.sampled_from(
    [
        *"x0123456789+-*/^()|., ",
        "sin",
        "cos",
        "tan",
        "ln",
        "e",
        "pi",
        "sqrt",
        "^-1",
        "**",
        "\\frac",
        "{",
        "}",
        "²",
        "√",
        "abs",
        "asin",
        "exp",
        "log_2",
        "x^x",
        "9^9",
    ]
)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=30).map("".join))
def test_fuzzed_answers_always_get_a_verdict(text: str) -> None:
    x = sp.Symbol("x")
    verdict = check_answer(2 * x * sp.cos(x**2), text, function=sp.sin(x**2))
    assert verdict.verdict in ("correct", "incorrect", "invalid")
    assert verdict.message


def test_a_rounded_decimal_is_told_to_give_the_exact_value() -> None:
    verdict = check_answer("-2*log(5)/5", "-0.643775", number=True)
    assert verdict.verdict == "incorrect" and "exact value" in verdict.message
    assert check_answer("x/3", "0.33x").verdict == "incorrect"
    assert check_answer("x/2", "0.5x").verdict == "correct"  # an exact decimal is exact
    assert "exact value" not in check_answer("x/3", "0.2x").message


def test_difference_quotients_are_not_derivatives() -> None:
    for step in ("e^-30", "e^-200", "1/10^12"):
        answer = f"(-2(x+{step})^8+2x^8)/({step})"
        verdict = check_answer("-16*x**7", answer)
        assert verdict.verdict == "incorrect", answer
        assert "difference quotient" in verdict.message


@pytest.mark.parametrize("answer", ["cos(x).", "$cos(x)$", "$\\cos x$."])
def test_a_full_stop_or_dollars_around_a_right_answer_are_fine(answer: str) -> None:
    assert check_answer("cos(x)", answer).verdict == "correct"


def test_the_other_reading_that_would_be_right_is_said_and_not_marked_wrong() -> None:
    x = sp.Symbol("x")
    verdict = check_answer(
        sp.Rational(3, 4) * x ** sp.Rational(-1, 4), "3/4x^(-1/4)", function=x ** sp.Rational(3, 4)
    )
    assert verdict.verdict == "invalid"  # not incorrect: the student retries, nothing counts
    assert verdict.reading is not None and verdict.reading.expr == 3 / (4 * x ** sp.Rational(-1, 4))
    assert verdict.alternative == "(3/4)x^(-1/4)"
    assert "if you meant (3/4)x^(-1/4), that is right" in verdict.message
    assert "brackets" in verdict.message
    assert verdict.to_dict()["alternative"] == "(3/4)x^(-1/4)"
    # the reading as typed is right: nothing to point out
    assert check_answer("1/(2*x)", "1/2x").verdict == "correct"
    # neither reading is right: an ordinary wrong answer, its other reading not offered
    wrong = check_answer("x/3", "1/2x")
    assert wrong.verdict == "incorrect" and wrong.alternative is None


def test_a_pasted_float_of_a_constant_is_told_to_give_the_exact_value() -> None:
    pasted = (("pi", "3.141592653589793"), ("pi", "3.14"), ("E", "2.718281828459045"))
    for expected, answer in pasted:
        verdict = check_answer(expected, answer, number=True)
        assert verdict.verdict == "incorrect", answer
        assert "exact value" in verdict.message, (answer, verdict.message)


def test_tangent_line_takes_point_slope_and_implicit_equations() -> None:
    problem = generate("tangent_line", 1, 5)
    x = sp.Symbol(problem.var)
    a, f = problem.point, problem.function
    fa, m = f.subs(x, a), problem.derivative.subs(x, a)
    fa_t, m_t, a_t = (sp.sstr(v) for v in (fa, m, a))
    for answer in (
        f"y - ({fa_t}) = ({m_t})(x - ({a_t}))",
        f"({m_t})x - y = ({m_t})({a_t}) - ({fa_t})",
        f"y - ({m_t})x + ({m_t})({a_t}) - ({fa_t}) = 0",
        f"$y - ({fa_t}) = ({m_t})(x - ({a_t}))$.",
    ):
        assert check_problem(problem, answer).verdict == "correct", answer
    forgot_fa = check_problem(problem, f"y = ({m_t})(x - ({a_t}))")
    if fa != 0:
        assert forgot_fa.verdict == "incorrect" and forgot_fa.mistake == "tangent"
    # an equation is a line only where a line is asked for
    value = generate("at_point", 1, 3)
    assert check_problem(value, "y - 1 = 2(x - 1)").verdict == "invalid"


def test_the_tangent_line_in_the_textbook_example() -> None:
    from bot.math.check import check_kind

    for answer in ("y − 9 = 6(x − 3)", "6x - y = 9", "y = 6x - 9"):
        verdict = check_kind("tangent", "2*x", answer, function="x^2", point="3")
        assert verdict.verdict == "correct", (answer, verdict.message)
    wrong = check_kind("tangent", "2*x", "y = 6(x - 3)", function="x^2", point="3")
    assert wrong.verdict == "incorrect" and wrong.mistake == "tangent"
    value = check_kind("value", "2*x", "6", function="x^2", point="3")
    assert value.verdict == "correct"
    assert check_kind("value", "2*x", "2x", function="x^2", point="3").verdict == "incorrect"
    assert check_kind("value", "2*x", "5", point="3").verdict == "incorrect"
    assert check_kind("tangent", "2*x", "6x - 9", point="3").verdict == "invalid"  # needs f
    assert check_kind("tangent", "2*x", "6x - 9", function="x^2", point="y").verdict == "invalid"
