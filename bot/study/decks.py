"""Flashcard decks: a strict YAML/CSV format, loaded all-or-nothing, with line-numbered errors.

Decks are written by people (the shipped ones in `cards/`, later ones uploaded by teachers), so a
file is treated as hostile input: size and count limits come first, YAML is read with a safe
loader that refuses aliases (no "billion laughs"), explicit tags and duplicate keys, and every
plain scalar is read as text (no `yes` -> True, no `0.10` -> 0.1 surprises). A loader either
returns a complete `Deck` or raises `DeckError`: nothing partial is ever imported.

Two levels of checking:
- `load_deck_yaml` / `load_deck_csv`: structure (keys, types, lengths, slugs, unique card ids).
- `validate_deck`: content, using the math engine (every LaTeX renders, every typed answer
  parses and, when the card names the function it differentiates, equals sympy's derivative).
  `validate_text` and `validate_path` do both and put file line numbers on every problem; an
  importer should accept a deck only when they report nothing. A bot importing a big deck
  does the same in steps: `load_text`, then `check_cards` a slice at a time (each a short task
  for the worker pool), then `LoadedDeck.locate` for the lines.

This module knows nothing of Discord or the database: it parses, validates and serialises.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.study.text import describe, first_unclean

__all__ = [
    "CSV_COLUMNS",
    "CSV_OPTIONAL_COLUMNS",
    "CSV_REQUIRED_COLUMNS",
    "LIMITS",
    "MAX_CARDS",
    "MAX_FILE_BYTES",
    "Card",
    "Deck",
    "DeckError",
    "LoadedDeck",
    "TypedAnswer",
    "check_cards",
    "dump_deck_csv",
    "dump_deck_yaml",
    "load_deck_csv",
    "load_deck_yaml",
    "load_path",
    "load_text",
    "shipped_decks_dir",
    "too_large",
    "validate_deck",
    "validate_path",
    "validate_text",
]

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
        return cards


def _model_at(loc: Loc) -> type[BaseModel]:
    """Which model a location's last key belongs to (for "allowed keys are ...")."""
    if len(loc) >= 4 and loc[0] == "cards" and loc[2] == "typed":
        return TypedAnswer
    if len(loc) >= 3 and loc[0] == "cards":
        return Card
    return Deck


# --------------------------------------------------------------------------- locating errors


@dataclass(frozen=True)
class _YamlMap:
    """Maps a pydantic location to the YAML node it came from."""

    root: yaml.Node

    def node(self, loc: Loc, *, key: bool = False) -> yaml.Node:
        node = self.root
        for i, part in enumerate(loc):
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                        node = k if key and i == len(loc) - 1 else v
                        break
                else:
                    break  # a missing key: the mapping that should hold it
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
            else:
                break
        return node

    def locate(self, loc: Loc, *, key: bool = False) -> tuple[int | None, str]:
        return self.node(loc, key=key).start_mark.line + 1, _path(loc)


_CSV_LABELS: dict[Loc, str] = {
    ("typed",): "typed_answer",
    ("typed", "answer"): "typed_answer",
    ("typed", "var"): "typed_var",
    ("typed", "function"): "typed_function",
    ("typed", "order"): "typed_order",
}


@dataclass(frozen=True)
class _CsvMap:
    """Maps a pydantic location to a CSV row (its first physical line) and column."""

    header_line: int
    row_lines: tuple[int, ...]

    def locate(self, loc: Loc, *, key: bool = False) -> tuple[int | None, str]:
        if len(loc) >= 2 and loc[0] == "cards" and isinstance(loc[1], int):
            line = self.row_lines[loc[1]] if loc[1] < len(self.row_lines) else None
            rest = loc[2:]
            label = _CSV_LABELS.get(rest[:2]) or _CSV_LABELS.get(rest[:1])
            return line, label or (str(rest[0]) if rest else _path(loc))
        return None, f"deck {_path(loc)}" if loc else "deck"


@dataclass(frozen=True)
class _LineMap:
    """A YAML deck's locations as plain data (line of every node down to a typed answer's
    keys), so it can travel between processes with the deck; locates as `_YamlMap` does."""

    lines: dict[Loc, int]

    @classmethod
    def of(cls, where: _YamlMap) -> _LineMap:
        lines: dict[Loc, int] = {}
        stack: list[tuple[Loc, yaml.Node]] = [((), where.root)]
        while stack:
            loc, node = stack.pop()
            lines[loc] = node.start_mark.line + 1
            if len(loc) >= 4:
                continue
            if isinstance(node, yaml.MappingNode):
                stack += [((*loc, k.value), v) for k, v in node.value if isinstance(k.value, str)]
            elif isinstance(node, yaml.SequenceNode):
                stack += [((*loc, i), v) for i, v in enumerate(node.value)]
        return cls(lines)

    def locate(self, loc: Loc, *, key: bool = False) -> tuple[int | None, str]:
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]], _path(loc)
        return None, _path(loc)


_Locator = _YamlMap | _CsvMap | _LineMap


def _pydantic_problems(exc: ValidationError, where: _Locator) -> list[DeckError]:
    problems = []
    for err in exc.errors(include_url=False):
        if err["type"] == "duplicate_id":
            continue  # reported by the pre-scan, at the duplicate's own line
        loc = tuple(err["loc"])
        line, label = where.locate(loc, key=err["type"] == "extra_forbidden")
        problems.append(DeckError(_message(err, loc), line=line, loc=loc, where=label))
    return problems


def _message(err: ErrorDetails, loc: Loc) -> str:
    kind = err["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(_model_at(loc).model_fields)
        return f"unknown key (allowed keys: {allowed})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "should be a mapping of keys to values"
    if kind in ("tuple_type", "list_type"):
        return "should be a list"
    message = err["msg"]
    return message.removeprefix("Value error, ")


def _duplicate_ids(cards: object, where: _Locator) -> list[DeckError]:
    """Every repeated card id, reported at the repeat (the first use is the one that stands)."""
    if not isinstance(cards, list):
        return []
    first: dict[str, int] = {}
    problems = []
    for index, card in enumerate(cards):
        card_id = card.get("id") if isinstance(card, dict) else None
        if not isinstance(card_id, str):
            continue
        card_id = card_id.strip()
        if card_id in first:
            first_line, first_where = where.locate(("cards", first[card_id], "id"))
            at = f" (line {first_line})" if first_line is not None else ""
            loc: Loc = ("cards", index, "id")
            line, label = where.locate(loc)
            message = f"duplicate card id {card_id!r}: already used by {first_where}{at}"
            problems.append(DeckError(message, line=line, loc=loc, where=label))
        else:
            first[card_id] = index
    return problems


def _build(data: dict[str, Any], where: _Locator, source: str | None) -> Deck:
    cards = data.get("cards")
    if isinstance(cards, list) and len(cards) > MAX_CARDS:
        line, label = where.locate(("cards",))
        msg = f"too many cards: {len(cards):,} (at most {MAX_CARDS:,}); split it into smaller decks"
        raise _fail([DeckError(msg, line=line, loc=("cards",), where=label, source=source)])
    problems = _duplicate_ids(cards, where)
    try:
        deck = Deck.model_validate(data)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, where)
    if problems:
        for p in problems:
            p.source = source
        raise _fail(problems)
    return deck


def too_large(size: int | None) -> str:
    """What to tell the author of a file over the size limit (`size` in bytes, if known)."""
    actual = f" ({size:,} bytes)" if size is not None else ""
    return (
        f"the deck is larger than {MAX_FILE_BYTES:,} bytes{actual}: {LIMITS}. "
        "Split it into smaller decks."
    )


def _check_size(text: str, source: str | None) -> None:
    if not isinstance(text, str):
        raise DeckError("a deck must be text", source=source)
    size = len(text) if len(text) > MAX_FILE_BYTES else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise DeckError(too_large(size), source=source)
    _check_characters(text, source)


def _check_characters(text: str, source: str | None) -> None:
    """Refuse, naming the line, what the service would clean from typed text (a NUL, a lone
    surrogate): the teacher can fix the file, and libyaml cannot even read a surrogate."""
    index = first_unclean(text)
    if index is not None:
        line = text.count("\n", 0, index) + 1
        what = describe(text[index])
        raise DeckError(
            f"contains {what}; only ordinary text, newlines and tabs are allowed",
            line=line,
            source=source,
        )


# --------------------------------------------------------------------------- YAML

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _DeckLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loading where every plain scalar is text (or null): a deck holds only text and one
    integer, and YAML 1.1's implicit booleans, floats and dates only ever surprise authors."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012


_DeckLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def _yaml_error(exc: yaml.YAMLError, source: str | None) -> DeckError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    line = mark.line + 1 if mark is not None else None
    return DeckError(message, line=line, source=source)


def _scan_events(text: str, source: str | None) -> None:
    """One cheap pass over the parser's events, before anything is built: refuse aliases,
    explicit tags and absurd nesting while they are still just events."""
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=_DeckLoader)):
        line = event.start_mark.line + 1
        if count > MAX_YAML_EVENTS:
            raise DeckError("the YAML is too large (too many values)", line=line, source=source)
        if isinstance(event, yaml.AliasEvent):
            raise DeckError(
                "YAML aliases (*name) are not allowed in decks; write the value out",
                line=line,
                source=source,
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise DeckError(
                f"YAML tags ({tag}) are not allowed in decks; values are plain text",
                line=line,
                source=source,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise DeckError("the YAML is nested too deeply", line=line, source=source)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_keys(root: yaml.Node, source: str | None) -> None:
    """PyYAML keeps the last of two equal keys silently; in a deck that is always a mistake."""
    problems = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if not isinstance(key, yaml.ScalarNode) or key.tag != "tag:yaml.org,2002:str":
                    problems.append(DeckError("keys must be plain text", line=line))
                elif key.value in seen:
                    msg = f"key {key.value!r} appears twice (first on line {seen[key.value]})"
                    problems.append(DeckError(msg, line=line))
                else:
                    seen[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    if problems:
        for p in problems:
            p.source = source
        raise _fail(problems)


def _parse_yaml(text: str, source: str | None) -> tuple[Deck, _YamlMap]:
    _check_size(text, source)
    try:
        _scan_events(text, source)
        loader = _DeckLoader(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                _check_keys(root, source)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except RecursionError:
        raise DeckError("the YAML is nested too deeply", source=source) from None
    if root is None:
        raise DeckError(
            "the file is empty: a deck needs id, title, version and cards", line=1, source=source
        )
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise DeckError(
            "a deck file is a mapping with the keys id, title, description, version and cards",
            line=root.start_mark.line + 1,
            source=source,
        )
    where = _YamlMap(root)
    return _build(data, where, source), where


def load_deck_yaml(text: str, *, source: str = "<deck>") -> Deck:
    """Read a deck from YAML text; raise `DeckError` (with the offending line) or return it
    whole. Checks structure only: see `validate_deck` / `validate_text` for content."""
    return _parse_yaml(text, source)[0]


class _DeckDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # equal values are written out each time: our loader refuses aliases


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(item, str) and "\n" not in item for item in value)  # tags: [a, b]
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_DeckDumper.add_representer(str, _represent_str)
_DeckDumper.add_representer(list, _represent_list)


def _card_dict(card: Card) -> dict[str, Any]:
    data = card.model_dump(mode="json", exclude_none=True)
    if not data.get("tags"):
        data.pop("tags", None)
    if data.get("typed", {}).get("order") == 1:
        del data["typed"]["order"]
    return data


def dump_deck_yaml(deck: Deck) -> str:
    """The deck as YAML in the documented key order; `load_deck_yaml` reads it back equal."""
    data: dict[str, Any] = {
        "id": deck.id,
        "title": deck.title,
        "description": deck.description,
        "version": deck.version,
        "cards": [_card_dict(card) for card in deck.cards],
    }
    return yaml.dump(
        data, Dumper=_DeckDumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )


# --------------------------------------------------------------------------- CSV


def _cell(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _read_csv(text: str, source: str | None) -> tuple[list[str], int, list[tuple[int, list[str]]]]:
    """(header, header line, [(first line of row, cells)]); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header, header_line = [c.strip().lower() for c in cells], start
                continue
            if len(rows) >= MAX_CARDS:
                msg = f"too many cards (at most {MAX_CARDS:,}); split it into smaller decks"
                raise DeckError(msg, line=start, source=source)
            rows.append((start, cells))
    except csv.Error as exc:
        raise DeckError(f"invalid CSV: {exc}", line=reader.line_num, source=source) from None
    if header is None:
        raise DeckError("the CSV is empty: a header row is required", line=1, source=source)
    return header, header_line, rows


def _check_header(header: list[str], line: int, source: str | None) -> None:
    known = set(CSV_COLUMNS) | set(CSV_OPTIONAL_COLUMNS)
    problems = []
    unknown = [c for c in header if c not in known]
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        columns = ", ".join(CSV_COLUMNS + CSV_OPTIONAL_COLUMNS)
        problems.append(f"unknown column(s) {names} (columns: {columns})")
    missing = [c for c in CSV_REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        problems.append(f"column(s) listed twice: {', '.join(twice)}")
    if problems:
        raise _fail([DeckError(p, line=line, where="header", source=source) for p in problems])


def _csv_card(row: dict[str, str], line: int) -> tuple[dict[str, Any], list[DeckError]]:
    card: dict[str, Any] = {"id": row["id"], "front": row["front"], "back": row["back"]}
    card["tags"] = [t.strip() for t in row.get("tags", "").split(";") if t.strip()]
    for key in ("latex_front", "latex_back"):
        if row.get(key):
            card[key] = row[key]
    typed = {
        "answer": row.get("typed_answer", ""),
        "var": row.get("typed_var", ""),
        "function": row.get("typed_function", ""),
        "order": row.get("typed_order", ""),
    }
    if typed["answer"]:
        card["typed"] = {k: v for k, v in typed.items() if v}
        return card, []
    stray = [f"typed_{k}" for k in ("var", "function", "order") if typed[k]]
    if stray:
        msg = f"{', '.join(stray)} given without typed_answer"
        return card, [DeckError(msg, line=line, where="typed_answer")]
    return card, []


def load_deck_csv(
    text: str,
    *,
    deck_id: str,
    title: str | None = None,
    description: str = "",
    version: int = 1,
    source: str = "<deck>",
) -> Deck:
    """Read a deck from CSV (a header row naming at least `CSV_REQUIRED_COLUMNS`, any of
    `CSV_COLUMNS` and `CSV_OPTIONAL_COLUMNS`; tags separated by `;`). The deck's metadata comes
    from the arguments (the title defaults to the id in words). Raises `DeckError` naming the
    CSV line."""
    return _parse_csv(text, deck_id, title, description, version, source)[0]


def _parse_csv(
    text: str, deck_id: str, title: str | None, description: str, version: int, source: str | None
) -> tuple[Deck, _CsvMap]:
    _check_size(text, source)
    header, header_line, rows = _read_csv(text, source)
    _check_header(header, header_line, source)
    cards: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: list[DeckError] = []
    for line, cells in rows:
        if len(cells) != len(header):
            msg = f"expected {len(header)} fields (as in the header), found {len(cells)}"
            problems.append(DeckError(msg, line=line))
            continue
        card, errors = _csv_card(dict(zip(header, map(_cell, cells), strict=True)), line)
        problems += errors
        cards.append(card)
        lines.append(line)
    if title is None:
        title = deck_id.replace("-", " ").strip().capitalize() or deck_id
    data = {
        "id": deck_id,
        "title": title,
        "description": description,
        "version": version,
        "cards": cards,
    }
    where = _CsvMap(header_line, tuple(lines))
    try:
        deck = _build(data, where, source)
    except DeckError as exc:
        problems += exc.problems
    if problems:
        for p in problems:
            p.source = source
        raise _fail(problems)
    return deck, where


def dump_deck_csv(deck: Deck) -> str:
    """The cards as CSV (deck metadata is not part of the CSV format: pass it to
    `load_deck_csv`). Optional columns appear only when some card needs them."""
    extra = any(c.typed and (c.typed.function or c.typed.order != 1) for c in deck.cards)
    columns = CSV_COLUMNS + (CSV_OPTIONAL_COLUMNS if extra else ())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for card in deck.cards:
        typed = card.typed
        row = {
            "id": card.id,
            "front": card.front,
            "back": card.back,
            "tags": ";".join(card.tags),
            "latex_front": card.latex_front or "",
            "latex_back": card.latex_back or "",
            "typed_answer": typed.answer if typed else "",
            "typed_var": typed.var if typed else "",
            "typed_function": (typed.function or "") if typed else "",
            "typed_order": str(typed.order) if typed else "",
        }
        writer.writerow([row[c] for c in columns])
    return out.getvalue()


# --------------------------------------------------------------------------- content checks

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


# --------------------------------------------------------------------------- files


def shipped_decks_dir() -> Path:
    """The repository's `cards/` folder (next to the `bot/` package)."""
    return Path(__file__).resolve().parents[2] / "cards"


def _read(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise DeckError(too_large(None), source=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeckError("the file is not UTF-8 text", line=line, source=str(path)) from None


def _format(path: Path) -> Literal["yaml", "csv"]:
    suffix = path.suffix.lower()
    if suffix not in DECK_SUFFIXES:
        raise DeckError(
            f"unknown deck file type {suffix or '(none)'!r}: use .yaml, .yml or .csv",
            source=str(path),
        )
    return "csv" if suffix == ".csv" else "yaml"


def load_path(path: Path) -> Deck:
    """Load a deck file by its suffix (.yaml/.yml/.csv; a CSV deck's id is the file name)."""
    path = Path(path)
    fmt = _format(path)
    text = _read(path)
    if fmt == "csv":
        return load_deck_csv(text, deck_id=path.stem, source=str(path))
    return load_deck_yaml(text, source=str(path))


@dataclass(frozen=True)
class LoadedDeck:
    """A deck read from its text, structure checked, with where each card is in the text: what
    the content checks (`check_cards`, a slice at a time) need to put line numbers on their
    problems. Plain data, so it can cross from a worker process to the bot."""

    deck: Deck
    where: _CsvMap | _LineMap
    source: str | None

    def locate(self, problems: Iterable[DeckError]) -> list[DeckError]:
        """`problems` (from `check_cards`) with their lines, in file order."""
        located = []
        for p in problems:
            line, label = self.where.locate(p.loc)
            located.append(p._at(line, label, self.source))
        located.sort(key=lambda p: (p.line is None, p.line or 0))
        return located

    def line_of(self, index: int) -> int | None:
        """The line card `index` starts on."""
        return self.where.locate(("cards", index))[0]


def load_text(
    text: str,
    *,
    fmt: Literal["yaml", "csv"] = "yaml",
    source: str = "<deck>",
    deck_id: str | None = None,
    title: str | None = None,
) -> LoadedDeck:
    """Read a deck (structure only) and where its parts are; raise `DeckError` with every
    structural problem. `deck_id` is needed for CSV."""
    if fmt == "csv":
        if deck_id is None:
            raise TypeError("a CSV deck needs deck_id")
        deck, csv_map = _parse_csv(text, deck_id, title, "", 1, source)
        return LoadedDeck(deck, csv_map, source)
    deck, yaml_map = _parse_yaml(text, source)
    return LoadedDeck(deck, _LineMap.of(yaml_map), source)


def _check(
    text: str,
    fmt: Literal["yaml", "csv"],
    source: str | None,
    deck_id: str | None,
    title: str | None,
    render: bool,
) -> tuple[LoadedDeck | None, list[DeckError]]:
    try:
        loaded = load_text(text, fmt=fmt, source=source or "<deck>", deck_id=deck_id, title=title)
    except DeckError as exc:
        return None, list(exc.problems)
    return loaded, loaded.locate(validate_deck(loaded.deck, render=render))


def validate_text(
    text: str,
    *,
    fmt: Literal["yaml", "csv"] = "yaml",
    source: str = "<deck>",
    deck_id: str | None = None,
    title: str | None = None,
    render: bool = True,
) -> tuple[Deck | None, list[DeckError]]:
    """Load and validate in one go, every problem with its line: `(deck, [])` when the deck
    may be imported, `(None, problems)` otherwise. For uploads (`deck_id` is needed for CSV)."""
    loaded, problems = _check(text, fmt, source, deck_id, title, render)
    return (loaded.deck, []) if loaded is not None and not problems else (None, problems)


def validate_path(path: Path | None = None, *, render: bool = True) -> list[DeckError]:
    """Every problem in a deck file, or in every deck file of a folder (default: the shipped
    decks), including cross-checks: a YAML deck's id is its file name, deck ids are unique."""
    path = shipped_decks_dir() if path is None else Path(path)
    if not path.exists():
        return [DeckError("no such file or folder", source=str(path))]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in DECK_SUFFIXES)
        if not files:
            return [DeckError("no deck files (.yaml, .yml, .csv) in this folder", source=str(path))]
    else:
        files = [path]
    problems: list[DeckError] = []
    owners: dict[str, Path] = {}
    for file in files:
        source = str(file)
        try:
            fmt = _format(file)
            text = _read(file)
        except DeckError as exc:
            problems.append(exc)
            continue
        except OSError as exc:
            problems.append(DeckError(f"cannot read: {exc.strerror or exc}", source=source))
            continue
        loaded, found = _check(text, fmt, source, file.stem, None, render)
        problems += found
        if loaded is None:
            continue
        deck = loaded.deck
        line, label = loaded.where.locate(("id",))
        if deck.id != file.stem:
            msg = f"deck id {deck.id!r} differs from the file name {file.stem!r}"
            problems.append(DeckError(msg, line=line, loc=("id",), where=label, source=source))
        if deck.id in owners:
            msg = f"deck id {deck.id!r} is also used by {owners[deck.id]}"
            problems.append(DeckError(msg, line=line, loc=("id",), where=label, source=source))
        owners.setdefault(deck.id, file)
    return problems
