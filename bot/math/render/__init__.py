"""LaTeX and tangent-line plots rendered to small PNGs for Discord.

Everything goes through `matplotlib.figure.Figure` on an explicit `FigureCanvasAgg`, never
`matplotlib.pyplot`: pyplot keeps global figure state and is not safe to use from the bot's
worker threads. Rendering is serialised by one lock (`MPL_LOCK`) because matplotlib's font and
mathtext caches are shared, process-wide objects.

The parts, along their seams: `base` (limits, themes, `Rendered`, the lock), `texfix` (LaTeX
rewritten into what mathtext parses), `plaintext` (the text shown when no image can be),
`raster` (lines laid out, drawn and encoded as PNG), `cache` (renders cached, never raising),
`formulas` (`render_latex`, `render_lines`) and `tangent` (`render_tangent`). Import from here.
"""

from __future__ import annotations

from bot.math.render.base import (
    CACHE_SIZE,
    MAX_LINES,
    MAX_LINES_CHARS,
    MAX_PNG_BYTES,
    MAX_TEX_CHARS,
    MPL_LOCK,
    THEMES,
    CacheInfo,
    Palette,
    Rendered,
    Theme,
)
from bot.math.render.cache import clear_render_cache, render_cache_info
from bot.math.render.formulas import render_latex, render_lines
from bot.math.render.plaintext import tex_to_text
from bot.math.render.raster import (
    DPI,
    LINE_GAP,
    MAX_HEIGHT_PX,
    MAX_WIDTH_PX,
    MIN_SCALE,
    PAD_PX,
    PNG_LEVEL,
    WRAP_CHARS,
    WRAP_WIDTH_PX,
    encode_rgba,
)
from bot.math.render.tangent import render_tangent
from bot.math.render.texfix import mathtext_safe

__all__ = [
    "CACHE_SIZE",
    "DPI",
    "LINE_GAP",
    "MAX_HEIGHT_PX",
    "MAX_LINES",
    "MAX_LINES_CHARS",
    "MAX_PNG_BYTES",
    "MAX_TEX_CHARS",
    "MAX_WIDTH_PX",
    "MIN_SCALE",
    "MPL_LOCK",
    "PAD_PX",
    "PNG_LEVEL",
    "THEMES",
    "WRAP_CHARS",
    "WRAP_WIDTH_PX",
    "CacheInfo",
    "Palette",
    "Rendered",
    "Theme",
    "clear_render_cache",
    "encode_rgba",
    "mathtext_safe",
    "render_cache_info",
    "render_latex",
    "render_lines",
    "render_tangent",
    "tex_to_text",
]
