"""Every notation students use is read as they mean it; everything else gets a helpful error."""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy.parsing import sympy_parser

from bot.math import parser as parser_module
from bot.math.parser import ParseError, parse, parse_line, read
from tests.property import examples

x = sp.Symbol("x")
w = sp.Symbol("w")

READS = [
    # operators and implicit multiplication
    ("x^2", x**2),
    ("x**2", x**2),
    ("2*x", 2 * x),
    ("2·x", 2 * x),
    ("2×x", 2 * x),
    ("2−x", 2 - x),
    ("2x", 2 * x),
    ("3(x+1)", 3 * (x + 1)),
    ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("2x cos(x^2)", 2 * x * sp.cos(x**2)),
    ("x e^x", x * sp.exp(x)),
    ("xsin(x)", x * sp.sin(x)),
    ("2xcos(x^2)", 2 * x * sp.cos(x**2)),
    ("cosx", sp.cos(x)),
    ("xe^x", x * sp.exp(x)),
    ("2sinxcosx", 2 * sp.sin(x) * sp.cos(x)),
    ("2*-x", -2 * x),
    ("-x^2", -(x**2)),
    ("x^-1", 1 / x),
    ("2^-x", 2 ** (-x)),
    ("x^x^x", x ** (x**x)),
    # functions without parentheses and powers of functions
    ("sin x", sp.sin(x)),
    ("ln x", sp.log(x)),
    ("sin 3x", sp.sin(3 * x)),
    ("2 sin x cos x", 2 * sp.sin(x) * sp.cos(x)),
    ("sin x^2", sp.sin(x**2)),
    ("ln x + 1", sp.log(x) + 1),
    ("e^x sin x", sp.exp(x) * sp.sin(x)),
    ("sin^2 x", sp.sin(x) ** 2),
    ("sin^2(x)", sp.sin(x) ** 2),
    ("sin(x)^2", sp.sin(x) ** 2),
    ("sec^2(2x)", sp.sec(2 * x) ** 2),
    ("sin^-1 x", sp.asin(x)),
    ("sin^{-1}(x)", sp.asin(x)),
    ("tan^-1(x)", sp.atan(x)),
    ("cosh^-1 x", sp.acosh(x)),
    # the function vocabulary
    ("tan x + sec x + csc x + cot x", sp.tan(x) + sp.sec(x) + sp.csc(x) + sp.cot(x)),
    ("asin(x) + arcsin(x)", 2 * sp.asin(x)),
    ("acos x + arccos x", 2 * sp.acos(x)),
    ("atan x + arctan x", 2 * sp.atan(x)),
    ("acot x + asec x + acsc x", sp.acot(x) + sp.asec(x) + sp.acsc(x)),
    ("sinh x + cosh x + tanh x", sp.sinh(x) + sp.cosh(x) + sp.tanh(x)),
    ("sech x + csch x + coth x", sp.sech(x) + sp.csch(x) + sp.coth(x)),
    ("exp(2x)", sp.exp(2 * x)),
    ("log(x)", sp.log(x)),
    ("log_2(x)", sp.log(x, 2)),
    ("log_{10} x", sp.log(x, 10)),
    ("log10(x)", sp.log(x, 10)),
    ("log(x, 3)", sp.log(x, 3)),
    ("sqrt(x)", sp.sqrt(x)),
    ("cbrt(x)", x ** sp.Rational(1, 3)),
    ("abs(x)", sp.Abs(x)),
    ("|x|", sp.Abs(x)),
    ("|x|*|x+1|", sp.Abs(x) * sp.Abs(x + 1)),
    ("e", sp.E),
    ("pi x", sp.pi * x),
    ("π x", sp.pi * x),
    # unicode
    ("x²", x**2),
    ("x⁻¹", 1 / x),
    ("x³ + x²", x**3 + x**2),
    ("sin²x", sp.sin(x) ** 2),
    ("sin⁻¹x", sp.asin(x)),
    ("√x", sp.sqrt(x)),
    ("√(x+1)", sp.sqrt(x + 1)),
    ("２x", 2 * x),
    ("（x＋１）", x + 1),
    # LaTeX
    (r"\frac{1}{x}", 1 / x),
    (r"\dfrac{x}{2}", x / 2),
    (r"\frac12 x", x / 2),
    (r"\sqrt{x}", sp.sqrt(x)),
    (r"\sqrt[3]{x}", x ** sp.Rational(1, 3)),
    (r"\sin x \cdot \cos x", sp.sin(x) * sp.cos(x)),
    (r"2 \times x", 2 * x),
    (r"\left( x+1 \right)^2", (x + 1) ** 2),
    (r"\left|x\right|", sp.Abs(x)),
    ("e^{2x}", sp.exp(2 * x)),
    (r"\ln x", sp.log(x)),
    (r"\pi", sp.pi),
    (r"\operatorname{sech}(x)", sp.sech(x)),
    (r"2x\,\sin(x)", 2 * x * sp.sin(x)),
    # prefixes that are ignored
    ("f'(x) = 2x", 2 * x),
    ("y' = 2x", 2 * x),
    ("y = 2x + 1", 2 * x + 1),
    ("dy/dx = 3x^2", 3 * x**2),
    ("d/dx = x", x),
    (r"\frac{dy}{dx} = x", x),
    ("= 5", sp.Integer(5)),
    # numbers
    ("2.5x", sp.Rational(5, 2) * x),
    (".5x", x / 2),
    ("1000000000000", sp.Integer(10**12)),
    # sympy's printed forms (the trusted `expected` field)
    ("2*x*cos(x**2)", 2 * x * sp.cos(x**2)),
    ("exp(x)*log(x) + exp(x)/x", sp.exp(x) * sp.log(x) + sp.exp(x) / x),
    ("Abs(x)", sp.Abs(x)),
    ("E**x", sp.exp(x)),
    ("x**(1/3)", x ** sp.Rational(1, 3)),
    ("-sin(x)/(2*sqrt(cos(x)))", -sp.sin(x) / (2 * sp.sqrt(sp.cos(x)))),
]


@pytest.mark.parametrize(("text", "expected"), READS)
def test_reads_notation(text: str, expected: sp.Expr) -> None:
    assert parse(text).expr == expected


def test_implicit_product_after_division_is_the_whole_denominator_and_says_so() -> None:
    reading = parse("1/2x")
    assert reading.expr == 1 / (2 * x)
    assert any("dividing by the whole product" in note for note in reading.notes)
    assert parse("1/2sqrt(x)").expr == 1 / (2 * sp.sqrt(x))


def test_exponent_with_coefficient_is_read_whole_and_says_so() -> None:
    reading = parse("e^2x")
    assert reading.expr == sp.exp(2 * x)
    assert reading.notes and "2x" in reading.notes[0]
    assert parse("e^-3x").expr == sp.exp(-3 * x)
    assert parse("e^2 x").expr == sp.exp(2) * x  # a space ends the exponent


def test_inverse_notation_is_announced_in_the_echo() -> None:
    reading = parse("sin^-1 x")
    assert reading.expr == sp.asin(x)
    assert any("inverse" in note and "asin" in note for note in reading.notes)


def test_reading_has_plain_text_and_latex() -> None:
    reading = parse("2x cos(x^2)")
    assert reading.text == "2·x·cos(x^2)"
    assert reading.latex == sp.latex(2 * x * sp.cos(x**2))


def test_other_variable_name() -> None:
    assert parse("2w + sin w", var="w").expr == 2 * w + sp.sin(w)
    with pytest.raises(ParseError, match="only w may appear"):
        parse("x", var="w")


ERRORS = [
    ("", "empty", None),
    ("   ", "empty", None),
    ("(x+1", "never closed", 0),
    ("x+1)", "no matching opening", 3),
    ("(x]", "closed by `]`", 2),
    ("|x", "never closed", 0),
    ("In x", "did you mean `ln`", 0),
    ("sinn x", "did you mean `sin`", 0),
    ("foo(x)", "don't know the name `foo`", 0),
    ("y + 1", "only x may appear", 0),
    ("2x+", "ends with `+`", 2),
    ("x^", "ends with `^`", 1),
    ("*x", "missing before `*`", 0),
    ("x^^2", "missing after `^`", 1),
    ("sin()", "nothing inside", 3),
    ("sin", "needs an argument", 0),
    ("x = 2", "not an equation", 2),
    ("x @ 2", "character `@`", 2),
    ("1/0", "division by zero", 1),
    ("x/(x-x)", "division by zero", 1),
    ("ln^-1 x", "ambiguous", 0),
    (r"\foo x", "LaTeX command", 0),
    ("x\u200b", "invisible", 1),
    ("x\u202e", "invisible", 1),
    ("2x\ud800", "could not be read as text", 2),
    ("2x\udcff+1", "could not be read as text", 2),
    ("2\ufffdx", "could not be read as text", 1),
    ("2x\x00", "control character U+0000", 2),
    ("2\x1b[31mx", "control character U+001B", 1),
    ("10000000000000", "too large", 0),
    ("x" * 501, "too long", None),
    ("(" * 60 + "x" + ")" * 60, "too deeply nested", None),
    ("-" * 200 + "x", "too deeply nested", None),
    ("x" * 300, "too long to check", None),
    ("9^9^9", "too large", None),
    ("2**10**10", "too large", None),
    ("10^12^10^12", "too large", None),
    ("x^(10^12)", "too large", None),
    ("x^x^x^x^x", "too tall", None),
    ("log_1(x)", "base", None),
]


@pytest.mark.parametrize(("text", "fragment", "position"), ERRORS)
def test_friendly_errors_with_position(text: str, fragment: str, position: int | None) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert fragment in info.value.message
    if position is not None:
        assert info.value.position == position
        assert f"position {position + 1}" in str(info.value)


HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    "().__class__.__base__.__subclasses__()",
    "eval('1')",
    "exec('import os')",
    "lambda: 0",
    "x.__class__",
    "open('/etc/passwd')",
    "@everyone",
    "<@123456789>",
    "`x`",
    "9^9^9",
    "x" * 10_000,
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_input_runs_nothing(payload: str, monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []

    def trap(name: str):
        def f(*args: object, **kwargs: object) -> None:
            called.append(name)
            raise AssertionError(f"{name} was called")

        return f

    monkeypatch.setattr(builtins, "eval", trap("eval"))
    monkeypatch.setattr(builtins, "exec", trap("exec"))
    monkeypatch.setattr(os, "system", trap("os.system"))
    monkeypatch.setattr(subprocess, "Popen", trap("Popen"))
    monkeypatch.setattr(sp, "sympify", trap("sympify"))
    monkeypatch.setattr(sympy_parser, "parse_expr", trap("parse_expr"))
    try:
        with pytest.raises(ParseError):
            parse(payload)
    finally:
        monkeypatch.undo()
    assert called == []


def test_parser_source_uses_no_eval_based_entry_points() -> None:
    source = Path(parser_module.__file__).read_text(encoding="utf-8")
    for banned in ("sympify(", "parse_expr(", "eval(", "exec(", "S("):
        assert banned not in source


ALPHABET = st.sampled_from(
    [
        *list("x0123456789+-*/^()|., "),
        "sin",
        "cos",
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
    ]
)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_fuzzed_input_only_ever_raises_parse_error(text: str) -> None:
    try:
        reading = parse(text)
    except ParseError:
        return
    assert isinstance(reading.expr, sp.Expr)
    assert reading.text


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_unicode_only_ever_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text)


SPACING = [
    # after "/" and in exponents only unspaced factors stay together
    ("1/2 x^(1/2)", sp.sqrt(x) / 2),
    ("4/3 x^(-5/3)", sp.Rational(4, 3) * x ** sp.Rational(-5, 3)),
    ("1/2x", 1 / (2 * x)),
    ("-5e^-5x cos 3x", -5 * sp.exp(-5 * x) * sp.cos(3 * x)),
    ("-e^-5x(5cos3x + 3sin3x)", -sp.exp(-5 * x) * (5 * sp.cos(3 * x) + 3 * sp.sin(3 * x))),
    ("e^2xsin x", sp.exp(2 * x) * sp.sin(x)),
    # labels in front of an answer
    ("f'(2) = 1980", sp.Integer(1980)),
    ("dL/dw = 3", sp.Integer(3)),
    ("d²y/dx² = 6x", 6 * x),
    (r"\frac{d^2y}{dx^2}=6x", 6 * x),
    ("F'(x) = 2x", 2 * x),
    ("f '(x) = 2x", 2 * x),
]


@pytest.mark.parametrize(("text", "expected"), SPACING)
def test_spacing_and_labels(text: str, expected: sp.Expr) -> None:
    assert parse(text).expr == expected


@pytest.mark.parametrize("text", ["sqrt(-1) + x", "ln(-2)", "2^10^400", "2x\ud800"])
def test_non_real_huge_or_broken_input_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("x3", "ambiguous"), ("3x2", "ambiguous"), ("1.2.3", "two numbers"), ("1 980", "two numbers")],
)
def test_run_together_numbers_are_not_guessed(text: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment):
        parse(text)


def test_capital_variable_is_read_as_the_variable_and_said() -> None:
    reading = parse("Sin(X)")
    assert reading.expr == sp.sin(x)
    assert "I read X as x" in reading.notes


def test_read_is_parse_without_the_echo() -> None:
    """`read` (bulk reading of trusted text, e.g. deck validation) reads exactly as `parse`."""
    for text in ("2x cos x²", "y' = 3w^2", "sin^-1 x", "|x| / ln(x)"):
        var = "w" if "w" in text else "x"
        assert read(text, var) == parse(text, var).expr
    for bad in ("2x +", "9^9^9^9", "x/0", ""):
        with pytest.raises(ParseError) as expected:
            parse(bad)
        with pytest.raises(ParseError, match=re.escape(str(expected.value))):
            read(bad)


def test_the_tokenizer_and_limits_never_evaluate_text_either() -> None:
    """Reading student text spans parser, grammar, tokens and limits: none of them may eval."""
    from bot.math import grammar, limits, tokens

    for module in (grammar, tokens, limits):
        source = Path(module.__file__).read_text(encoding="utf-8")
        for banned in ("sympify(", "parse_expr(", "eval(", "exec(", "S("):
            assert banned not in source, (module.__name__, banned)


STUDENT_WRITING = [
    # a sentence's full stop after the answer
    ("cos(x).", sp.cos(x)),
    ("1/x.", 1 / x),
    ("2x + 1 .", 2 * x + 1),
    ("2.", sp.Integer(2)),
    # $…$ around the answer, as Discord users write maths
    ("$2x$", 2 * x),
    ("$$\\frac{1}{x}$$", 1 / x),
    ("$f'(x) = 3x^2$", 3 * x**2),
    ("$cos(x)$.", sp.cos(x)),
    ("$\\cos x.$", sp.cos(x)),
    # unicode a phone keyboard offers
    ("∛x", x ** sp.Rational(1, 3)),
    ("∛(x+1)", (x + 1) ** sp.Rational(1, 3)),
    ("½x", x / 2),
    ("¼ x^(-3/4)", x ** sp.Rational(-3, 4) / 4),
    ("¾x^(-¼)", sp.Rational(3, 4) * x ** sp.Rational(-1, 4)),
    ("ℯ^x", sp.exp(x)),
    ("eˣ", sp.exp(x)),
    ("2e²ˣ", 2 * sp.exp(2 * x)),
    ("x eˣ⁺¹", x * sp.exp(x + 1)),
    ("xᵉ", x**sp.E),
]


@pytest.mark.parametrize(("text", "expected"), STUDENT_WRITING)
def test_reads_how_students_write(text: str, expected: sp.Expr) -> None:
    assert parse(text).expr == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("$2x", "`$`"),
        ("2x$", "`$`"),
        ("x..", "`.`"),
        ("3½", "two numbers"),
        ("xⁿ", "`n` is not known"),
        ("e⁽ˣ", "never closed"),
    ],
)
def test_half_written_wrappers_and_odd_unicode_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=re.escape(fragment)):
        parse(text)


def test_a_divided_product_offers_the_other_reading() -> None:
    reading = parse("3/4x^(-1/4)")
    assert reading.expr == 3 / (4 * x ** sp.Rational(-1, 4))
    assert reading.alternative == sp.Rational(3, 4) * x ** sp.Rational(-1, 4)
    assert reading.alternative_text == "(3/4)x^(-1/4)"
    two = parse("1 + 1/2x/3x")
    assert two.alternative == 1 + x**2 / 6
    assert two.alternative_text == "1 + ((1/2)x/3)x"
    for plain_text in ("1/2 x", "1/(2x)", "x/2", "2x"):
        assert parse(plain_text).alternative is None, plain_text


def test_a_long_decimal_is_read_exactly_as_a_decimal() -> None:
    reading = parse("3.141592653589793")
    assert reading.decimals
    assert reading.expr == sp.Rational(3141592653589793, 10**15)
    with pytest.raises(ParseError, match="too many digits"):
        parse("0." + "1" * 40)


LINES = [
    ("y - 9 = 6(x - 3)", 6 * x - 9),
    ("y − 9 = 6(x − 3)", 6 * x - 9),
    ("6x - y = 9", 6 * x - 9),
    ("y - 6x + 9 = 0", 6 * x - 9),
    ("2y = 12x - 18", 6 * x - 9),
    ("y = 6x - 9", 6 * x - 9),
    ("6x - 9", 6 * x - 9),
    ("$y-9=6(x-3)$.", 6 * x - 9),
    ("f(x) = 6x - 9", 6 * x - 9),
    ("y(x) = 6x - 9", 6 * x - 9),
    ("= 6x - 9", 6 * x - 9),
]


@pytest.mark.parametrize(("text", "expected"), LINES)
def test_a_line_is_read_in_point_slope_and_implicit_forms(text: str, expected: sp.Expr) -> None:
    reading = parse_line(text)
    assert sp.expand(reading.expr - expected) == 0
    label = text.split("=")[0].strip(" $") if "=" in text else ""
    solved = any("I solved your equation for y: y = " in note for note in reading.notes)
    assert solved == (label not in ("", "y", "f(x)", "y(x)")), reading.notes


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x = 3", "no y"),
        ("y^2 = x", "solve"),
        ("y = x = 2", "one `=`"),
        ("y - 9 = ", "nothing after `=`"),
        ("y = z", "not known"),
        ("y - y = x", "no y"),
    ],
)
def test_equations_that_are_no_line_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=re.escape(fragment)):
        parse_line(text)


def test_an_expression_answer_never_takes_an_equation() -> None:
    with pytest.raises(ParseError, match="not an equation"):
        parse("y - 9 = 6(x - 3)")
