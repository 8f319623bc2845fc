"""bot.math.texcheck: the renderer's verdict on LaTeX, without drawing, piece by piece.

Every test compares with the renderer itself: checking without drawing is only worth having
if it never disagrees with drawing."""

from __future__ import annotations

import logging
import os

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.math import texcheck
from bot.math.render import render_latex, render_lines
from bot.math.texcheck import latex_problem, lines_problem
from bot.study.decks import load_path, shipped_decks_dir

EXAMPLES = int(os.environ.get("DERIVBOT_PROPERTY_EXAMPLES", "60"))


@pytest.fixture(autouse=True)
def _quiet_matplotlib():
    """Unknown glyphs make mathtext log a warning per character; the verdict is what counts."""
    logger = logging.getLogger("matplotlib.mathtext")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def renders(tex: str) -> bool:
    return render_latex(tex, fontsize=texcheck.FONTSIZE).png is not None


def renders_lines(lines: list[str]) -> bool:
    return render_lines(lines, fontsize=texcheck.FONTSIZE).png is not None


TRICKY = [
    r"\frac{d}{dx}\sin(x^{2}) = 2x\cos(x^{2})",
    r"\left( \frac{1}{x} \right)^{2}",
    r"\sqrt[3]{x} + \sqrt{x}",
    r"\hat x",  # an accent on an unbraced nucleus: one token, not two
    r"\hat{x} + \vec{v}",
    r"x^2^3",  # double superscript
    r"x_{1}_{2}",
    r"\frac{1}",  # an argument missing
    r"\frac12 + \sqrt2",  # brace-less shorthand, rewritten for mathtext
    r"\nosuch x",
    r"{x",
    r"x}",
    r"\left( x",
    r"\left. \frac{x}{2} \right|_{0}^{1}",
    r"\left. \right.",  # nothing to draw
    r"\,",
    r"\quad \;",
    r"{}",
    r"\text{ }",
    r"\mathrm{}",
    r"\phantom{x}",
    r"\phantom{x} y",
    r"\operatorname{sech}(x)",
    r"\operatorname{}",
    r"\text{slope of the tangent at } a",
    r"\rm d x",  # an old-style font switch: parsed whole
    r"\mathrm{d}x",
    r"f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}",
    r"\hspace{5} x",
    r"\hspace{400} x",  # too wide to draw legibly
    r"\dfrac{\sum_{i=1}^{n} i}{n^2}",
    r"\overset{!}{=}",
    r"\sech x \arcsec x",
    r"\left\{ x \middle| x > 0 \right\}",
    r"a \\ b",
    r"\begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
    r"x \,\!\, y",
    "x" * 150,
    " + ".join(f"x^{{{i}}}" for i in range(200)),  # wraps into lines
    r"\frac{" * 30 + "x" + "}{2}" * 30,  # too deep for mathtext's stack
    "{" * 400 + "x" + "}" * 400,  # deeper than Python's stack
    r"\left(" * 20 + "x" + r"\right)" * 20,
    "é σ → ∫",
    "$x$",
    r"\$5",
    "",
    "   ",
]


@pytest.mark.parametrize("tex", TRICKY)
def test_agrees_with_the_renderer_on_tricky_latex(tex: str) -> None:
    assert (latex_problem(tex) is None) == renders(tex)


def test_an_error_is_the_renderers_own_message() -> None:
    assert latex_problem(r"\nosuch x") == render_latex(r"\nosuch x").error
    assert latex_problem(r"\,") == "nothing to draw"


LINES = [
    ["Differentiate $f(x) = x^{2}$.", "Then simplify."],
    ["costs \\$5 and $x^2$"],
    ["$\\frac{1}{x}$"],
    ["a $$ b"],  # empty inline math
    ["$\\nosuch$ here"],
    ["$\\,$"],
    ["$x$ " + "W" * 200],  # too wide
    ["$x$"] * 41,  # too many lines
    ["", "$x^2$", ""],
    ["\u200b $\\,$"],  # nothing visible at all
    ["$" + "{" * 400 + "x" + "}" * 400 + "$"],
]


@pytest.mark.parametrize("lines", LINES)
def test_agrees_with_the_renderer_on_lines(lines: list[str]) -> None:
    assert (lines_problem(lines) is None) == renders_lines(lines)


def test_agrees_with_the_renderer_on_the_shipped_decks_and_sympy_latex() -> None:
    x = sympy.Symbol("x")
    texts = [sympy.latex(sympy.diff(f, x)) for f in (sympy.asin(x**2) * sympy.exp(x), x**x)]
    for path in shipped_decks_dir().glob("*.yaml"):
        for card in load_path(path).cards:
            texts += [t for t in (card.latex_front, card.latex_back) if t]
    for tex in texts:
        assert (latex_problem(tex) is None) == renders(tex), tex


# Formulas built the way people write them, with the odd mistake typed into them.
SYMBOLS = ["x", "2", "10", "+", "-", "=", r"\alpha", r"\pi", r"\cdot", r"\infty", "|", "(", ")"]
SYMBOLS += ["[", "]", r"\to", r"\le", "e", "σ", r"\,", r"\quad", r"\{", r"\}", ",", "'", r"\ "]
COMMANDS = [r"\sin", r"\ln", r"\exp", r"\sech", r"\operatorname{sgn}", r"\lim", r"\sum"]
MISTAKES = ["{", "}", "^", "_", r"\nosuch", r"\frac", r"\left(", r"\right)", "$", r"\hat"]
MISTAKES += ["''", "^2^3", r"\rm ", r"\middle|", "{}", r"\,", r"\\"]


def _formula() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        two = st.tuples(inner, inner)
        return st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(" ".join),
            two.map(lambda p: rf"\frac{{{p[0]}}}{{{p[1]}}}"),
            two.map(lambda p: rf"\overset{{{p[0]}}}{{{p[1]}}}"),
            inner.map(lambda s: rf"\sqrt{{{s}}}"),
            inner.map(lambda s: rf"\sqrt[3]{{{s}}}"),
            inner.map(lambda s: rf"\left( {s} \right)"),
            inner.map(lambda s: rf"\left. {s} \right|"),
            inner.map(lambda s: f"{{{s}}}"),
            inner.map(lambda s: rf"\mathrm{{{s}}}"),
            inner.map(lambda s: rf"\hat{{{s}}}"),
            inner.map(lambda s: rf"\phantom{{{s}}}"),
            two.map(lambda p: f"{p[0]}^{{{p[1]}}}"),
            two.map(lambda p: f"{p[0]}_{p[1]}"),
            st.tuples(st.sampled_from(COMMANDS), inner).map(lambda p: f"{p[0]}{{{p[1]}}}"),
            st.sampled_from([r"\text{slope}", r"\text{ }", r"\operatorname{}"]),
        )

    formula = st.recursive(st.sampled_from(SYMBOLS), extend, max_leaves=12)

    def mistake(draw_data: tuple[str, int, str, bool]) -> str:
        text, at, typo, typed = draw_data
        if not typed:
            return text
        at %= len(text) + 1
        return text[:at] + typo + text[at:]

    return st.tuples(formula, st.integers(0, 500), st.sampled_from(MISTAKES), st.booleans()).map(
        mistake
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_formula(), st.booleans())
def test_agrees_with_the_renderer_on_any_formula(tex: str, inline: bool) -> None:
    assert (latex_problem(tex) is None) == renders(tex)
    line = [f"Find $ {tex.replace('$', '')} $ now", "and then"] if inline else [f"${tex}$"]
    assert (lines_problem(line) is None) == renders_lines(line)


def test_pieces_are_parsed_once(monkeypatch) -> None:
    """What makes it fast: pieces a deck repeats (x^{n}, \\sin{(...)}, \\frac{ }{ }) are
    parsed by mathtext once, whatever formula they turn up in."""
    from matplotlib import _mathtext

    calls = []
    parse = _mathtext.Parser.parse

    def counting(self, s, *args, **kwargs):
        calls.append(s)
        return parse(self, s, *args, **kwargs)

    monkeypatch.setattr(_mathtext.Parser, "parse", counting)
    texcheck._piece.cache_clear()
    texcheck._math.cache_clear()
    formulas = [
        rf"\frac{{x^{{2}} \sin{{\left({a} x\right)}}}}{{\cos{{\left(x\right)}} + {b}}}"
        for a in range(2, 8)
        for b in range(1, 7)
    ]
    assert all(latex_problem(f) is None for f in formulas)
    assert len(calls) < len(formulas) / 2
    assert len(calls) == len(set(calls))
