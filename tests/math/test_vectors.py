"""Vector answers are read component by component, in every bracket style, within the limits."""

from __future__ import annotations

import contextlib

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.math.equivalence import compare_many
from bot.math.parser import ParseError, parse, plain
from bot.math.vectors import MAX_COMPONENTS, as_reading, parse_vector
from tests.property import examples

x, y, w1, theta = sp.symbols("x y w1 theta")
XY = ["x", "y"]


@pytest.mark.parametrize(
    "text",
    ["(2x, 3y^2)", "[2x, 3y^2]", "<2x, 3y^2>", "⟨2x,3y²⟩", "∇f = (2x, 3y^2)", "$(2x, 3y^2)$"],
)
def test_every_bracket_style_reads_the_components_in_order(text: str) -> None:
    vector = parse_vector(text, vars=XY)
    assert vector is not None
    assert [c.expr for c in vector.components] == [2 * x, 3 * y**2]
    assert vector.text == "(2·x, 3·y^2)"
    assert as_reading(vector).latex == r"\left( 2 x, \  3 y^{2}\right)"


@pytest.mark.parametrize("text", ["2x + y", "(2x + y)", "log(x, 2)", "(log(x, 2))", "[x]"])
def test_text_without_a_top_level_comma_is_not_a_vector(text: str) -> None:
    assert parse_vector(text, vars=XY) is None


def test_commas_inside_a_component_stay_there() -> None:
    vector = parse_vector("(log(x, 2), y)", vars=XY)
    assert vector is not None
    assert [c.expr for c in vector.components] == [sp.log(x, 2), y]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(2x, )", "component 2 of the vector is empty"),
        ("(2x, q)", "component 2: only x and y may appear as variables; `q` is not known"),
        ("(2x, 9^9^9)", "component 2: "),
        ("(" + "x, " * MAX_COMPONENTS + "x)", f"at most {MAX_COMPONENTS} components"),
        ("(x, y" + "+x" * 300 + ")", "too long"),
    ],
)
def test_bad_vectors_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace("^", r"\^")):
        parse_vector(text, vars=XY)


def test_an_error_points_into_the_whole_text() -> None:
    with pytest.raises(ParseError) as caught:
        parse_vector("(2x, 3q)", vars=XY)
    assert caught.value.position == 6  # the q, counted in the whole answer


# --- properties ------------------------------------------------------------------------------

SYMBOLS = (x, y, w1, theta)
NAMES = ["x", "y", "w_1", "θ"]
leaves = st.sampled_from(SYMBOLS) | st.integers(min_value=-9, max_value=9).map(sp.Integer)


def _grow(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
    return (
        st.tuples(children, children).map(lambda p: p[0] + p[1])
        | st.tuples(children, children).map(lambda p: p[0] * p[1])
        | st.tuples(children, st.integers(min_value=2, max_value=3)).map(lambda p: p[0] ** p[1])
        | children.map(sp.sin)
        | children.map(sp.exp)
        | children.map(sp.atan)
    )


expressions = st.recursive(leaves, _grow, max_leaves=6)


@pytest.mark.property
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expressions, min_size=1, max_size=3))
def test_printed_expressions_in_several_variables_read_back_the_same(
    exprs: list[sp.Expr],
) -> None:
    for e in exprs:
        back = parse(plain(e), vars=NAMES).expr
        assert compare_many(e, back, SYMBOLS).equal is True, (e, plain(e), back)
    if len(exprs) > 1:
        vector = parse_vector("(" + ", ".join(plain(e) for e in exprs) + ")", vars=NAMES)
        assert vector is not None and len(vector.components) == len(exprs)


HOSTILE = st.lists(
    st.sampled_from([*"()[]<>{},|xyqw1_^*+-/ 9e", "sin", "⟨", "⟩", "\\theta", "__import__"]),
    max_size=120,
).map("".join)


@pytest.mark.property
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE)
def test_hostile_vector_syntax_only_ever_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        vector = parse_vector(text, vars=["x", "y", "w1"])
        if vector is not None:
            assert 2 <= len(vector.components) <= MAX_COMPONENTS
            assert all(isinstance(c.expr, sp.Expr) for c in vector.components)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 60 + "x, y" + ")" * 60,
        "(" + "((" * 40 + "x" + "))" * 40 + ", y)",
        "(x^x^x^x^x, y)",
        "(10^12^10^12, x)",
        "(__import__('os').system('echo pwned'), x)",
        "[x, " * 100,
        "(x,,y)",
        "(\u202ex, y)",
    ],
)
def test_hostile_vectors_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        if parse_vector(text, vars=XY) is None:  # not a vector: then read as one expression
            parse(text, vars=XY)
