"""What every renderer shares: the size limits, the themes' colours, the result type and the
lock that serialises matplotlib."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, NamedTuple

Theme = Literal["dark", "light"]

MAX_PNG_BYTES = 200_000
"""Hard ceiling on every PNG we return (Discord attachments should stay small)."""

DPI = 100
PAD_PX = 8  # even transparent border left around the trimmed ink
MAX_WIDTH_PX = 2000
MAX_HEIGHT_PX = 1600
MIN_SCALE = 0.45  # below this the text is no longer readable: refuse instead of shrinking
MAX_TEX_CHARS = 2000  # pyparsing time grows with length; refuse rather than stall the bot
MAX_LINES = 40
MAX_LINES_CHARS = 6000
WRAP_WIDTH_PX = 1000  # Discord shrinks wider images until 22pt text is unreadable: wrap instead
WRAP_CHARS = 300  # formulas this long are split into terms up front (saves a second parse)
LINE_GAP = 0.45  # blank space between stacked lines, as a fraction of the font size
CACHE_SIZE = 512
PNG_LEVEL = 1  # zlib: 0.16 ms/image vs 0.36 ms at level 6, for files only ~5% larger

_MATH_FONTSET = "cm"  # Computer Modern: looks like the LaTeX students see in textbooks


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
