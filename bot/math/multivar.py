"""Checking answers in several variables: partial derivatives, gradients, vectors of answers.

`check_vars` is what `derivbot check` runs when a problem declares its variables (`vars`) or
expects a vector. Like `check_answer` it never raises for anything a student types: an unreadable
answer is an `invalid` verdict. A vector gets one verdict per component (`components`), each with
the mistake named where one can be: first the mistakes of several variables
(`multivar_mistakes`), then the classic slips (`diagnosis.diagnose`, the other variables held
constant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp

from bot.math.answers import Verdict, invalid
from bot.math.diagnosis import diagnose
from bot.math.equivalence import compare_many, roughly
from bot.math.multivar_mistakes import PartialContext, StepContext, name_mistake
from bot.math.parser import ParseError, Reading, parse
from bot.math.variables import canonical_all, listing
from bot.math.vectors import VectorReading, as_reading, parse_vector, split_vector

__all__ = ["VectorVerdict", "check_vars", "check_vars_task"]

Expected = sp.Expr | str | Sequence[sp.Expr | str]


@dataclass(frozen=True)
class VectorVerdict(Verdict):
    """A verdict on a vector answer: the whole, and one verdict per component in order."""

    components: tuple[Verdict, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """The stable shape of `derivbot check`, plus `components` (each the same shape)."""
        return {**super().to_dict(), "components": [c.to_dict() for c in self.components]}


@dataclass(frozen=True)
class _Question:
    """What is asked: the expected answer(s), the variables, the function if known."""

    symbols: tuple[sp.Symbol, ...]
    names: tuple[str, ...]
    expected: tuple[sp.Expr, ...]
    vector: bool
    function: sp.Expr | None
    wrt: sp.Symbol | None
    step: StepContext | None

    def context(self, k: int) -> PartialContext | StepContext | None:
        """What the k-th answer is the derivative of, for naming its mistake."""
        if self.step is not None:
            return self.step.component(k) if self.vector else self.step
        if self.vector:
            wrt = self.symbols[k] if len(self.expected) == len(self.symbols) else None
            siblings = tuple(e for j, e in enumerate(self.expected) if j != k)
            function = self.function if wrt is not None else None
            return PartialContext(self.symbols, wrt or self.symbols[0], function, siblings)
        return PartialContext(self.symbols, self.wrt or self.symbols[0], self.function)


def check_vars(
    expected: Expected,
    answer: str,
    *,
    vars: Sequence[str],
    function: sp.Expr | str | None = None,
    wrt: str | None = None,
    step: StepContext | None = None,
) -> Verdict:
    """Check `answer` against `expected` in the declared variables `vars`.

    `expected` is one expression, or a vector (a list, or text like `(2x, 3y^2)`): the answer
    must then be a vector with as many components. `function` (with `wrt`, the variable a
    scalar is the partial derivative with respect to; a gradient's components are taken in the
    order of `vars`) lets the mistake be named; `step` says the answer is a gradient step."""
    try:
        question = _question(expected, vars, function, wrt, step)
    except ParseError as exc:
        return invalid(str(exc))
    if question.vector:
        return _check_vector(question, answer)
    try:
        vector = parse_vector(answer, vars=question.names)
        if vector is not None:
            return Verdict(
                "incorrect", "One expression is expected here, not a vector.", as_reading(vector)
            )
        reading = parse(answer, vars=question.names)
    except ParseError as exc:
        return invalid(str(exc))
    return _check_one(question, reading, 0)


def check_vars_task(
    expected: Expected,
    answer: str,
    function: sp.Expr | str | None,
    vars: Sequence[str],
    wrt: str | None = None,
) -> Verdict:
    """`check_vars` with positional arguments only, for the worker pool (pebble reserves the
    keyword `function`)."""
    return check_vars(expected, answer, vars=vars, function=function, wrt=wrt)


def _question(
    expected: Expected,
    vars: Sequence[str],
    function: sp.Expr | str | None,
    wrt: str | None,
    step: StepContext | None,
) -> _Question:
    try:
        names = canonical_all(vars)
    except ParseError as exc:
        raise ParseError(f"the variables could not be read: {exc}") from None
    symbols = tuple(sp.Symbol(n) for n in names)
    wrt_symbol = None
    if wrt is not None:
        (wrt_name,) = canonical_all([wrt])
        if wrt_name not in names:
            raise ParseError(f"`{wrt}` is not one of the variables {listing(names)}")
        wrt_symbol = sp.Symbol(wrt_name)
    try:
        items, vector = _expected_items(expected, names)
        f = parse(function, vars=names).expr if isinstance(function, str) else function
    except ParseError as exc:
        raise ParseError(f"the expected answer could not be read: {exc}") from None
    return _Question(symbols, names, items, vector, f, wrt_symbol, step)


def _expected_items(expected: Expected, names: tuple[str, ...]) -> tuple[tuple[sp.Expr, ...], bool]:
    """The expected components and whether a vector is expected (trusted, still our grammar)."""
    if isinstance(expected, str):
        pieces = split_vector(expected)
        if pieces is None:
            return (parse(expected, vars=names).expr,), False
        vector = parse_vector(expected, vars=names)
        assert vector is not None
        return tuple(c.expr for c in vector.components), True
    if isinstance(expected, sp.Basic):
        if isinstance(expected, sp.Tuple | sp.MatrixBase):
            return tuple(expected), True
        return (expected,), False
    if not expected:
        raise ParseError("an expected vector needs at least one component")
    items = tuple(parse(e, vars=names).expr if isinstance(e, str) else e for e in expected)
    return items, True


def _check_vector(question: _Question, answer: str) -> Verdict:
    n = len(question.expected)
    try:
        vector = parse_vector(answer, vars=question.names)
        if vector is None:
            reading = parse(answer, vars=question.names)  # unreadable: say why, as for any answer
            if n == 1:  # a vector of one component is written as the component: `(2θ)`, `2θ`
                vector = VectorReading((reading,))
            else:
                return Verdict(
                    "incorrect",
                    f"A vector of {n} components is expected here, written like "
                    f"({', '.join('…' for _ in range(n))}).",
                    reading,
                )
    except ParseError as exc:
        return invalid(str(exc))
    whole = as_reading(vector)
    got = len(vector.components)
    if got != n:
        return Verdict(
            "incorrect", f"Your vector has {got} components; {n} {_are(n)} expected here.", whole
        )
    parts = tuple(_check_one(question, r, k) for k, r in enumerate(vector.components))
    return _overall(parts, whole)


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def _overall(parts: tuple[Verdict, ...], whole: Reading) -> VectorVerdict:
    """Correct when every component is; invalid (not graded) when one could not be judged."""
    unsure = [k for k, p in enumerate(parts, 1) if p.verdict == "invalid"]
    if unsure:
        k = unsure[0]
        message = f"Component {k}: {parts[k - 1].message}"
        return VectorVerdict("invalid", message, whole, components=parts)
    wrong = [k for k, p in enumerate(parts, 1) if p.verdict != "correct"]
    if not wrong:
        return VectorVerdict("correct", "Correct!", whole, components=parts)
    first = parts[wrong[0] - 1]
    which = "Component" if len(wrong) == 1 else "Components"
    message = f"{which} {listing([str(k) for k in wrong])} of {len(parts)}: not quite."
    return VectorVerdict(
        "incorrect", message, whole, first.mistake, first.diagnosis, components=parts
    )


def _check_one(question: _Question, reading: Reading, k: int) -> Verdict:
    """One expression against the k-th expected one."""
    expected, symbols = question.expected[k], question.symbols
    result = compare_many(expected, reading.expr, symbols)
    if result.equal is True:
        return Verdict("correct", "Correct!", reading)
    other = reading.alternative
    if other is not None and compare_many(expected, other, symbols).equal:
        return Verdict(
            "invalid",
            f"Not as I read it ({reading.text}); but if you meant {reading.alternative_text}, "
            "that is right: add brackets and send it again.",
            reading,
            alternative=reading.alternative_text,
        )
    context = question.context(k)
    mistake = name_mistake(reading.expr, expected, context) if context is not None else None
    if mistake is None and not isinstance(context, StepContext):
        wrt = context.wrt if context is not None else symbols[0]
        function = context.function if context is not None else None
        mistake = diagnose(reading.expr, expected, wrt, function)
    if mistake is not None:
        return Verdict("incorrect", "Not quite.", reading, mistake.code, mistake.explanation)
    if reading.decimals and roughly(expected, reading.expr, symbols):
        return Verdict(
            "incorrect",
            "Close, but I need the exact value: write fractions, ln, pi or sqrt instead of "
            "a rounded decimal.",
            reading,
        )
    if result.equal is None:
        return Verdict(
            "incorrect", "I could not confirm that your answer equals the right one.", reading
        )
    return Verdict("incorrect", "Not quite.", reading)
