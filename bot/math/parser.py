"""Our own grammar for what students type.

User text is hostile, so it never reaches ``eval``/``sympify``/``parse_expr``: a tokenizer and a
small recursive-descent parser build sympy expressions from a whitelist of constructors, with
hard limits on length, depth, size and number magnitude checked *before* sympy evaluates
anything. The grammar is forgiving in the ways students write maths (implicit products,
``sin x``, ``sin^2 x``, unicode superscripts, a LaTeX subset) and strict everywhere else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from bot.math.grammar import _Parser
from bot.math.limits import (
    MAX_DEPTH,
    MAX_LENGTH,
)
from bot.math.tokens import (
    ALIASES,
    CONSTANTS,
    FUNCTIONS,
    INVERSES,
    PREFIX,
    ParseError,
    normalise,
    tokenize,
)
from bot.math.variables import canonical_all

__all__ = [
    "ALIASES",
    "CONSTANTS",
    "FUNCTIONS",
    "INVERSES",
    "ParseError",
    "Reading",
    "parse",
    "parse_line",
    "parse_prepared",
    "plain",
    "prepare",
    "read",
]


@dataclass(frozen=True)
class Reading:
    """A parsed answer and the canonical way to show it back ("I read your answer as …")."""

    expr: sp.Expr
    text: str
    notes: tuple[str, ...] = ()
    decimals: bool = False  # typed with decimal numbers (perhaps a rounded exact value)
    # `3/4x` is read as 3/(4x); the other natural reading, (3/4)x, and the student's text with
    # the brackets that say it: a checker tells the student when that one would be right
    alternative: sp.Expr | None = None
    alternative_text: str | None = None

    @functools.cached_property
    def latex(self) -> str:
        """Made on demand: printing LaTeX costs as much as checking, and most replies are text."""
        return sp.latex(self.expr)


_WRAPPED = re.compile(r"\s*(\$\$?)(.*?)(\$\$?)\s*", re.DOTALL)


def _unwrap(text: str) -> str:
    """Blank out a final full stop and `$…$` around the answer (spaces keep positions)."""
    for _ in range(2):  # `$cos x.$` and `$cos x$.`
        end = len(text.rstrip())
        if end and text[end - 1] == "." and not text[: end - 1].rstrip().endswith("."):
            text = text[: end - 1] + " " + text[end:]
        m = _WRAPPED.fullmatch(text)
        if m and m.group(1) == m.group(3) and m.group(2).strip():
            text = (
                text[: m.start(1)]
                + " " * len(m.group(1))
                + m.group(2)
                + " " * len(m.group(3))
                + text[m.end(3) :]
            )
    return text


def prepare(text: str) -> str:
    """The text as the grammar reads it: checked, look-alikes mapped, wrappers blanked."""
    if not isinstance(text, str):
        raise ParseError("the answer must be text")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the answer is too long (at most {MAX_LENGTH} characters)")
    return _unwrap(normalise(text))


def _without_label(normal: str, var: str, others: tuple[str, ...] = ()) -> str:
    prefix = PREFIX.match(normal)
    if prefix and prefix.group(0).rstrip("= ").strip() in (var, *others):
        prefix = None  # "x = 2" is an equation, not a label in front of an answer
    if prefix:
        normal = " " * prefix.end() + normal[prefix.end() :]
    if not normal.strip():
        raise ParseError("the answer is empty")
    return normal


def _run(parser: _Parser) -> sp.Expr:
    try:
        expr = parser.parse()
    except RecursionError:
        raise ParseError(f"too deeply nested (more than {MAX_DEPTH} levels)") from None
    except (OverflowError, MemoryError):
        raise ParseError("that number is too large to check") from None
    return _real(expr)


def _real(expr: sp.Expr) -> sp.Expr:
    if expr.has(sp.I):
        raise ParseError(
            "that is not a real number anywhere (a square root or log of a negative constant)"
        )
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError("that expression is undefined (it divides by zero)")
    return expr


def _names(var: str, vars: Sequence[str] | None) -> tuple[str, tuple[str, ...], bool]:
    """(first variable, the others, declared?): declared variables replace the one `var`."""
    if vars is None:
        return var, (), False
    names = canonical_all(vars)
    return names[0], names[1:], True


def _read(
    text: str, var: str, vars: Sequence[str] | None = None, *, prepared: bool = False
) -> tuple[sp.Expr, _Parser]:
    first, others, declared = _names(var, vars)
    normal = _without_label(text if prepared else prepare(text), first, others)
    parser = _Parser(tokenize(normal), normal, sp.Symbol(first), others=others, declared=declared)
    return _run(parser), parser


def _other_reading(
    normal: str, var: str, expr: sp.Expr, vars: Sequence[str] | None = None
) -> tuple[sp.Expr, str] | None:
    """`3/4x` read as (3/4)x, and the text with brackets saying so; None if it is the same."""
    first, others, declared = _names(var, vars)
    parser = _Parser(
        tokenize(normal),
        normal,
        sp.Symbol(first),
        split_division=True,
        others=others,
        declared=declared,
    )
    try:
        other = _run(parser)
    except ParseError:
        return None
    if other == expr or not parser.brackets:
        return None
    marks = [(start, "(") for start, _ in parser.brackets]
    marks += [(end, ")") for _, end in parser.brackets]
    shown = normal
    for pos, mark in sorted(marks, reverse=True):
        shown = shown[:pos] + mark + shown[pos:]
    return other, shown.strip()


def parse(text: str, var: str = "x", *, vars: Sequence[str] | None = None) -> Reading:
    """Read a student's answer; raises ParseError with a friendly message and position.

    `vars`: the variables a problem in several variables declares (`["w", "b"]`, `["w1"]`,
    `["θ"]`); exactly those may appear, and they replace `var`. Without it, only `var` may."""
    return _reading(text, var, vars)


def parse_prepared(text: str, var: str = "x", *, vars: Sequence[str] | None = None) -> Reading:
    """`parse` for text already `prepare`d: a vector's components are cut from the prepared
    whole, so error positions stay the whole answer's."""
    return _reading(text, var, vars, prepared=True)


def _reading(text: str, var: str, vars: Sequence[str] | None, *, prepared: bool = False) -> Reading:
    expr, parser = _read(text, var, vars, prepared=prepared)
    other = _other_reading(parser.text, var, expr, vars) if parser.divided_product else None
    return Reading(
        expr=expr,
        text=plain(expr),
        notes=tuple(parser.notes),
        decimals=parser.decimals,
        alternative=other[0] if other else None,
        alternative_text=other[1] if other else None,
    )


def parse_line(text: str, var: str = "x", solve_for: str = "y") -> Reading:
    """Read a line as an expression in `var` (`6x - 9`, `y = 6x - 9`) or as an equation in
    `var` and `solve_for`, linear in `solve_for` (`y - 9 = 6(x - 3)`, `6x - y = 9`), which is
    solved for it: what a tangent-line answer may look like."""
    normal = prepare(text)
    equals = [k for k, ch in enumerate(normal) if ch == "="]
    if not equals:
        return parse(text, var)
    if len(equals) > 1:
        raise ParseError("a line is one equation: write it with one `=`", equals[1])
    k = equals[0]
    if re.match(rf"\s*[A-Za-z]\s*\(\s*{re.escape(var)}\s*\)\s*=", normal):  # `y(x) = …`, a label
        return parse(text, var)
    y = sp.Symbol(solve_for)
    others = (solve_for,) if solve_for != var else ()
    left_text = normal[:k]
    try:
        if not left_text.strip():
            raise ParseError("nothing before `=`", k)
        left = _Parser(tokenize(left_text), left_text, sp.Symbol(var), others=others)
        lhs = _run(left)
    except ParseError:
        if PREFIX.match(normal):  # a label: `f(x) = 6x - 9`, `y' = …`, `= 6x - 9`
            return parse(text, var)
        raise
    right_text = " " * (k + 1) + normal[k + 1 :]
    if not right_text.strip():
        raise ParseError("nothing after `=`", k)
    right = _Parser(tokenize(right_text), right_text, sp.Symbol(var), others=others)
    right.nodes = left.nodes
    rhs = _run(right)
    equation = sp.Add(lhs, -rhs)
    if not equation.has(y):
        raise ParseError(
            f"a line is an equation in {var} and {solve_for}, like {solve_for} = m·{var} + b; "
            f"this one has no {solve_for}"
        )
    slope = sp.diff(equation, y)
    if slope.has(y) or slope == 0:
        raise ParseError(
            f"I can't solve that for {solve_for}; write the line as {solve_for} = m·{var} + b"
        )
    solved = _real(-equation.subs(y, 0) / slope)
    notes = [*left.notes, *right.notes]
    if lhs != y or rhs.has(y):
        notes.append(f"I solved your equation for {solve_for}: {solve_for} = {plain(solved)}")
    return Reading(
        expr=solved,
        text=plain(solved),
        notes=tuple(notes),
        decimals=left.decimals or right.decimals,
    )


def read(text: str, var: str = "x", *, vars: Sequence[str] | None = None) -> sp.Expr:
    """What `parse` reads, without the text shown back to a student (printing it costs half as
    much as reading): for trusted texts read in bulk, such as a deck's typed answers."""
    return _read(text, var, vars)[0]


def plain(expr: sp.Expr) -> str:
    """The plain-text reading students see: `^` for powers and `·` for products."""
    return sp.sstr(expr).replace("**", "^").replace("*", "·")
