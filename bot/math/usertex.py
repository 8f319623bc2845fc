r"""LaTeX a student types to show others (/tex): refused before anything parses it when it is
too long, too deep, or asks for what real TeX would do beyond drawing, then checked like a
deck's formulas (`texcheck.latex_problem`) and drawn by the same renderer, whose size limits
(pixels, bytes) hold for it too.

Mathtext draws; it never reads files or runs definitions. The commands refused here would in a
real TeX engine (`\input`, `\write`, `\def`, `\catcode`, ...), so a formula that relies on them
is refused by name rather than silently drawn as something else, and stays refused should the
renderer ever change.
"""

from __future__ import annotations

import re
import unicodedata

from bot.math.render import MAX_PNG_BYTES, Rendered, Theme, render_latex
from bot.math.texcheck import latex_problem

#: Characters a formula may have: a long display line, not a document.
MAX_FORMULA_CHARS = 400
#: Groups inside groups (`{`, `\left`), deep enough for any honest formula.
MAX_DEPTH = 12
#: Rows (`\\`) in one formula.
MAX_ROWS = 8

#: Commands that would read or write files, define macros or change how TeX reads its input.
FORBIDDEN = frozenset(
    {
        "input", "include", "includeonly", "InputIfFileExists", "IfFileExists", "openin",
        "openout", "read", "readline", "write", "immediate", "closein", "closeout", "special",
        "def", "edef", "gdef", "xdef", "let", "futurelet", "newcommand", "renewcommand",
        "providecommand", "DeclareRobustCommand", "newenvironment", "renewenvironment",
        "catcode", "lccode", "uccode", "csname", "endcsname", "expandafter", "afterassignment",
        "aftergroup", "loop", "repeat", "usepackage", "RequirePackage", "documentclass",
        "jobname", "verb", "url", "href", "includegraphics", "lstinputlisting", "verbatiminput",
        "directlua", "luaexec", "shellescape", "ShellEscape", "write18", "pdfprimitive",
    }
)  # fmt: skip
_COMMAND = re.compile(r"\\([a-zA-Z]+|.)")
_ROW = re.compile(r"\\\\|\\newline(?![a-zA-Z])")


def formula_problem(tex: str) -> str | None:
    """Why a student's formula is refused before it is parsed, in words for them; None when it
    may go on to the renderer. Cheap (one pass over at most a few hundred characters)."""
    if not tex.strip():
        return "it is empty"
    if len(tex) > MAX_FORMULA_CHARS:
        return f"it is {len(tex)} characters long; the limit is {MAX_FORMULA_CHARS}"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in tex):
        return "it contains control characters"
    for match in _COMMAND.finditer(tex):
        if match.group(1) in FORBIDDEN:
            return f"`\\{match.group(1)}` is not something I draw (it is not math)"
    if len(_ROW.findall(tex)) >= MAX_ROWS:
        return f"it has more than {MAX_ROWS} rows"
    return _nesting_problem(tex)


def _nesting_problem(tex: str) -> str | None:
    depth = 0
    for match in re.finditer(r"\\left(?![a-zA-Z])|\\right(?![a-zA-Z])|\\.|[{}]", tex):
        token = match.group()
        if token in ("{", r"\left"):
            depth += 1
            if depth > MAX_DEPTH:
                return f"it nests more than {MAX_DEPTH} groups deep"
        elif token in ("}", r"\right"):
            depth -= 1
            if depth < 0:
                return "a `}` (or `\\right`) closes nothing"
    return "a `{` (or `\\left`) is never closed" if depth else None


_PARSER_NOISE = re.compile(r"^LaTeX not renderable: |\w+Exception: |\s*\(at char \d+\).*$")


def _in_words(error: str) -> str:
    """The renderer's message without the parser's jargon (exception names, positions)."""
    return _PARSER_NOISE.sub("", error).strip() or "it is not LaTeX I can draw"


def render_formula(tex: str, theme: Theme = "dark") -> Rendered:
    """The /tex picture, run in a worker: ``png`` None and ``error`` saying why when the formula
    is refused (`formula_problem`), would not render (`latex_problem`) or draws too large."""
    problem = formula_problem(tex) or latex_problem(tex)
    if problem is None:
        rendered = render_latex(tex, theme=theme)
        if rendered.png is not None and len(rendered.png) <= MAX_PNG_BYTES:
            return rendered
        problem = rendered.error or "the picture would be too large"
    return Rendered(None, tex, _in_words(problem))
