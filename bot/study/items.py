"""Item keys: the one string every layer uses to name a scheduled thing.

A flashcard is ``card:<card row id>``; one level of a generated skill is ``skill:<name>:<level>``.
Keys are stored in the database and carried in button ids, so their format never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.math.generator import SKILLS

Kind = Literal["card", "skill"]


@dataclass(frozen=True)
class ItemKey:
    kind: Kind
    card_id: int | None = None
    skill: str | None = None
    level: int | None = None

    def __str__(self) -> str:
        if self.kind == "card":
            return f"card:{self.card_id}"
        return f"skill:{self.skill}:{self.level}"


def card_key(card_id: int) -> str:
    return str(ItemKey("card", card_id=card_id))


def skill_key(skill: str, level: int) -> str:
    return str(ItemKey("skill", skill=skill, level=level))


def parse_key(key: str) -> ItemKey:
    """Read an item key back; ValueError for anything malformed (keys arrive from buttons)."""
    parts = key.split(":")
    if len(parts) == 2 and parts[0] == "card" and parts[1].isdigit():
        return ItemKey("card", card_id=int(parts[1]))
    if len(parts) == 3 and parts[0] == "skill" and parts[2].isdigit():
        skill, level = parts[1], int(parts[2])
        if skill in SKILLS and 1 <= level <= SKILLS[skill].levels:
            return ItemKey("skill", skill=skill, level=level)
    raise ValueError(f"not an item key: {key!r}")


def item_label(key: str) -> str:
    """An item key as students read it: `skill:chain:2` is "chain · level 2"."""
    try:
        item = parse_key(key)
    except ValueError:
        return key
    if item.kind == "card":
        return f"card #{item.card_id}"
    return f"{(item.skill or '').replace('_', ' ')} · level {item.level}"
