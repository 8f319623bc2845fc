"""One verdict for one answer: read it, compare it, and if it is wrong, name the mistake.

`check_answer` is what every check ends in (through the worker pool, directly or through an
answer kind), so it never raises for anything a student types: unreadable input is an
`invalid` verdict with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

import sympy as sp

from bot.math.diagnosis import diagnose
from bot.math.equivalence import compare, roughly
from bot.math.parser import ParseError, Reading, parse, parse_line
from bot.math.tokens import normalise

VerdictKind = Literal["correct", "incorrect", "invalid"]
TOO_COMPLEX = "That answer is too complex to check; try simplifying it."


@dataclass(frozen=True)
class Verdict:
    verdict: VerdictKind
    message: str
    reading: Reading | None = None
    mistake: str | None = None
    diagnosis: str | None = None
    # the other reading of the answer (`(3/4)x` for `3/4x`), given when it would be right: the
    # verdict is then `invalid` (nothing graded, the student retries with brackets)
    alternative: str | None = None

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    def to_dict(self) -> dict[str, object]:
        """The stable JSON shape of `derivbot check`."""
        return {
            "verdict": self.verdict,
            "message": self.message,
            "mistake": self.mistake,
            "diagnosis": self.diagnosis,
            "reading": self.reading.text if self.reading else None,
            "reading_latex": self.reading.latex if self.reading else None,
            "notes": list(self.reading.notes) if self.reading else [],
            "alternative": self.alternative,
        }


def invalid(message: str) -> Verdict:
    return Verdict("invalid", message)


def _as_expr(value: sp.Expr | str, var: str) -> sp.Expr:
    """Trusted expressions may arrive as text (sympy's printed form); read them with our grammar
    all the same, so no text ever reaches sympy's eval-based parser."""
    if isinstance(value, str):
        return parse(value, var).expr
    return value


def check_answer(
    expected: sp.Expr | str,
    answer: str,
    *,
    function: sp.Expr | str | None = None,
    var: str = "x",
    order: int = 1,
    transform: Callable[[sp.Expr], sp.Expr] | None = None,
    number: bool = False,
    line: bool = False,
    prefer: Collection[str] = (),
) -> Verdict:
    """Check a typed `answer` against `expected`.

    With `function` the mistake is diagnosed by re-deriving it with wrong rules; `transform` and
    `order` say what the question asks of the derivative (a value, a tangent line, f'');
    `number` means the answer must not contain the variable; `line` that it may be a line's
    equation in the variable and y (`y - 9 = 6(x - 3)`).

    An answer that is wrong as read but right in its other natural reading (`3/4x` meant as
    (3/4)x) is `invalid`, with a message saying both: the student is told, and not graded.
    `prefer` are the mistake codes of the drilled skill, named first when a slip fits two.
    A trailing `+ C` is never right: see `_plus_c`.
    """
    rest = None if line else _without_plus_c(answer, var)
    verdict = _check(
        expected,
        answer if rest is None else rest,
        function=function,
        var=var,
        order=order,
        transform=transform,
        number=number,
        line=line,
        prefer=prefer,
    )
    return verdict if rest is None else _plus_c(verdict)


def _check(
    expected: sp.Expr | str,
    answer: str,
    *,
    function: sp.Expr | str | None,
    var: str,
    order: int,
    transform: Callable[[sp.Expr], sp.Expr] | None,
    number: bool,
    line: bool,
    prefer: Collection[str],
) -> Verdict:
    try:
        reading = parse_line(answer, var) if line else parse(answer, var)
    except ParseError as exc:
        return invalid(str(exc))
    try:
        expected_expr = _as_expr(expected, var)
        function_expr = _as_expr(function, var) if function is not None else None
    except ParseError as exc:
        return invalid(f"the expected answer could not be read: {exc}")
    symbol = sp.Symbol(var)
    early = _misshapen(reading, symbol, number)
    if early is not None:
        return early
    result = compare(expected_expr, reading.expr, symbol)
    if result.equal is True:
        return Verdict("correct", "Correct!", reading)
    other = reading.alternative
    if other is not None and compare(expected_expr, other, symbol).equal:
        return Verdict(
            "invalid",
            f"Not as I read it ({reading.text}); but if you meant {reading.alternative_text}, "
            "that is right: add brackets and send it again.",
            reading,
            alternative=reading.alternative_text,
        )
    mistake = None
    if function_expr is not None or transform is None:
        mistake = diagnose(
            reading.expr,
            expected_expr,
            symbol,
            function_expr,
            transform=transform,
            order=order,
            prefer=prefer,
        )
    if mistake is not None:
        return Verdict("incorrect", "Not quite.", reading, mistake.code, mistake.explanation)
    return _unnamed(reading, expected_expr, symbol, decided=result.equal is not None)


# `+ C`, `+ c` or `+ K` at the very end (before any closing `$` or full stop)
_PLUS_C = re.compile(r"\+\s*([CcK])\Z")


def _without_plus_c(answer: str, var: str) -> str | None:
    """The answer without a trailing constant of integration, or None when it has none.
    Read on the normalised text, so look-alike pluses and letters count too."""
    if not isinstance(answer, str):
        return None
    try:
        text = normalise(answer)
    except ParseError:
        return None
    end = len(text.rstrip(" \t\n$."))
    m = _PLUS_C.search(text, max(0, end - 16), end)  # only the tail: linear in any input
    if m is None or m.group(1) == var:
        return None
    rest = text[: m.start()] + text[m.end() :]
    if not rest.strip(" \t\n$.") or _PLUS_C.search(rest.rstrip(" \t\n$.")):
        return None  # `+ C` alone, or twice: read as typed (and refused)
    return rest


def _plus_c(rest: Verdict) -> Verdict:
    """`3x^2 + C`: a derivative has no constant of integration, so the answer is wrong however
    right the rest is; the words say whether the rest is right, integrated, or wrong too."""
    if rest.verdict == "invalid":
        return rest
    no_c = "A derivative has no + C (the constant of integration belongs to antiderivatives)"
    if rest.correct:
        text = f"{no_c}; without it, your answer is right."
    elif rest.mistake == "integrated":
        text = "That is an antiderivative + C: you integrated; differentiate instead."
    elif rest.diagnosis:
        text = f"{no_c}; and even without it: {rest.diagnosis}"
    else:
        text = f"{no_c}; and even without it, the answer is not right."
    return Verdict("incorrect", "Not quite.", rest.reading, "integrated", text)


def _misshapen(reading: Reading, var: sp.Symbol, number: bool) -> Verdict | None:
    """Wrong before any comparison: the variable left in a value, a difference quotient."""
    if number and reading.expr.has(var):
        return Verdict(
            "incorrect",
            f"A number is expected here, but your answer still contains {var}.",
            reading,
        )
    if _tiny_step(reading.expr, var):
        return Verdict(
            "incorrect",
            "That looks like a difference quotient with a tiny step h, not the derivative: "
            "take the limit as h → 0.",
            reading,
        )
    return None


def _unnamed(reading: Reading, expected: sp.Expr, var: sp.Symbol, *, decided: bool) -> Verdict:
    """A wrong answer that matches no classic mistake: say what we can about it."""
    if reading.decimals and roughly(expected, reading.expr, var):
        return Verdict(
            "incorrect",
            "Close, but I need the exact value: write fractions, ln, pi or sqrt instead of "
            "a rounded decimal.",
            reading,
        )
    if not decided:
        return Verdict(
            "incorrect", "I could not confirm that your answer equals the right one.", reading
        )
    return Verdict("incorrect", "Not quite.", reading)


TINY = sp.Rational(1, 10**6)


def _tiny_step(expr: sp.Expr, var: sp.Symbol) -> bool:
    """f(x + h) with a tiny numeric h: the shape of a difference quotient posing as f'(x).
    Sampling alone can't always tell it apart (its error can sit below any precision)."""
    for node in sp.preorder_traversal(expr):
        if node is not expr and node.is_Add and node.has(var):  # inside: f(x + h)
            for term in node.args:
                if term.is_number and not term.has(var) and term != 0:
                    try:
                        if abs(term.evalf(20)) < TINY:
                            return True
                    except (TypeError, ValueError):
                        continue
    return False
