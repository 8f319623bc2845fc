"""The formula renderers front-ends call (through the worker pool): one LaTeX formula, or
stacked lines of text with `$math$` spans."""

from __future__ import annotations

from bot.math.render.base import (
    MAX_LINES,
    MAX_LINES_CHARS,
    MAX_TEX_CHARS,
    Rendered,
    Theme,
    _check_options,
    _RenderError,
)
from bot.math.render.cache import _cached_render
from bot.math.render.plaintext import _line_to_text, tex_to_text
from bot.math.render.raster import _render_text_lines
from bot.math.render.texfix import (
    _ROW_SPLIT,
    _convert_environments,
    _prepare_line,
    _strip_math_delimiters,
    mathtext_safe,
)


def render_latex(
    tex: str,
    *,
    theme: Theme = "dark",
    fallback_text: str | None = None,
    fontsize: int = 22,
) -> Rendered:
    r"""Render math-mode TeX (no surrounding `$`) as a trimmed, transparent PNG.

    `\\` row breaks (and align-style environments) become stacked lines.  Failure never raises:
    it yields `png=None` and a plain-text rendering of `tex` (or `fallback_text`).
    """
    _check_options(theme, fontsize)

    def draw() -> bytes:
        body = _strip_math_delimiters(tex)
        if not body:
            raise _RenderError("empty expression")
        if len(body) > MAX_TEX_CHARS:
            raise _RenderError(f"expression longer than {MAX_TEX_CHARS} characters")
        rows = [r for r in _ROW_SPLIT.split(_convert_environments(body)) if r.strip()]
        return _render_text_lines([(mathtext_safe(r), True) for r in rows], theme, fontsize)

    png, error, text = _cached_render(
        ("tex", tex, theme, fontsize), draw, lambda: tex_to_text(_strip_math_delimiters(tex))
    )
    return Rendered(png, fallback_text if fallback_text is not None else text, error)


def render_lines(
    lines: list[str],
    *,
    theme: Theme = "dark",
    fallback_text: str | None = None,
    fontsize: int = 22,
) -> Rendered:
    """Stack several lines (plain text with `$math$` spans, as mathtext allows) in one image.

    Used for worked solutions, where one image keeps the steps aligned and readable; blank lines
    leave a gap.  A line without `$` is drawn as plain text.
    """
    _check_options(theme, fontsize)
    frozen = tuple(str(line) for line in lines)

    def draw() -> bytes:
        if len(frozen) > MAX_LINES:
            raise _RenderError(f"more than {MAX_LINES} lines")
        if sum(map(len, frozen)) > MAX_LINES_CHARS:
            raise _RenderError(f"more than {MAX_LINES_CHARS} characters")
        if not any(line.strip() for line in frozen):
            raise _RenderError("empty expression")
        return _render_text_lines([_prepare_line(line) for line in frozen], theme, fontsize)

    png, error, text = _cached_render(
        ("lines", frozen, theme, fontsize),
        draw,
        lambda: "\n".join(_line_to_text(line) for line in frozen),
    )
    return Rendered(png, fallback_text if fallback_text is not None else text, error)
