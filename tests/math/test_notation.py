"""Plain text in a teacher's notation, which students copy back and our parser reads.

Every prompt, answer and derivative a generated problem prints must parse (`bot.math.parser`) to
an equal expression: students paste them, and `derivbot generate --jsonl` output is fed to
`derivbot check`. The functions asked about are shown simplified and sign-normalised, the answers
in their usual form (sec^2, not tan^2 + 1), and each level is varied and unlike the one below.
"""

from __future__ import annotations

import re

import pytest
import sympy

from bot.math.equivalence import compare
from bot.math.forms import teacher_form
from bot.math.parser import parse
from bot.math.printing import expr_text
from bot.math.skills.pieces import W, X
from bot.math.textform import TeacherText
from tests.math.test_generator import IDS, SEEDS, SKILL_LEVELS, problem

x = X


def _same(text: str, expected: sympy.Expr, var: str) -> None:
    """`text` reads as `expected`: the same tree, or sympy simplifies the difference to 0, or
    (identities simplify misses, sec^2 = tan^2 + 1 inside a product) the checker's sampling
    says they agree everywhere."""
    read = parse(text, var).expr
    if read == expected or sympy.simplify(read - expected) == 0:
        return
    assert compare(expected, read, sympy.Symbol(var)).equal is True, (text, expected, read)


def _texts(skill: str, level: int) -> list[tuple[str, sympy.Expr | None, str]]:
    """(text, the expression it must read as, var) for every printed form of 40 problems."""
    out: list[tuple[str, sympy.Expr | None, str]] = []
    for seed in SEEDS:
        p = problem(skill, level, seed)
        data = p.to_json()
        out += [
            (data["function"], p.function, p.var),
            (data["derivative"], p.derivative, p.var),
            (data["answer"], p.answer, p.var),
            (p.prompt, None, p.var),
            *((s.text, None, p.var) for s in p.steps),
        ]
        if p.point is not None:
            out.append((data["point"], p.point, p.var))
    return out


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize(("skill", "level"), SKILL_LEVELS, ids=IDS)
def test_every_printed_expression_parses_back_to_the_same_one(skill: str, level: int) -> None:
    for seed in SEEDS:
        p = problem(skill, level, seed)
        data = p.to_json()
        _same(data["function"], p.function, p.var)
        _same(data["derivative"], p.derivative, p.var)
        _same(data["answer"], p.answer, p.var)
        if p.point is not None:
            _same(data["point"], p.point, p.var)
        assert expr_text(p.function) in p.prompt  # what the prompt shows is what was checked


#: tan^2(u) + 1 on its own (not 2 tan^2(u) + 1): what sympy writes for sec^2(u)
_TAN_SQUARED_PLUS_ONE = re.compile(
    r"(?:^|[(=:]\s*|[+] )tan\^2\((?:[^()]|\([^()]*\))*\) \+ 1\b(?!/)"
)


@pytest.mark.parametrize(("skill", "level"), SKILL_LEVELS, ids=IDS)
def test_plain_text_has_no_sympy_spelling(skill: str, level: int) -> None:
    for text, _, _ in _texts(skill, level):
        assert "exp(" not in text, text
        assert not re.search(r"\blog\(", text), text  # ln(x), or log_b(x) for a base
        assert "*" not in text, text
        assert not _TAN_SQUARED_PLUS_ONE.search(text), text  # sec^2(u)


@pytest.mark.parametrize(("skill", "level"), SKILL_LEVELS, ids=IDS)
def test_results_use_the_functions_own_name(skill: str, level: int) -> None:
    for seed in SEEDS:
        p = problem(skill, level, seed)
        name = "L" if p.var == "w" else "f"
        assert f"{name}({p.var})" in p.prompt
        for step in p.steps:
            if step.text.startswith("Result: "):
                assert step.text.startswith(f"Result: {name}'"), step.text


def test_a_loss_is_called_l_in_its_result() -> None:
    p = problem("ml", 2, 1)
    assert p.var == "w" and "L(w) = " in p.prompt
    assert p.steps[-1].text.startswith("Result: L'(w) = ")
    assert "f'(w)" not in " ".join(s.text for s in p.steps)


# ------------------------------------------------------------------ the printer


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (sympy.exp(2 * x + 3), "e^(2x + 3)"),
        (sympy.exp(x), "e^x"),
        (sympy.exp(-x), "e^(-x)"),
        (sympy.log(x), "ln(x)"),
        (sympy.log(x, 3), "log_3(x)"),
        (3 * sympy.log(x**2 + 1, 10), "3 log_10(x^2 + 1)"),
        (sympy.sec(x) ** 2, "sec^2(x)"),
        (-(sympy.csc(x) ** 2), "-csc^2(x)"),
        (sympy.sqrt(x), "sqrt(x)"),
        (5 * x**3, "5x^3"),
        (2 * x * sympy.cos(x**2), "2x cos(x^2)"),
        (-21 * sympy.tan(3 * x), "-21 tan(3x)"),
        (x**2 * sympy.exp(x), "x^2 e^x"),
        (2 * 3**x, "2·3^x"),
        (3**x * sympy.log(3), "3^x ln(3)"),
        (sympy.Rational(3, 4) * x**2, "3x^2/4"),
        (sympy.sin(x) / (x**2 + 1), "sin(x)/(x^2 + 1)"),
        (1 / (2 * x**3), "1/(2x^3)"),
        (x ** sympy.Rational(-1, 3), "1/x^(1/3)"),
        (3 * sympy.E * x - 3 * sympy.E, "3e x - 3e"),
        (x ** sympy.Rational(-1, 2), "1/sqrt(x)"),
        (sympy.asin(x), "arcsin(x)"),
        (sympy.pi / 6, "pi/6"),
        (-(x**2) - 2 * sympy.sin(x), "-x^2 - 2 sin(x)"),
    ],
)
def test_expressions_print_as_a_teacher_writes_them(expr: sympy.Expr, text: str) -> None:
    assert expr_text(expr) == text
    _same(text, expr, "x")


def test_a_negated_sum_keeps_its_brackets() -> None:
    expr = sympy.Mul(-1, 4 + 5 / x**2, evaluate=False)
    text = TeacherText().doprint(expr)
    assert text == "-(4 + 5/x^2)"
    _same(text, expr, "x")
    assert expr_text(expr) == "-4 - 5/x^2"  # in a teacher's form the sign is multiplied out


def test_sympys_tan_derivative_reads_sec_squared_even_in_worked_steps() -> None:
    assert not _TAN_SQUARED_PLUS_ONE.search("(2 tan^2(x) + 1) sec(x)")
    for text in ("= tan^2(x) + 1", "(tan^2(3x - 5) + 1)·3", "x + tan^2(x) + 1"):
        assert _TAN_SQUARED_PLUS_ONE.search(text), text
    assert expr_text(sympy.tan(3 * x - 5) ** 2 + 1) == "sec^2(3x - 5)"


# ------------------------------------------------------------------ teacher's form


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (sympy.diff(sympy.tan(x), x), "sec^2(x)"),
        (sympy.diff(sympy.cot(x), x), "-csc^2(x)"),
        (sympy.diff(sympy.tanh(2 * x - 3), x), "2 sech^2(2x - 3)"),
        (sympy.diff(7 * sympy.log(sympy.cos(3 * x)), x), "-21 tan(3x)"),
        (1 / sympy.tan(5 * x + 2), "cot(5x + 2)"),
        (sympy.diff(1 / sympy.tan(5 * x + 2), x), "-5 csc^2(5x + 2)"),
        (sympy.sin(x) / sympy.cos(x), "tan(x)"),
        (-4 * (-(x**2) - 8) ** 7, "4(x^2 + 8)^7"),
        ((2 - 4 * W) ** 2, "(4w - 2)^2"),
        (sympy.cos(3 * x) * (-(x**2) - 6), "-(x^2 + 6) cos(3x)"),
        (-sympy.log(1 / (1 + sympy.exp(-2 * W))), "ln(1 + e^(-2w))"),
    ],
)
def test_teacher_form_writes_the_usual_form(expr: sympy.Expr, text: str) -> None:
    form = teacher_form(expr)
    assert expr_text(form) == text
    _same(text, expr, "w" if expr.has(W) else "x")


def _reciprocal_or_pair(f: sympy.Expr) -> bool:
    """1/tan(u), sin(u)/cos(u) and the like, which teacher_form writes as one function."""
    funcs = (sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc)
    for node in sympy.preorder_traversal(f):
        if node.is_Pow and node.exp.is_negative and isinstance(node.base, funcs):
            return True
    return False


def _negated_sum(f: sympy.Expr) -> bool:
    """A sum with every term negative inside a product or an integer power: -(x^2 + 8)."""
    for node in sympy.preorder_traversal(f):
        parts = node.args if node.is_Mul else (node.base,) if node.is_Pow else ()
        if node.is_Pow and not node.exp.is_Integer:
            continue
        for part in parts:
            if part.is_Add and all(t.as_coeff_Mul()[0].is_negative for t in part.args):
                return True
    return False


@pytest.mark.parametrize(("skill", "level"), SKILL_LEVELS, ids=IDS)
def test_functions_are_shown_simplified_and_sign_normalised(skill: str, level: int) -> None:
    for seed in SEEDS:
        f = problem(skill, level, seed).function
        assert not _reciprocal_or_pair(f), f
        assert not _negated_sum(f), f
        assert teacher_form(f) == f, f


# ------------------------------------------------------------------ variety


@pytest.mark.parametrize(("skill", "level"), SKILL_LEVELS, ids=IDS)
def test_every_level_is_varied(skill: str, level: int) -> None:
    prompts = {problem(skill, level, seed).prompt for seed in SEEDS}
    assert len(prompts) >= 0.75 * len(SEEDS), sorted(prompts)


def _shape(e: sympy.Expr) -> str:
    """An expression's form with its coefficients blanked out (exponents kept)."""
    if e.is_Number:
        return "N"
    if e.is_Symbol:
        return str(e)
    if e.is_Pow and e.exp.is_Number:
        return f"Pow({_shape(e.base)}, {e.exp})"
    return f"{type(e).__name__}(" + ", ".join(sorted(_shape(a) for a in e.args)) + ")"


@pytest.mark.parametrize("skill", sorted({s for s, _ in SKILL_LEVELS}))
def test_a_level_is_not_the_level_below_again(skill: str) -> None:
    shapes = {
        level: {_shape(problem(skill, level, seed).function) for seed in SEEDS}
        for level in (1, 2, 3)
    }
    assert not shapes[1] & shapes[2], shapes[1] & shapes[2]
    assert not shapes[2] & shapes[3], shapes[2] & shapes[3]


def test_chain_level_two_is_no_power_of_a_linear_or_quadratic() -> None:
    """Level 1 is (ax + b)^n and (quadratic)^n; level 2 must not repeat it (6(5x - 6)^3)."""
    for seed in SEEDS:
        f = problem("chain", 2, seed).function
        body = f.as_coeff_Mul()[1]
        if body.is_Pow and body.base.is_polynomial(x):
            assert sympy.degree(body.base, x) > 2, f
