"""One verdict for one answer: read it, compare it, and if it is wrong, name the mistake.

`check_answer` is what every check ends in (through the worker pool, directly or through an
answer kind), so it never raises for anything a student types: unreadable input is an
`invalid` verdict with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import sympy as sp

from bot.math.diagnosis import diagnose
from bot.math.equivalence import compare, roughly
from bot.math.parser import ParseError, Reading, parse, parse_line

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
) -> Verdict:
    """Check a typed `answer` against `expected`.

    With `function` the mistake is diagnosed by re-deriving it with wrong rules; `transform` and
    `order` say what the question asks of the derivative (a value, a tangent line, f'');
    `number` means the answer must not contain the variable; `line` that it may be a line's
    equation in the variable and y (`y - 9 = 6(x - 3)`).

    An answer that is wrong as read but right in its other natural reading (`3/4x` meant as
    (3/4)x) is `invalid`, with a message saying both: the student is told, and not graded.
    """
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
            reading.expr, expected_expr, symbol, function_expr, transform=transform, order=order
        )
    if mistake is not None:
        return Verdict("incorrect", "Not quite.", reading, mistake.code, mistake.explanation)
    return _unnamed(reading, expected_expr, symbol, decided=result.equal is not None)


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
