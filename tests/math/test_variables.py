"""Answers in the variables a problem declares: exactly those are read, each as one symbol."""

from __future__ import annotations

import pytest
import sympy as sp

from bot.math.parser import ParseError, parse, read
from bot.math.tokens import tokenize
from bot.math.variables import canonical, canonical_all, merge_indexed

x, y, z, w, b, t = sp.symbols("x y z w b t")
w1, w2, theta, eta = sp.symbols("w1 w2 theta eta")

READS = [
    # (text, declared variables, reading)
    ("2xy", ["x", "y"], 2 * x * y),
    ("x^2 y + y^3", ["x", "y"], x**2 * y + y**3),
    ("3x^2y^2", ["x", "y"], 3 * x**2 * y**2),  # x²·y², not x^(2y²)
    ("e^2y", ["x", "y"], sp.exp(2 * y)),  # e's exponent still takes `2y` whole
    ("xyz", ["x", "y", "z"], x * y * z),
    ("sin(xy) + cos z", ["x", "y", "z"], sp.sin(x * y) + sp.cos(z)),
    ("ln(xy)", ["x", "y"], sp.log(x * y)),
    ("wb", ["w", "b"], w * b),
    ("2wb + b", ["w", "b"], 2 * w * b + b),
    ("w1", ["w1"], w1),
    ("w_1", ["w1"], w1),
    ("w_{1}", ["w1"], w1),
    ("2w_1 + w2", ["w_1", "w_2"], 2 * w1 + w2),
    ("w1w2", ["w1", "w2"], w1 * w2),
    ("bw1", ["w1", "b"], b * w1),
    ("w1^2 b", ["w1", "b"], w1**2 * b),
    ("θ^2", ["θ"], theta**2),
    ("theta^2 + sin θ", ["theta"], theta**2 + sp.sin(theta)),
    (r"\theta \cos\theta", ["θ"], theta * sp.cos(theta)),
    ("w - η·2w", ["w", "eta"], w - eta * 2 * w),
    ("tan(t)", ["t"], sp.tan(t)),  # a function name is not cut into variables
    ("∂f/∂x = 2xy", ["x", "y"], 2 * x * y),  # a label
    ("f(x, y) = x + y", ["x", "y"], x + y),
]


@pytest.mark.parametrize(("text", "names", "expected"), READS)
def test_declared_variables_are_read(text: str, names: list[str], expected: sp.Expr) -> None:
    assert parse(text, vars=names).expr == expected
    assert read(text, vars=names) == expected


REFUSED = [
    ("x + q", ["x", "y"], "only x and y may appear as variables; `q` is not known"),
    ("z", ["x", "y"], "only x and y may appear as variables; `z` is not known"),
    ("θ", ["x", "y"], "`theta` is not known"),
    ("w12", ["w1"], "only w1 may appear as a variable; `w` is not known"),  # not w1·2
    ("x3", ["x", "y"], "ambiguous"),
    ("w_2", ["w1"], "only w1 may appear as a variable; `w` is not known"),
    ("x1", ["x", "y"], "ambiguous"),  # an index that is not declared stays ambiguous
    ("x = 2", ["x", "y"], "not an equation"),
]


@pytest.mark.parametrize(("text", "names", "message"), REFUSED)
def test_undeclared_names_are_refused(text: str, names: list[str], message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(")):
        parse(text, vars=names)


def test_without_declared_variables_nothing_changes() -> None:
    assert parse("x^2x").expr == x ** (2 * x)  # the one-variable reading of today
    assert parse("2t", "t").expr == 2 * t
    with pytest.raises(ParseError, match="only x may appear as a variable; `y` is not known"):
        parse("x + y")
    with pytest.raises(ParseError, match="only x may appear"):
        parse("θ")
    with pytest.raises(ParseError, match="only x may appear"):
        parse("w1")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("x", "x"), ("w_1", "w1"), ("w1", "w1"), ("w_{12}", "w12"), ("θ", "theta"), ("\\eta", "eta")],
)
def test_declared_names_have_one_canonical_form(name: str, expected: str) -> None:
    assert canonical(name) == expected


@pytest.mark.parametrize("name", ["e", "pi", "xy", "sin", "w_123", "", "1", "x'", "w__1"])
def test_names_that_could_not_be_typed_unambiguously_are_refused(name: str) -> None:
    with pytest.raises(ParseError):
        canonical(name)


def test_declarations_are_checked_as_a_whole() -> None:
    assert canonical_all(["w_1", "b"]) == ("w1", "b")
    with pytest.raises(ParseError, match="twice"):
        canonical_all(["w1", "w_1"])
    with pytest.raises(ParseError, match="at most"):
        canonical_all(list("abcdfghjk"))
    with pytest.raises(ParseError):
        canonical_all([])


def test_an_index_joins_only_a_declared_variable() -> None:
    merged = merge_indexed(tokenize("w1 + x1"), ["w1", "x"])
    assert [tok.value for tok in merged if tok.kind != "eof"] == ["w1", "+", "x", "1"]
    spaced = merge_indexed(tokenize("w 1"), ["w1"])
    assert [tok.value for tok in spaced if tok.kind != "eof"] == ["w", "1"]
