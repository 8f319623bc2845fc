"""`derive`: which rule applied where, as a tree whose root derivative equals `sympy.diff`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy

__all__ = ["RULES", "RuleNode", "derive", "iter_nodes", "rules_used"]

RULES = (
    "constant",
    "identity",
    "constant_multiple",
    "sum",
    "power",
    "product",
    "quotient",
    "chain",
    "trig",
    "inverse_trig",
    "hyperbolic",
    "exp",
    "exp_base",
    "log",
    "log_base",
    "abs",
    "log_diff",
)

# Step codes beyond the rule codes: the closing result, substituting a point, point-slope form.

_FUNC_RULES: dict[type, str] = {
    **{f: "trig" for f in (sympy.sin, sympy.cos, sympy.tan, sympy.sec, sympy.csc, sympy.cot)},
    **{
        f: "inverse_trig"
        for f in (sympy.asin, sympy.acos, sympy.atan, sympy.acot, sympy.asec, sympy.acsc)
    },
    **{
        f: "hyperbolic"
        for f in (
            sympy.sinh,
            sympy.cosh,
            sympy.tanh,
            sympy.sech,
            sympy.csch,
            sympy.coth,
            sympy.asinh,
            sympy.acosh,
            sympy.atanh,
            sympy.acoth,
            sympy.asech,
            sympy.acsch,
        )
    },
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.Abs: "abs",
}


@dataclass(frozen=True)
class RuleNode:
    """One rule application: `derivative` is d/d(var) of `expr`; `children` are the sub-problems.

    For "chain" the children are (outer, inner): the outer node differentiates f(u) in a fresh
    symbol u, the inner node differentiates g, and `inner` is g.
    """

    rule: str
    expr: sympy.Expr
    derivative: sympy.Expr
    children: tuple[RuleNode, ...]
    inner: sympy.Expr | None = None


def _fresh_symbol(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Symbol:
    """The u in f(u) for the chain rule; any letter not already in use."""
    taken = {s.name for s in expr.free_symbols} | {var.name}
    for name in ("u", "v", "t", "s", "z"):
        if name not in taken:
            return sympy.Symbol(name)
    return sympy.Dummy("u")


def _chain(
    rule: str,
    expr: sympy.Expr,
    inner: sympy.Expr,
    outer_of_u: sympy.Expr,
    outer_deriv_u: sympy.Expr,
    u: sympy.Symbol,
    var: sympy.Symbol,
) -> RuleNode:
    inner_node = derive(inner, var)
    outer = RuleNode(rule, outer_of_u, outer_deriv_u, ())  # differentiated in u, not var
    derivative = outer_deriv_u.subs(u, inner) * inner_node.derivative
    return RuleNode("chain", expr, derivative, (outer, inner_node), inner)


def _log_base_split(const: sympy.Expr, dep: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """If const*dep is c*log(g)/log(b), return (c, log(b)**-1)."""
    if not isinstance(dep, sympy.log):
        return None
    for f in sympy.Mul.make_args(const):
        if f.is_Pow and f.exp == -1 and isinstance(f.base, sympy.log) and f.base.args[0].is_number:
            return const / f, f
    return None


def derive(expr: sympy.Expr, var: sympy.Symbol) -> RuleNode:
    """Differentiate `expr` with respect to `var`, recording the rule used at every node.

    Raises ValueError for expressions outside the rules a derivatives course covers.
    """
    if not expr.has(var):
        return RuleNode("constant", expr, sympy.Integer(0), ())
    if expr == var:
        return RuleNode("identity", expr, sympy.Integer(1), ())
    if expr.is_Add:
        kids = tuple(derive(t, var) for t in expr.as_ordered_terms())
        return RuleNode("sum", expr, sympy.Add(*(k.derivative for k in kids)), kids)
    if expr.is_Mul:
        return _derive_mul(expr, var)
    if expr.is_Pow:
        return _derive_pow(expr, var)
    if isinstance(expr, sympy.Function) and type(expr) in _FUNC_RULES and len(expr.args) == 1:
        rule = _FUNC_RULES[type(expr)]
        arg = expr.args[0]
        if arg == var:
            return RuleNode(rule, expr, expr.fdiff(), ())
        u = _fresh_symbol(expr, var)
        f_u = expr.func(u)
        return _chain(rule, expr, arg, f_u, f_u.fdiff(), u, var)
    raise ValueError(f"no differentiation rule for {expr!r}")


def _derive_mul(expr: sympy.Expr, var: sympy.Symbol) -> RuleNode:
    const, dep = expr.as_independent(var, as_Add=False)
    split = _log_base_split(const, dep)
    if split is not None:
        rest, inv_log_b = split
        log_node = _derive_log_base(dep * inv_log_b, dep.args[0], inv_log_b, var)
        if rest == 1:
            return log_node
        return RuleNode("constant_multiple", expr, rest * log_node.derivative, (log_node,), None)
    if const != 1:
        kid = derive(dep, var)
        return RuleNode("constant_multiple", expr, const * kid.derivative, (kid,))
    num: list[sympy.Expr] = []
    den: list[sympy.Expr] = []
    for f in expr.args:
        if f.is_Pow and f.exp.is_number and f.exp.is_negative and f.base.has(var):
            den.append(f.base ** (-f.exp))
        else:
            num.append(f)
    if den and not num:
        # 1/(g*h): the reciprocal of one inner function, i.e. a chain with outer 1/u
        bottom = sympy.Mul(*den)
        u = _fresh_symbol(expr, var)
        return _chain("power", expr, bottom, 1 / u, -1 / u**2, u, var)
    if den:
        top, bottom = sympy.Mul(*num), sympy.Mul(*den)
        nt, nb = derive(top, var), derive(bottom, var)
        derivative = (nt.derivative * bottom - top * nb.derivative) / bottom**2
        return RuleNode("quotient", expr, derivative, (nt, nb))
    kids = tuple(derive(f, var) for f in expr.args)
    terms = []
    for i, k in enumerate(kids):
        others = [f for j, f in enumerate(expr.args) if j != i]
        terms.append(sympy.Mul(k.derivative, *others))
    return RuleNode("product", expr, sympy.Add(*terms), kids)


def _derive_log_base(
    expr: sympy.Expr, arg: sympy.Expr, inv_log_b: sympy.Expr, var: sympy.Symbol
) -> RuleNode:
    if arg == var:
        return RuleNode("log_base", expr, inv_log_b / var, ())
    u = _fresh_symbol(expr, var)
    return _chain("log_base", expr, arg, sympy.log(u) * inv_log_b, inv_log_b / u, u, var)


def _derive_pow(expr: sympy.Expr, var: sympy.Symbol) -> RuleNode:
    base, exponent = expr.args
    base_dep, exp_dep = base.has(var), exponent.has(var)
    if base_dep and not exp_dep:
        if base == var:
            return RuleNode("power", expr, exponent * var ** (exponent - 1), ())
        u = _fresh_symbol(expr, var)
        return _chain("power", expr, base, u**exponent, exponent * u ** (exponent - 1), u, var)
    if exp_dep and not base_dep:
        if exponent == var:
            return RuleNode("exp_base", expr, expr * sympy.log(base), ())
        u = _fresh_symbol(expr, var)
        return _chain("exp_base", expr, exponent, base**u, base**u * sympy.log(base), u, var)
    # f(x)**g(x): ln y = g ln f, so y'/y = d/dx[g ln f].
    kid = derive(exponent * sympy.log(base), var)
    return RuleNode("log_diff", expr, expr * kid.derivative, (kid,))


# --------------------------------------------------------------------------- tree helpers


def iter_nodes(node: RuleNode) -> Iterator[RuleNode]:
    """Every node of the tree, parents before children."""
    yield node
    for kid in node.children:
        yield from iter_nodes(kid)


def rules_used(node: RuleNode) -> set[str]:
    """The set of rule codes anywhere in the tree (generators check the practised rule is there)."""
    return {n.rule for n in iter_nodes(node)}
