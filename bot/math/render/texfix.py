"""LaTeX (typically from `sympy.latex`, or a deck's author) rewritten into the subset matplotlib
mathtext parses, and into equivalent mathtext that parses faster."""

from __future__ import annotations

import re

from matplotlib.cbook import is_math_text

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
