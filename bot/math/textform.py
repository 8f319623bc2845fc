"""Plain text as a teacher writes it, which our parser reads back to the same expression.

`e^(2x + 3)`, `ln(x)`, `log_3(x)`, `sec^2(x)`, `sqrt(x)`, implicit products (`5x^3`,
`2x cos(x^2)`), fractions as `num/den` with the denominator bracketed when it is a product.
Students copy these strings into their answers and `derivbot generate --jsonl` hands them to
`derivbot check`, so every form printed here must parse (`bot.math.parser`) to an equal
expression; the round-trip test over every generated problem holds it to that.
"""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

__all__ = ["TeacherText"]

#: Functions written `f^n(u)` for a positive integer power n, as textbooks do (sin^2(x)).
_POWER_PREFIX = (
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.sec,
    sympy.csc,
    sympy.cot,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.sech,
    sympy.csch,
    sympy.coth,
)

_NAMES = {
    "log": "ln",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "acot": "arccot",
    "asec": "arcsec",
    "acsc": "arccsc",
}


def _negative(expr: sympy.Expr) -> bool:
    coeff = expr.as_coeff_Mul()[0]
    return bool(coeff.is_negative)


def _atomic(expr: sympy.Expr) -> bool:
    """Printed as one unbroken token group: needs no brackets as a base or a denominator."""
    if expr.is_Symbol or (expr.is_Integer and expr >= 0):
        return True
    return expr in (sympy.pi, sympy.E)


def _rank(factor: sympy.Expr) -> int:
    """Order of factors in a product, as on the board: `2pi x^2 (x + 1)^3 e^x sin(x) 3^x ln(3)`."""
    if factor.is_Integer:
        return 0
    if factor.is_number:
        return 7 if isinstance(factor, sympy.log) else 1
    base = factor.base if factor.is_Pow else factor
    if base.is_Symbol:
        return 2
    if base.is_Add:
        return 3
    if isinstance(base, sympy.exp):
        return 4
    if factor.is_Pow and base.is_number:
        return 6
    return 5


def _glued(factor: sympy.Expr) -> bool:
    """Written right after a coefficient with no space: the variable, e, pi, a bracket, e^u."""
    base = factor.base if factor.is_Pow else factor
    glued = base.is_Symbol or base.is_Add or base in (sympy.pi, sympy.E)
    return glued or isinstance(base, sympy.exp)


class TeacherText(StrPrinter):
    """sympy expressions as a teacher would write them on the board (see the module's doc)."""

    # ------------------------------------------------------------------ sums
    def _print_Add(self, expr: sympy.Expr, order: str | None = None) -> str:
        out = ""
        for i, term in enumerate(self._as_ordered_terms(expr, order=order)):
            if _negative(term):
                body = self._print(-term)
                out += ("-" if i == 0 else " - ") + body
            else:
                out += ("" if i == 0 else " + ") + self._print(term)
        return out

    # ------------------------------------------------------------------ products
    def _print_Mul(self, expr: sympy.Expr) -> str:
        if _negative(expr):
            positive = -expr
            body = self._print(positive)
            return f"-({body})" if positive.is_Add else "-" + body
        num, den = self._split(expr)
        top = self._juxtapose(num) if num else "1"
        if not den:
            return top
        bottom = self._juxtapose(den)
        if len(den) > 1 or not (den[0].is_Add or self._plain_denominator(den[0])):
            bottom = f"({bottom})"  # a lone sum is bracketed already, as a factor
        if len(num) == 1 and num[0].is_Add:
            top = f"({self._print(num[0])})"
        return f"{top}/{bottom}"

    def _split(self, expr: sympy.Expr) -> tuple[list[sympy.Expr], list[sympy.Expr]]:
        """Numerator and denominator factors (a rational coefficient split across both)."""
        num: list[sympy.Expr] = []
        den: list[sympy.Expr] = []
        for factor in sympy.Mul.make_args(expr):
            if factor.is_Rational:
                if factor.p != 1:
                    num.append(sympy.Integer(factor.p))
                if factor.q != 1:
                    den.append(sympy.Integer(factor.q))
            elif factor.is_Pow and factor.exp.is_Rational and factor.exp.is_negative:
                exp = -factor.exp
                den.append(factor.base if exp == 1 else sympy.Pow(factor.base, exp, evaluate=False))
            else:
                num.append(factor)
        return num, den

    def _plain_denominator(self, factor: sympy.Expr) -> bool:
        """One factor written after `/` unbracketed: x^2, x^(1/3), sqrt(u), (x + 1)^2, e^x."""
        return not (factor.is_Add or factor.is_Mul)

    def _juxtapose(self, factors: list[sympy.Expr]) -> str:
        """Factors written side by side: `5x^3`, `2x cos(x^2)`, `2·3^x` (digits never touch)."""
        ordered = sorted(factors, key=_rank)
        out = ""
        for factor in ordered:
            body = self._factor(factor)
            if not out:
                out = body
            elif body[0].isdigit():
                out += "·" + body
            elif out.isdigit() and _glued(factor):
                out += body  # the coefficient: 5x^3, 2(x + 1), 2e^(3x), 2pi; `-21 tan(3x)`
            else:
                out += " " + body
        return out

    def _factor(self, factor: sympy.Expr) -> str:
        body = self._print(factor)
        if factor.is_Add or (factor.is_Rational and not factor.is_Integer):
            return f"({body})"
        return body

    # ------------------------------------------------------------------ powers
    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        base, exp = expr.base, expr.exp
        if exp.is_Rational and exp.is_negative:
            return self._print_Mul(expr)
        if exp == sympy.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if exp.is_Integer and exp > 1 and isinstance(base, _POWER_PREFIX):
            name = self._print(base.func)
            return f"{name}^{exp}({self._print(base.args[0])})"
        return f"{self._base(base)}^{self._exponent(exp)}"

    def _print_Function(self, expr: sympy.Expr) -> str:
        name = type(expr).__name__
        args = ", ".join(self._print(a) for a in expr.args)
        return f"{_NAMES.get(name, name)}({args})"

    def _print_FunctionClass(self, expr: type) -> str:
        return _NAMES.get(expr.__name__, expr.__name__)

    def _print_exp(self, expr: sympy.Expr) -> str:
        return f"e^{self._exponent(expr.args[0])}"

    def _base(self, base: sympy.Expr) -> str:
        body = self._print(base)
        if _atomic(base) or (isinstance(base, sympy.Function) and not base.is_Pow):
            return body
        return f"({body})"

    def _exponent(self, exp: sympy.Expr) -> str:
        body = self._print(exp)
        return body if _atomic(exp) else f"({body})"

    # ------------------------------------------------------------------ atoms
    def _print_Rational(self, expr: sympy.Expr) -> str:
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)

    def _print_Exp1(self, expr: sympy.Expr) -> str:
        return "e"

    def _print_Pi(self, expr: sympy.Expr) -> str:
        return "pi"

    def _print_Abs(self, expr: sympy.Expr) -> str:
        return f"|{self._print(expr.args[0])}|"
