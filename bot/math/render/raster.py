"""Lines of text and mathtext drawn through Figure/Agg, trimmed, and encoded as small PNGs.

Mathtext parsing dominates the cost, so a line is parsed exactly once (measurement and drawing
share one `MathTextParser` cache), the figure is sized to the measured text so it is drawn once,
and the single-colour result is encoded as a palette PNG straight from the alpha channel.
"""

from __future__ import annotations

import io
import math
import re
from typing import NamedTuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.cbook import is_math_text
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.mathtext import MathTextParser
from matplotlib.transforms import IdentityTransform
from PIL import Image

from bot.math.render.base import (
    MAX_PNG_BYTES,
    MPL_LOCK,
    THEMES,
    _RenderError,
)
from bot.math.render.texfix import _lighten

DPI = 100
PAD_PX = 8  # even transparent border left around the trimmed ink
MAX_WIDTH_PX = 2000
MAX_HEIGHT_PX = 1600
MIN_SCALE = 0.45  # below this the text is no longer readable: refuse instead of shrinking
WRAP_WIDTH_PX = 1000  # Discord shrinks wider images until 22pt text is unreadable: wrap instead
WRAP_CHARS = 300  # formulas this long are split into terms up front (saves a second parse)
LINE_GAP = 0.45  # blank space between stacked lines, as a fraction of the font size
PNG_LEVEL = 1  # zlib: 0.16 ms/image vs 0.36 ms at level 6, for files only ~5% larger

_MATH_FONTSET = "cm"  # Computer Modern: looks like the LaTeX students see in textbooks

# Borrow the parser Agg itself uses (its output type differs between matplotlib releases), so that
# measuring a line and drawing it hit the same parse cache.
_PARSER: MathTextParser = RendererAgg(1, 1, DPI).mathtext_parser


# --------------------------------------------------------------------------- drawing text


class _Seg(NamedTuple):
    """One Text artist: a whole line, or one term of a wrapped formula."""

    text: str
    width: float
    height: float
    depth: float


_Row = tuple[float, list[_Seg]] | None  # (indent in px, segments left to right); None = blank

_TERM_TOKEN = re.compile(r"\\(?:left|right)(?![a-zA-Z])|\\[a-zA-Z]+|\\.|.", re.DOTALL)
_OPENERS, _CLOSERS = {"{", "(", "["}, {"}", ")", "]"}
_NOT_BINARY_AFTER = {*"=+-([{^_,<>&"} | {
    f"\\{name}"
    for name in ("cdot", "times", "leq", "geq", "neq", "approx", "pm", "mp", "to", "quad", "qquad")
}


def _split_terms(body: str) -> list[str]:
    """Top-level `+`/`-` terms of a formula, each later one as `{}+ term` so the operator keeps
    its binary spacing when the term is drawn on its own (wrapping long derivatives)."""
    pieces, start, depth, prev, skip_delim = [], 0, 0, "", False
    for m in _TERM_TOKEN.finditer(body):
        token = m.group()
        if token.isspace():
            continue
        if skip_delim:  # the delimiter after \left / \right is not a bracket of its own
            skip_delim = False
        elif token in ("\\left", "\\right"):
            depth += 1 if token == "\\left" else -1
            skip_delim = True
        elif token in _OPENERS:
            depth += 1
        elif token in _CLOSERS:
            depth -= 1
        elif token in "+-" and depth == 0 and prev not in _NOT_BINARY_AFTER:
            pieces.append(body[start : m.start()].strip())
            start = m.start()
        if depth < 0:
            return [body]
        prev = token
    pieces.append(body[start:].strip())
    if depth != 0:
        return [body]
    return [p if i == 0 else "{}" + p for i, p in enumerate(pieces) if p]


def _font(fontsize: float) -> FontProperties:
    return FontProperties(size=fontsize, math_fontfamily=_MATH_FONTSET)


def _measure(text: str, prop: FontProperties, dpi: float) -> _Seg:
    """Pixel metrics of one string, priming the shared parse cache that drawing will hit."""
    if is_math_text(text):
        parsed = _PARSER.parse(text, dpi, prop)
        return _Seg(text, parsed.width, parsed.height, parsed.depth)
    width, height, depth = RendererAgg(1, 1, dpi).get_text_width_height_descent(
        text, prop, ismath=False
    )
    return _Seg(text, width, height, depth)


def _layout(items: list[tuple[str, bool]], prop: FontProperties, dpi: float) -> list[_Row]:
    """Measure every line; formulas wider than WRAP_WIDTH_PX break before top-level +/-."""
    limit = WRAP_WIDTH_PX * dpi / DPI
    indent = 2 * prop.get_size_in_points() * dpi / 72
    rows: list[_Row] = []
    for text, is_math in items:
        if not text.strip():
            rows.append(None)
            continue
        if not is_math:
            rows.append((0.0, [_measure(text, prop, dpi)]))
            continue
        whole = None
        if len(text) < WRAP_CHARS:  # usually fits: one parse, no splitting
            whole = _measure(f"${_lighten(text)}$", prop, dpi)
            if whole.width <= limit:
                rows.append((0.0, [whole]))
                continue
        terms = _split_terms(text)
        if len(terms) < 2:
            rows.append((0.0, [whole or _measure(f"${_lighten(text)}$", prop, dpi)]))
            continue
        current: list[_Seg] = []
        used, x0 = 0.0, 0.0
        for term in terms:
            seg = _measure(f"${_lighten(term)}$", prop, dpi)
            if current and x0 + used + seg.width > limit:
                rows.append((x0, current))
                current, used, x0 = [], 0.0, indent
            current.append(seg)
            used += seg.width
        rows.append((x0, current))
    return rows


def _row_metrics(row: list[_Seg]) -> tuple[float, float]:
    """(ascent, descent) of segments sharing one baseline."""
    return max(s.height - s.depth for s in row), max(s.depth for s in row)


def _extent(rows: list[_Row], gap: float) -> tuple[float, float]:
    width = max((x0 + sum(s.width for s in segs) for x0, segs in filter(None, rows)), default=0)
    height = sum(sum(_row_metrics(r[1])) if r else gap for r in rows) + gap * (len(rows) - 1)
    return width, height


# One figure reused for every text render (under MPL_LOCK): building a Figure costs about as much
# as drawing a short formula, and each discarded one leaves reference cycles for the GC.
_TEXT_FIG = Figure(dpi=DPI, facecolor="none")
_TEXT_CANVAS = FigureCanvasAgg(_TEXT_FIG)


def _draw_lines_alpha(items: list[tuple[str, bool]], fontsize: int) -> np.ndarray:
    """Coverage (alpha) of the lines drawn through Figure/Agg, trimmed and evenly padded."""
    dpi: float = DPI
    prop = _font(fontsize)
    for _attempt in range(4):
        rows = _layout(items, prop, dpi)
        gap = fontsize * LINE_GAP * dpi / 72
        width, height = _extent(rows, gap)
        if width <= 0 or height <= 0:
            raise _RenderError("nothing to draw")
        scale = min(MAX_WIDTH_PX / width, MAX_HEIGHT_PX / height)
        if scale >= 1.0:
            break
        # Too big: re-measure at a lower dpi, crisper than shrinking the bitmap afterwards.
        # Glyph metrics do not scale exactly linearly, hence the loop and the 2% margin.
        dpi *= scale * 0.98
        if dpi < DPI * MIN_SCALE:
            raise _RenderError("expression too large to render legibly")
    else:
        raise _RenderError("expression too large to render legibly")

    slack = 4  # Agg rounds glyph positions; never let ink touch the canvas edge
    fig_w, fig_h = math.ceil(width) + 2 * slack, math.ceil(height) + 2 * slack
    fig, canvas = _TEXT_FIG, _TEXT_CANVAS
    for old in list(fig.texts):
        old.remove()
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    fig.set_size_inches(fig_w / dpi, fig_h / dpi)
    canvas.get_renderer().mathtext_parser = _PARSER  # reuse the parses done by _measure
    top = fig_h - slack
    for row in rows:
        if row is None:
            top -= 2 * gap
            continue
        x, segs = row[0] + slack, row[1]
        ascent, descent = _row_metrics(segs)
        for seg in segs:
            fig.text(
                x,
                top - ascent,
                seg.text,
                fontproperties=prop,
                color="black",  # the colour is applied at encode time from the alpha channel
                va="baseline",
                ha="left",
                usetex=False,
                transform=IdentityTransform(),
            )
            x += seg.width
        top -= ascent + descent + gap
    canvas.draw()
    alpha = np.asarray(canvas.buffer_rgba())[:, :, 3]
    return _trim(alpha)


def _trim(alpha: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        raise _RenderError("nothing to draw")
    ink = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return np.pad(ink, PAD_PX)


def _hex_rgb(color: str) -> tuple[int, int, int]:
    value = int(color.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


_TRANSPARENCY = bytes(range(256))


def _png(image: Image.Image, level: int, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=level, **params)
    return out.getvalue()


def _encode_alpha(alpha: np.ndarray, color: str) -> bytes:
    """Palette PNG whose 256 entries are one colour at every opacity.

    The text is a single colour on a transparent background, so the alpha channel carries all of
    the image: 1 byte per pixel instead of 4, which makes encoding faster and files smaller.
    """
    palette = bytes(_hex_rgb(color)) * 256
    level, factor, current = PNG_LEVEL, 1.0, alpha
    while True:
        height, width = current.shape
        image = Image.frombytes("P", (width, height), np.ascontiguousarray(current).tobytes())
        image.putpalette(palette)
        data = _png(image, level, transparency=_TRANSPARENCY)
        if len(data) <= MAX_PNG_BYTES:
            return data
        if level < 9:
            level = 9
            continue
        factor *= 0.8  # max compression was not enough: shrink, within readability limits
        if factor < MIN_SCALE:
            raise _RenderError(f"image would exceed {MAX_PNG_BYTES} bytes")
        size = (max(1, round(alpha.shape[1] * factor)), max(1, round(alpha.shape[0] * factor)))
        current = np.asarray(Image.fromarray(alpha).resize(size, Image.Resampling.LANCZOS))


def encode_rgba(rgba: np.ndarray) -> bytes:
    """A PNG of an RGBA canvas, scaled down until it fits Discord's MAX_PNG_BYTES."""
    base = Image.fromarray(np.ascontiguousarray(rgba))
    data = _png(base, 6)
    factor = 1.0
    while len(data) > MAX_PNG_BYTES:
        if factor < MIN_SCALE:
            raise _RenderError(f"image would exceed {MAX_PNG_BYTES} bytes")
        size = (round(base.width * factor), round(base.height * factor))
        image = base if factor == 1.0 else base.resize(size, Image.Resampling.LANCZOS)
        # Antialiased plots quantise almost invisibly and shrink a lot.
        data = _png(image.quantize(256, method=Image.Quantize.FASTOCTREE), 9)
        factor *= 0.8
    return data


def _render_text_lines(items: list[tuple[str, bool]], theme: str, fontsize: int) -> bytes:
    with MPL_LOCK:
        alpha = _draw_lines_alpha(items, fontsize)
    return _encode_alpha(alpha, THEMES[theme].text)
