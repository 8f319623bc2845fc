"""Tutor-style differentiation: a tree of the rules applied, and a worked solution from it.

`sympy.diff` gives the answer but not the reasoning; a student learns from seeing which rule fired
where (chain rule with inner g, product rule, ...).  `derive` rebuilds the derivative rule by rule
so the tree can be turned into steps, and its root derivative always equals `sympy.diff`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

__all__ = [
    "RULES",
    "TITLES",
    "RuleNode",
    "Step",
    "bracket",
    "derive",
    "expr_latex",
    "expr_text",
    "frac",
    "iter_nodes",
    "paren",
    "result_step",
    "rule_steps",
    "rules_used",
    "steps",
]

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

MAX_STEPS = 12


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


@dataclass(frozen=True)
class Step:
    """One line of a worked solution, in LaTeX for the renderer and plain text for chat."""

    rule: str
    title: str
    latex: str
    text: str


# --------------------------------------------------------------------------- printing


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


class _Latex(LatexPrinter):
    def _print_Mul(self, expr: sympy.Expr) -> str:
        folded = _fold_log_base(expr)
        if folded is not None:
            return self._print(folded)
        return super()._print_Mul(expr)

    def _print__LogBase(self, expr: sympy.Expr) -> str:
        arg, base = expr.args
        return r"\log_{" + self._print(base) + "}" + _braced_paren(self._print(arg))


class _Text(StrPrinter):
    def _print_Mul(self, expr: sympy.Expr) -> str:
        folded = _fold_log_base(expr)
        if folded is not None:
            return self._print(folded)
        return super()._print_Mul(expr)

    def _print__LogBase(self, expr: sympy.Expr) -> str:
        arg, base = expr.args
        return f"log({self._print(arg)}, {self._print(base)})"


_LATEX = _Latex({"ln_notation": True})
_TEXT = _Text()


@functools.lru_cache(maxsize=8192)
def expr_latex(expr: sympy.Expr) -> str:
    """LaTeX that matplotlib mathtext can draw; ln for natural log and log_b for other bases."""
    return _LATEX.doprint(expr)


@functools.lru_cache(maxsize=8192)
def expr_text(expr: sympy.Expr) -> str:
    """A plain one-line form a student could type back (^ for powers, log(g, b) for bases)."""
    return _TEXT.doprint(expr).replace("**", "^")


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


def _dl(var: sympy.Symbol, expr: sympy.Expr) -> str:
    return _d(var, expr_latex(expr))


def _dt(var: sympy.Symbol, expr: sympy.Expr) -> str:
    body = expr_text(expr)
    if expr.is_Add or expr.is_Mul or expr.is_Pow or expr.could_extract_minus_sign():
        body = f"({body})"  # `d/dx (x^2 + 7)`, never `d/dx x^2 + 7`
    return f"d/d{var} {body}"


def _needs_paren(expr: sympy.Expr) -> bool:
    return expr.is_Add or (expr.could_extract_minus_sign() and not expr.is_Number)


def _pl(expr: sympy.Expr) -> str:
    """LaTeX wrapped in parentheses when it would be ambiguous as a factor."""
    body = expr_latex(expr)
    if _needs_paren(expr) or (expr.is_Number and expr < 0):
        return paren(body)
    return body


def _pt(expr: sympy.Expr) -> str:
    body = expr_text(expr)
    if _needs_paren(expr) or (expr.is_Number and expr < 0):
        return f"({body})"
    return body


def _join_terms(latex_terms: list[tuple[str, bool]]) -> str:
    """Join (latex, negative) pairs into a sum, writing a - b rather than a + -b."""
    out = ""
    for i, (body, negative) in enumerate(latex_terms):
        if i == 0:
            out = ("- " if negative else "") + body
        else:
            out += (" - " if negative else " + ") + body
    return out


# --------------------------------------------------------------------------- derive


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


# --------------------------------------------------------------------------- steps

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
    e, d, rule = node.expr, node.derivative, node.rule
    lhs_l, lhs_t = _dl(var, e), _dt(var, e)
    res_l, res_t = expr_latex(d), expr_text(d)
    if rule == "power" and not node.children:
        n = e.args[1]
        mid = _pl(n) + r" \cdot " + expr_latex(var) + "^{" + expr_latex(n) + " - 1}"
        return _step(
            rule,
            TITLES[rule],
            f"{lhs_l} = {mid} = {res_l}",
            f"{TITLES[rule]}: {lhs_t} = {expr_text(n)}·{var}^({expr_text(n)} - 1) = {res_t}",
        )
    if rule == "sum":
        parts_l = []
        parts_t = []
        derivs = []
        for k in node.children:
            neg = k.expr.could_extract_minus_sign()
            term = -k.expr if neg else k.expr
            parts_l.append((_dl(var, term), neg))
            parts_t.append((_dt(var, term), neg))
            if k.derivative != 0:
                kd_neg = k.derivative.could_extract_minus_sign()
                derivs.append((expr_latex(-k.derivative if kd_neg else k.derivative), kd_neg))
        mid_l = _join_terms(parts_l)
        mid_t = _join_terms(parts_t)
        combined = _join_terms(derivs) if derivs else "0"
        return _step(
            rule,
            TITLES[rule],
            f"{lhs_l} = {mid_l} = {combined}",
            f"{TITLES[rule]}: {lhs_t} = {mid_t} = {res_t}",
        )
    if rule == "constant_multiple":
        (kid,) = node.children
        c = sympy.Mul(*[f for f in sympy.Mul.make_args(e) if not f.has(var)])
        c_l = "-" if c == -1 else _pl(c) + r" \cdot "
        c_t = "-" if c == -1 else _pt(c) + "·"
        title = TITLES[rule]
        if kid.rule == "identity":
            mid_l = f"{c_l}{_dl(var, kid.expr)}"
        elif _is_leaf(kid):
            # inline the basic derivative: c * d/dx[h] = c * h'
            title = f"{title} with {_leaf_title(kid).lower()}"
            mid_l = f"{c_l}{_dl(var, kid.expr)}"
            if c != -1:
                mid_l += f" = {c_l}{_pl(kid.derivative)}"
        else:
            mid_l = f"{c_l}{_dl(var, kid.expr)}"
        return _step(
            rule,
            title,
            f"{lhs_l} = {mid_l} = {res_l}",
            f"{title}: {lhs_t} = {c_t}{_dt(var, kid.expr)} = {res_t}",
        )
    if rule == "product":
        factors = [k.expr for k in node.children]
        terms_l, terms_t = [], []
        for i, k in enumerate(node.children):
            pieces = [k.derivative if j == i else f for j, f in enumerate(factors)]
            pieces = [p for p in pieces if p != 1] or [sympy.Integer(1)]
            terms_l.append(r" \cdot ".join(_pl(p) for p in pieces))
            terms_t.append("·".join(_pt(p) for p in pieces))
        mid_l = " + ".join(terms_l)
        mid_t = " + ".join(terms_t)
        return _step(
            rule,
            TITLES[rule],
            f"{lhs_l} = {mid_l} = {res_l}",
            f"{TITLES[rule]}: {lhs_t} = {mid_t} = {res_t}",
        )
    if rule == "quotient":
        top, bottom = node.children
        g = bottom.expr
        g2_l = (expr_latex(g) if g.is_Symbol else paren(expr_latex(g))) + "^{2}"
        num_l = (
            _pl(top.derivative)
            + r" \cdot "
            + _pl(g)
            + " - "
            + _pl(top.expr)
            + r" \cdot "
            + _pl(bottom.derivative)
        )
        g2_t = (expr_text(g) if g.is_Symbol else f"({expr_text(g)})") + "^2"
        num_t = f"{_pt(top.derivative)}·{_pt(g)} - {_pt(top.expr)}·{_pt(bottom.derivative)}"
        return _step(
            rule,
            TITLES[rule],
            lhs_l + " = " + frac(num_l, g2_l),
            f"{TITLES[rule]}: {lhs_t} = ({num_t})/{g2_t}",
        )
    if rule == "chain":
        outer, inner = node.children
        u = next(iter(outer.expr.free_symbols - node.expr.free_symbols), None)
        outer_at = outer.derivative.subs(u, node.inner) if u is not None else outer.derivative
        mid_l = _pl(outer_at) + r" \cdot " + _dl(var, node.inner)
        if inner.derivative == 1:
            end_l, end_t = expr_latex(outer_at), expr_text(outer_at)
        else:
            end_l = _pl(outer_at) + r" \cdot " + _pl(inner.derivative)
            end_t = _pt(outer_at) + "·" + _pt(inner.derivative)
        outer_t = f"{expr_text(outer.expr)} -> {expr_text(outer.derivative)}"
        return _step(
            rule,
            TITLES[rule],
            f"{lhs_l} = {mid_l} = {end_l}",
            f"Chain rule with u = {expr_text(node.inner)} (outer {outer_t}): {lhs_t} = {end_t}",
        )
    if rule == "log_diff":
        (kid,) = node.children
        ln_y = kid.expr
        then = r" \Rightarrow "
        latex = (
            f"y = {expr_latex(e)}{then}"
            rf"\ln y = {expr_latex(ln_y)}{then}"
            rf"\frac{{y'}}{{y}} = {_dl(var, ln_y)} = {expr_latex(kid.derivative)}{then}"
            rf"y' = {_pl(e)} \cdot {_pl(kid.derivative)}"
        )
        text = (
            f"{TITLES[rule]}: y = {expr_text(e)}, ln y = {expr_text(ln_y)}, "
            f"y'/y = {expr_text(kid.derivative)}, so y' = {_pt(e)}·{_pt(kid.derivative)}"
        )
        return _step(rule, TITLES[rule], latex, text)
    title = _leaf_title(node)
    return _step(rule, title, f"{lhs_l} = {res_l}", f"{title}: {lhs_t} = {res_t}")


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
        lhs_l = _dl(var, expr)
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
