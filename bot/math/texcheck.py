r"""Would this LaTeX render? The verdict of `render.render_latex` / `render_lines`, without drawing.

Validating a deck of 2,000 cards means about 4,000 formulas. Rendering each costs ~15 ms, and
even parsing alone ~6 ms, almost all of it in mathtext's pyparsing grammar; but the formulas
of one deck are made of the same few pieces (`x^2`, `\cos{(\,)}`, `\frac{ }{ }`, `e^{ }`). So a
formula is checked piece by piece, each distinct piece parsed by mathtext once per process:

- at its top level a formula is split into mathtext tokens: a nucleus (a character, a command
  with the braced groups that follow it, a group, a `\left ... \right` pair) with its
  scripts and primes. Mathtext's math is a sequence of such tokens (`OneOrMore(token)`), and
  none of them reaches into its neighbours, so a sequence parses exactly when each token does;
- inside a token, the content of every braced group (and of `\left ... \right`) is checked
  the same way, recursively, and replaced by a one-character placeholder (`x`, or `\,` when
  the content draws nothing). A group holds any sequence of tokens, so the token parses with
  its content exactly when it parses with the placeholder and the content parses. The few
  commands whose braces hold something else (`\text`, `\operatorname`, `\hspace`, ...) keep
  theirs verbatim.

The pieces also bound the picture's size from above (a placeholder's size plus its content's,
with a margin for delimiters that grow), which decides the renderer's other failures: too
large to draw legibly, nothing to draw. When a piece does not parse, or the formula is outside
what this covers (old-style font switches, `\hspace`, a size too close to the limit), the
real renderer decides, so every verdict and message are the renderer's own.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.mathtext import MathTextParser, VectorParse

from bot.math.render import (
    DPI,
    LINE_GAP,
    MAX_HEIGHT_PX,
    MAX_LINES,
    MAX_LINES_CHARS,
    MAX_TEX_CHARS,
    MAX_WIDTH_PX,
    MIN_SCALE,
    MPL_LOCK,
    WRAP_WIDTH_PX,
    mathtext_safe,
    render_latex,
    render_lines,
)
from bot.math.render.raster import _font
from bot.math.render.texfix import (
    _ROW_SPLIT,
    _convert_environments,
    _lighten,
    _prepare_line,
    _strip_math_delimiters,
)

__all__ = ["latex_problem", "lines_problem"]

FONTSIZE = 22  # what the renderer draws cards at (its default)
EM = FONTSIZE * DPI / 72  # pixels
# Comfortably inside the renderer's limit (it shrinks a picture down to MIN_SCALE, no further).
_SAFE_WIDTH = 0.8 * MAX_WIDTH_PX / MIN_SCALE
_SAFE_HEIGHT = 0.8 * MAX_HEIGHT_PX / MIN_SCALE
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|\s+|.", re.DOTALL)
#: Commands whose braces hold something other than a sequence of math tokens.
_VERBATIM = frozenset(
    {r"\text", r"\operatorname", r"\boldsymbol", r"\hspace", r"\genfrac", r"\substack"}
)
#: Old-style font switches change every token after them: such a formula is parsed whole.
_FONT_NAMES = ("rm", "cal", "it", "tt", "sf", "bf", "bfit", "default", "bb", "frak", "scr")
_SWITCHES = frozenset("\\" + name for name in (*_FONT_NAMES, "regular", "normal"))
_SCRIPTS = ("^", "_")


class _Size(NamedTuple):
    """What a piece of math draws: ink at all, and its size in pixels (an upper bound)."""

    ink: bool
    width: float
    height: float


_PARSER = MathTextParser("path")  # the grammar and glyph metrics of the "agg" one, no pixels
_PROP = _font(FONTSIZE)
_TEXT_RENDERER = RendererAgg(1, 1, DPI)


@functools.lru_cache(maxsize=8192)
def _piece(math: str) -> _Size | None:
    """One string parsed by mathtext exactly as the renderer parses it; None if it fails."""
    try:
        with MPL_LOCK:
            parsed = _PARSER.parse(f"${math}$", DPI, _PROP)
    except Exception:  # a parse error, or anything odd: the renderer will say what
        return None
    return _Size(_inked(parsed), parsed.width, parsed.height)


def _inked(parsed: VectorParse) -> bool:
    """Whether a parse draws anything: a rule, or a glyph of a character that is not blank."""
    return bool(parsed.rects) or any(_visible(chr(glyph[2])) for glyph in parsed.glyphs)


def _visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs", "Zl", "Zp")


@functools.lru_cache(maxsize=8192)
def _text_piece(text: str) -> _Size | None:
    """Plain text drawn inside a mathtext line (between `$...$` spans), measured."""
    try:
        with MPL_LOCK:
            parsed = _PARSER.parse(text, DPI, _PROP)  # no bare $ in it: only escaped ones
    except Exception:  # not expected (any text parses), but then the renderer decides
        return None
    return _Size(_inked(parsed), parsed.width, parsed.height)


@functools.lru_cache(maxsize=4096)
def _plain_line(text: str) -> _Size:
    """A line without math, measured as the renderer measures it."""
    with MPL_LOCK:
        width, height, _ = _TEXT_RENDERER.get_text_width_height_descent(text, _PROP, ismath=False)
    ink = any(map(_visible, text))
    return _Size(ink, width, height)


def _matching(toks: list[str], i: int, opener: str, closer: str) -> int | None:
    """Index of the token closing the one at `i`, or None."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j] == opener:
            depth += 1
        elif toks[j] == closer:
            depth -= 1
            if depth == 0:
                return j
    return None


def _skip_space(toks: list[str], i: int) -> int:
    while i < len(toks) and toks[i].isspace():
        i += 1
    return i


class _Unsure(Exception):
    """A piece fails or the decomposition does not apply: the renderer must decide."""


class _Token:
    """One top-level token being assembled: its skeleton text and the size of what it holds."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.inner_width = 0.0
        self.inner_height = 0.0

    def group(self, opener: str, content: str, closer: str) -> None:
        """A braced (or \\left-\\right) content, checked on its own, leaves a placeholder."""
        if not content.strip():
            self.parts += [opener, content, closer]  # empty: kept, mathtext decides
            return
        size = _math(content)
        self.parts += [opener, "x" if size.ink else r"\,", closer]
        # delimiters and radicals grow with what they hold: a margin for that
        self.inner_width += size.width + 1.5 * EM
        self.inner_height += size.height + EM / 2


def _nucleus(toks: list[str], i: int, token: _Token) -> int:
    """Add the nucleus starting at toks[i] to `token`; return the index after it."""
    tok = toks[i]
    if tok == r"\left":
        depth, j = 0, i
        while j < len(toks):
            if toks[j] == r"\left":
                depth += 1
            elif toks[j] == r"\right":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        else:
            raise _Unsure
        open_end = _skip_space(toks, i + 1) + 1  # \left and its delimiter
        close_end = _skip_space(toks, j + 1) + 1  # \right and its delimiter
        if open_end > j or close_end > len(toks):
            raise _Unsure
        token.group("".join(toks[i:open_end]), "".join(toks[open_end:j]), "")
        token.parts.append("".join(toks[j:close_end]))
        return close_end
    if tok == "{":
        end = _matching(toks, i, "{", "}")
        if end is None:
            raise _Unsure
        token.group("{", "".join(toks[i + 1 : end]), "}")
        return end + 1
    if len(tok) > 2 and tok[0] == "\\":  # a command, with the groups that follow it
        token.parts.append(tok)
        j = i + 1
        while True:
            k = _skip_space(toks, j)
            if k < len(toks) and toks[k] == "[" and tok == r"\sqrt":
                end = _matching(toks, k, "[", "]")
                if end is None:
                    raise _Unsure
                token.parts.append("".join(toks[j : end + 1]))  # the root, verbatim
            elif k < len(toks) and toks[k] == "{":
                end = _matching(toks, k, "{", "}")
                if end is None:
                    raise _Unsure
                if tok in _VERBATIM:
                    token.parts.append("".join(toks[j : end + 1]))
                else:
                    token.parts.append("".join(toks[j:k]))
                    token.group("{", "".join(toks[k + 1 : end]), "}")
            else:
                return j
            j = end + 1
    token.parts.append(tok)
    return i + 1


def _tokens(math: str) -> list[_Token]:
    """Split a formula into its top-level tokens (nucleus, scripts, primes)."""
    toks = _TOKEN.findall(math)
    if any(t in _SWITCHES for t in toks):
        raise _Unsure
    out: list[_Token] = []
    i = _skip_space(toks, 0)
    while i < len(toks):
        token = _Token()
        if toks[i] not in (*_SCRIPTS, "'"):
            i = _nucleus(toks, i, token)
        while True:
            k = _skip_space(toks, i)
            if k < len(toks) and toks[k] in _SCRIPTS:
                token.parts.append("".join(toks[i : k + 1]))
                k2 = _skip_space(toks, k + 1)
                if k2 >= len(toks):
                    raise _Unsure
                token.parts.append("".join(toks[k + 1 : k2]))
                i = _nucleus(toks, k2, token)
            elif k < len(toks) and toks[k] == "'":
                token.parts.append("".join(toks[i : k + 1]))
                i = k + 1
            else:
                break
        out.append(token)
        i = _skip_space(toks, i)
    return out


@functools.lru_cache(maxsize=8192)
def _math(math: str) -> _Size:
    """The size of a formula's picture if it parses (ink exact, size an upper bound)."""
    if r"\hspace" in math:
        raise _Unsure  # a space of any width
    tokens = _tokens(math)
    if not tokens:
        raise _Unsure  # mathtext needs at least one token
    ink, width, height = False, 0.0, 0.0
    for token in tokens:
        size = _piece("".join(token.parts).strip())
        if size is None:
            raise _Unsure
        ink |= size.ink  # exact: the placeholder is inked exactly when the content is
        # binary operators and relations gain spacing next to neighbours (5/18 em a side)
        width += size.width + token.inner_width + 0.6 * EM
        height = max(height, size.height + token.inner_height)
    return _Size(ink, width, height)


def _row(math: str) -> _Size:
    """A math row as the renderer lays it out: a formula wider than the wrap width breaks into
    lines, each but the last filled to more than half of it (two make more than a line)."""
    size = _math(math)
    rows = 1 + int(2 * size.width / (WRAP_WIDTH_PX - 2 * EM))
    gap = FONTSIZE * LINE_GAP * DPI / 72
    return _Size(size.ink, size.width, rows * (size.height + gap))


def _decided(sizes: Sequence[_Size]) -> bool:
    """Whether a picture made of these rows surely draws: something is inked, and it fits."""
    gap = FONTSIZE * LINE_GAP * DPI / 72
    width = max((s.width for s in sizes), default=0.0) + 2 * EM  # wrapped rows are indented
    height = sum(s.height for s in sizes) + 2 * gap * len(sizes)
    return any(s.ink for s in sizes) and width <= _SAFE_WIDTH and height <= _SAFE_HEIGHT


def latex_problem(tex: str) -> str | None:
    """None when `render.render_latex(tex)` draws a picture, else the renderer's error.

    Checks without drawing when it can (see the module docstring); asks the renderer
    otherwise."""
    body = _strip_math_delimiters(tex)
    if body and len(body) <= MAX_TEX_CHARS:
        rows = [r for r in _ROW_SPLIT.split(_convert_environments(body)) if r.strip()]
        try:
            sizes = [_row(_lighten(m)) for m in map(mathtext_safe, rows) if m.strip()]
            if _decided(sizes):
                return None
        except (_Unsure, RecursionError):  # deeply nested: the renderer says what it says
            pass
    result = render_latex(tex, fontsize=FONTSIZE)
    return None if result.png is not None else result.error or "LaTeX not renderable"


def _line(line: str) -> _Size:
    text, is_math = _prepare_line(line)
    if is_math:
        return _row(_lighten(text)) if text.strip() else _Size(False, 0.0, 0.0)
    if not text.strip():
        return _Size(False, 0.0, 0.0)
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) == 1:
        return _plain_line(text)
    ink, width, height = False, 0.0, 0.0
    for i, part in enumerate(parts):
        if i % 2 and not part.strip():
            raise _Unsure  # `$$` inside a line: mathtext refuses empty math
        if not part:
            continue
        size = _math(part) if i % 2 else _text_piece(part)
        if size is None:
            raise _Unsure
        ink |= size.ink
        width += size.width + (EM if i % 2 else 0.0)
        height = max(height, size.height)
    return _Size(ink, width, height)


def lines_problem(lines: Sequence[str]) -> str | None:
    """None when `render.render_lines(lines)` draws a picture, else the renderer's error."""
    frozen = [str(line) for line in lines]
    if len(frozen) <= MAX_LINES and sum(map(len, frozen)) <= MAX_LINES_CHARS:
        try:
            if _decided([_line(line) for line in frozen]):
                return None
        except (_Unsure, RecursionError):  # deeply nested: the renderer says what it says
            pass
    result = render_lines(frozen, fontsize=FONTSIZE)
    return None if result.png is not None else result.error or "LaTeX not renderable"
