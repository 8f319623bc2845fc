"""Worked solutions: one line per rule of the tree, as a tutor would write them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

from bot.math.derivation import RuleNode
from bot.math.printing import (
    bracket,
    d_latex,
    d_text,
    expr_latex,
    expr_text,
    factor_latex,
    factor_text,
    frac,
    join_terms,
    paren,
)

__all__ = ["MAX_STEPS", "TITLES", "Step", "result_step", "rule_steps", "steps"]

TITLES = {
    "constant": "Constant rule",
    "identity": "Identity rule",
    "constant_multiple": "Constant multiple rule",
    "sum": "Sum rule",
    "power": "Power rule",
    "product": "Product rule",
    "quotient": "Quotient rule",
    "chain": "Chain rule",
    "trig": "Trig derivative",
    "inverse_trig": "Inverse trig derivative",
    "hyperbolic": "Hyperbolic derivative",
    "exp": "Exponential rule",
    "exp_base": "Exponential rule (base a)",
    "log": "Logarithm rule",
    "log_base": "Logarithm rule (base b)",
    "abs": "Absolute value rule",
    "log_diff": "Logarithmic differentiation",
    "result": "Result",
    "evaluate": "Evaluate at the point",
    "point_slope": "Point-slope form",
}


MAX_STEPS = 12


@dataclass(frozen=True)
class Step:
    """One line of a worked solution, in LaTeX for the renderer and plain text for chat."""

    rule: str
    title: str
    latex: str
    text: str


_FUNC_NAMES = {
    "trig": "trig function",
    "inverse_trig": "inverse trig function",
    "hyperbolic": "hyperbolic function",
}


def _is_leaf(node: RuleNode) -> bool:
    """A basic-table derivative with nothing inside it (x^n, sin x, e^x, ...)."""
    return not node.children and node.rule not in ("chain", "sum", "product", "quotient")


def _trivial(node: RuleNode) -> bool:
    """Constants, x itself and linear pieces like 3x - 1: a tutor writes their derivative inline."""
    if node.rule in ("constant", "identity"):
        return True
    return bool(node.derivative.is_number) and node.rule in ("sum", "constant_multiple")


def _leaf_title(node: RuleNode) -> str:
    if node.rule in _FUNC_NAMES:
        return f"Derivative of {type(node.expr).__name__}"
    return TITLES[node.rule]


def _step(rule: str, title: str, latex: str, text: str) -> Step:
    return Step(rule, title, latex, text)


def _node_step(node: RuleNode, var: sympy.Symbol) -> Step:
    """The single line that shows this node's rule with its actual pieces."""
    if node.rule == "power" and not node.children:
        return _power_step(node, var)
    shown = _STEPS.get(node.rule)
    if shown is not None:
        return shown(node, var)
    title = _leaf_title(node)
    lhs_l, lhs_t = d_latex(var, node.expr), d_text(var, node.expr)
    res_l, res_t = expr_latex(node.derivative), expr_text(node.derivative)
    return _step(node.rule, title, f"{lhs_l} = {res_l}", f"{title}: {lhs_t} = {res_t}")


def _line(node: RuleNode, var: sympy.Symbol, mid_l: str, mid_t: str, title: str = "") -> Step:
    """d/dx[f] = middle = f' in LaTeX, "Title: d/dx f = middle = f'" in text."""
    title = title or TITLES[node.rule]
    lhs_l, lhs_t = d_latex(var, node.expr), d_text(var, node.expr)
    return _step(
        node.rule,
        title,
        f"{lhs_l} = {mid_l} = {expr_latex(node.derivative)}",
        f"{title}: {lhs_t} = {mid_t} = {expr_text(node.derivative)}",
    )


def _power_step(node: RuleNode, var: sympy.Symbol) -> Step:
    n = node.expr.args[1]
    mid_l = factor_latex(n) + r" \cdot " + expr_latex(var) + "^{" + expr_latex(n) + " - 1}"
    title = TITLES[node.rule]
    return _step(
        node.rule,
        title,
        f"{d_latex(var, node.expr)} = {mid_l} = {expr_latex(node.derivative)}",
        f"{title}: {d_text(var, node.expr)} = {expr_text(n)}·{var}^({expr_text(n)} - 1)"
        f" = {expr_text(node.derivative)}",
    )


def _sum_step(node: RuleNode, var: sympy.Symbol) -> Step:
    parts_l, parts_t, derivs = [], [], []
    for k in node.children:
        neg = k.expr.could_extract_minus_sign()
        term = -k.expr if neg else k.expr
        parts_l.append((d_latex(var, term), neg))
        parts_t.append((d_text(var, term), neg))
        if k.derivative != 0:
            kd_neg = k.derivative.could_extract_minus_sign()
            derivs.append((expr_latex(-k.derivative if kd_neg else k.derivative), kd_neg))
    combined = join_terms(derivs) if derivs else "0"
    title = TITLES[node.rule]
    return _step(
        node.rule,
        title,
        f"{d_latex(var, node.expr)} = {join_terms(parts_l)} = {combined}",
        f"{title}: {d_text(var, node.expr)} = {join_terms(parts_t)} = {expr_text(node.derivative)}",
    )


def _constant_multiple_step(node: RuleNode, var: sympy.Symbol) -> Step:
    (kid,) = node.children
    c = sympy.Mul(*[f for f in sympy.Mul.make_args(node.expr) if not f.has(var)])
    c_l = "-" if c == -1 else factor_latex(c) + r" \cdot "
    c_t = "-" if c == -1 else factor_text(c) + "·"
    title = TITLES[node.rule]
    mid_l = f"{c_l}{d_latex(var, kid.expr)}"
    if kid.rule != "identity" and _is_leaf(kid):
        # inline the basic derivative: c * d/dx[h] = c * h'
        title = f"{title} with {_leaf_title(kid).lower()}"
        if c != -1:
            mid_l += f" = {c_l}{factor_latex(kid.derivative)}"
    return _line(node, var, mid_l, f"{c_t}{d_text(var, kid.expr)}", title)


def _product_step(node: RuleNode, var: sympy.Symbol) -> Step:
    factors = [k.expr for k in node.children]
    terms_l, terms_t = [], []
    for i, k in enumerate(node.children):
        pieces = [k.derivative if j == i else f for j, f in enumerate(factors)]
        pieces = [p for p in pieces if p != 1] or [sympy.Integer(1)]
        terms_l.append(r" \cdot ".join(factor_latex(p) for p in pieces))
        terms_t.append("·".join(factor_text(p) for p in pieces))
    return _line(node, var, " + ".join(terms_l), " + ".join(terms_t))


def _quotient_step(node: RuleNode, var: sympy.Symbol) -> Step:
    top, bottom = node.children
    g = bottom.expr
    g2_l = (expr_latex(g) if g.is_Symbol else paren(expr_latex(g))) + "^{2}"
    num_l = (
        factor_latex(top.derivative)
        + r" \cdot "
        + factor_latex(g)
        + " - "
        + factor_latex(top.expr)
        + r" \cdot "
        + factor_latex(bottom.derivative)
    )
    g2_t = (expr_text(g) if g.is_Symbol else f"({expr_text(g)})") + "^2"
    num_t = (
        f"{factor_text(top.derivative)}·{factor_text(g)}"
        f" - {factor_text(top.expr)}·{factor_text(bottom.derivative)}"
    )
    title = TITLES[node.rule]
    return _step(
        node.rule,
        title,
        d_latex(var, node.expr) + " = " + frac(num_l, g2_l),
        f"{title}: {d_text(var, node.expr)} = ({num_t})/{g2_t}",
    )


def _chain_step(node: RuleNode, var: sympy.Symbol) -> Step:
    outer, inner = node.children
    u = next(iter(outer.expr.free_symbols - node.expr.free_symbols), None)
    outer_at = outer.derivative.subs(u, node.inner) if u is not None else outer.derivative
    mid_l = factor_latex(outer_at) + r" \cdot " + d_latex(var, node.inner)
    if inner.derivative == 1:
        end_l, end_t = expr_latex(outer_at), expr_text(outer_at)
    else:
        end_l = factor_latex(outer_at) + r" \cdot " + factor_latex(inner.derivative)
        end_t = factor_text(outer_at) + "·" + factor_text(inner.derivative)
    outer_t = f"{expr_text(outer.expr)} -> {expr_text(outer.derivative)}"
    return _step(
        node.rule,
        TITLES[node.rule],
        f"{d_latex(var, node.expr)} = {mid_l} = {end_l}",
        f"Chain rule with u = {expr_text(node.inner)} (outer {outer_t}): "
        f"{d_text(var, node.expr)} = {end_t}",
    )


def _log_diff_step(node: RuleNode, var: sympy.Symbol) -> Step:
    (kid,) = node.children
    e, ln_y = node.expr, kid.expr
    then = r" \Rightarrow "
    latex = (
        f"y = {expr_latex(e)}{then}"
        rf"\ln y = {expr_latex(ln_y)}{then}"
        rf"\frac{{y'}}{{y}} = {d_latex(var, ln_y)} = {expr_latex(kid.derivative)}{then}"
        rf"y' = {factor_latex(e)} \cdot {factor_latex(kid.derivative)}"
    )
    text = (
        f"{TITLES[node.rule]}: y = {expr_text(e)}, ln y = {expr_text(ln_y)}, "
        f"y'/y = {expr_text(kid.derivative)}, "
        f"so y' = {factor_text(e)}·{factor_text(kid.derivative)}"
    )
    return _step(node.rule, TITLES[node.rule], latex, text)


_STEPS: dict[str, Callable[[RuleNode, sympy.Symbol], Step]] = {
    "sum": _sum_step,
    "constant_multiple": _constant_multiple_step,
    "product": _product_step,
    "quotient": _quotient_step,
    "chain": _chain_step,
    "log_diff": _log_diff_step,
}


def _collect(node: RuleNode, var: sympy.Symbol, depth: int, out: list[tuple[int, Step]]) -> None:
    if _trivial(node) and depth > 0:
        return
    out.append((depth, _node_step(node, var)))
    if node.rule == "chain":
        kids: tuple[RuleNode, ...] = (node.children[1],)
    elif node.rule == "constant_multiple" and _is_leaf(node.children[0]):
        kids = ()  # already inlined into this node's line
    else:
        kids = node.children
    if node.rule == "sum" and depth > 0 and all(_is_simple_term(k) for k in kids):
        kids = ()  # an inner polynomial like x^2 + 1: its line already shows each term
    for kid in kids:
        if _trivial(kid):
            continue
        _collect(kid, var, depth + 1, out)


def _is_simple_term(node: RuleNode) -> bool:
    if _trivial(node) or _is_leaf(node):
        return True
    return node.rule == "constant_multiple" and _is_leaf(node.children[0])


def _dedupe(lines: list[tuple[int, Step]]) -> list[tuple[int, Step]]:
    seen: set[str] = set()
    out = []
    for depth, step in lines:
        if step.latex not in seen:
            seen.add(step.latex)
            out.append((depth, step))
    return out


def rule_steps(node: RuleNode, var: sympy.Symbol, budget: int = MAX_STEPS - 1) -> list[Step]:
    """The rule lines of a solution, outer rule first, shallowest levels kept when over budget."""
    lines: list[tuple[int, Step]] = []
    _collect(node, var, 0, lines)
    lines = _dedupe(lines)
    if len(lines) > budget:
        max_depth = max(d for d, _ in lines)
        while max_depth > 0 and sum(1 for d, _ in lines if d <= max_depth) > budget:
            max_depth -= 1
        lines = [(d, s) for d, s in lines if d <= max_depth][: max(budget, 1)]
    return [s for _, s in lines]


def result_step(expr: sympy.Expr, var: sympy.Symbol, result: sympy.Expr, *, order: int = 1) -> Step:
    """The closing line: the derivative of `expr` written as `result`."""
    v = expr_latex(var)
    if order == 1:
        lhs_l = d_latex(var, expr)
        lhs_t = f"f'({var})"
    else:
        lhs_l = frac(f"d^{{{order}}}", f"d{v}^{{{order}}}") + bracket(expr_latex(expr))
        lhs_t = f"f{chr(39) * order}({var})" if order <= 3 else f"f^({order})({var})"
    return Step(
        "result",
        TITLES["result"],
        f"{lhs_l} = {expr_latex(result)}",
        f"Result: {lhs_t} = {expr_text(result)}",
    )


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """Simplify only small expressions: simplify can take seconds on big ones."""
    if sympy.count_ops(expr) > 40:
        return expr
    simpler = sympy.simplify(expr)
    return simpler if sympy.count_ops(simpler) < sympy.count_ops(expr) else expr


def steps(
    node: RuleNode,
    var: sympy.Symbol,
    *,
    result: sympy.Expr | None = None,
    max_steps: int = MAX_STEPS,
) -> list[Step]:
    """A worked solution: the rule lines, then the simplified derivative (`result` if given).

    Pass `result` to end on a specific form of the derivative (e.g. exactly sympy.diff's).
    """
    final = _tidy(node.derivative) if result is None else result
    body = rule_steps(node, var, budget=max(max_steps - 1, 1))
    return [*body, result_step(node.expr, var, final)]
