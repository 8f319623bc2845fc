"""From data read out of a file to a whole `Deck` or every structural problem, each located
in the file (a YAML node's line, a CSV row and column); the checks every file gets first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.study.decks.schema import (
    LIMITS,
    MAX_CARDS,
    MAX_FILE_BYTES,
    Deck,
    DeckError,
    Loc,
    _fail,
    _model_at,
    _path,
)
from bot.study.text import describe, first_unclean


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
