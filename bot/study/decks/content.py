"""A deck's content checked with the math engine: every LaTeX renders, every typed answer
parses and, when the card names its function, equals sympy's derivative. The engine is imported
only when a check runs: loading a deck needs neither sympy nor matplotlib."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

from bot.study.decks.schema import Card, Deck, DeckError, Loc, TypedAnswer

_DOLLAR = re.compile(r"(?<!\\)\$")
_ORDINALS = {1: "", 2: "second ", 3: "third ", 4: "fourth ", 5: "fifth "}


def validate_deck(deck: Deck, *, render: bool = True) -> list[DeckError]:
    """Every content problem in `deck` (all of them, not just the first): LaTeX that does not
    render (`latex_*` and `$...$` spans in front/back; skipped with `render=False`), typed
    answers or functions that do not parse, and answers that differ from sympy's derivative of
    the card's `function`."""
    problems: list[DeckError] = []
    if not deck.cards:
        problems.append(DeckError("the deck has no cards", loc=("cards",)))
    return problems + check_cards(deck.cards, render=render)


def check_cards(cards: Sequence[Card], start: int = 0, *, render: bool = True) -> list[DeckError]:
    """The content problems of `cards`, which are a deck's cards from index `start` on (so the
    problems' locations are the deck's): a big deck is checked a slice at a time.

    Fast enough for 2,000 cards in a few seconds: LaTeX is checked by parsing, never drawn,
    and each distinct piece of a formula once (`bot.math.texcheck`); a typed answer is read
    once (`parser.read`: not printed back), and compared only with the derivative of its
    `function` (comparing it with itself, as the checker would, proves only that it parses)."""
    # Imported here: loading a deck needs neither sympy nor matplotlib.
    from bot.math.parser import ParseError, read

    problems: list[DeckError] = []

    def problem(loc: Loc, card: Card, message: str) -> None:
        problems.append(DeckError(f"card {card.id!r}: {message}", loc=loc))

    for index, card in enumerate(cards, start):
        base: Loc = ("cards", index)
        for key in ("latex_front", "latex_back"):
            tex = getattr(card, key)
            if tex is not None:
                for message in _latex_problems(tex, render):
                    problem((*base, key), card, message)
        for key in ("front", "back"):
            for message in _inline_math_problems(getattr(card, key), render):
                problem((*base, key), card, message)
        if card.typed is not None:
            for key, message in _typed_problems(card.typed, read, ParseError):
                problem((*base, "typed", key), card, message)
    return problems


def _latex_problems(tex: str, render: bool) -> list[str]:
    if tex.startswith("$") or tex.endswith("$"):
        return ["write math-mode LaTeX without surrounding $"]
    if not render:
        return []
    from bot.math.texcheck import latex_problem

    error = latex_problem(tex)
    return [] if error is None else [f"LaTeX does not render: {_why(error)}"]


def _why(error: str | None) -> str:
    return (error or "unknown error").removeprefix("LaTeX not renderable: ")


def _inline_math_problems(text: str, render: bool) -> list[str]:
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if len(_DOLLAR.findall(line)) % 2:
            where = f" (in its line {number})" if len(lines) > 1 else ""
            return [f"odd number of $ signs{where}: inline math is $...$ (write \\$ for a dollar)"]
    if not render or not _DOLLAR.search(text):
        return []
    from bot.math.texcheck import lines_problem

    error = lines_problem(lines)
    return [] if error is None else [f"inline math does not render: {_why(error)}"]


@functools.cache
def _real(var: str) -> Any:
    """One real symbol per variable name for every card: sympy's caches work across cards (a
    fresh one per card made every derivative start from nothing: three times slower)."""
    import sympy as sp

    return sp.Dummy(var, real=True)


def _typed_problems(
    typed: TypedAnswer, read: Callable[..., Any], parse_error: type[Exception]
) -> list[tuple[str, str]]:
    import sympy as sp

    from bot.math.equivalence import compare
    from bot.math.parser import plain

    problems: list[tuple[str, str]] = []
    readings: dict[str, Any] = {}
    for key in ("answer", "function"):
        text = getattr(typed, key)
        if text is None:
            continue
        try:
            readings[key] = read(text, typed.var)
        except parse_error as exc:
            problems.append((key, f"typed {key} {text!r} does not parse (var {typed.var}): {exc}"))
    if "answer" not in readings or "function" not in readings:
        return problems
    symbol = sp.Symbol(typed.var)
    real = _real(typed.var)  # so d/dx ln|x| is 1/x, not an re/im tangle
    derivative = sp.diff(readings["function"].xreplace({symbol: real}), real, typed.order)
    derivative = derivative.xreplace({real: symbol})
    nth = _ORDINALS[typed.order]
    if derivative.has(sp.Derivative):
        problems.append(("function", f"sympy cannot take the {nth}derivative of it"))
    elif compare(derivative, readings["answer"], symbol).equal is not True:
        # what students' answers are checked with (bot.math.check) must accept it
        problems.append(
            (
                "answer",
                f"{typed.answer!r} is not the {nth}derivative of {typed.function!r} "
                f"(sympy: {plain(derivative)})",
            )
        )
    return problems
