"""The variables a problem declares: their canonical names, and how typed text spells them.

A problem in several variables declares them (`x, y`; `w, b`; `w1, w2`; `θ`), and only those
may appear in an answer. Declarations are trusted but still validated here, since they arrive
through the command line: one letter, or a Greek letter's name, with an optional index of one or
two digits (`w1`, `w_1` and `w_{1}` are the same variable, named `w1`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.math.tokens import CONSTANTS, GREEK, ParseError, Tok

__all__ = ["MAX_VARIABLES", "canonical", "canonical_all", "listing", "merge_indexed"]

MAX_VARIABLES = 8
_GREEK_NAMES = "|".join(sorted(set(GREEK.values()), key=len, reverse=True))
_DECLARED = re.compile(
    rf"\\?(?P<base>[A-Za-z]|{_GREEK_NAMES})(?:_?(?P<index>\d{{1,2}})|_\{{(?P<braced>\d{{1,2}})\}})?"
)


def canonical(name: str) -> str:
    """The one name a declared variable goes by (`w_1` → `w1`, `θ` → `theta`); raises
    ParseError for a name that could not be typed unambiguously."""
    if not isinstance(name, str):
        raise ParseError("a variable must be given by its name")
    text = "".join(GREEK.get(ch, ch) for ch in name.strip())
    m = _DECLARED.fullmatch(text)
    if not m or m.group("base") in CONSTANTS or m.group("base") == "E":
        raise ParseError(
            f"`{name}` can't be a variable: use one letter (other than e), or a Greek letter, "
            "with an optional index like w1"
        )
    return m.group("base") + (m.group("index") or m.group("braced") or "")


def canonical_all(names: Sequence[str]) -> tuple[str, ...]:
    """Every declared variable, canonical, in order; duplicates and too many are refused."""
    if isinstance(names, str) or not names:
        raise ParseError("declare the variables as a non-empty list of names")
    if len(names) > MAX_VARIABLES:
        raise ParseError(f"at most {MAX_VARIABLES} variables")
    out = tuple(canonical(n) for n in names)
    if len(set(out)) != len(out):
        raise ParseError("a variable is declared twice")
    return out


def listing(names: Sequence[str]) -> str:
    """`x`, `x and y`, `x, y and z`: the variables as a sentence names them."""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _index_at(toks: list[Tok], j: int) -> tuple[str, int] | None:
    """The index written right at toks[j] (`1`, `_1`, `_{1}`) and the token after it."""

    def tight(k: int) -> bool:
        return k < len(toks) and not toks[k].space_before

    if not tight(j):
        return None
    t = toks[j]
    if t.kind == "num" and t.value.isdigit():
        return t.value, j + 1
    if t.kind != "under" or not tight(j + 1):
        return None
    a = toks[j + 1]
    if a.kind == "num" and a.value.isdigit():
        return a.value, j + 2
    if a.kind == "lp" and a.value == "{" and tight(j + 2) and tight(j + 3):
        digits, close = toks[j + 2], toks[j + 3]
        closed = close.kind == "rp" and close.value == "}"
        if digits.kind == "num" and digits.value.isdigit() and closed:
            return digits.value, j + 4
    return None


def merge_indexed(toks: list[Tok], names: Sequence[str]) -> list[Tok]:
    """Join a letter run and the index written after it (`w1`, `w_1`, `bw_{1}`) into one name
    token, when a declared indexed variable ends the run: the grammar then reads it as that
    variable. Any other number after a name stays a separate token (and `x3` stays ambiguous)."""
    indexed = [(n.rstrip("0123456789"), n[len(n.rstrip("0123456789")) :]) for n in names]
    indexed = [(base, digits) for base, digits in indexed if digits]
    if not indexed:
        return toks
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        found = _index_at(toks, i + 1) if t.kind == "name" else None
        if found and any(t.value.endswith(b) and found[0] == d for b, d in indexed):
            out.append(Tok("name", t.value + found[0], t.pos, t.space_before))
            i = found[1]
            continue
        out.append(t)
        i += 1
    return out
