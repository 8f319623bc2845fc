"""Name the mistake: differentiate the function again with one classic wrong rule at a time.

Every place a rule applies in f (its rule tree: each sum, product, quotient, power, exponential,
log and trig node) gets each wrong version of that rule a student is known to use, with the rest
of the derivative done right. If the student's answer equals one of those variants, that is the
mistake, and its one-line explanation names it. The same walk serves generated problems and
functions given by a teacher, since the rule tree is the shape of f itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from bot.math.equivalence import compare
from bot.math.parser import plain

# code -> what kind of mistake; the message is built per case so it can name the parts.
CODES = {
    "chain": "inner derivative missing",
    "product": "product rule misapplied",
    "quotient": "quotient rule misapplied",
    "power": "power rule misapplied",
    "trig": "wrong derivative or sign of a trig function",
    "inverse_trig": "wrong derivative of an inverse trig function",
    "hyperbolic": "wrong derivative or sign of a hyperbolic function",
    "exp": "exponential rule misapplied",
    "log": "logarithm rule misapplied",
    "constant": "derivative of a constant kept",
    "constant_multiple": "constant factor dropped",
    "sign": "overall sign",
    "not_differentiated": "answered the function itself",
    "integrated": "answered an antiderivative",
    "order": "wrong order of derivative",
    "tangent": "tangent line misassembled",
}


@dataclass(frozen=True)
class Mistake:
    code: str
    explanation: str


@dataclass(frozen=True)
class _Bug:
    """A wrong rule at one node: `target` is the node, `kind` which wrong rule."""

    target: sp.Expr | None  # None: the same wrong rule everywhere it applies
    kind: str


@dataclass(frozen=True)
class Variant:
    expr: sp.Expr
    mistake: Mistake


def _show(e: sp.Expr) -> str:
    return plain(e)


# --- correct and buggy derivatives of the elementary functions ------------------------------

_U = sp.Dummy("u")
_RIGHT: dict[type, sp.Expr] = {
    sp.sin: sp.cos(_U),
    sp.cos: -sp.sin(_U),
    sp.tan: sp.sec(_U) ** 2,
    sp.sec: sp.sec(_U) * sp.tan(_U),
    sp.csc: -sp.csc(_U) * sp.cot(_U),
    sp.cot: -(sp.csc(_U) ** 2),
    sp.asin: 1 / sp.sqrt(1 - _U**2),
    sp.acos: -1 / sp.sqrt(1 - _U**2),
    sp.atan: 1 / (1 + _U**2),
    sp.acot: -1 / (1 + _U**2),
    sp.asec: 1 / (sp.Abs(_U) * sp.sqrt(_U**2 - 1)),
    sp.acsc: -1 / (sp.Abs(_U) * sp.sqrt(_U**2 - 1)),
    sp.sinh: sp.cosh(_U),
    sp.cosh: sp.sinh(_U),
    sp.tanh: sp.sech(_U) ** 2,
    sp.sech: -sp.sech(_U) * sp.tanh(_U),
    sp.csch: -sp.csch(_U) * sp.coth(_U),
    sp.coth: -(sp.csch(_U) ** 2),
    sp.exp: sp.exp(_U),
    sp.log: 1 / _U,
    sp.Abs: sp.sign(_U),
}
_FAMILY = {
    **dict.fromkeys((sp.sin, sp.cos, sp.tan, sp.sec, sp.csc, sp.cot), "trig"),
    **dict.fromkeys((sp.asin, sp.acos, sp.atan, sp.acot, sp.asec, sp.acsc), "inverse_trig"),
    **dict.fromkeys((sp.sinh, sp.cosh, sp.tanh, sp.sech, sp.csch, sp.coth), "hyperbolic"),
}
# Classic confusions besides a flipped sign: tan' = sec (not squared), sec' = sec^2 ...
_CONFUSED: dict[type, tuple[sp.Expr, ...]] = {
    sp.tan: (sp.sec(_U), -(sp.sec(_U) ** 2), sp.sec(_U) * sp.tan(_U)),
    sp.sec: (sp.sec(_U) ** 2, sp.tan(_U) ** 2, -sp.sec(_U) * sp.tan(_U)),
    sp.cot: (sp.csc(_U) ** 2, -sp.csc(_U)),
    sp.csc: (sp.csc(_U) * sp.cot(_U), -(sp.csc(_U) ** 2)),
    sp.cosh: (-sp.sinh(_U),),
    sp.sech: (sp.sech(_U) * sp.tanh(_U),),
    sp.tanh: (sp.sech(_U), -(sp.sech(_U) ** 2)),
    sp.acos: (1 / sp.sqrt(1 - _U**2),),
    sp.acot: (1 / (1 + _U**2),),
    sp.atan: (1 / (1 - _U**2), -1 / (1 + _U**2), sp.sec(_U) ** 2),
    sp.asin: (-1 / sp.sqrt(1 - _U**2), 1 / sp.sqrt(1 + _U**2), sp.cos(_U)),
}


def _fname(func: type) -> str:
    return {sp.log: "ln"}.get(func, func.__name__)


class _Differ:
    """Differentiates by the textbook rules, applying at most one wrong rule (`bug`)."""

    def __init__(self, var: sp.Symbol, bug: _Bug | None = None, alt: sp.Expr | None = None):
        self.var = var
        self.bug = bug
        self.alt = alt  # the confused outer derivative for trig-family bugs

    def hit(self, e: sp.Expr, kind: str) -> bool:
        bug = self.bug
        return bug is not None and bug.kind == kind and (bug.target is None or bug.target == e)

    def d(self, e: sp.Expr) -> sp.Expr:
        x = self.var
        if not e.has(x):
            return sp.Integer(0)
        if e == x:
            return sp.Integer(1)
        if e.is_Add:
            return sp.Add(
                *(self.d(t) if t.has(x) or not self.hit(e, "constant") else t for t in e.args)
            )
        if e.is_Mul:
            return self.mul(e)
        if e.is_Pow:
            return self.pow(e)
        return self.func(e)

    def mul(self, e: sp.Expr) -> sp.Expr:
        x = self.var
        const = sp.Mul(*(f for f in e.args if not f.has(x)))
        rest = sp.Mul(*(f for f in e.args if f.has(x)))
        if const != 1:
            if self.hit(e, "constant_multiple"):
                return self.d(rest)
            if self.hit(e, "log_base"):  # forgot 1/ln(b), kept any other factor
                kept = sp.Mul(*(f for f in sp.Mul.make_args(const) if not f.has(sp.log)))
                return kept * self.d(rest)
            return const * self.d(rest)
        factors = list(e.args)
        den = [f for f in factors if f.is_Pow and f.args[1].is_negative and f.args[1].is_number]
        num = [f for f in factors if f not in den]
        if den and num:
            u = sp.Mul(*num)
            v = sp.Mul(*(f.args[0] ** -f.args[1] for f in den))
            du, dv = self.d(u), self.d(v)
            if self.hit(e, "quotient_sign"):
                return (u * dv - du * v) / v**2
            if self.hit(e, "quotient_square"):
                return (du * v - u * dv) / v
            if self.hit(e, "quotient_ratio"):
                return du / dv
            return (du * v - u * dv) / v**2
        ds = [self.d(f) for f in factors]
        if self.hit(e, "product_both"):
            return sp.Mul(*ds)
        terms = [
            sp.Mul(*(ds[i] if i == j else factors[i] for i in range(len(factors))))
            for j in range(len(factors))
        ]
        if self.hit(e, "product_first"):
            return terms[0]
        if self.hit(e, "product_last"):
            return terms[-1]
        return sp.Add(*terms)

    def pow(self, e: sp.Expr) -> sp.Expr:
        x = self.var
        b, n = e.args
        if not n.has(x):
            inner = sp.Integer(1) if self.hit(e, "chain") else self.d(b)
            if self.hit(e, "power_not_lowered"):
                return n * b**n * inner
            if self.hit(e, "power_not_down"):
                return b ** (n - 1) * inner
            if self.hit(e, "power_new_exponent"):
                return (n - 1) * b ** (n - 1) * inner
            if self.hit(e, "outer_at_x"):
                return n * x ** (n - 1) * inner
            return n * b ** (n - 1) * inner
        if not b.has(x):
            inner = sp.Integer(1) if self.hit(e, "chain") else self.d(n)
            ln_b = sp.Integer(1) if b is sp.E else sp.log(b)
            if self.hit(e, "exp_power"):
                return n * b ** (n - 1) * inner
            if self.hit(e, "exp_no_ln"):
                return b**n * inner
            return b**n * ln_b * inner
        # f^g with x in both: logarithmic differentiation
        if self.hit(e, "power"):
            return n * b ** (n - 1) * self.d(b)
        if self.hit(e, "exp"):
            return b**n * sp.log(b) * self.d(n)
        return b**n * (self.d(n) * sp.log(b) + n * self.d(b) / b)

    def func(self, e: sp.Expr) -> sp.Expr:
        if e.func not in _RIGHT or len(e.args) != 1:
            return sp.diff(e, self.var)
        (g,) = e.args
        outer = _RIGHT[e.func]
        if self.hit(e, "family") and self.alt is not None:
            outer = self.alt
        if self.hit(e, "log_recip"):
            outer = 1 / sp.log(_U)
        inner = sp.Integer(1) if self.hit(e, "chain") else self.d(g)
        at = self.var if self.hit(e, "outer_at_x") else g
        return outer.subs(_U, at) * inner


# --- enumerate the classic mistakes ------------------------------------------------------------


def _is_linear(g: sp.Expr, x: sp.Symbol) -> bool:
    return g.is_polynomial(x) and sp.degree(g, x) == 1


Found = tuple[_Bug, sp.Expr | None, Mistake]


def _mistakes_at(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    """Each wrong rule that applies at node `e`, with the student-facing explanation.

    The order is the order variants are tried in: the first that matches names the mistake.
    """
    if e.is_Add and any(not t.has(x) for t in e.args):
        c = sp.Add(*(t for t in e.args if not t.has(x)))
        yield (
            _Bug(e, "constant"),
            None,
            Mistake("constant", f"The derivative of a constant is 0, so the {_show(c)} must go."),
        )
    if e.is_Mul:
        yield from _mul_mistakes(e, x)
    elif e.is_Pow:
        yield from _pow_mistakes(e, x)
    elif e.func in _RIGHT and len(e.args) == 1:
        yield from _function_mistakes(e, x)


def _mul_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    const = sp.Mul(*(f for f in e.args if not f.has(x)))
    rest = sp.Mul(*(f for f in e.args if f.has(x)))
    if const != 1:
        yield from _constant_factor_mistakes(e, const, rest)
        if rest.is_Mul:  # c·f·g or c·f/g: the product or quotient inside can go wrong too
            yield from _mistakes_at(rest, x)
        return
    den = [f for f in e.args if f.is_Pow and f.args[1].is_negative and f.args[1].is_number]
    if den and len(den) < len(e.args):
        yield from _quotient_mistakes(e)
    elif not den:
        yield from _product_mistakes(e)


def _constant_factor_mistakes(e: sp.Expr, const: sp.Expr, rest: sp.Expr) -> Iterator[Found]:
    if const.has(sp.log) and rest.func is sp.log:
        yield (
            _Bug(e, "log_base"),
            None,
            Mistake("log", "d/dx logₐ(x) = 1/(x·ln a): the factor 1/ln a of the base is missing."),
        )
    elif const not in (-1,):
        yield (
            _Bug(e, "constant_multiple"),
            None,
            Mistake(
                "constant_multiple",
                f"A constant factor stays when you differentiate: keep the {_show(const)}.",
            ),
        )


def _quotient_mistakes(e: sp.Expr) -> Iterator[Found]:
    for kind, text in (
        (
            "quotient_sign",
            "The quotient rule's numerator is f'g − fg', in that order; yours is reversed.",
        ),
        (
            "quotient_square",
            "In the quotient rule the denominator is squared: (f/g)' = (f'g − fg')/g².",
        ),
        ("quotient_ratio", "The derivative of f/g is not f'/g'; use (f'g − fg')/g²."),
    ):
        yield _Bug(e, kind), None, Mistake("quotient", text)


def _product_mistakes(e: sp.Expr) -> Iterator[Found]:
    yield (
        _Bug(e, "product_both"),
        None,
        Mistake(
            "product",
            "The derivative of a product is not the product of the derivatives: (fg)' = f'g + fg'.",
        ),
    )
    one_missing = "The product rule has two terms, (fg)' = f'g + fg'; one is missing."
    for kind in ("product_first", "product_last"):
        yield _Bug(e, kind), None, Mistake("product", one_missing)


def _pow_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    b, n = e.args
    if not n.has(x):
        yield from _power_rule_mistakes(e, b, x)
    elif not b.has(x):
        yield from _exponential_mistakes(e, b, n, x)
    else:
        yield (
            _Bug(e, "power"),
            None,
            Mistake(
                "power",
                "The exponent depends on x too, so the power rule does not apply; "
                "use logarithmic differentiation.",
            ),
        )
        yield (
            _Bug(e, "exp"),
            None,
            Mistake(
                "exp",
                "The base depends on x too, so aˣ·ln a does not apply; "
                "use logarithmic differentiation.",
            ),
        )


def _power_rule_mistakes(e: sp.Expr, b: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    for kind, text in (
        (
            "power_not_lowered",
            "Power rule: bring the exponent down, then lower it by one: (xⁿ)' = n·xⁿ⁻¹.",
        ),
        (
            "power_not_down",
            "Power rule: the exponent comes down in front as a factor: (xⁿ)' = n·xⁿ⁻¹.",
        ),
        (
            "power_new_exponent",
            "Power rule: the factor in front is the original exponent n, not n − 1: "
            "(xⁿ)' = n·xⁿ⁻¹.",
        ),
    ):
        yield _Bug(e, kind), None, Mistake("power", text)
    if b != x:
        yield _chain_bug(e, b, x, "chain")
        yield _outer_at_x_bug(e, b, x, "chain")


def _exponential_mistakes(e: sp.Expr, b: sp.Expr, n: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    if b is sp.E:
        yield _chain_bug(e, n, x, "exp" if _is_linear(n, x) else "chain")
        return
    yield (
        _Bug(e, "exp_power"),
        None,
        Mistake(
            "exp",
            f"{_show(b)}^x is an exponential, not a power: (aˣ)' = aˣ·ln a, not x·aˣ⁻¹.",
        ),
    )
    yield (
        _Bug(e, "exp_no_ln"),
        None,
        Mistake("exp", f"(aˣ)' = aˣ·ln a: the factor ln({_show(b)}) is missing."),
    )
    if n != x:
        yield _chain_bug(e, n, x, "chain")


def _function_mistakes(e: sp.Expr, x: sp.Symbol) -> Iterator[Found]:
    (g,) = e.args
    name = _fname(e.func)
    family = _FAMILY.get(e.func)
    if family:
        right = _show(_RIGHT[e.func].subs(_U, sp.Symbol("u")))
        for wrong in (-_RIGHT[e.func], *_CONFUSED.get(e.func, ())):
            yield (
                _Bug(e, "family"),
                wrong,
                Mistake(family, f"Check the derivative of {name}: d/du {name}(u) = {right}."),
            )
    if e.func is sp.log:
        yield _Bug(e, "log_recip"), None, Mistake("log", "d/dx ln(x) = 1/x, not 1/ln(x).")
    if g != x:
        yield _outer_at_x_bug(e, g, x, "log" if e.func is sp.log else "chain")
        if e.func is sp.log:
            yield _chain_bug(e, g, x, "log")
        elif e.func is sp.exp:
            yield _chain_bug(e, g, x, "exp" if _is_linear(g, x) else "chain")
        else:
            yield _chain_bug(e, g, x, "chain")


def _chain_bug(e: sp.Expr, inner: sp.Expr, x: sp.Symbol, code: str) -> tuple[_Bug, None, Mistake]:
    d_inner = _show(sp.diff(inner, x))
    if code == "exp":
        text = f"d/dx e^(kx) = k·e^(kx): the factor {d_inner} from the exponent is missing."
    elif code == "log":
        text = f"d/dx ln(u) = u'/u: multiply by the inner derivative ({_show(inner)})' = {d_inner}."
    else:
        text = (
            f"Chain rule: multiply by the derivative of the inside, ({_show(inner)})' = {d_inner}."
        )
    return _Bug(e, "chain"), None, Mistake(code, text)


def _outer_at_x_bug(
    e: sp.Expr, inner: sp.Expr, x: sp.Symbol, code: str
) -> tuple[_Bug, None, Mistake]:
    """f'(x)·g'(x) for f(g(x)): the outer derivative taken at x instead of at the inside."""
    if code == "log":
        text = f"d/dx ln(u) = u'/u: divide by the inside, {_show(inner)}, not by {x}."
    else:
        text = (
            f"Chain rule: evaluate the outer derivative at the inside, {_show(inner)}, "
            f"not at {x}: f'(g(x))·g'(x)."
        )
    return _Bug(e, "outer_at_x"), None, Mistake(code, text)


Transform = Callable[[sp.Expr], sp.Expr]


# Wrong rules a student tends to apply consistently, tried at every node at once as well.
_EVERYWHERE = (
    "chain",
    "power_not_lowered",
    "power_not_down",
    "power_new_exponent",
    "constant",
    "product_both",
)


@lru_cache(maxsize=512)
def variants(function: sp.Expr, var: sp.Symbol) -> tuple[Variant, ...]:
    """The classic wrong derivatives of `function`: one wrong rule at one node (outermost
    first), then the same wrong rule at every node where it applies."""
    right = _nth(function, var, 1)
    seen = {right}
    out: list[Variant] = []
    kinds: dict[str, Mistake] = {}

    def add(bug: _Bug, alt: sp.Expr | None, mistake: Mistake) -> None:
        try:
            wrong = _Differ(var, bug, alt).d(function)
        except (ValueError, TypeError, ZeroDivisionError):
            return
        if wrong in seen or wrong.has(sp.nan, sp.zoo):
            return
        seen.add(wrong)
        if compare(right, wrong, var).equal is not False:
            return  # this wrong rule makes no difference here (e.g. the inner derivative is 1)
        out.append(Variant(wrong, mistake))

    for node in sp.preorder_traversal(function):
        if not node.has(var) or node == var:
            continue
        for bug, alt, mistake in _mistakes_at(node, var):
            add(bug, alt, mistake)
            kinds.setdefault(bug.kind, mistake)
    for kind in _EVERYWHERE:
        if kind in kinds:
            add(_Bug(None, kind), None, kinds[kind])
    return tuple(out)


def diagnose(
    answer: sp.Expr,
    expected: sp.Expr,
    var: sp.Symbol,
    function: sp.Expr | None = None,
    transform: Transform | None = None,
    order: int = 1,
) -> Mistake | None:
    """Name the mistake behind a wrong `answer`, or None when it matches no classic one.

    `transform` turns a derivative into what the question asks for (its value at a point, the
    tangent line); `order` 2 means the question asked for the second derivative.
    """
    t = transform or (lambda d: d)

    def same(candidate: sp.Expr) -> bool:
        try:
            return compare(t(candidate), answer, var).equal is True
        except (ValueError, TypeError, ZeroDivisionError):
            return False

    sign = Mistake("sign", "Your answer has the wrong sign overall; check your minus signs.")
    if function is None:
        return sign if compare(-expected, answer, var).equal is True else None
    plain_derivative = order == 1 and transform is None
    if order == 1:
        # before "not differentiated": e^(3x) for e^(3x) is a chain-rule slip, named as such
        for v in variants(function, var):
            if same(v.expr):
                return v.mistake
        if plain_derivative and compare(function, answer, var).equal is True:
            return Mistake("not_differentiated", "That is the original function; differentiate it.")
    else:
        first = _nth(function, var, 1)
        if same(first):
            return Mistake("order", "That is the first derivative; differentiate once more.")
        # the wrong rule in the first differentiation, the second, or both
        for v in variants(function, var):
            if same(_nth(v.expr, var, 1)):
                return v.mistake
        for v in variants(first, var):
            if same(v.expr):
                return v.mistake
        for v in variants(function, var):
            for w in variants(v.expr, var):
                if w.mistake.code == v.mistake.code and same(w.expr):
                    return v.mistake
    if plain_derivative and answer.has(var) and _is_antiderivative(answer, function, var):
        return Mistake(
            "integrated", "That is an antiderivative (you integrated); differentiate instead."
        )
    if same(-_nth(function, var, order)):
        return sign
    return None


def _nth(function: sp.Expr, var: sp.Symbol, order: int) -> sp.Expr:
    """The derivative by the same textbook rules the variants use: sympy's own diff turns
    |x| into re/im parts over the complex numbers, which no real check can evaluate."""
    for _ in range(order):
        function = _Differ(var).d(function)
    return function


def _is_antiderivative(answer: sp.Expr, function: sp.Expr, var: sp.Symbol) -> bool:
    try:
        return compare(function, sp.diff(answer, var), var).equal is True
    except (ValueError, TypeError):
        return False
