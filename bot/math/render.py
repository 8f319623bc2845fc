"""LaTeX and tangent-line plots rendered to small PNGs for Discord.

Everything goes through `matplotlib.figure.Figure` on an explicit `FigureCanvasAgg`, never
`matplotlib.pyplot`: pyplot keeps global figure state and is not safe to use from the bot's
worker threads. Rendering is serialised by one lock because matplotlib's font and mathtext caches
are shared, process-wide objects.

Speed: mathtext parsing dominates the cost, so a line is parsed exactly once (measurement and
drawing share one `MathTextParser` cache), the figure is sized to the measured text so it is drawn
once, and the single-colour result is encoded as a palette PNG straight from the alpha channel.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import sympy
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.cbook import is_math_text
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.mathtext import MathTextParser
from matplotlib.transforms import IdentityTransform
from PIL import Image

__all__ = [
    "MAX_PNG_BYTES",
    "MPL_LOCK",
    "THEMES",
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


# --------------------------------------------------------------------------- cache


class _LRU:
    """Thread-safe LRU; hand-rolled so failures can be cached selectively and stats exposed."""

    def __init__(self, maxsize: int) -> None:
        self._data: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize
        self._hits = 0
        self._misses = 0

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self._misses += 1
                return None
            self._data.move_to_end(key)
            self._hits += 1
            return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._hits = self._misses = 0

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self._hits, self._misses, self._maxsize, len(self._data))


_CACHE = _LRU(CACHE_SIZE)
#: matplotlib's global state (rcParams, the mathtext cache) is not thread-safe; every drawing
#: in this process, charts included, holds this lock.
MPL_LOCK = threading.RLock()
# Borrow the parser Agg itself uses (its output type differs between matplotlib releases), so that
# measuring a line and drawing it hit the same parse cache.
_PARSER: MathTextParser = RendererAgg(1, 1, DPI).mathtext_parser


def render_cache_info() -> CacheInfo:
    return _CACHE.info()


def clear_render_cache() -> None:
    """Empty our LRU and matplotlib's mathtext cache, so a benchmark sees true cold renders."""
    _CACHE.clear()
    with MPL_LOCK, contextlib.suppress(AttributeError):  # private in matplotlib; best effort
        MathTextParser._parse_cached.cache_clear()


# _CacheEntry = (png, error, derived plain text)
_CacheEntry = tuple[bytes | None, str | None, str]


def _check_options(theme: str, fontsize: int) -> None:
    # Programmer errors, not student input: fail loudly.
    if theme not in THEMES:
        raise ValueError(f"theme must be 'dark' or 'light', not {theme!r}")
    if not 6 <= fontsize <= 72:
        raise ValueError(f"fontsize must be within 6..72, not {fontsize!r}")


# --------------------------------------------------------------------------- TeX normalising

_CMD_END = r"(?![a-zA-Z])"
_DELIM = r"\\[a-zA-Z]+|\\.|[^\s\\{}]"
_ENV_RE = re.compile(r"\\begin\{(\w+\*?)\}(\{[^{}]*\})?(.*?)\\end\{\1\}", re.DOTALL)
_UNWRAP_ENVS = {
    "equation",
    "equation*",
    "displaymath",
    "math",
    "align",
    "align*",
    "aligned",
    "gather",
    "gather*",
    "gathered",
    "split",
    "multline",
    "multline*",
    "eqnarray",
    "eqnarray*",
}
_ENV_BRACKETS = {
    "cases": (r"\left\{", r"\right."),
    "pmatrix": (r"\left(", r"\right)"),
    "bmatrix": (r"\left[", r"\right]"),
    "Bmatrix": (r"\left\{", r"\right\}"),
    "vmatrix": (r"\left|", r"\right|"),
    "Vmatrix": (r"\left\|", r"\right\|"),
}
_ROW_SPLIT = re.compile(r"\\\\(?:\[[^\]]*\])?|\\newline" + _CMD_END)

# Commands mathtext lacks, mapped to what it has (checked against matplotlib 3.11; \text,
# \operatorname, \dfrac, \left. and \substack already parse).  Order matters only where noted.
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\\(?:display|text|script|scriptscript)style" + _CMD_END + r"\s*"), ""),
    (re.compile(r"\\(?:no)?limits" + _CMD_END), ""),
    (re.compile(r"\\(?:big|Big|bigg|Bigg)[lrm]?" + _CMD_END + r"\s*"), ""),
    (re.compile(r"\\middle" + _CMD_END + r"\s*"), ""),
    (re.compile(r"\\(?:[dtc]frac)" + _CMD_END), r"\\frac"),
    (re.compile(r"\\operatorname\*"), r"\\operatorname"),
    (re.compile(r"\\(?:tag|label)\*?\{[^{}]*\}"), ""),
    (re.compile(r"\\(?:nonumber|notag)" + _CMD_END), ""),
    (re.compile(r"\\(?:textcolor|colorbox)\{[^{}]*\}"), ""),
    (re.compile(r"\\color\{[^{}]*\}"), ""),
    (re.compile(r"\\(?:boxed|cancel|bcancel|xcancel|displaylimits)" + _CMD_END), ""),
    (re.compile(r"\\hspace\*?\{[^{}]*\}"), r"\\quad"),
    (re.compile(r"\\pmod\{([^{}]*)\}"), r"\\ (\\mathrm{mod}\\ \1)"),
    (re.compile(r"\\bmod" + _CMD_END), r"\\ \\mathrm{mod}\\ "),
    (re.compile(r"\\stackrel" + _CMD_END), r"\\overset"),
    # Stray alignment tabs outside environments; before \& gains a literal & inside \text.
    (re.compile(r"(?<!\\)&"), " "),
    (re.compile(r"\\&"), r"\\text{&}"),
    (re.compile(r"\\[lr]vert" + _CMD_END), "|"),
    (re.compile(r"\\[lr]Vert" + _CMD_END), r"\\|"),
    (re.compile(r"\\le" + _CMD_END), r"\\leq"),
    (re.compile(r"\\ge" + _CMD_END), r"\\geq"),
    (re.compile(r"\\implies" + _CMD_END), r"\\Rightarrow"),
    (re.compile(r"\\impliedby" + _CMD_END), r"\\Leftarrow"),
    (re.compile(r"\\iff" + _CMD_END), r"\\Leftrightarrow"),
    (re.compile(r"\\ldotp" + _CMD_END), "."),
    (re.compile(r"\\bm" + _CMD_END), r"\\boldsymbol"),
    (re.compile(r"\\textbf" + _CMD_END), r"\\mathbf"),
    (re.compile(r"\\(?:textit|emph)" + _CMD_END), r"\\mathit"),
    (re.compile(r"\\textsf" + _CMD_END), r"\\mathsf"),
    (re.compile(r"\\texttt" + _CMD_END), r"\\mathtt"),
    (re.compile(r"\\(?:textrm|textnormal|mbox)" + _CMD_END), r"\\text"),
    # Function names mathtext has no command for; \operatorname renders them upright.
    (
        re.compile(
            r"\\(sech|csch|arcsec|arccsc|arccot|arcsinh|arccosh|arctanh|arcsech|arccsch|arccoth"
            r"|sgn|erf|erfc|Li|lcm)" + _CMD_END
        ),
        r"\\operatorname{\1}",
    ),
    # Brace-less shorthand (\frac12, \sqrt2) that mathtext's grammar insists on bracing.
    (re.compile(r"\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\sqrt\s*([0-9a-zA-Z])"), r"\\sqrt{\1}"),
]


def _convert_environments(tex: str) -> str:
    """Flatten array-like environments mathtext cannot typeset into one readable row."""

    def repl(m: re.Match[str]) -> str:
        env, body = m.group(1), m.group(3)
        if env in _UNWRAP_ENVS:
            return body  # rows stay separated by \\ so callers can split them into lines
        rows = [r.strip() for r in _ROW_SPLIT.split(body) if r.strip()]
        cells = [re.sub(r"(?<!\\)&", r"\\ " if env == "cases" else r",\\ ", r) for r in rows]
        joined = r";\quad ".join(cells)
        left, right = _ENV_BRACKETS.get(env, ("", ""))
        return f"{left} {joined} {right}".strip()

    for _ in range(8):  # nested environments: innermost are replaced first by the lazy body
        new = _ENV_RE.sub(repl, tex)
        if new == tex:
            break
        tex = new
    return tex


def _strip_math_delimiters(tex: str) -> str:
    tex = tex.strip()
    for left, right in (("$$", "$$"), ("$", "$"), (r"\[", r"\]"), (r"\(", r"\)")):
        if len(tex) >= len(left) + len(right) and tex.startswith(left) and tex.endswith(right):
            return tex[len(left) : len(tex) - len(right)].strip()
    return tex


def mathtext_safe(tex: str) -> str:
    r"""Rewrite LaTeX (typically from `sympy.latex`) into the subset matplotlib mathtext parses.

    Input is math-mode TeX without `$` delimiters; output is a single line (`\\` rows are joined
    with a quad).  Unknown commands are left alone so genuine mistakes still fail to parse and
    fall back to text instead of rendering something misleading.
    """
    tex = _convert_environments(tex)
    tex = _ROW_SPLIT.sub(r"\\quad ", tex)
    for pattern, replacement in _REWRITES:
        tex = pattern.sub(replacement, tex)
    tex = re.sub(r"(?<!\\)\$", r"\\$", tex)  # a bare $ would end math mode early
    return tex.strip()


_PAIR_RE = re.compile(
    r"\\left\s*(" + _DELIM + r")((?:(?!\\left" + _CMD_END + r"|\\right" + _CMD_END + r").)*?)"
    r"\\right\s*(" + _DELIM + ")",
    re.DOTALL,
)
_TALL_RE = re.compile(
    r"\\(?:frac|sqrt|sum|int|iint|oint|prod|binom|substack|overset|underset|genfrac|lim)"
    + _CMD_END
    + "|\x01"
)
_FLAT_PAIRS = {("(", ")"), ("[", "]"), ("|", "|")}


def _flatten_delimiters(tex: str) -> str:
    r"""Replace `\left( ... \right)` around single-height content by plain brackets.

    sympy wraps every function argument in \left( \right); TeX would pick normal-size
    parentheses there anyway, but mathtext spends noticeably more parse time on them (and sizes
    them oddly, often smaller than the plain glyph).
    """

    def repl(m: re.Match[str]) -> str:
        left, body, right = m.groups()
        if (left, right) in _FLAT_PAIRS and not _TALL_RE.search(body):
            return f"{left}{body}{right}"
        return f"\x01{left}{body}\x02{right}"  # keep, and mark the enclosing pair as tall

    for _ in range(64):
        new = _PAIR_RE.sub(repl, tex)
        if new == tex:
            break
        tex = new
    return tex.replace("\x01", "\\left").replace("\x02", "\\right")


_BRACED_SCRIPT = re.compile(r"(?<!\\)([\^_])\{([0-9a-zA-Z])\}(?![0-9a-zA-Z])")


def _lighten(tex: str) -> str:
    """Equivalent mathtext that parses faster: plain brackets where \\left/\\right add nothing,
    and `x^2` for sympy's `x^{2}` (pixel-identical; the braces cost pyparsing a group)."""
    return _BRACED_SCRIPT.sub(r"\1\2", _flatten_delimiters(tex))


# --------------------------------------------------------------------------- plain-text fallback

_SYMBOLS = {
    "cdot": "·",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "infty": "∞",
    "to": "→",
    "rightarrow": "→",
    "Rightarrow": "⇒",
    "implies": "⇒",
    "Leftrightarrow": "⇔",
    "iff": "⇔",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "equiv": "≡",
    "partial": "∂",
    "nabla": "∇",
    "int": "∫",
    "sum": "Σ",
    "prod": "Π",
    "circ": "∘",
    "prime": "′",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "in": "∈",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "langle": "⟨",
    "rangle": "⟩",
    "|": "‖",
    "{": "{",
    "}": "}",
    "$": "$",
    "%": "%",
    "&": "&",
    "#": "#",
    "_": "_",
    "\\": "; ",
}
_SYMBOLS.update(
    {
        "alpha": "α",
        "beta": "β",
        "gamma": "γ",
        "delta": "δ",
        "epsilon": "ε",
        "zeta": "ζ",
        "eta": "η",
        "theta": "θ",
        "iota": "ι",
        "kappa": "κ",
        "lambda": "λ",
        "mu": "μ",
        "nu": "ν",
        "xi": "ξ",
        "pi": "π",
        "rho": "ρ",
        "sigma": "σ",
        "tau": "τ",
        "upsilon": "υ",
        "phi": "φ",
        "chi": "χ",
        "psi": "ψ",
        "omega": "ω",
    }
)
_SYMBOLS.update(
    {
        "Gamma": "Γ",
        "Delta": "Δ",
        "Theta": "Θ",
        "Lambda": "Λ",
        "Xi": "Ξ",
        "Pi": "Π",
        "Sigma": "Σ",
        "Phi": "Φ",
        "Psi": "Ψ",
        "Omega": "Ω",
        "varepsilon": "ε",
        "vartheta": "θ",
        "varphi": "φ",
    }
)
_SPACES = {",", ";", ":", " ", "quad", "qquad", "enspace", "thinspace"}
_DROP = {"left", "right", "displaystyle", "limits", "nolimits", "big", "Big", "bigg", "Bigg", "!"}
_ARG_PASSTHROUGH = {
    "operatorname",
    "mathrm",
    "text",
    "mathbf",
    "mathit",
    "mathsf",
    "mathtt",
    "mathbb",
    "mathcal",
    "mathfrak",
    "boldsymbol",
    "textrm",
    "textbf",
    "textit",
    "emph",
    "mbox",
    "boxed",
    "overline",
    "bar",
    "hat",
    "vec",
    "tilde",
    "substack",
}
_COMMAND_NAME = re.compile(r"[a-zA-Z]+|.", re.DOTALL)
_ATOMIC_RE = re.compile(
    r"[\w.′π∞]+(?:\^(?:[\w.]+|\([^()]*\)))?|[\w.]*\((?:[^()]|\([^()]*\))*\)(?:\^\S+)?"
)


class _TextConverter:
    """Tiny recursive reader: enough TeX structure to print sympy output readably."""

    def __init__(self, tex: str) -> None:
        self.s = tex
        self.i = 0

    def run(self) -> str:
        return self._until(None)

    def _until(self, closer: str | None) -> str:
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if closer is not None and c == closer:
                self.i += 1
                break
            out.append(self._atom())
        return "".join(out)

    def _arg(self) -> str:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1
        if self.i >= len(self.s):
            return ""
        if self.s[self.i] == "{":
            self.i += 1
            return self._until("}").strip()
        return self._atom().strip()

    def _optional_arg(self) -> str | None:
        if self.i < len(self.s) and self.s[self.i] == "[":
            end = self.s.find("]", self.i)
            if end != -1:
                inner = _TextConverter(self.s[self.i + 1 : end]).run()
                self.i = end + 1
                return inner
        return None

    def _atom(self) -> str:
        c = self.s[self.i]
        self.i += 1
        if c == "{":
            return self._until("}")
        if c in "^_":
            return c + _paren(self._arg())
        if c == "~":
            return " "
        if c != "\\":
            return c
        m = _COMMAND_NAME.match(self.s, self.i)
        if m is None:
            return ""
        name = m.group()
        self.i = m.end()
        return self._command(name)

    def _command(self, name: str) -> str:
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            num, den = self._arg(), self._arg()
            return f"{_paren(num)}/{_paren(den)}"
        if name == "sqrt":
            index = self._optional_arg()
            body = self._arg()
            if index is None:
                return f"sqrt({body})"
            return f"cbrt({body})" if index.strip() == "3" else f"root({body}, {index})"
        if name == "operatorname":
            return f" {self._arg()}"
        if name in _ARG_PASSTHROUGH:
            return self._arg()
        if name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr"):
            # The delimiter that follows; "." means "none".
            delim = self._atom() if self.i < len(self.s) else ""
            return "" if delim == "." else delim
        if name in _SPACES:
            return " "
        if name in _DROP:
            return ""
        if name in ("binom",):
            n, k = self._arg(), self._arg()
            return f"C({n}, {k})"
        if name in ("overset", "stackrel", "underset"):
            self._arg()
            return self._arg()
        if name in ("begin", "end"):
            self._arg()
            return " "
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        return f" {name}"  # \sin, \log, ...: keep "2x sin(x)" from reading as "2xsin(x)"


def _wrap_needed(s: str) -> bool:
    return len(s) > 1 and _ATOMIC_RE.fullmatch(s) is None


def _paren(s: str) -> str:
    return f"({s})" if _wrap_needed(s) else s


def tex_to_text(tex: str) -> str:
    """Readable plain-text form of math TeX, for when no image can be shown."""
    try:
        text = _TextConverter(_convert_environments(tex)).run()
    except RecursionError:
        text = tex
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"([(\[{]) ", r"\1", text)
    text = re.sub(r" ([)\]},])", r"\1", text)
    return text.strip()


def _line_to_text(line: str) -> str:
    """Plain text for a text-with-$math$ line: only the math parts need translating."""
    if not is_math_text(line):
        return line.strip()
    parts = re.split(r"(?<!\\)\$", line)
    return "".join(tex_to_text(p) if i % 2 else p for i, p in enumerate(parts)).strip()


_PURE_MATH = re.compile(r"\s*\$((?:[^$\\]|\\.)*)\$\s*", re.DOTALL)


def _prepare_line(line: str) -> tuple[str, bool]:
    """(text, is_math): a pure `$...$` line becomes its normalised body so it can be wrapped;
    a mixed text/math line is normalised span by span and drawn as one mathtext string."""
    pure = _PURE_MATH.fullmatch(line)
    if pure:
        return mathtext_safe(pure.group(1)), True
    if not is_math_text(line):
        return line, False
    parts = re.split(r"(?<!\\)\$", line)
    return "$".join(_lighten(mathtext_safe(p)) if i % 2 else p for i, p in enumerate(parts)), False


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


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, _RenderError):
        return str(exc)
    if isinstance(exc, ValueError):  # mathtext parse errors: keep the caret-free last line
        lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
        return f"LaTeX not renderable: {lines[-1] if lines else exc}"
    return f"{type(exc).__name__}: {exc}"


def _attempt(draw: Callable[[], bytes]) -> tuple[bytes | None, str | None, bool]:
    """Run a draw; return (png, error, cacheable).  Never raises for bad input."""
    try:
        return draw(), None, True
    except (_RenderError, ValueError) as exc:  # deterministic: same input, same failure
        return None, _failure_message(exc), True
    except Exception as exc:  # a renderer bug must not reach the student
        return None, _failure_message(exc), False


def _cached_render(
    key: Hashable, draw: Callable[[], bytes], derive_text: Callable[[], str]
) -> _CacheEntry:
    hit = _CACHE.get(key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    png, error, cacheable = _attempt(draw)
    try:
        text = derive_text()
    except Exception:  # the fallback itself must never fail
        text = ""
    entry: _CacheEntry = (png, error, text)
    if cacheable:
        _CACHE.put(key, entry)
    return entry


# --------------------------------------------------------------------------- public API


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


# --------------------------------------------------------------------------- tangent plot


def _fmt(value: float) -> str:
    """About 4 significant digits, without scientific notation for everyday magnitudes."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    if 1e-4 <= abs(value) < 1e6:
        decimals = max(0, 3 - math.floor(math.log10(abs(value))))
        text = f"{value:.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    else:
        text = f"{value:.4g}"
    return "0" if text in ("-0", "0") else text


def _tangent_tex(m: float, b: float) -> str:
    if _fmt(m) == "0":
        return f"y = {_fmt(b)}"
    slope = {"1": "", "-1": "-"}.get(_fmt(m), _fmt(m))
    if _fmt(b) == "0":
        return f"y = {slope}x"
    sign = "-" if b < 0 else "+"
    return f"y = {slope}x {sign} {_fmt(abs(b))}"


def _real_or_none(value: sympy.Expr) -> float | None:
    try:
        z = complex(sympy.N(value))
    except Exception:  # sympy can fail in many ways (even RecursionError) on odd expressions
        return None
    if not (math.isfinite(z.real) and math.isfinite(z.imag)) or abs(z.imag) > 1e-9:
        return None
    return z.real


def _sample(function: sympy.Expr, var: sympy.Symbol, xs: np.ndarray) -> np.ndarray:
    """f on the grid with undefined/complex/infinite points as NaN (so the line breaks there)."""
    try:
        f = sympy.lambdify(var, function, modules="numpy")
        with np.errstate(all="ignore"):
            raw = np.asarray(f(xs))
        ys = np.broadcast_to(raw, xs.shape).astype(complex)
    except Exception:  # something numpy cannot vectorise: go point by point with mpmath
        f = sympy.lambdify(var, function, modules="mpmath")
        ys = np.empty(xs.shape, dtype=complex)
        for i, x in enumerate(xs):
            try:
                ys[i] = complex(f(float(x)))
            except Exception:
                ys[i] = complex("nan")
    real = ys.real.copy()
    real[~np.isfinite(ys.real) | ~np.isfinite(ys.imag) | (np.abs(ys.imag) > 1e-9)] = np.nan
    return real


def _slope(function: sympy.Expr, var: sympy.Symbol, point: sympy.Expr) -> float | None:
    """f'(a), or None where f has no (two-sided, real) derivative."""
    real = sympy.Dummy(var.name, real=True)  # so d|x|/dx is sign(x), not an re/im tangle
    try:
        derivative = sympy.diff(function.subs(var, real), real)
    except Exception:
        return None
    if derivative.has(sympy.Derivative):  # sympy gave up (floor, ...): difference quotient
        a = float(point)
        h = 1e-6 * max(1.0, abs(a))
        ys = _sample(function, var, np.array([a - h, a + h]))
        slope = float((ys[1] - ys[0]) / (2 * h))
        return slope if math.isfinite(slope) else None
    return _real_or_none(derivative.subs(real, point))


def _one_sided_slopes_agree(function: sympy.Expr, var: sympy.Symbol, a: float, m: float) -> bool:
    """Reject corners and jumps (|x| at 0, floor at 1) that sympy happily assigns a slope to."""
    h = 1e-5 * max(1.0, abs(a))
    left, mid, right = _sample(function, var, np.array([a - h, a, a + h]))
    sides = [s for s in ((mid - left) / h, (right - mid) / h) if math.isfinite(s)]
    tolerance = 1e-2 * max(1.0, abs(m))
    return all(abs(s - m) <= tolerance for s in sides)


def _y_window(xs: np.ndarray, ys: np.ndarray, a: float, fa: float, m: float) -> tuple[float, float]:
    """Vertical range showing the tangent across the window and f near the point, so that a
    fast-growing f (e^x) or an asymptote (tan x) does not flatten the picture."""
    near = np.abs(xs - a) <= (xs[-1] - xs[0]) / 4
    finite = ys[near & np.isfinite(ys)]
    values = [fa, fa + m * (xs[0] - a), fa + m * (xs[-1] - a)]
    if finite.size:
        values += list(np.percentile(finite, [2, 98]))
    lo, hi = min(values), max(values)
    span = hi - lo
    if span < 1e-9:
        span = max(1.0, abs(fa))
        lo, hi = fa - span / 2, fa + span / 2
    return lo - 0.12 * span, hi + 0.12 * span


def _draw_tangent(
    function: sympy.Expr, var: sympy.Symbol, a: float, fa: float, m: float, theme: str
) -> bytes:
    colors = THEMES[theme]
    half = 3.0  # enough to see the curve bend away from the line, close enough to look linear
    xs = np.linspace(a - half, a + half, 801)
    ys = _sample(function, var, xs)
    y_lo, y_hi = _y_window(xs, ys, a, fa, m)
    span = y_hi - y_lo
    ys[(ys < y_lo - span) | (ys > y_hi + span)] = np.nan  # break lines at asymptotes

    v = sympy.latex(var)
    f_tex = _lighten(mathtext_safe(sympy.latex(function)))
    f_label = f"$f({v}) = {f_tex}$"
    try:
        _PARSER.parse(f_label, DPI, _font(11))
        if len(f_tex) > 80:
            raise _RenderError("label too long")
    except Exception:
        f_label = f"$f({v})$"

    b = fa - m * a
    fig = Figure(figsize=(6.4, 4.2), dpi=DPI, facecolor="none")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_facecolor("none")
    ax.plot(xs, ys, color=colors.curve, lw=2.4, label=f_label)
    ax.plot(
        xs,
        fa + m * (xs - a),
        color=colors.tangent,
        lw=2.0,
        ls="--",
        label=f"tangent: ${_tangent_tex(m, b).replace('x', v)}$",
    )
    ax.plot([a], [fa], "o", ms=8, color=colors.point, zorder=5)
    ax.annotate(
        f"$({_fmt(a)},\\ {_fmt(fa)})$",
        (a, fa),
        xytext=(8, -16),
        textcoords="offset points",
        color=colors.text,
        fontsize=11,
    )
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(y_lo, y_hi)
    ax.axhline(0, color=colors.text, lw=0.8, alpha=0.5)
    ax.axvline(0, color=colors.text, lw=0.8, alpha=0.5)
    ax.grid(True, color=colors.text, alpha=0.15)
    ax.set_title(
        f"slope of the tangent at ${v} = {_fmt(a)}$:  $f'({_fmt(a)}) = {_fmt(m)}$",
        color=colors.text,
        fontsize=13,
    )
    ax.set_xlabel(f"${v}$", color=colors.text, fontsize=12)
    ax.tick_params(colors=colors.text, labelsize=10)
    for spine in ax.spines.values():
        spine.set_color(colors.text)
        spine.set_alpha(0.6)
    legend = ax.legend(loc="best", fontsize=11, framealpha=0.85, facecolor=colors.legend_face)
    legend.get_frame().set_edgecolor(colors.text)
    for label in legend.get_texts():
        label.set_color(colors.text)
    fig.tight_layout(pad=0.6)
    canvas.draw()
    return encode_rgba(np.asarray(canvas.buffer_rgba()))


def render_tangent(
    function: sympy.Expr,
    a: float,
    *,
    var: sympy.Symbol | None = None,
    theme: Theme = "dark",
    fallback_text: str | None = None,
) -> Rendered:
    """Plot f near x=a with its tangent line: the picture of "the derivative is the slope".

    `function` must be trusted (generated by us): it is compiled with `sympy.lambdify`.
    """
    _check_options(theme, 22)
    free = sorted(function.free_symbols, key=str)
    if var is None:
        var = free[0] if len(free) == 1 else sympy.Symbol("x")
    elif var not in free:  # same name, different assumptions (real=True...): same variable
        var = next((s for s in free if s.name == var.name), var)
    a_value = float(a)
    state: dict[str, float | str] = {}

    def draw() -> bytes:
        if len(function.free_symbols - {var}) > 0:
            raise _RenderError("function has more than one variable")
        if not math.isfinite(a_value):
            raise _RenderError("tangent point must be finite")
        point = sympy.Integer(int(a_value)) if a_value.is_integer() else sympy.Float(a_value)
        fa = _real_or_none(function.subs(var, point))
        slope = _slope(function, var, point)
        if fa is None or slope is None:
            raise _RenderError(f"f has no real tangent at {var} = {_fmt(a_value)}")
        if not _one_sided_slopes_agree(function, var, a_value, slope):
            state["why"] = "not differentiable"
            raise _RenderError(f"f is not differentiable at {var} = {_fmt(a_value)}")
        state.update(fa=fa, m=slope)
        with MPL_LOCK:
            return _draw_tangent(function, var, a_value, fa, slope, theme)

    def derive_text() -> str:
        head = f"f({var}) = {tex_to_text(sympy.latex(function))}"
        if "m" not in state:
            why = state.get("why", "no real tangent line")
            return f"{head}; {why} at {var} = {_fmt(a_value)}"
        fa, m = float(state["fa"]), float(state["m"])
        line = _tangent_tex(m, fa - m * a_value).replace("x", str(var))
        return f"{head}; tangent at {var} = {_fmt(a_value)}: {line} (slope {_fmt(m)})"

    png, error, text = _cached_render(("tangent", function, a_value, var, theme), draw, derive_text)
    return Rendered(png, fallback_text if fallback_text is not None else text, error)
