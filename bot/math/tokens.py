"""Reading text into tokens: the vocabulary students may use, look-alike characters mapped to
ASCII, and the tokenizer the grammar in `parser` reads from.

Nothing here builds an expression: sympy constructors appear only as the whitelist `FUNCTIONS`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

__all__ = [
    "ALIASES",
    "BRACKETS",
    "CONSTANTS",
    "FUNCTIONS",
    "GREEK",
    "INVERSES",
    "LATEX_SKIP",
    "LATEX_SPACES",
    "PREFIX",
    "ROOTS",
    "VULGAR",
    "ParseError",
    "Tok",
    "normalise",
    "split_name",
    "tokenize",
    "unknown_name",
]


class ParseError(ValueError):
    """A reading failure the student can act on: a short message and where it happened."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (at position {self.position + 1})"


# --- vocabulary ---------------------------------------------------------------------------

FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "sec": sp.sec,
    "csc": sp.csc,
    "cosec": sp.csc,
    "cot": sp.cot,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "acot": sp.acot,
    "asec": sp.asec,
    "acsc": sp.acsc,
    "arcsin": sp.asin,
    "arccos": sp.acos,
    "arctan": sp.atan,
    "arccot": sp.acot,
    "arcsec": sp.asec,
    "arccsc": sp.acsc,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "sech": sp.sech,
    "csch": sp.csch,
    "coth": sp.coth,
    "asinh": sp.asinh,
    "acosh": sp.acosh,
    "atanh": sp.atanh,
    "acoth": sp.acoth,
    "asech": sp.asech,
    "acsch": sp.acsch,
    "arsinh": sp.asinh,
    "arcosh": sp.acosh,
    "artanh": sp.atanh,
    "arcsinh": sp.asinh,
    "arccosh": sp.acosh,
    "arctanh": sp.atanh,
    "exp": sp.exp,
    "ln": sp.log,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "cbrt": lambda a: sp.Pow(a, sp.Rational(1, 3)),
    "abs": sp.Abs,
    "sign": sp.sign,
    "sgn": sp.sign,
}
INVERSES: dict[str, str] = {
    "sin": "asin",
    "cos": "acos",
    "tan": "atan",
    "cot": "acot",
    "sec": "asec",
    "csc": "acsc",
    "cosec": "acsc",
    "sinh": "asinh",
    "cosh": "acosh",
    "tanh": "atanh",
    "coth": "acoth",
    "sech": "asech",
    "csch": "acsch",
}
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}
#: Greek letters a problem may declare as variables (θ, η…), typed as the letter or its name;
#: each is a variable only where declared (π stays the constant)
GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "η": "eta",
    "θ": "theta",
    "ϑ": "theta",
    "λ": "lambda",
    "μ": "mu",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "φ": "phi",
    "ϕ": "phi",
    "ω": "omega",
}
# sympy's printed forms, accepted for the trusted `expected` field and for students alike.
ALIASES = {"Abs": "abs", "E": "e", "Pi": "pi", "PI": "pi"}
LATEX_SKIP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"}
LATEX_SPACES = {",", ";", "!", ":", " ", "quad", "qquad", "displaystyle", "textstyle"}

_SUPERSCRIPTS = {
    "⁰": "0",
    "¹": "1",
    "²": "2",
    "³": "3",
    "⁴": "4",
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
    "⁻": "-",
    "⁺": "+",
    "⁽": "(",
    "⁾": ")",
    # superscript letters, as phone keyboards offer them (eˣ, xⁿ); there is no superscript q
    **{ch: unicodedata.normalize("NFKC", ch) for ch in "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"},
}
#: ½, ¼, ¾, ⅓ …: one character, one exact number
VULGAR: dict[str, Fraction] = {
    ch: Fraction(unicodedata.numeric(ch)).limit_denominator(10) for ch in "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
}
#: √x, ∛x, ∜x: the root each sign takes
ROOTS = {"√": 2, "∛": 3, "∜": 4}
_CHAR_MAP = {
    "−": "-",
    "–": "-",
    "—": "-",
    "‐": "-",
    "·": "*",
    "⋅": "*",
    "×": "*",
    "∗": "*",
    "•": "*",
    "÷": "/",
    "∕": "/",
    "⁄": "/",
    "ℯ": "e",
    "π": "π",
    "（": "(",
    "）": ")",
    "｜": "|",
    "∂": "d",  # ∂f/∂x = … is a label, as df/dx = … is
    "′": "'",
    "’": "'",
}
# Zero-width and bidirectional controls can make text read differently from what it is.
_FORBIDDEN = re.compile("[\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c\u180e]")
# Bytes that were not text: a lone surrogate (surrogateescape, a JSON escape) or the U+FFFD a
# decoder put in their place. Control characters other than tab, newline and return.
_UNREADABLE = re.compile("[\ufffd\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
PREFIX = re.compile(
    r"""^\s*(?:
        [A-Za-z]\s*(?:'{1,3}|\s*\^\s*\(?\s*[123]\s*\)?)?\s*(?:\([^()=]*\))?  # f'(x) L'(w)
      | d\s*(?:\^\s*2|²)?\s*[A-Za-z]?\s*/\s*d\s*[a-z]\s*(?:\^\s*2|²)?            # dy/dx  d²y/dx²
      | \\d?frac\s*\{\s*d\s*(?:\^\s*\{?2\}?)?\s*[A-Za-z]?\s*\}
        \s*\{\s*d\s*[a-z]\s*(?:\^\s*\{?2\}?)?\s*\}                       # \frac{d^2y}{dx^2}
    )?\s*=""",
    re.VERBOSE,
)


def normalise(text: str) -> str:
    """Map look-alike characters to ASCII one-for-one, so positions stay those of the input."""
    match = _FORBIDDEN.search(text)
    if match:
        raise ParseError(
            "your answer contains an invisible formatting character; please retype it",
            match.start(),
        )
    match = _UNREADABLE.search(text)
    if match:
        raise ParseError(
            "your answer contains a character that could not be read as text (shown as �); "
            "please retype it",
            match.start(),
        )
    match = _CONTROL.search(text)
    if match:
        raise ParseError(
            f"your answer contains the control character U+{ord(match.group()):04X}; "
            "please retype it",
            match.start(),
        )
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
            ch = chr(code - 0xFEE0)
        elif ch == "\u3000" or ch in "\u00a0\u2009\u202f\t\n\r":
            ch = " "
        out.append(_CHAR_MAP.get(ch, ch))
    return "".join(out)


# --- tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tok:
    kind: str  # num name op lp rp pipe lpipe rpipe comma under sup sqrtsym frac sqrt eof
    value: str
    pos: int
    space_before: bool = False


_DIGITS = frozenset("0123456789")
BRACKETS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in BRACKETS.items()}


# one-character tokens: character -> kind
_SINGLE = {
    "π": ("name", "pi"),
    **{c: ("name", name) for c, name in GREEK.items()},
    **{c: ("sqrtsym", c) for c in ROOTS},
    "|": ("pipe", "|"),
    ",": ("comma", ","),
    "_": ("under", "_"),
    **{c: ("op", c) for c in "+-*/^"},
    **{c: ("lp", c) for c in BRACKETS},
    **{c: ("rp", c) for c in CLOSERS},
}


def tokenize(s: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n = 0, len(s)
    space = False
    while i < n:
        c = s[i]
        if c == " ":
            space = True
            i += 1
            continue
        start = i
        if c in _DIGITS or (c == "." and i + 1 < n and s[i + 1] in _DIGITS):
            i = _number_end(s, i)
            toks.append(Tok("num", s[start:i], start, space))
        elif c in VULGAR:
            i += 1
            toks.append(Tok("num", c, start, space))
        elif c.isascii() and c.isalpha():
            while i < n and s[i].isascii() and s[i].isalpha():
                i += 1
            toks.append(Tok("name", s[start:i], start, space))
        elif c in _SUPERSCRIPTS:
            while i < n and s[i] in _SUPERSCRIPTS:
                i += 1
            digits = "".join(_SUPERSCRIPTS[ch] for ch in s[start:i])
            toks.append(Tok("sup", digits, start, space))
        elif c == "*" and i + 1 < n and s[i + 1] == "*":
            toks.append(Tok("op", "^", start, space))
            i += 2
        elif c in _SINGLE:
            kind, value = _SINGLE[c]
            toks.append(Tok(kind, value, start, space))
            i += 1
        elif c == "\\":
            tok, i = _latex_command(s, i, space)
            if tok is None:
                space = True
                continue
            toks.append(tok)
        elif c == "=":
            raise ParseError("only one expression is expected here, not an equation", start)
        else:
            raise ParseError(f"I don't understand the character `{c}`", start)
        space = False
    toks.append(Tok("eof", "", n, space))
    return toks


def _number_end(s: str, i: int) -> int:
    """Where the number starting at i ends: 12, 1.5, .5 and "2." are numbers."""
    start, n = i, len(s)
    while i < n and s[i] in _DIGITS:
        i += 1
    if i < n and s[i] == "." and i + 1 < n and s[i + 1] in _DIGITS:
        i += 1
        while i < n and s[i] in _DIGITS:
            i += 1
    elif i < n and s[i] == "." and (i + 1 == n or s[i + 1] not in _DIGITS) and i > start:
        i += 1  # "2." is a number too
    return i


def _latex_command(s: str, start: int, space: bool) -> tuple[Tok | None, int]:
    """The token for the backslash command at `start` (None for spacing), and where it ends."""
    i, n = start + 1, len(s)
    if i < n and s[i].isalpha():
        while i < n and s[i].isalpha():
            i += 1
        cmd = s[start + 1 : i]
    elif i < n:
        cmd = s[i]
        i += 1
    else:
        raise ParseError("a lone backslash at the end", start)
    tok = _latex_token(s, cmd, start, space, i)
    if isinstance(tok, tuple):  # \operatorname{name}
        return tok
    return tok, i


def _latex_token(s: str, cmd: str, start: int, space: bool, end: int) -> Tok | tuple | None:
    if cmd in LATEX_SPACES or cmd in LATEX_SKIP:
        return None
    if cmd in ("frac", "dfrac", "tfrac"):
        return Tok("frac", cmd, start, space)
    if cmd == "sqrt":
        return Tok("sqrt", cmd, start, space)
    if cmd in ("cdot", "times", "ast"):
        return Tok("op", "*", start, space)
    if cmd == "div":
        return Tok("op", "/", start, space)
    if cmd in ("{", "}"):
        return Tok("lp" if cmd == "{" else "rp", cmd, start, space)
    if cmd in ("lvert", "vert", "rvert", "|"):
        return Tok("pipe", "|", start, space)
    if cmd in ("operatorname", "mathrm", "text", "mathit"):
        m = re.match(r"\s*\{\s*([A-Za-z]+)\s*\}", s[end:])
        if not m:
            raise ParseError(f"`\\{cmd}` must be followed by a name in braces", start)
        return Tok("name", m.group(1), start, space), end + m.end()
    if cmd in FUNCTIONS or cmd in CONSTANTS or cmd in GREEK.values():
        return Tok("name", cmd, start, space)
    raise ParseError(f"I don't know the LaTeX command `\\{cmd}`", start)


def split_name(
    t: Tok,
    var_name: str,
    notes: list[str],
    others: tuple[str, ...] = (),
    *,
    declared: bool = False,
) -> list[str]:
    """A run of letters as known words: `sinx` is sin x, `xe` is x·e (fewest pieces wins);
    a note is added to `notes` when the reading is a guess. `others`: further variables (the
    y of a line's equation); `declared`: they were declared, so an error lists them."""
    word = ALIASES.get(t.value, t.value)
    vocab = set(FUNCTIONS) | set(CONSTANTS) | {var_name, *others}
    if word in vocab:
        return [word]
    lowered = word.lower()
    if lowered in FUNCTIONS or lowered in ("pi",):
        return [lowered]
    if word == var_name.upper():
        notes.append(f"I read {word} as {var_name}")
        return [var_name]
    # every way to cut the run into known words; the one with the fewest pieces wins
    best: list[list[str]] = []
    memo: dict[int, list[list[str]]] = {}

    def cuts(k: int) -> list[list[str]]:
        if k == len(word):
            return [[]]
        if k in memo:
            return memo[k]
        found = []
        for j in range(len(word), k, -1):
            piece = word[k:j]
            if piece in vocab:
                found.extend([piece, *rest] for rest in cuts(j))
                if len(found) > 8:
                    break
        memo[k] = found
        return found

    best = cuts(0)
    if best:
        return min(best, key=len)
    raise unknown_name(t, var_name, others if declared else ())


def unknown_name(t: Tok, var_name: str, others: tuple[str, ...] = ()) -> ParseError:
    """The error for a word that is no known name, with a close match if there is one."""
    word = t.value
    if len(word) == 1 or word in GREEK.values():
        if not others:
            return ParseError(
                f"only {var_name} may appear as a variable; `{word}` is not known", t.pos
            )
        names = [var_name, *others]
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        return ParseError(f"only {listed} may appear as variables; `{word}` is not known", t.pos)
    vocab = sorted(set(FUNCTIONS) | set(CONSTANTS) | {var_name, *others})
    if word.lower() == "in":
        guess = ["ln"]
    else:
        guess = difflib.get_close_matches(word.lower(), vocab, n=1, cutoff=0.6)
    if guess:
        return ParseError(f"`{word}` — did you mean `{guess[0]}`?", t.pos)
    return ParseError(f"I don't know the name `{word}`", t.pos)
