"""A readable plain-text form of math TeX: what a student sees when no image can be shown."""

from __future__ import annotations

import re

from matplotlib.cbook import is_math_text

from bot.math.render.texfix import _convert_environments

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
