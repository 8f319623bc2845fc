"""Warnings about a card's shape, never errors: a card should ask one thing and have one answer.

A card that asks for seven notations, or "what is it, and why?", is graded Again/Good as one
item, so a student who knows six of seven parts cannot say so and the schedule learns
nothing precise. These checks are heuristics on the wording (a question has no grammar we
can parse), tuned so the shipped decks pass them: they point an author at a card to read
again; they never refuse a deck.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.study.decks.schema import Card, Deck, DeckError

#: sentences of a front that ask for something: a question, or an instruction
_ASKING = re.compile(
    r"^(?:give|state|list|name|explain|define|write|find|differentiate|type|use|compute|"
    r"describe|show|prove|sketch)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z(])")
#: "..., and how/why/when ..." or "... and in ..." / "... and for ...": a second question
_SECOND_QUESTION = re.compile(
    r",\s+and\s+(?:how|why|when|what|which|where|who|is|are|does|do|can|must)\b"
    r"|\b(?:and|or)\s+(?:in|for)\s+\S|\bin\s+both\b",
    re.IGNORECASE,
)
#: "A, B and C": three or more short items (at most three words each) joined by and/or
_ITEM = r"[^\s,;:?.]+(?:\s+[^\s,;:?.]+){0,2}"
_AND_LIST = re.compile(rf"{_ITEM},\s+{_ITEM}(?:,\s+{_ITEM})*,?\s+(?:and|or)\s+{_ITEM}")
_LISTING = re.compile(r"^(?:list|name)\b", re.IGNORECASE)
#: a numbered or bulleted item at the start of a line, or "(1)"/"(a)" anywhere
_BULLET = re.compile(r"(?m)^\s*(?:\d+[.)]|[a-z][.)]|[-*•])\s|(?:^|\s)\([1-9a-h]\)\s+[A-Za-z]")
#: "label: answer." items, as in "f'(a) > 0: increasing. f'(a) < 0: decreasing."
_LABELLED = re.compile(
    r"(?:^|(?<=[.;]\s))(?!(?:example|reason|note|so|hence)\b)[^.:;]{1,24}:\s", re.IGNORECASE
)


#: "1. ... 2. ..." inside running text (a folded YAML line keeps no line breaks)
_NUMBER = re.compile(r"(?:^|\s)(\d+)[.)]\s+(?=[^\d\s])")


def _numbered_inline(text: str) -> bool:
    """Items numbered 1 and then 2, in that order."""
    numbers = [int(n) for n in _NUMBER.findall(text)]
    return 1 in numbers and 2 in numbers[numbers.index(1) + 1 :]


def card_warnings(card: Card) -> list[str]:
    """Why `card` looks like it asks several things or answers with a list (empty: it does
    not)."""
    warnings: list[str] = []
    front, back = card.front, card.back
    asking = [s for s in _SENTENCE_END.split(front) if s.endswith("?") or _ASKING.match(s)]
    if len(asking) > 1:
        warnings.append(f"its front asks {len(asking)} things")
    elif front.count("?") > 1:
        warnings.append(f"its front asks {front.count('?')} questions")
    if _SECOND_QUESTION.search(front):
        warnings.append("its front asks a second question")
    if _LISTING.match(front) or _AND_LIST.search(front):
        warnings.append("its front asks for a list")
    if len(_BULLET.findall(back)) > 1 or _numbered_inline(back):
        warnings.append("its back is a numbered or bulleted list")
    if back.count(";") > 1:
        warnings.append(f"its back has {back.count(';') + 1} parts separated by semicolons")
    if len(_LABELLED.findall(back)) > 1:
        warnings.append("its back answers several labelled items")
    return warnings


def deck_warnings(deck: Deck) -> list[DeckError]:
    """A warning for each card of `deck` that seems to ask several things (`card_warnings`),
    located at the card, in the form of `DeckError` so it prints like a problem."""
    return list(_warnings(deck.cards))


def _warnings(cards: Iterable[Card]) -> Iterable[DeckError]:
    for index, card in enumerate(cards):
        reasons = card_warnings(card)
        if reasons:
            message = (
                f"card {card.id!r} may ask several things ({'; '.join(reasons)}): "
                "a card should ask one thing with one answer; consider splitting it "
                "(the new cards list the old id under `replaces`, so progress carries over)"
            )
            yield DeckError(message, loc=("cards", index))
