"""Expressions in the form a teacher writes them: the same function, sympy's spelling undone.

sympy differentiates tan into `tan(x)^2 + 1`, keeps `1/tan(u)` and `sin(u)/cos(u)` apart from
cot and tan, and leaves signs where a draw put them (`-4(-x^2 - 8)^7`). `teacher_form` rewrites
an expression into the equal one a student meets on a card: `sec^2(x)`, `cot(u)`, `tan(u)`,
`4(x^2 + 8)^7`, `-ln(u)` for `ln(1/u)`. Every rule is an identity on the real domain of its input,
so the generator can apply it to the function it asks about and to the answer it expects.
"""

from __future__ import annotations

import sympy

__all__ = ["teacher_form"]

#: 1/f(u) written as the reciprocal function.
_RECIPROCAL = {
    sympy.sin: sympy.csc,
    sympy.cos: sympy.sec,
    sympy.tan: sympy.cot,
    sympy.cot: sympy.tan,
    sympy.sec: sympy.cos,
    sympy.csc: sympy.sin,
    sympy.sinh: sympy.csch,
    sympy.cosh: sympy.sech,
    sympy.tanh: sympy.coth,
    sympy.coth: sympy.tanh,
    sympy.sech: sympy.cosh,
    sympy.csch: sympy.sinh,
}

#: f(u)·g(u) written as one function: sin·sec = tan, cos·csc = cot, sec·cot = csc, csc·tan =
#: sec (and the hyperbolic pairs).
_PAIRS = (
    (sympy.sin, sympy.sec, sympy.tan),
    (sympy.cos, sympy.csc, sympy.cot),
    (sympy.sinh, sympy.sech, sympy.tanh),
    (sympy.cosh, sympy.csch, sympy.coth),
    (sympy.sec, sympy.cot, sympy.csc),
    (sympy.csc, sympy.tan, sympy.sec),
    (sympy.sech, sympy.coth, sympy.csch),
    (sympy.csch, sympy.tanh, sympy.sech),
)

#: k·f(u)^2 + s·k = k·g(u)^2, by the Pythagorean identities: (f, s, g, sign of the result).
_SQUARES = (
    (sympy.tan, 1, sympy.sec, 1),  # tan^2 + 1 = sec^2
    (sympy.cot, 1, sympy.csc, 1),  # cot^2 + 1 = csc^2
    (sympy.tanh, -1, sympy.sech, -1),  # tanh^2 - 1 = -sech^2
    (sympy.coth, -1, sympy.csch, 1),  # coth^2 - 1 = csch^2
)


def teacher_form(expr: sympy.Expr) -> sympy.Expr:
    """The equal expression in a teacher's form (see the module's doc); bottom-up, one pass."""
    if expr.is_Atom or not expr.args:
        return expr
    args = [teacher_form(a) for a in expr.args]
    out = expr.func(*args)
    if out.is_Pow:
        return _pow(out)
    if out.is_Mul:
        return _mul(out)
    if out.is_Add:
        return _add(out)
    if isinstance(out, sympy.log):
        return _log(out)
    return out


def _all_negative(expr: sympy.Expr) -> bool:
    """A sum whose every term is negative (`-x^2 - 8`): written with its sign outside."""
    return expr.is_Add and all(t.as_coeff_Mul()[0].is_negative for t in expr.args)


def _pow(expr: sympy.Expr) -> sympy.Expr:
    base, exp = expr.base, expr.exp
    if exp.is_Integer and _all_negative(base):
        return (-1) ** exp * _pow(sympy.Pow(-base, exp))
    if exp.is_Integer and exp % 2 == 0 and base.is_Add and base.could_extract_minus_sign():
        return sympy.Pow(-base, exp)  # (2 - 4w)^2 = (4w - 2)^2
    if exp.is_Integer and exp < 0 and type(base) in _RECIPROCAL:
        return _RECIPROCAL[type(base)](*base.args) ** (-exp)
    return expr


def _mul(expr: sympy.Expr) -> sympy.Expr:
    sign = 1
    powers: dict[tuple[type, sympy.Expr], sympy.Expr] = {}
    rest: list[sympy.Expr] = []
    for factor in expr.args:
        if _all_negative(factor):
            sign, factor = -sign, -factor
        base, exp = factor.as_base_exp()
        if type(base) in _RECIPROCAL and exp.is_Integer:
            if exp < 0:
                base, exp = _RECIPROCAL[type(base)](*base.args), -exp
            key = (type(base), base.args[0])
            powers[key] = powers.get(key, 0) + exp
        else:
            rest.append(factor)
    if not powers:
        return sign * sympy.Mul(*rest) if sign < 0 else expr
    for f, g, h in _PAIRS:
        for (func, arg), n in list(powers.items()):
            if func is not f or (g, arg) not in powers:
                continue
            both = min(n, powers[(g, arg)])
            powers[(f, arg)] -= both
            powers[(g, arg)] -= both
            powers[(h, arg)] = powers.get((h, arg), 0) + both
    trig = [func(arg) ** n for (func, arg), n in powers.items() if n]
    return sign * sympy.Mul(*rest, *trig)


def _add(expr: sympy.Expr) -> sympy.Expr:
    terms = list(expr.args)
    for f, s, g, sign in _SQUARES:
        for term in list(terms):
            k, rest = term.as_coeff_Mul()
            if not (rest.is_Pow and rest.exp == 2 and isinstance(rest.base, f)):
                continue
            if s * k in terms and term in terms:
                terms.remove(term)
                terms.remove(s * k)
                terms.append(sign * k * g(rest.base.args[0]) ** 2)
    return sympy.Add(*terms) if len(terms) != len(expr.args) else expr


def _log(expr: sympy.Expr) -> sympy.Expr:
    """ln(1/u) = -ln(u): both are defined exactly where u > 0."""
    (arg,) = expr.args
    if arg.is_Pow and arg.exp == -1:
        return -sympy.log(arg.base)
    return expr
