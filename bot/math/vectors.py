"""Vector answers: `(2x, 3y^2)`, `[2x, 3y^2]`, `<2x, 3y^2>`, one component per declared slot.

The text is split at its top-level commas only (a comma inside `log(x, 2)` belongs to the log),
and each component is read by the same grammar, with the same limits, as any answer; positions
in errors stay those of the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from bot.math.parser import ParseError, Reading, parse_prepared, plain, prepare

__all__ = ["MAX_COMPONENTS", "as_reading", "parse_vector", "split_vector"]

MAX_COMPONENTS = 10
OPENERS = {"(": ")", "[": "]", "<": ">", "⟨": "⟩", "〈": "〉"}
_NEST = {"(": ")", "[": "]", "{": "}"}
# `∇f = (…)`, `grad f = […]`, `∇L(w, b) = …`: a label in front of a gradient
_LABEL = re.compile(r"\s*(?:∇|\\nabla|grad)\s*[A-Za-z]?\s*(?:\([^()=]*\))?\s*=")


@dataclass(frozen=True)
class VectorReading:
    """The components as read, and the whole shown back as one tuple."""

    components: tuple[Reading, ...]

    @property
    def text(self) -> str:
        return "(" + ", ".join(c.text for c in self.components) + ")"


def _spans(s: str) -> list[tuple[int, int]] | None:
    """(start, end) of each component when `s` is a bracketed list with a top-level comma."""
    inner = [k for k, ch in enumerate(s) if not ch.isspace()]
    if not inner:
        return None
    first, last = inner[0], inner[-1]
    if s[first] not in OPENERS or s[last] != OPENERS[s[first]]:
        return None
    stack: list[str] = []
    cuts = [first + 1]
    for k in range(first + 1, last):
        ch = s[k]
        if ch in _NEST:
            stack.append(_NEST[ch])
        elif ch in _NEST.values():
            if not stack or stack.pop() != ch:
                return None  # unbalanced: let the grammar say where
        elif ch == "," and not stack:
            cuts.append(k + 1)
    if stack or len(cuts) == 1:
        return None
    ends = [c - 1 for c in cuts[1:]] + [last]
    return list(zip(cuts, ends, strict=True))


def split_vector(text: str) -> list[str] | None:
    """Each component's text (padded so positions stay the whole text's), or None when `text`
    is not written as a vector. Raises ParseError for what no answer may be (too long…)."""
    s = prepare(text)
    label = _LABEL.match(s)
    if label:
        s = " " * label.end() + s[label.end() :]
    spans = _spans(s)
    if spans is None:
        return None
    if len(spans) > MAX_COMPONENTS:
        raise ParseError(f"a vector here has at most {MAX_COMPONENTS} components")
    return [" " * start + s[start:end] for start, end in spans]


def parse_vector(
    text: str, var: str = "x", *, vars: Sequence[str] | None = None
) -> VectorReading | None:
    """Read a vector answer, or None when `text` is not written as one (then `parse` it)."""
    pieces = split_vector(text)
    if pieces is None:
        return None
    readings = []
    for k, piece in enumerate(pieces, 1):
        if not piece.strip():
            raise ParseError(f"component {k} of the vector is empty", len(piece))
        try:
            readings.append(parse_prepared(piece, var, vars=vars))
        except ParseError as exc:
            raise ParseError(f"component {k}: {exc.message}", exc.position) from None
    return VectorReading(tuple(readings))


def as_reading(vector: VectorReading) -> Reading:
    """The whole vector as one Reading (a sympy Tuple), for a verdict's `reading` fields."""
    notes = tuple(note for c in vector.components for note in c.notes)
    expr = sp.Tuple(*(c.expr for c in vector.components))
    text = "(" + ", ".join(plain(c.expr) for c in vector.components) + ")"
    decimals = any(c.decimals for c in vector.components)
    return Reading(expr=expr, text=text, notes=notes, decimals=decimals)
