"""A wrong answer built with a classic wrong rule is caught and the mistake is named."""

from __future__ import annotations

import pytest
import sympy as sp

from bot.math.check import check_answer
from bot.math.diagnosis import CODES, diagnose, variants
from bot.math.parser import parse

x = sp.Symbol("x")

CASES = [
    # (function, wrong answer, expected code)
    ("sin(x^2)", "cos(x^2)", "chain"),
    ("sqrt(x^2+1)", "1/(2 sqrt(x^2+1))", "chain"),
    ("(3x+1)^5", "5(3x+1)^4", "chain"),
    ("x^2 sin x", "2x cos x", "product"),
    ("x^2 sin x", "2x sin x", "product"),
    ("x^2 sin x", "x^2 cos x", "product"),
    ("sin(x)/x^2", "(2x sin(x) - x^2 cos(x))/x^4", "quotient"),
    ("sin(x)/x^2", "(x^2 cos(x) - 2x sin(x))/x^2", "quotient"),
    ("sin(x)/x^2", "cos(x)/(2x)", "quotient"),
    ("x^5", "5x^5", "power"),
    ("x^5", "x^4", "power"),
    ("x^7 + 3x", "7x^7 + 3", "power"),
    ("cos(x)", "sin x", "trig"),
    ("sin(x)", "-cos x", "trig"),
    ("tan x", "sec x", "trig"),
    ("cot(x)", "csc(x)^2", "trig"),
    ("asin(x)", "-1/sqrt(1-x^2)", "inverse_trig"),
    ("cosh(x)", "-sinh(x)", "hyperbolic"),
    # e^(3x) for e^(3x) is named as the missing factor 3, the more useful reading
    ("e^(3x)", "e^(3x) + 0*x + 1 - 1", "exp"),
    ("sin(x)", "sin x", "not_differentiated"),
    ("x e^(3x)", "e^(3x) + x e^(3x)", "exp"),
    ("2^x", "x 2^(x-1)", "exp"),
    ("2^x", "2^x x^0 + 0", "exp"),  # the missing ln 2
    ("9*log(x, 3)", "9/x", "log"),
    ("-5*sin(x)/(x+3)", "-5cos(x)", "quotient"),
    ("3*x*exp(x)", "3e^x", "product"),
    ("5^x + x^2", "5^x + 2x", "exp"),
    ("ln x", "1/ln x", "log"),
    ("ln(x^2+1)", "1/(x^2+1)", "log"),
    ("log_2(x)", "1/x", "log"),
    ("x^3+7", "3x^2+7", "constant"),
    ("5x^3", "3x^2", "constant_multiple"),
    ("x^3", "-3x^2", "sign"),
    ("x^3 + sin(x)", "-3x^2 - cos(x)", "sign"),
    ("x^3", "x^3", "not_differentiated"),
    ("x^3", "x^4/4", "integrated"),
    ("x^3 + cos(x)", "x^4/4 + sin(x) + 5", "integrated"),
    ("x^x", "x^x ln x", "exp"),
    ("x^2 e^(3x) + sin(x^2)", "2x e^(3x) + 3x^2e^(3x) + cos(x^2)", "chain"),
    ("x^5", "4x^4", "power"),  # the lowered exponent as the factor
    ("x^5 + x^3", "4x^4 + 2x^2", "power"),
    ("ln(3x)", "3/x", "log"),  # u'/x instead of u'/u
    ("sin(x^2)", "2x cos(x)", "chain"),  # outer derivative taken at x, not at x^2
    ("(x^2+1)^3", "3x^2 * 2x", "chain"),
]


@pytest.mark.parametrize(("function", "answer", "code"), CASES)
def test_named_mistake(function: str, answer: str, code: str) -> None:
    f = parse(function).expr
    verdict = check_answer(sp.diff(f, x), answer, function=f)
    assert verdict.verdict == "incorrect"
    assert verdict.mistake == code, verdict.diagnosis
    assert verdict.diagnosis and len(verdict.diagnosis) < 160
    assert code in CODES


def test_explanations_name_the_parts() -> None:
    f = parse("sin(x^2)").expr
    verdict = check_answer(sp.diff(f, x), "cos(x^2)", function=f)
    assert "2·x" in (verdict.diagnosis or "")
    f = parse("x^3+7").expr
    verdict = check_answer(sp.diff(f, x), "3x^2+7", function=f)
    assert "7" in (verdict.diagnosis or "")


def test_second_derivative_mistakes() -> None:
    f = x**4
    assert diagnose(4 * x**3, 12 * x**2, x, f, order=2).code == "order"
    g = sp.sin(3 * x)
    # forgot the chain factor in both differentiations
    assert diagnose(-sp.sin(3 * x), sp.diff(g, x, 2), x, g, order=2).code == "chain"


def test_value_at_a_point_mistakes() -> None:
    f = sp.sin(x**2)
    a = sp.Integer(1)

    def at_a(d: sp.Expr) -> sp.Expr:
        return d.subs(x, a)

    mistake = diagnose(sp.cos(1), at_a(sp.diff(f, x)), x, f, transform=at_a)
    assert mistake is not None and mistake.code == "chain"


def test_without_a_function_only_the_sign_can_be_named() -> None:
    verdict = check_answer("2*x*cos(x**2)", "-2x cos(x^2)")
    assert verdict.mistake == "sign"
    verdict = check_answer("2*x*cos(x**2)", "3x cos(x^2)")
    assert verdict.verdict == "incorrect" and verdict.mistake is None


def test_no_variant_equals_the_right_answer() -> None:
    for function in ("x^2 sin x", "e^(x^2)", "ln(3x+1)", "sin(x)/x", "x^x", "tan(2x)^3"):
        f = parse(function).expr
        right = sp.diff(f, x)
        for v in variants(f, x):
            assert sp.simplify(v.expr - right) != 0, (function, v)


def test_right_answer_is_never_diagnosed() -> None:
    f = parse("x^2 sin x").expr
    verdict = check_answer(sp.diff(f, x), "2x sin x + x^2 cos x", function=f)
    assert verdict.verdict == "correct"
    assert verdict.mistake is None


def test_new_mistakes_say_what_went_wrong() -> None:
    f = parse("ln(3x)").expr
    verdict = check_answer(sp.diff(f, x), "3/x", function=f)
    assert "divide by the inside, 3·x" in (verdict.diagnosis or "")
    f = parse("x^5").expr
    verdict = check_answer(sp.diff(f, x), "4x^4", function=f)
    assert "original exponent n, not n − 1" in (verdict.diagnosis or "")
