"""Decks as YAML: read safely (no aliases, no tags, no duplicate keys, every plain scalar is
text) and written back in the documented key order."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.study.decks.schema import MAX_YAML_DEPTH, MAX_YAML_EVENTS, Card, Deck, DeckError, _fail
from bot.study.decks.structure import _build, _check_size, _YamlMap

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
    for key in ("tags", "replaces"):
        if not data.get(key):
            data.pop(key, None)
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
