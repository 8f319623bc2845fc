"""Checking in several variables: partial derivatives and vectors, one verdict per component."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.math.check import VectorVerdict, check_vars
from tests.property import examples

XY = ["x", "y"]
GRADIENT = ["2*x*y", "x**2"]  # ∇(x²y)


@pytest.mark.parametrize("answer", ["(2xy, x^2)", "[2yx, x²]", "<2xy, x*x>", "∇f = (2xy, x^2)"])
def test_a_right_gradient_in_any_bracket_style_is_correct(answer: str) -> None:
    verdict = check_vars(GRADIENT, answer, vars=XY, function="x^2 y")
    assert verdict.verdict == "correct"
    assert isinstance(verdict, VectorVerdict)
    assert [c.verdict for c in verdict.components] == ["correct", "correct"]
    assert verdict.reading is not None and verdict.reading.text == "(2·x·y, x^2)"


def test_each_component_gets_its_own_verdict() -> None:
    verdict = check_vars(GRADIENT, "(2xy, 2x)", vars=XY)
    assert verdict.verdict == "incorrect"
    assert [c.verdict for c in verdict.components] == ["correct", "incorrect"]
    assert verdict.message == "Component 2 of 2: not quite."
    data = verdict.to_dict()
    assert [c["verdict"] for c in data["components"]] == ["correct", "incorrect"]
    assert data["components"][1]["reading"] == "2·x"


def test_a_component_names_its_classic_mistake_through_diagnosis() -> None:
    # ∇ sin(x y²) = (y² cos(xy²), 2xy cos(xy²)): the inner derivative dropped in the second
    verdict = check_vars(
        ["y**2*cos(x*y**2)", "2*x*y*cos(x*y**2)"],
        "(y^2 cos(xy^2), cos(xy^2))",
        vars=XY,
        function="sin(x y^2)",
    )
    assert [c.mistake for c in verdict.components] == [None, "chain"]
    assert verdict.mistake == "chain" and verdict.diagnosis


def test_swapped_components_are_the_wrong_variable() -> None:
    verdict = check_vars(GRADIENT, "(x^2, 2xy)", vars=XY, function="x^2 y")
    assert [c.mistake for c in verdict.components] == ["wrong_variable", "wrong_variable"]
    assert "with respect to y" in verdict.components[0].diagnosis
    # without the function, the other component is what a mix-up gives
    plain = check_vars(GRADIENT, "(x^2, 2xy)", vars=XY)
    assert [c.mistake for c in plain.components] == ["wrong_variable", "wrong_variable"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("(2xy, x^2, 0)", "Your vector has 3 components; 2 are expected here."),
        ("(2xy)", "A vector of 2 components is expected here"),
        ("2xy", "A vector of 2 components is expected here"),
    ],
)
def test_a_wrong_number_of_components_is_incorrect_with_a_clear_message(
    answer: str, message: str
) -> None:
    verdict = check_vars(GRADIENT, answer, vars=XY)
    assert verdict.verdict == "incorrect"
    assert verdict.message.startswith(message)


def test_a_vector_where_one_expression_is_expected() -> None:
    verdict = check_vars("2*x*y", "(2xy, x^2)", vars=XY)
    assert verdict.verdict == "incorrect"
    assert verdict.message == "One expression is expected here, not a vector."


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("(2xy, q)", "component 2: only x and y may appear as variables; `q` is not known"),
        ("(2xy, x^2", "expected `)` to close `(`"),
        ("2xy + z", "only x and y may appear as variables; `z` is not known"),
    ],
)
def test_unreadable_answers_are_invalid_with_the_reason(answer: str, message: str) -> None:
    verdict = check_vars(GRADIENT, answer, vars=XY)
    assert verdict.verdict == "invalid"
    assert message in verdict.message


def test_an_unjudgeable_component_makes_the_vector_invalid() -> None:
    # 3/4x read as 3/(4x) is wrong, (3/4)x is right: not graded, the student retries
    verdict = check_vars(["3*x/4", "1"], "(3/4x, 1)", vars=XY)
    assert verdict.verdict == "invalid"
    assert verdict.message.startswith("Component 1: Not as I read it")
    assert verdict.components[0].alternative == "(3/4)x"


def test_partial_derivatives_in_declared_variables() -> None:
    assert check_vars("2*w1*b", "2w_1 b", vars=["w_1", "b"]).verdict == "correct"
    assert check_vars("2*theta", "2θ", vars=["θ"]).verdict == "correct"
    assert check_vars("w", "wb/b", vars=["w", "b"]).verdict == "correct"
    wrong = check_vars("b", "w", vars=["w", "b"], function="w b", wrt="w")
    assert (wrong.verdict, wrong.mistake) == ("incorrect", "wrong_variable")


def test_a_rounded_decimal_component_is_told_to_be_exact() -> None:
    verdict = check_vars(["2*x", "pi*y"], "(2x, 3.14y)", vars=XY)
    assert verdict.components[1].message.startswith("Close, but I need the exact value")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vars": ["x", "x"]}, "declared twice"),
        ({"vars": ["xy"]}, "can't be a variable"),
        ({"vars": XY, "wrt": "z"}, "`z` is not one of the variables x and y"),
    ],
)
def test_bad_declarations_are_invalid(kwargs: dict, message: str) -> None:
    verdict = check_vars("2*x", "2x", **kwargs)
    assert verdict.verdict == "invalid" and message in verdict.message


def test_an_expected_vector_may_be_written_as_text() -> None:
    assert check_vars("(2*x, 2*y)", "[2x, 2y]", vars=XY).verdict == "correct"


@pytest.mark.parametrize("answer", ["2θ", "(2θ)", "[2theta]"])
def test_a_vector_of_one_component_is_written_as_that_component(answer: str) -> None:
    verdict = check_vars(["2*theta"], answer, vars=["θ"])
    assert verdict.verdict == "correct"
    assert [c.verdict for c in verdict.components] == ["correct"]


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from([*"()[]<>,|xyq1_^*+-/ 9e", "sin", "w1", "⟨", "∇f =", "θ"]), max_size=60
    ).map("".join)
)
def test_check_vars_never_raises_for_what_a_student_types(text: str) -> None:
    verdict = check_vars(GRADIENT, text, vars=XY)
    assert verdict.verdict in ("correct", "incorrect", "invalid")
    if verdict.verdict == "correct":
        assert [c.verdict for c in verdict.components] == ["correct", "correct"]
