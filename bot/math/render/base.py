"""What every renderer shares: the size limits, the themes' colours, the result type and the
lock that serialises matplotlib."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, NamedTuple

Theme = Literal["dark", "light"]

MAX_PNG_BYTES = 200_000
"""Hard ceiling on every PNG we return (Discord attachments should stay small)."""

MAX_TEX_CHARS = 2000  # pyparsing time grows with length; refuse rather than stall the bot
MAX_LINES = 40
MAX_LINES_CHARS = 6000
CACHE_SIZE = 512


@dataclass(frozen=True)
class Palette:
    """One theme's colours, shared by every image the bot draws (formulas, plots, charts)."""

    text: str
    curve: str
    tangent: str
    point: str
    legend_face: str


THEMES: dict[str, Palette] = {
    # Discord's own message colours, so images sit naturally in the chat.
    "dark": Palette("#DCDDDE", "#5DADE2", "#F5B041", "#FF6B6B", "#2B2D31"),
    "light": Palette("#2E3338", "#1F5FA8", "#C0520E", "#C0392B", "#FFFFFF"),
}


@dataclass(frozen=True)
class Rendered:
    """A PNG (or None when rendering failed) plus text the bot can always show instead."""

    png: bytes | None
    text: str
    error: str | None


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


class _RenderError(Exception):
    """A deterministic refusal (too big, unparsable): safe to cache."""


#: matplotlib's global state (rcParams, the mathtext cache) is not thread-safe; every drawing
#: in this process, charts included, holds this lock.
MPL_LOCK = threading.RLock()


def _check_options(theme: str, fontsize: int) -> None:
    # Programmer errors, not student input: fail loudly.
    if theme not in THEMES:
        raise ValueError(f"theme must be 'dark' or 'light', not {theme!r}")
    if not 6 <= fontsize <= 72:
        raise ValueError(f"fontsize must be within 6..72, not {fontsize!r}")
