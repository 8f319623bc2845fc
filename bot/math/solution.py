"""Worked solutions in the order a teacher writes them: name the rule, work out the pieces,
assemble, simplify.

The first line names the outer rule with the pieces still to be found (`d/dx[u]·v + u·d/dx[v]`),
then each piece is worked out, innermost first, and the last line puts the pieces in and
simplifies. Only that last line states the whole derivative, so a hint or a partial solution
can show any earlier line without giving the answer away. A constant factor is never a line of
its own: it is carried by the line that needs it (`3·d/dx[sin 2x]` in a sum, `-2·8x^7` in the
result), so there is no "constant multiple rule" line followed by the same derivative again.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from bot.math.derivation import RuleNode, iter_nodes
from bot.math.equivalence import compare, roughly
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

__all__ = [
    "MAX_STEPS",
    "TITLES",
    "Step",
    "constant_and_core",
    "result_step",
    "rule_steps",
    "shown_pieces",
    "steps",
]

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

_COMPOSITE = frozenset({"sum", "product", "quotient", "chain", "log_diff"})
_FUNC_NAMES = frozenset({"trig", "inverse_trig", "hyperbolic"})


@dataclass(frozen=True)
class Step:
    """One line of a worked solution, in LaTeX for the renderer and plain text for chat.

    `of` is the expression the line differentiates (None for closing lines: the result, a
    value at a point, the tangent line), so callers can tell which piece a line works out."""

    rule: str
    title: str
    latex: str
    text: str
    of: sympy.Expr | None = None


@dataclass(frozen=True)
class _Math:
    """The same formula twice: LaTeX for the picture, text for chat."""

    latex: str
    text: str


# --------------------------------------------------------------------------- shapes


def constant_and_core(node: RuleNode) -> tuple[sympy.Expr, RuleNode]:
    """`c·g` as (c, g's node); (1, node) when there is no constant factor to take out.

    An added constant is dropped too: tan²x + 1 is differentiated as tan²x, so its one live
    term is not a piece whose derivative is already the whole answer."""
    if node.rule == "sum":
        live = [k for k in node.children if k.rule != "constant"]
        if len(live) == 1:
            return constant_and_core(live[0])
    if node.rule == "constant_multiple":
        (kid,) = node.children
        return sympy.simplify(node.expr / kid.expr), kid
    return sympy.Integer(1), node


def _trivial(node: RuleNode) -> bool:
    """Constants, x itself and linear pieces like 3x - 1: a tutor writes their derivative inline."""
    if node.rule in ("constant", "identity"):
        return True
    return bool(node.derivative.is_number) and node.rule in ("sum", "constant_multiple")


def _is_leaf(node: RuleNode) -> bool:
    """A basic-table derivative with nothing inside it (x^n, sin x, e^x, ...)."""
    return not node.children and node.rule not in _COMPOSITE


def _simple(node: RuleNode) -> bool:
    """A term a tutor differentiates at sight: trivial, a table entry, or c times one."""
    core = constant_and_core(node)[1]
    return _trivial(node) or _is_leaf(core)


def _simple_sum(node: RuleNode) -> bool:
    """An inner polynomial like x^2 + 1: one line shows every term's derivative."""
    return node.rule == "sum" and all(_simple(k) for k in node.children)


def leaf_title(node: RuleNode) -> str:
    """ "Derivative of tan", "Power rule", ...: the table entry a leaf comes from."""
    if node.rule in _FUNC_NAMES:
        return f"Derivative of {type(node.expr).__name__}"
    return TITLES[node.rule]


def rule_title(node: RuleNode) -> str:
    """The title of the line that works `node` out (its constant factor, if any, included)."""
    c, core = constant_and_core(node)
    title = leaf_title(core) if _is_leaf(core) else TITLES[core.rule]
    if c == 1 or not _is_leaf(core):
        return title  # a composite rule's line carries the constant in its formula
    return f"{TITLES['constant_multiple']} with {title[0].lower()}{title[1:]}"


def _times(c: sympy.Expr, body: _Math, *, group: bool = False) -> _Math:
    """c·body, written -body for c = -1 and bracketed when body is a sum."""
    if c == 1:
        return body
    if group:
        body = _Math(paren(body.latex), f"({body.text})")
    if c == -1:
        return _Math("-" + body.latex, "-" + body.text)
    return _Math(factor_latex(c) + r" \cdot " + body.latex, factor_text(c) + "·" + body.text)


def _d(var: sympy.Symbol, expr: sympy.Expr) -> _Math:
    return _Math(d_latex(var, expr), d_text(var, expr))


def _value(expr: sympy.Expr) -> _Math:
    return _Math(factor_latex(expr), factor_text(expr))


# --------------------------------------------------------------------------- formulas


def _sum_terms(node: RuleNode, var: sympy.Symbol, *, filled: bool) -> _Math:
    """c1·d/dx[g1] + c2·d/dx[g2] ... (`filled`: each d/dx[g] replaced by its derivative)."""
    terms_l, terms_t = [], []
    for kid in node.children:
        c, core = constant_and_core(kid)
        body: _Math | None
        if not filled:
            body = _d(var, core.expr)
        elif kid.derivative == 0:
            continue
        elif _trivial(kid):
            c, body = kid.derivative, None
        elif c == 1:
            c, body = _signed(core.derivative)
        else:
            body = _value(core.derivative)
        neg = c.could_extract_minus_sign()
        c = -c if neg else c
        shown = _Math(expr_latex(c), expr_text(c)) if body is None else _times(c, body)
        terms_l.append((shown.latex, neg))
        terms_t.append((shown.text, neg))
    if not terms_l:
        return _Math("0", "0")
    return _Math(join_terms(terms_l), join_terms(terms_t))


def _signed(expr: sympy.Expr) -> tuple[sympy.Expr, _Math]:
    """A term of a sum as (sign, body): -sin x is (-1, sin x), so it is written a - sin x."""
    if expr.could_extract_minus_sign():
        return sympy.Integer(-1), _value(-expr)
    return sympy.Integer(1), _value(expr)


def _product_terms(node: RuleNode, var: sympy.Symbol, *, filled: bool) -> _Math:
    factors = [k.expr for k in node.children]
    terms_l, terms_t = [], []
    for i, k in enumerate(node.children):
        d = _value(k.derivative) if filled else _d(var, k.expr)
        pieces = [d if j == i else _value(f) for j, f in enumerate(factors)]
        if filled and k.derivative == 1:
            pieces = [p for j, p in enumerate(pieces) if j != i] or [d]
        terms_l.append(r" \cdot ".join(p.latex for p in pieces))
        terms_t.append("·".join(p.text for p in pieces))
    return _Math(" + ".join(terms_l), " + ".join(terms_t))


def _quotient_terms(node: RuleNode, var: sympy.Symbol, *, filled: bool) -> _Math:
    top, bottom = node.children
    g = bottom.expr
    du = _value(top.derivative) if filled else _d(var, top.expr)
    dv = _value(bottom.derivative) if filled else _d(var, g)
    u, v = _value(top.expr), _value(g)
    num_l = f"{du.latex} \\cdot {v.latex} - {u.latex} \\cdot {dv.latex}"
    num_t = f"{du.text}·{v.text} - {u.text}·{dv.text}"
    g2_l = (expr_latex(g) if g.is_Symbol else paren(expr_latex(g))) + "^{2}"
    g2_t = (expr_text(g) if g.is_Symbol else f"({expr_text(g)})") + "^2"
    return _Math(frac(num_l, g2_l), f"({num_t})/{g2_t}")


def _outer_at(node: RuleNode) -> sympy.Expr:
    """F'(g): the outer derivative with the inner function put back for u."""
    outer = node.children[0]
    u = next(iter(outer.expr.free_symbols - node.expr.free_symbols), None)
    return outer.derivative.subs(u, node.inner) if u is not None else outer.derivative


def _chain_terms(node: RuleNode, var: sympy.Symbol, *, filled: bool) -> _Math:
    inner = node.children[1]
    outer = _value(_outer_at(node))
    if not filled:
        d = _d(var, inner.expr)
    elif inner.derivative == 1:
        return outer
    else:
        d = _value(inner.derivative)
    return _Math(f"{outer.latex} \\cdot {d.latex}", f"{outer.text}·{d.text}")


def _log_diff_terms(node: RuleNode, var: sympy.Symbol, *, filled: bool) -> _Math:
    (kid,) = node.children
    d = (
        _value(kid.derivative)
        if filled
        else _Math(bracket(d_latex(var, kid.expr)), f"({d_text(var, kid.expr)})")
    )
    y = _value(node.expr)
    return _Math(f"{y.latex} \\cdot {d.latex}", f"{y.text}·{d.text}")


def _leaf_terms(node: RuleNode, var: sympy.Symbol, *, filled: bool) -> _Math:
    if node.rule == "power" and filled:
        n = node.expr.args[1]
        latex = factor_latex(n) + r" \cdot " + expr_latex(var) + "^{" + expr_latex(n) + " - 1}"
        return _Math(latex, f"{factor_text(n)}·{var}^({expr_text(n)} - 1)")
    return _value(node.derivative) if filled else _d(var, node.expr)


_TERMS = {
    "sum": _sum_terms,
    "product": _product_terms,
    "quotient": _quotient_terms,
    "chain": _chain_terms,
    "log_diff": _log_diff_terms,
}


def formula(node: RuleNode, var: sympy.Symbol, *, filled: bool) -> _Math:
    """The rule applied to `node`: with the pieces as d/dx[...] still to be found, or (`filled`)
    with their derivatives put in, unsimplified. A constant factor stays in front."""
    c, core = constant_and_core(node)
    if filled and c != 1 and _is_leaf(core):
        return _times(c, _value(core.derivative))
    build = _TERMS.get(core.rule, _leaf_terms)
    return _times(c, build(core, var, filled=filled), group=core.rule in ("sum", "product"))


# --------------------------------------------------------------------------- lines


def _eq(*parts: _Math) -> _Math:
    """a = b = c, dropping a part that reads the same as the one before it."""
    kept: list[_Math] = []
    for p in parts:
        if kept and _bare(p.text) == _bare(kept[-1].text):
            kept[-1] = p  # the same form twice: keep the later, unbracketed one
        else:
            kept.append(p)
    return _Math(" = ".join(p.latex for p in kept), " = ".join(p.text for p in kept))


def _bare(text: str) -> str:
    """Text without one pair of brackets around the whole of it, for comparing forms."""
    text = text.replace(" ", "")
    if text.startswith("(") and text.endswith(")"):
        return text[1:-1]
    return text


def _naming_step(node: RuleNode, var: sympy.Symbol) -> Step:
    """The first line: which rule, applied to what, with the pieces still to be found."""
    c, core = constant_and_core(node)
    title = rule_title(node)
    if _is_leaf(core) and c == 1 and core.rule == "power":
        # the rule in general: its n is put in by the last line (at x = 1, n is f'(1) itself)
        shown = _Math(
            d_latex(var, var ** sympy.Symbol("n")) + " = n " + expr_latex(var) + "^{n - 1}",
            f"d/d{var} ({var}^n) = n·{var}^(n - 1)",
        )
    elif _is_leaf(core) and c == 1:
        shown = _Math(d_latex(var, core.expr), f"{d_text(var, core.expr)}, from the table")
    else:
        shown = _eq(_d(var, node.expr), formula(node, var, filled=False))
    return Step(
        node.rule, title, shown.latex, f"{title}{_with(core, var)}: {shown.text}", node.expr
    )


def _with(core: RuleNode, var: sympy.Symbol) -> str:
    """What the text of a naming line adds: the chain's u and outer function, ln y."""
    if core.rule == "chain":
        outer = core.children[0]
        u = expr_text(core.inner)
        return f" with u = {u} (outer {expr_text(outer.expr)} -> {expr_text(outer.derivative)})"
    if core.rule == "log_diff":
        return f" with ln y = {expr_text(core.children[0].expr)}"
    return ""


def _piece_step(node: RuleNode, var: sympy.Symbol) -> Step:
    """A piece worked out in one line: d/dx[g] = the rule filled in = g'."""
    title = rule_title(node)
    c, core = constant_and_core(node)
    if _simple_sum(core):
        middle = _sum_terms(core, var, filled=True)
        middle = _times(c, middle, group=True)
    elif _is_leaf(core) and core.rule != "power":
        middle = _times(c, _d(var, core.expr))
    else:
        middle = formula(node, var, filled=True)
    result = _Math(expr_latex(node.derivative), expr_text(node.derivative))
    shown = _eq(_d(var, node.expr), middle, result)
    rule = core.rule if c == 1 else node.rule
    return Step(rule, title, shown.latex, f"{title}: {shown.text}", node.expr)


def _kids(node: RuleNode) -> tuple[RuleNode, ...]:
    """The pieces a node's rule needs: a sum's terms without their constants, a chain's inner
    function, the factors of a product or quotient, ln y of logarithmic differentiation."""
    core = constant_and_core(node)[1]
    if core.rule == "chain":
        return (core.children[1],)
    if core.rule == "sum":
        return tuple(constant_and_core(k)[1] for k in core.children)
    if core.rule in _COMPOSITE:
        return core.children
    return (core,) if core is not node else ()


def _collect(node: RuleNode, var: sympy.Symbol, depth: int, out: list[tuple[int, Step]]) -> None:
    """The pieces below `node`, innermost first: each piece's own pieces, then its line."""
    for kid in _kids(node):
        if _trivial(kid):
            continue
        core = constant_and_core(kid)[1]
        if core.rule in _COMPOSITE and not _simple_sum(core):
            _collect(kid, var, depth + 1, out)
        out.append((depth + 1, _piece_step(kid, var)))


def shown_pieces(node: RuleNode, var: sympy.Symbol) -> list[RuleNode]:
    """The nodes whose derivatives the solution works out before its last line."""
    lines: list[tuple[int, Step]] = []
    _collect(node, var, 0, lines)
    return [p for p in iter_nodes(node) if any(s.of == p.expr for _, s in lines)]


def _dedupe(lines: list[tuple[int, Step]]) -> list[tuple[int, Step]]:
    """Each piece once: the same line, or the same function written another way ((4w + 3)^2
    and (-4w - 3)^2 in one loss), is worked out the first time only."""
    seen: set[str] = set()
    worked: list[sympy.Expr] = []
    out = []
    for depth, step in lines:
        if step.latex in seen or (depth > 0 and _same_as_any(step.of, worked)):
            continue
        seen.add(step.latex)
        if depth > 0 and step.of is not None:
            worked.append(step.of)
        out.append((depth, step))
    return out


def _same_as_any(expr: sympy.Expr | None, others: list[sympy.Expr]) -> bool:
    if expr is None:
        return False
    symbols = expr.free_symbols
    if len(symbols) != 1:
        return False
    (var,) = symbols
    for other in others:
        if other.free_symbols != symbols:
            continue
        if sympy.expand(other - expr) == 0:
            return True
        # 1 - 1/(e^w + 1) and 1/(1 + e^-w): the same function, written another way
        if roughly(other, expr, var, rtol=1e-12) and compare(other, expr, var).equal:
            return True
    return False


def rule_steps(node: RuleNode, var: sympy.Symbol, budget: int = MAX_STEPS - 1) -> list[Step]:
    """Every line before the result: the rule named, then the pieces, innermost first; over
    budget, the deepest pieces go (their derivatives still show in the line that uses them)."""
    if _trivial(node):
        return []
    lines: list[tuple[int, Step]] = [(0, _naming_step(node, var))]
    pieces: list[tuple[int, Step]] = []
    _collect(node, var, 0, pieces)
    lines = _dedupe(lines + pieces)
    if len(lines) > budget:
        max_depth = max(d for d, _ in lines)
        while max_depth > 0 and sum(1 for d, _ in lines if d <= max_depth) > budget:
            max_depth -= 1
        lines = [(d, s) for d, s in lines if d <= max_depth][: max(budget, 1)]
    return [s for _, s in lines]


def _lhs(expr: sympy.Expr, var: sympy.Symbol, order: int) -> _Math:
    v = expr_latex(var)
    if order == 1:
        return _Math(d_latex(var, expr), f"f'({var})")
    latex = frac(f"d^{{{order}}}", f"d{v}^{{{order}}}") + bracket(expr_latex(expr))
    return _Math(latex, f"f{chr(39) * order}({var})" if order <= 3 else f"f^({order})({var})")


def result_step(expr: sympy.Expr, var: sympy.Symbol, result: sympy.Expr, *, order: int = 1) -> Step:
    """The closing line: the derivative of `expr` written as `result`."""
    lhs = _lhs(expr, var, order)
    return Step(
        "result",
        TITLES["result"],
        f"{lhs.latex} = {expr_latex(result)}",
        f"Result: {lhs.text} = {expr_text(result)}",
    )


def _final_step(
    node: RuleNode, var: sympy.Symbol, result: sympy.Expr, order: int, of: sympy.Expr
) -> Step:
    """The last line: the pieces put into the rule, then simplified to `result`."""
    lhs = _lhs(of, var, order)
    final = _Math(expr_latex(result), expr_text(result))
    filled = [] if _trivial(node) else [formula(node, var, filled=True)]
    shown = _eq(lhs, *filled, final)
    return Step("result", TITLES["result"], shown.latex, f"Result: {shown.text}")


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
    order: int = 1,
    of: sympy.Expr | None = None,
) -> list[Step]:
    """A worked solution: the rule named, the pieces, then the pieces assembled and simplified
    to the derivative (`result` if given, e.g. exactly sympy.diff's) in the last line alone.

    `order` and `of` title the last line as a higher derivative of `of` (f'' of f, say) when
    `node` is the tree of a lower one."""
    final = _tidy(node.derivative) if result is None else result
    body = rule_steps(node, var, budget=max(max_steps - 1, 1))
    return [*body, _final_step(node, var, final, order, node.expr if of is None else of)]
