"""Printing expressions for students: LaTeX that mathtext draws, text they could type back.

ln for the natural log and log_b for other bases (sympy stores log_b(g) as log(g)/log(b)), and the
small LaTeX pieces worked solutions are made of.
"""

from __future__ import annotations

import functools

import sympy
from sympy.printing.latex import LatexPrinter

from bot.math.forms import teacher_form
from bot.math.textform import TeacherText

__all__ = [
    "bracket",
    "d_latex",
    "d_text",
    "expr_latex",
    "expr_text",
    "factor_latex",
    "factor_text",
    "frac",
    "join_terms",
    "paren",
]


class _LogBase(sympy.Function):
    """Display-only stand-in for log_b(g); sympy itself stores it as log(g)/log(b)."""

    nargs = 2


def _fold_log_base(expr: sympy.Expr) -> sympy.Expr | None:
    """Rewrite ...*log(g)*log(b)**-1 as ...*_LogBase(g, b) so printers can show log_b(g)."""
    factors = list(sympy.Mul.make_args(expr))
    base_i = next(
        (
            i
            for i, f in enumerate(factors)
            if f.is_Pow
            and f.exp == -1
            and isinstance(f.base, sympy.log)
            and f.base.args[0].is_Integer
            and f.base.args[0] > 1
        ),
        None,
    )
    if base_i is None:
        return None
    log_i = next(
        (i for i, f in enumerate(factors) if isinstance(f, sympy.log) and not f.args[0].is_number),
        None,
    )
    if log_i is None:
        return None
    base = factors[base_i].base.args[0]
    arg = factors[log_i].args[0]
    rest = [f for i, f in enumerate(factors) if i not in (base_i, log_i)]
    return sympy.Mul(*rest, _LogBase(arg, base))


class _FoldsLogBase:
    """Both printers show ln(x)/ln(b) as log base b."""

    def _print_Mul(self, expr: sympy.Expr) -> str:
        folded = _fold_log_base(expr)
        if folded is not None:
            return self._print(folded)  # type: ignore[attr-defined]
        return super()._print_Mul(expr)  # type: ignore[misc]


class _Latex(_FoldsLogBase, LatexPrinter):
    def _print__LogBase(self, expr: sympy.Expr) -> str:
        arg, base = expr.args
        return r"\log_{" + self._print(base) + "}" + _braced_paren(self._print(arg))


class _Text(_FoldsLogBase, TeacherText):
    def _print__LogBase(self, expr: sympy.Expr) -> str:
        arg, base = expr.args
        return f"log_{self._print(base)}({self._print(arg)})"


_LATEX = _Latex({"ln_notation": True})
_TEXT = _Text()


@functools.lru_cache(maxsize=8192)
def expr_latex(expr: sympy.Expr) -> str:
    """LaTeX that matplotlib mathtext can draw; ln for natural log and log_b for other bases,
    in a teacher's form (sec^2 for tan^2 + 1, `bot.math.forms`)."""
    return _LATEX.doprint(teacher_form(expr))


@functools.lru_cache(maxsize=8192)
def expr_text(expr: sympy.Expr) -> str:
    """A plain one-line form a student could type back, as a teacher writes it (`e^(2x)`,
    `ln(x)`, `log_3(x)`, `sec^2(x)`, `5x^3`); our parser reads it back to the same expression."""
    return _TEXT.doprint(teacher_form(expr))


def paren(body: str) -> str:
    """LaTeX (body) with stretchy parentheses."""
    return r"\left(" + body + r"\right)"


def bracket(body: str) -> str:
    """LaTeX [body] with stretchy brackets, as in d/dx[...]."""
    return r"\left[" + body + r"\right]"


def frac(num: str, den: str) -> str:
    """LaTeX fraction (mathtext has no \\dfrac)."""
    return r"\frac{" + num + "}{" + den + "}"


def _braced_paren(body: str) -> str:
    return "{" + r"\left(" + body + r" \right)" + "}"


def _d(var: sympy.Symbol, body: str) -> str:
    return r"\frac{d}{d" + expr_latex(var) + r"}\left[" + body + r"\right]"


def d_latex(var: sympy.Symbol, expr: sympy.Expr) -> str:
    return _d(var, expr_latex(expr))


def d_text(var: sympy.Symbol, expr: sympy.Expr) -> str:
    body = expr_text(expr)
    if expr.is_Add or expr.is_Mul or expr.is_Pow or expr.could_extract_minus_sign():
        body = f"({body})"  # `d/dx (x^2 + 7)`, never `d/dx x^2 + 7`
    return f"d/d{var} {body}"


def _needs_paren(expr: sympy.Expr) -> bool:
    return expr.is_Add or (expr.could_extract_minus_sign() and not expr.is_Number)


def factor_latex(expr: sympy.Expr) -> str:
    """LaTeX wrapped in parentheses when it would be ambiguous as a factor."""
    body = expr_latex(expr)
    if _needs_paren(expr) or (expr.is_Number and expr < 0):
        return paren(body)
    return body


def factor_text(expr: sympy.Expr) -> str:
    body = expr_text(expr)
    if _needs_paren(expr) or (expr.is_Number and expr < 0):
        return f"({body})"
    return body


def join_terms(latex_terms: list[tuple[str, bool]]) -> str:
    """Join (latex, negative) pairs into a sum, writing a - b rather than a + -b."""
    out = ""
    for i, (body, negative) in enumerate(latex_terms):
        if i == 0:
            out = ("- " if negative else "") + body
        else:
            out += (" - " if negative else " + ") + body
    return out
