"""What /tex accepts from a student (bot/math/usertex.py): refused early when too long, too deep
or not math; otherwise checked and drawn like a deck's formulas, within the renderer's limits."""

from __future__ import annotations

import pytest

from bot.math.render import MAX_PNG_BYTES
from bot.math.usertex import (
    FORBIDDEN,
    MAX_DEPTH,
    MAX_FORMULA_CHARS,
    MAX_ROWS,
    formula_problem,
    render_formula,
)


@pytest.mark.parametrize(
    "tex",
    [
        r"\frac{d}{dx} \sin x = \cos x",
        r"f'(a) = \lim_{h \to 0} \frac{f(a+h) - f(a)}{h}",
        r"\left( \frac{1}{x} \right)' = -\frac{1}{x^2}",
        r"y = 2x - 1 \\ y = 3x",
        r"\{ x \mid x > 0 \}",
        "x+" * 40,
    ],
)
def test_honest_formulas_pass_and_draw(tex: str) -> None:
    assert formula_problem(tex) is None
    rendered = render_formula(tex)
    assert rendered.error is None and rendered.png is not None
    assert rendered.png.startswith(b"\x89PNG") and len(rendered.png) <= MAX_PNG_BYTES


@pytest.mark.parametrize(
    ("tex", "why"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("x" * (MAX_FORMULA_CHARS + 1), f"the limit is {MAX_FORMULA_CHARS}"),
        ("x\x00y", "control characters"),
        (r"\input{/etc/passwd}", r"`\input` is not something I draw"),
        (r"\immediate\write18{rm -rf /}", r"`\immediate`"),
        (r"\catcode`\^=12 x^2", r"`\catcode`"),
        (r"\newcommand{\x}{\x\x} \x", r"`\newcommand`"),
        ("{" * (MAX_DEPTH + 1) + "x" + "}" * (MAX_DEPTH + 1), "nests more than"),
        (r"\left(" * (MAX_DEPTH + 1) + "x" + r"\right)" * (MAX_DEPTH + 1), "nests more than"),
        (r"\frac{1}{2", "is never closed"),
        (r"x}", "closes nothing"),
        (r"x \\ " * MAX_ROWS, f"more than {MAX_ROWS} rows"),
    ],
)
def test_refused_before_anything_parses_it(tex: str, why: str) -> None:
    problem = formula_problem(tex)
    assert problem is not None and why in problem
    rendered = render_formula(tex)  # the worker refuses it too, the same way
    assert rendered.png is None and rendered.error == problem


def test_escaped_braces_and_look_alike_commands_are_not_refused() -> None:
    assert formula_problem(r"\{ x \} \leftarrow \rightarrow \inputs") is None
    assert formula_problem(r"\left\{ x \right.") is None
    assert "input" in FORBIDDEN and "inputs" not in FORBIDDEN


def test_a_picture_too_large_to_read_is_refused_by_the_renderers_size_limit() -> None:
    """Within the length limit, yet one line of 400 characters would be a sliver: the image
    size limit refuses it, kindly."""
    tex = "x" * MAX_FORMULA_CHARS
    assert formula_problem(tex) is None
    rendered = render_formula(tex)
    assert rendered.png is None and rendered.error == "expression too large to render legibly"


def test_what_the_renderer_cannot_draw_is_said_without_parser_jargon() -> None:
    rendered = render_formula(r"\notacommand{x}")
    assert rendered.png is None
    assert rendered.error == r"Unknown symbol: \notacommand, found '\'"
