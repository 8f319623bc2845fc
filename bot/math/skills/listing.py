"""A skill as `derivbot skills --json` lists it: the stable fields, then its answer kind (in
the words `derivbot check --kind` takes) and the variables its problems declare."""

from __future__ import annotations

from typing import Any

from bot.math.skills.registry import Skill

__all__ = ["skill_json"]

#: the one-variable kinds' words (the kinds of several variables carry theirs, `json_word`)
_KIND_JSON = {"number": "value", "line": "tangent"}


def skill_json(s: Skill) -> dict[str, Any]:
    """The row of one skill; `vars` over its levels (backprop's grow with the graph)."""
    from bot.math.generator import generate

    kind = s.kind
    word = getattr(kind, "json_word", _KIND_JSON.get(kind.name, kind.name))
    names = (v for lv in range(1, s.levels + 1) for v in generate(s.name, lv, 0).variables)
    return {
        "name": s.name,
        "levels": s.levels,
        "description": s.description,
        "answer_kind": word,
        "vars": list(dict.fromkeys(names)),
    }
