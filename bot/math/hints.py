"""Hint ladders: each press of Hint shows the next rung, nearer the answer, none stating it.

A ladder is built from the rule tree: (1) which rule applies and to what ("product rule with
u = 5 ln x and v = sin x"), (2) the pieces it needs and how to get each (u′, v′, the inner
derivative), (3) how they fit together, with the pieces still to be put in ("f′ = u′·v + u·v′:
put in the two derivatives you found"). No rung holds an expression equal to the answer,
simplified or not: the pieces are named and pointed at, never worked out, so a student who
copies a hint still has the exercise to do. A basic table derivative (tan x alone) has two
rungs: the rule, and a way to recall it that is not the table entry itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from bot.math.derivation import RuleNode
from bot.math.printing import d_latex, d_text, expr_latex, expr_text
from bot.math.solution import constant_and_core, formula, leaf_title

__all__ = [
    "Hint",
    "derivative_hints",
    "second_derivative_hints",
    "tangent_hints",
    "value_hints",
]

_COMPOSITE = frozenset({"sum", "product", "quotient", "chain", "log_diff"})


@dataclass(frozen=True)
class Hint:
    """One rung: plain text for chat, and a LaTeX line (words with `$math$` spans) to draw."""

    text: str
    latex: str
    #: the expressions the rung shows, so a ladder can check none of them is the answer
    mentions: tuple[sympy.Expr, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "latex": self.latex}


@dataclass
class _Rung:
    """A rung written once for both outputs: words go to both, math to each in its form."""

    latex: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    mentions: list[sympy.Expr] = field(default_factory=list)

    def say(self, words: str) -> _Rung:
        self.latex.append(words)
        self.text.append(words)
        return self

    def math(self, latex: str, text: str) -> _Rung:
        self.latex.append(f"${latex}$")
        self.text.append(text)
        return self

    def expr(self, e: sympy.Expr) -> _Rung:
        self.mentions.append(e)
        return self.math(expr_latex(e), expr_text(e))

    def equals(self, name: str, e: sympy.Expr, plain: str | None = None) -> _Rung:
        """`name = e`, as in u = sin x (`plain`: the name in text, when LaTeX spells it
        otherwise)."""
        self.mentions.append(e)
        plain = name if plain is None else plain
        return self.math(f"{name} = {expr_latex(e)}", f"{plain} = {expr_text(e)}")

    def d(self, var: sympy.Symbol, e: sympy.Expr) -> _Rung:
        return self.math(d_latex(var, e), d_text(var, e))

    def add(self, words: _Words) -> _Rung:
        for part in words:
            if isinstance(part, str):
                self.say(part)
            elif isinstance(part, tuple):
                self.math(*part)
            else:
                self.expr(part)
        return self

    def hint(self) -> Hint:
        return Hint("".join(self.text), "".join(self.latex), tuple(self.mentions))


@dataclass(frozen=True)
class _Name:
    """How the derivative being found is called: f′ (f″ for a second derivative's ladder)."""

    text: str = "f′"
    latex: str = "f'"


_LETTERS = ("u", "v", "w")
_PRIMES = {"u": ("u′", "u'"), "v": ("v′", "v'"), "w": ("w′", "w'")}


# --------------------------------------------------------------------------- how to get a piece

_RECALL: dict[str, tuple[str, str, str]] = {
    # a way to find each table entry again that is not the entry itself: words, then the
    # math they end on (text, LaTeX)
    "sin": (
        "picture its graph: the slope of sin x is 1 at x = 0 and 0 at ",
        "x = π/2",
        r"x = \pi/2",
    ),
    "cos": (
        "picture its graph: the slope of cos x is 0 at x = 0 and -1 at ",
        "x = π/2",
        r"x = \pi/2",
    ),
    "tan": (
        "write it as sin x / cos x, use the quotient rule, then ",
        "sin²x + cos²x = 1",
        r"\sin^2 x + \cos^2 x = 1",
    ),
    "cot": (
        "write it as cos x / sin x, use the quotient rule, then ",
        "sin²x + cos²x = 1",
        r"\sin^2 x + \cos^2 x = 1",
    ),
    "sec": ("write it as a power -1 of cos x and use the chain rule", "", ""),
    "csc": ("write it as a power -1 of sin x and use the chain rule", "", ""),
    "asin": (
        "y = asin x means sin y = x: differentiate both sides and use ",
        "cos y = √(1 − x²)",
        r"\cos y = \sqrt{1 - x^2}",
    ),
    "acos": (
        "y = acos x means cos y = x: differentiate both sides and use ",
        "sin y = √(1 − x²)",
        r"\sin y = \sqrt{1 - x^2}",
    ),
    "atan": (
        "y = atan x means tan y = x: differentiate both sides and use ",
        "sec²y = 1 + x²",
        r"\sec^2 y = 1 + x^2",
    ),
    "acot": (
        "y = acot x means cot y = x: differentiate both sides and use ",
        "csc²y = 1 + x²",
        r"\csc^2 y = 1 + x^2",
    ),
    "asec": (
        "y = asec x means sec y = x: differentiate both sides and use ",
        "tan y = √(x² − 1)",
        r"\tan y = \sqrt{x^2 - 1}",
    ),
    "acsc": (
        "y = acsc x means csc y = x: differentiate both sides and use ",
        "cot y = √(x² − 1)",
        r"\cot y = \sqrt{x^2 - 1}",
    ),
    "sinh": (
        "write it with exponentials, ",
        "sinh x = (eˣ − e⁻ˣ)/2",
        r"\sinh x = (e^x - e^{-x})/2",
    ),
    "cosh": (
        "write it with exponentials, ",
        "cosh x = (eˣ + e⁻ˣ)/2",
        r"\cosh x = (e^x + e^{-x})/2",
    ),
    "tanh": (
        "write it as sinh x / cosh x, use the quotient rule, then ",
        "cosh²x − sinh²x = 1",
        r"\cosh^2 x - \sinh^2 x = 1",
    ),
    "coth": (
        "write it as cosh x / sinh x, use the quotient rule, then ",
        "cosh²x − sinh²x = 1",
        r"\cosh^2 x - \sinh^2 x = 1",
    ),
    "sech": ("write it as a power -1 of cosh x and use the chain rule", "", ""),
    "csch": ("write it as a power -1 of sinh x and use the chain rule", "", ""),
    "asinh": (
        "y = asinh x means sinh y = x: differentiate both sides and use ",
        "cosh y = √(1 + x²)",
        r"\cosh y = \sqrt{1 + x^2}",
    ),
    "acosh": (
        "y = acosh x means cosh y = x: differentiate both sides and use ",
        "sinh y = √(x² − 1)",
        r"\sinh y = \sqrt{x^2 - 1}",
    ),
    "atanh": (
        "y = atanh x means tanh y = x: differentiate both sides and use ",
        "1 − tanh²y = 1 − x²",
        r"1 - \tanh^2 y = 1 - x^2",
    ),
    "acoth": (
        "y = acoth x means coth y = x: differentiate both sides and use ",
        "1 − coth²y = 1 − x²",
        r"1 - \coth^2 y = 1 - x^2",
    ),
    "asech": ("y = asech x means sech y = x: differentiate both sides", "", ""),
    "acsch": ("y = acsch x means csch y = x: differentiate both sides", "", ""),
    "log": (
        "ln x undoes the exponential: y = ln x means e^y = x, so differentiate both sides",
        "",
        "",
    ),
    "Abs": ("|x| is x where x > 0 and -x where x < 0", "", ""),
}


def _recall(node: RuleNode, var: sympy.Symbol, r: _Rung) -> None:
    """Rung 2 of a table derivative: a way to work the entry out, never the entry."""
    e = node.expr
    if node.rule == "power":
        n = e.args[1]
        r.say("Bring the exponent ").equals("n", n)
        r.say(" down in front, then lower the exponent by one: ")
        r.math(f"n {expr_latex(var)}^{{n - 1}}", f"n·{var}^(n - 1)").say(".")
    elif node.rule == "exp_base":
        a = e.args[0]
        r.say("Write it as a power of e, ")
        r.math(
            f"{expr_latex(a)}^{{{expr_latex(var)}}} = e^{{{expr_latex(var)} \\ln {expr_latex(a)}}}",
            f"{expr_text(a)}^{var} = e^({var}·ln {expr_text(a)})",
        )
        r.say(", and use the chain rule.")
    elif node.rule == "log_base":
        b, v = _log_base(e), expr_latex(var)
        r.say("Change the base: ")
        r.math(
            rf"\log_{{{expr_latex(b)}}} {v} = \ln {v} / \ln {expr_latex(b)}",
            f"log_{expr_text(b)} {var} = ln {var} / ln {expr_text(b)}",
        )
        r.say(", a constant times ln x.")
    elif node.rule == "exp":
        r.say("The exponential rule: the slope of ").math("e^{x}", "eˣ")
        r.say(" at any point equals its height there.")
    else:
        words, text, latex = _RECALL.get(type(e).__name__, ("it is in the table", "", ""))
        r.say("If you don't remember it, ").say(words)
        if text:
            r.math(latex, text)
        r.say(".")


def _log_base(e: sympy.Expr) -> sympy.Expr:
    for f in sympy.Mul.make_args(e):
        if f.is_Pow and f.exp == -1 and isinstance(f.base, sympy.log):
            return f.base.args[0]
    return sympy.E


# words, and expressions (or ready (LaTeX, text) pairs) to show as math among them
_Words = list[str | sympy.Expr | tuple[str, str]]


def _how(node: RuleNode, var: sympy.Symbol) -> _Words:
    """How a piece's derivative is found, in a few words (its rule, never its value)."""
    c, core = constant_and_core(node)
    if node.rule == "constant":
        return ["a constant"]
    if node.rule == "identity":
        return [f"the derivative of {var} is 1"]
    if node.derivative.is_number and node.rule in ("sum", "constant_multiple"):
        return ["a straight line, so its slope"]
    if c != 1 and not core.children and core.rule not in _COMPOSITE:
        return ["a constant times the ", *_leaf_words(core)]
    if core.rule == "chain":
        assert core.inner is not None
        return ["chain rule with the inner function ", core.inner]
    if core.rule in _COMPOSITE:
        return [_TITLE_WORDS[core.rule]]
    return _leaf_words(core)


def _rewrite(node: RuleNode) -> _Words:
    """ ", written as x^(-1)" for 1/x or sqrt(x): the power rule needs the exponent seen."""
    base, n = node.expr.args
    text = f"{expr_text(base)}^({expr_text(n)})"
    if (n.is_Integer and n > 0) or expr_text(node.expr) == text:
        return []
    return [", written as ", (f"{expr_latex(base)}^{{{expr_latex(n)}}}", text)]


def _leaf_words(node: RuleNode) -> _Words:
    if node.rule == "power":
        return ["power rule", *_rewrite(node)]
    title = leaf_title(node)
    return [title[0].lower() + title[1:]]


# --------------------------------------------------------------------------- rung 1: the rule


def _factors(core: RuleNode) -> list[tuple[str, RuleNode]]:
    if core.rule == "quotient":
        return list(zip(("u", "v"), core.children, strict=True))
    return list(zip(_LETTERS, core.children, strict=False))


def _rule_rung(node: RuleNode, var: sympy.Symbol) -> Hint:
    c, core = constant_and_core(node)
    r = _Rung()
    if c == -1:
        r.say("The minus sign stays in front. ")
    elif c != 1:
        r.say("The constant ").expr(c).say(" stays in front. ")
    if core.rule == "sum":
        r.say(f"Sum rule: differentiate the {len(core.children)} terms one at a time and add.")
    elif core.rule in ("product", "quotient"):
        r.say("Product rule with " if core.rule == "product" else "Quotient rule with ")
        parts = _factors(core)
        for i, (letter, kid) in enumerate(parts):
            r.say(" and " if i == len(parts) - 1 else ", " if i else "")
            r.equals(letter, kid.expr)
        r.say(".")
    elif core.rule == "chain":
        outer = core.children[0]
        r.say("Chain rule: the outer function is ").expr(outer.expr)
        r.say(", with the inner function ")
        r.equals("u", core.inner).say(".")
    elif core.rule == "log_diff":
        r.say(
            f"Logarithmic differentiation: {var} is in the base and in the exponent, so take ln of "
        )
        r.say("both sides: ").equals(r"\ln y", core.children[0].expr, "ln y").say(".")
    elif core.rule == "power":
        r.say("Power rule for ").expr(core.expr).add(_rewrite(core)).say(".")
    else:
        r.expr(core.expr).say(" comes straight from the table: ").add(_leaf_words(core)).say(".")
    return r.hint()


# --------------------------------------------------------------------------- rung 2: the pieces


def _pieces_rung(node: RuleNode, var: sympy.Symbol) -> Hint:
    core = constant_and_core(node)[1]
    r = _Rung()
    if core.rule == "sum":
        r.say("Term by term: ")
        for i, kid in enumerate(core.children):
            term = constant_and_core(kid)[1]
            r.say("; " if i else "").expr(term.expr if not kid.derivative.is_number else kid.expr)
            r.say(": ").add(_how(term if not kid.derivative.is_number else kid, var))
        r.say(". A constant factor stays in front.")
    elif core.rule in ("product", "quotient"):
        r.say("You need ")
        parts = _factors(core)
        for i, (letter, kid) in enumerate(parts):
            r.say(" and " if i == len(parts) - 1 else ", " if i else "")
            prime = _PRIMES[letter]
            r.math(
                f"{prime[1]} = {d_latex(var, kid.expr)}", f"{prime[0]} = {d_text(var, kid.expr)}"
            )
            r.say(" (").add(_how(kid, var)).say(")")
        r.say(".")
    elif core.rule == "chain":
        outer, inner = core.children
        u = next(iter(outer.expr.free_symbols - core.expr.free_symbols), sympy.Symbol("u"))
        r.say("You need the outer derivative ").math(d_latex(u, outer.expr), d_text(u, outer.expr))
        r.say(" (").add(_how(outer, u)).say(", in u) and the inner derivative ").d(var, inner.expr)
        r.say(" (").add(_how(inner, var)).say(").")
    elif core.rule == "log_diff":
        kid = core.children[0]
        r.say("Differentiate the right side, ").d(var, kid.expr)
        r.say(": ").add(_how(kid, var)).say(". The left side gives ")
        r.math(r"\frac{y'}{y}", "y′/y").say(".")
    else:
        _recall(core, var, r)
    return r.hint()


# --------------------------------------------------------------------------- rung 3: assembly


def _assembly_rung(node: RuleNode, var: sympy.Symbol, name: _Name) -> Hint | None:
    c, core = constant_and_core(node)
    r = _Rung()
    lead = (name.latex + " = ", name.text + " = ")
    k_l = "" if c == 1 else ("-" if c == -1 else expr_latex(c) + r" \cdot ")
    k_t = "" if c == 1 else ("-" if c == -1 else expr_text(c) + "·")
    if core.rule == "sum":
        shown = formula(node, var, filled=False)
        r.math(lead[0] + shown.latex, lead[1] + shown.text)
        r.say(": put in each term's derivative, keep the constants and the signs, and add.")
    elif core.rule == "product":
        letters = [p[0] for p in _factors(core)]
        terms_l = [" ".join(f"{m}'" if m == k else m for m in letters) for k in letters]
        terms_t = ["·".join(f"{m}′" if m == k else m for m in letters) for k in letters]
        r.math(
            lead[0] + k_l + _group(" + ".join(terms_l), c),
            lead[1] + k_t + _group(" + ".join(terms_t), c),
        )
        r.say(f": put in the {len(letters)} derivatives you found.")
    elif core.rule == "quotient":
        r.math(lead[0] + k_l + r"\frac{u'v - uv'}{v^2}", lead[1] + k_t + "(u′·v − u·v′)/v²")
        r.say(": put in u′ and v′, and keep the bottom squared.")
    elif core.rule == "chain":
        outer = core.children[0]
        r.math(lead[0] + k_l + r"F'(u) \cdot u'", lead[1] + k_t + "F′(u)·u′").say(" with ")
        r.equals("F(u)", outer.expr).say(" and ").equals("u", core.inner)
        r.say(": the outer derivative with the inner function put back in for u, times the")
        r.say(" inner derivative.")
    elif core.rule == "log_diff":
        r.math(
            lead[0] + k_l + r"y \cdot \frac{d}{dx}\left[\ln y\right]",
            lead[1] + k_t + "y·(ln y)′",
        )
        r.say(": multiply the derivative of ln y by y itself, ").expr(core.expr).say(".")
    elif c != 1 and core.rule == "power":
        r.math(lead[0] + r"c \cdot n x^{n - 1}", lead[1] + f"c·n·{var}^(n − 1)")
        r.say(" with ").equals("c", c).say(": multiply the")
        r.say(" constant by the exponent, then lower the exponent by one.")
    elif c != 1:
        r.math(lead[0] + k_l + d_latex(var, core.expr), lead[1] + k_t + d_text(var, core.expr))
        r.say(": multiply the table derivative by the constant.")
    else:
        return None  # a table derivative alone: rung 2 already says how to find it
    return r.hint()


def _group(body: str, c: sympy.Expr) -> str:
    return body if c == 1 else f"({body})"


# --------------------------------------------------------------------------- the ladders


def derivative_hints(
    node: RuleNode,
    var: sympy.Symbol,
    *,
    name: _Name | None = None,
    answer: sympy.Expr | None = None,
) -> tuple[Hint, ...]:
    """The ladder for f′ from f's rule tree: the rule, the pieces, how they fit together.

    A rung that would show an expression equal to `answer` (default f′; the value or the line
    for the kinds at a point, where a term or a factor can be the answer by coincidence) says
    only which rule to use instead."""
    rungs = [_rule_rung(node, var), _pieces_rung(node, var)]
    last = _assembly_rung(node, var, name or _Name())
    rungs += [last] if last is not None else []
    answer = node.derivative if answer is None else answer
    return tuple(
        _plain_rung(i, node) if any(_same(m, answer) for m in rung.mentions) else rung
        for i, rung in enumerate(rungs)
    )


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Equal at two sample points: how a coincidence would show (a false alarm only makes a
    rung vaguer, so sampling is enough, and far cheaper than expanding both)."""
    if a == b:
        return True
    symbols = a.free_symbols | b.free_symbols
    if a.free_symbols != b.free_symbols or len(symbols) > 1:
        return False
    points = [{s: p for s in symbols} for p in (sympy.Rational(7, 10), sympy.Rational(13, 10))]
    for point in points:
        try:
            va, vb = complex(a.evalf(15, subs=point)), complex(b.evalf(15, subs=point))
        except (TypeError, ValueError):
            return False
        if abs(va - vb) > 1e-9 * max(1.0, abs(va)):
            return False
    return True


def _plain_rung(index: int, node: RuleNode) -> Hint:
    """A rung in words only: the rule, or how to go on, with no expression from f in it."""
    core = constant_and_core(node)[1]
    title = leaf_title(core) if core.rule not in _COMPOSITE else _TITLE_WORDS[core.rule]
    if index == 0:
        return _Rung().say(f"Start with the {title}.").hint()
    if index == 1:
        return _Rung().say("Work out each piece that rule needs, each by its own rule.").hint()
    return _Rung().say("Put the pieces you found into the rule, then simplify.").hint()


_TITLE_WORDS = {
    "sum": "sum rule",
    "product": "product rule",
    "quotient": "quotient rule",
    "chain": "chain rule",
    "log_diff": "logarithmic differentiation",
}


def _then(hint: Hint, words: str, math: tuple[str, str] | None = None) -> Hint:
    """A rung with a closing sentence added."""
    r = _Rung([hint.latex], [hint.text]).say(" " + words)
    if math is not None:
        r.math(*math)
    return r.say(".").hint()


def value_hints(
    node: RuleNode, var: sympy.Symbol, point: sympy.Expr, value: sympy.Expr
) -> tuple[Hint, ...]:
    """f′(a): the derivative's ladder, each rung ending on what to do with the point."""
    at = (f"{expr_latex(var)} = {expr_latex(point)}", f"{var} = {expr_text(point)}")
    rungs = list(derivative_hints(node, var, answer=value))
    rungs[0] = _then(rungs[0], "Find f′ first, then put in ", at)
    rungs[-1] = _then(rungs[-1], "Then put in ", at)
    return tuple(rungs)


def tangent_hints(
    node: RuleNode, var: sympy.Symbol, point: sympy.Expr, height: sympy.Expr, line: sympy.Expr
) -> tuple[Hint, ...]:
    """The tangent line at a: its formula and f(a) first, then the slope's ladder."""
    a_l, a_t, v = expr_latex(point), expr_text(point), str(var)
    r = _Rung().say("The tangent line at ").math(f"{v} = {a_l}", f"{v} = {a_t}").say(" is ")
    gap = var - point
    r.math(
        f"y = f({a_l}) + f'({a_l}) \\left({expr_latex(gap)}\\right)",
        f"y = f({a_t}) + f′({a_t})·({expr_text(gap)})",
    )
    r.say(", and ").equals(f"f({a_l})", height, f"f({a_t})")
    r.say(". The slope comes from f′. ")
    intro, first = r.hint(), derivative_hints(node, var, answer=line)
    rungs = [Hint(intro.text + first[0].text, intro.latex + first[0].latex), *first[1:]]
    rungs[-1] = _then(rungs[-1], "Then put in ", (f"{v} = {a_l}", f"{v} = {a_t}"))
    return tuple(rungs)


def second_derivative_hints(
    node: RuleNode, first: sympy.Expr, var: sympy.Symbol, second: RuleNode
) -> tuple[Hint, ...]:
    """f″: f′ by its rule, then f′ given, and the ladder for differentiating it."""
    v = str(var)
    opening = derivative_hints(node, var)[0]
    one = _Rung().say("Differentiate twice. First f′: ").hint()
    rungs = [Hint(one.text + opening.text, one.latex + opening.latex)]
    again = derivative_hints(second, var, name=_Name("f″", "f''"), answer=second.derivative)
    r = _Rung().math(f"f'({v}) = {expr_latex(first)}", f"f′({v}) = {expr_text(first)}")
    r.say(". Now differentiate f′: ")
    two = r.hint()
    rungs.append(Hint(two.text + again[0].text, two.latex + again[0].latex))
    rungs.append(again[-1] if len(again) > 2 else again[1])
    return tuple(rungs)
