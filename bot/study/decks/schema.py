"""The deck format itself: its size limits, its models (a deck, a card, a typed answer) and
`DeckError`, one problem located as precisely as the input allows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# The size limits of a deck, in one place: the schema below, the loaders, the Discord upload
# check and the README all use these (and `LIMITS`, which says them in words).
MAX_FILE_BYTES = 1_000_000
MAX_CARDS = 2000
MAX_TAGS = 16
MAX_ID = 64
MAX_TAG = 32
MAX_TITLE = 120
MAX_DESCRIPTION = 1000
MAX_FRONT = 1000  # also a card's latex_front
MAX_BACK = 2000
MAX_LATEX = 1000  # latex_back
MAX_EXPRESSION = 500  # a typed answer or function: the answer parser's own length limit
LIMITS = (
    f"a deck may be at most {MAX_FILE_BYTES:,} bytes (1 MB) and {MAX_CARDS:,} cards; a card's "
    f"front at most {MAX_FRONT:,} characters, its back {MAX_BACK:,}, its LaTeX {MAX_LATEX:,}, "
    f"a typed answer {MAX_EXPRESSION}, and {MAX_TAGS} tags"
)
MAX_PROBLEMS = 100  # a hopeless file yields a readable list, not a hundred thousand lines
MAX_YAML_DEPTH = 16  # a deck is 5 levels deep; anything deeper is not a deck
MAX_YAML_EVENTS = 200_000
DECK_SUFFIXES = (".yaml", ".yml", ".csv")

CSV_COLUMNS = (
    "id",
    "front",
    "back",
    "tags",
    "latex_front",
    "latex_back",
    "typed_answer",
    "typed_var",
)
CSV_OPTIONAL_COLUMNS = ("typed_function", "typed_order")
#: Earlier card ids a card takes over (`;`-separated): written only when some card has them.
CSV_REPLACES_COLUMN = "replaces"
#: The columns a CSV must have; every other known column may be left out (read as empty), so a
#: teacher's spreadsheet of fronts and backs imports as it is.
CSV_REQUIRED_COLUMNS = ("id", "front", "back")

Loc = tuple[str | int, ...]


# --------------------------------------------------------------------------- errors


class DeckError(ValueError):
    """One problem in a deck, located as precisely as the input allows.

    `str()` is `"line 12: cards[3].id: message"` (parts that are unknown are left out). A loader
    raises the first problem and lists every problem it found in `problems`; `source` names the
    file when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        loc: Loc = (),
        where: str | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.loc = loc
        self.where = where if where is not None else _path(loc)
        self.source = source
        self.problems: tuple[DeckError, ...] = (self,)

    def __str__(self) -> str:
        parts = [f"line {self.line}"] if self.line is not None else []
        if self.where:
            parts.append(self.where)
        parts.append(self.message)
        return ": ".join(parts)

    def __repr__(self) -> str:
        return f"DeckError({str(self)!r}, source={self.source!r})"

    def _at(self, line: int | None, where: str, source: str | None) -> DeckError:
        return DeckError(self.message, line=line, loc=self.loc, where=where, source=source)


def _path(loc: Sequence[str | int]) -> str:
    """("cards", 3, "typed", "answer") -> "cards[3].typed.answer"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _fail(problems: list[DeckError]) -> DeckError:
    """The exception a loader raises: the first problem (by line), carrying all of them."""
    problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], DeckError(f"... and {rest} more problems")]
    first = problems[0]
    first.problems = tuple(problems)
    return first


# --------------------------------------------------------------------------- schema

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_VAR = re.compile(r"[a-df-zA-Z]")  # one letter; `e` is Euler's number in the answer grammar
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise PydanticCustomError(
            "slug",
            "must be a slug: lowercase letters and digits joined by single hyphens, "
            "like 'power-rule' (got {value})",
            {"value": repr(value[:80])},
        )
    return value


def _plain_text(value: str) -> str:
    """Reject characters that hide or reorder text on screen, or break line-based formats."""
    for ch in value:
        if ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI_CONTROLS:
            raise PydanticCustomError(
                "control_character",
                "contains the control character U+{code}; only ordinary text, newlines and "
                "tabs are allowed",
                {"code": f"{ord(ch):04X}"},
            )
    return value


def _var(value: str) -> str:
    if not _VAR.fullmatch(value):
        raise PydanticCustomError(
            "var",
            "must be a single letter other than e (e is Euler's number), got {value}",
            {"value": repr(value[:20])},
        )
    return value


def _text(max_length: int) -> Any:
    return Annotated[
        str,
        StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(_plain_text),
    ]


Slug = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_ID),
    AfterValidator(_slug),
]
Tag = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_TAG),
    AfterValidator(_slug),
]
Var = Annotated[str, StringConstraints(strict=True, strip_whitespace=True), AfterValidator(_var)]
Expression = _text(MAX_EXPRESSION)
Front = _text(MAX_FRONT)
Back = _text(MAX_BACK)
Latex = _text(MAX_LATEX)
Title = _text(MAX_TITLE)


class _Model(BaseModel):
    # frozen: a loaded deck is a value (compared, hashed into storage), never edited in place.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypedAnswer(_Model):
    """An answer the student types and the math engine checks.

    `answer` and `function` are in the answer grammar of `bot.math.parser` with `var` as the only
    variable. `function`, when given, is what the card differentiates (`order` times): it lets the
    checker name the student's mistake and lets `validate_deck` prove the answer right.
    """

    answer: Expression
    var: Var = "x"
    function: Expression | None = None
    order: Annotated[int, Field(ge=1, le=5)] = 1

    @model_validator(mode="after")
    def _order_needs_function(self) -> TypedAnswer:
        if self.order != 1 and self.function is None:
            raise PydanticCustomError(
                "order_without_function", "order is only meaningful together with function"
            )
        return self


class Card(_Model):
    """One flashcard. `id` is chosen by the author and never derived from the text, so a
    student's progress survives edits to the wording."""

    id: Slug
    front: Front
    back: Back
    latex_front: Front | None = None
    latex_back: Latex | None = None
    tags: Annotated[tuple[Tag, ...], Field(max_length=MAX_TAGS)] = ()
    typed: TypedAnswer | None = None
    #: ids of earlier cards of this deck that this one takes over (a card split into parts):
    #: when the deck is stored, a student's progress on an old card is copied to each part
    replaces: Annotated[tuple[Slug, ...], Field(max_length=MAX_TAGS)] = ()

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(tags)) != len(tags):
            raise PydanticCustomError("duplicate_tag", "a tag is listed twice")
        return tags


class Deck(_Model):
    """A named, versioned list of cards; `version` goes up when the author changes content."""

    id: Slug
    title: Title
    description: Annotated[
        str, StringConstraints(strict=True, strip_whitespace=True, max_length=MAX_DESCRIPTION)
    ] = ""
    version: Annotated[int, Field(ge=1, le=1_000_000_000)]
    cards: Annotated[tuple[Card, ...], Field(max_length=MAX_CARDS)]

    @field_validator("description")
    @classmethod
    def _plain_description(cls, value: str) -> str:
        return _plain_text(value)

    @field_validator("cards")
    @classmethod
    def _unique_ids(cls, cards: tuple[Card, ...]) -> tuple[Card, ...]:
        seen: dict[str, int] = {}
        for index, card in enumerate(cards):
            if card.id in seen:
                raise PydanticCustomError(
                    "duplicate_id",
                    "card id {card_id} is used by both cards[{first}] and cards[{index}]",
                    {"card_id": repr(card.id), "first": seen[card.id], "index": index},
                )
            seen[card.id] = index
        for index, card in enumerate(cards):
            for old in card.replaces:
                if old in seen:
                    raise PydanticCustomError(
                        "replaces_current",
                        "cards[{index}] replaces {old}, which is still a card of this deck "
                        "(a replaced card is one that was removed)",
                        {"index": index, "old": repr(old)},
                    )
        return cards


def _model_at(loc: Loc) -> type[BaseModel]:
    """Which model a location's last key belongs to (for "allowed keys are ...")."""
    if len(loc) >= 4 and loc[0] == "cards" and loc[2] == "typed":
        return TypedAnswer
    if len(loc) >= 3 and loc[0] == "cards":
        return Card
    return Deck
