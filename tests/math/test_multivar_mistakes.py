"""The mistakes of several variables are named: wrong variable, constant, step sign."""

from __future__ import annotations

import pytest
import sympy as sp

from bot.math.check import check_vars
from bot.math.multivar_mistakes import (
    PartialContext,
    StepContext,
    name_mistake,
    partial_mistake,
    step_mistake,
)
from bot.math.parser import parse

x, y, w, b, eta = sp.symbols("x y w b eta")
w1, w2 = sp.symbols("w1 w2")


def code(function: str, wrt: str, answer: str, names: tuple[str, ...] = ("x", "y")) -> str | None:
    """The code the checker names for `answer` to ∂function/∂wrt."""
    f = parse(function, vars=list(names)).expr
    expected = sp.diff(f, sp.Symbol(wrt))
    verdict = check_vars(expected, answer, vars=list(names), function=function, wrt=wrt)
    assert verdict.verdict == "incorrect", verdict
    return verdict.mistake


@pytest.mark.parametrize(
    ("function", "wrt", "answer", "expected_code"),
    [
        # ∂/∂y answered for ∂/∂x
        ("x^2 y^3", "x", "3x^2y^2", "wrong_variable"),
        ("sin(x) e^y", "y", "cos(x) e^y", "wrong_variable"),
        # the other variable differentiated as if it moved with x
        ("x y", "x", "y + x", "constant"),
        ("x^2 y^3", "x", "2x·3y^2", "constant"),
        ("x^2 y^3", "x", "2xy^3 + 3x^2y^2", "constant"),
        # a term without x kept as it is
        ("x^2 + y^3", "x", "2x + y^3", "constant"),
        # the variable itself treated as a constant
        ("x^2 y", "x", "0", "constant"),
        # classic slips still named, the other variable held constant
        ("sin(x^2 y)", "x", "cos(x^2 y)", "chain"),
    ],
)
def test_mistakes_in_partial_derivatives_are_named(
    function: str, wrt: str, answer: str, expected_code: str
) -> None:
    assert code(function, wrt, answer) == expected_code


def test_the_mistake_in_w_and_b() -> None:
    # a neuron's loss (wx + b - t)² with x, t data: here only w and b are variables
    assert code("(3w + b - 1)^2", "w", "2(3w + b - 1)", ("w", "b")) == "wrong_variable"
    assert code("(3w + b - 1)^2", "b", "6(3w + b - 1)", ("w", "b")) == "wrong_variable"


def test_a_right_answer_is_never_named() -> None:
    context = PartialContext((x, y), x, x**2 * y)
    assert partial_mistake(2 * x * y, 2 * x * y, context) is None


def test_an_unrelated_wrong_answer_is_not_named() -> None:
    context = PartialContext((x, y), x, x**2 * y)
    assert partial_mistake(x + 7, 2 * x * y, context) is None


def test_when_the_other_partial_equals_this_one_it_is_no_mistake_of_variable() -> None:
    # ∂(xy)/∂x = y and ∂(xy)/∂y = x; for x + y both are 1: answering 1 is right, not named
    context = PartialContext((x, y), x, x + y)
    assert partial_mistake(sp.Integer(1), sp.Integer(1), context) is None


# --- gradient steps: the contexts a gradient_step skill will build ----------------------------


def test_a_step_uphill_is_step_sign() -> None:
    # w ← w − η·∂L/∂w with L = (w - 3)², at w = 1, η = 1/10: 1 − (1/10)(−4) = 7/5
    context = StepContext((w,), sp.Integer(1), sp.Integer(-4), sp.Rational(1, 10))
    expected = sp.Rational(7, 5)
    assert step_mistake(sp.Rational(3, 5), expected, context).code == "step_sign"
    assert step_mistake(expected, expected, context) is None
    assert step_mistake(sp.Integer(5), expected, context) is None  # wrong, but not the sign
    assert name_mistake(sp.Rational(3, 5), expected, context).code == "step_sign"


def test_a_symbolic_step_uphill_is_step_sign() -> None:
    # w + η∇L for w − η∇L, in symbols
    grad = 2 * (w - 3)
    context = StepContext((w, eta), w, grad, eta)
    assert step_mistake(w + eta * grad, w - eta * grad, context).code == "step_sign"
    assert step_mistake(w - grad, w - eta * grad, context) is None


def test_a_step_of_several_parameters_at_once() -> None:
    params = (sp.Integer(1), sp.Integer(2))
    grads = (sp.Integer(4), sp.Integer(-2))
    rate = sp.Rational(1, 2)
    context = StepContext((w1, w2), params, grads, rate)
    expected = (sp.Integer(-1), sp.Integer(3))
    assert step_mistake((sp.Integer(3), sp.Integer(1)), expected, context).code == "step_sign"
    # only one of the two uphill: not the sign of the step as a whole
    assert step_mistake((sp.Integer(3), sp.Integer(3)), expected, context) is None
    assert context.component(1) == StepContext((w1, w2), params[1], grads[1], rate)


def test_the_checker_names_step_sign_per_component() -> None:
    context = StepContext(
        (w1, w2), (sp.Integer(1), sp.Integer(2)), (sp.Integer(4), sp.Integer(-2)), sp.Rational(1, 2)
    )
    verdict = check_vars(["-1", "3"], "(3, 3)", vars=["w1", "w2"], step=context)
    assert [c.mistake for c in verdict.components] == ["step_sign", None]
    assert "subtracts the gradient" in verdict.components[0].diagnosis
