"""Tests for bot.math.render: images that are valid, readable on each theme, small and cached."""

from __future__ import annotations

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import sympy
from PIL import Image

from bot.math import render
from bot.math.render import (
    MAX_PNG_BYTES,
    PAD_PX,
    clear_render_cache,
    mathtext_safe,
    render_cache_info,
    render_latex,
    render_lines,
    render_tangent,
    tex_to_text,
)

x = sympy.Symbol("x")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SAMPLE = sympy.latex(sympy.diff(sympy.asin(x**2) * sympy.exp(x), x))


def decode(png: bytes | None) -> np.ndarray:
    """RGBA pixels of a PNG, after checking it really is one."""
    assert png is not None
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < MAX_PNG_BYTES
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return np.asarray(image.convert("RGBA"))


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(float) @ np.array([0.2126, 0.7152, 0.0722])


def ink_bbox(pixels: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(pixels[..., 3].any(axis=1))
    cols = np.flatnonzero(pixels[..., 3].any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_render_cache()
    yield
    clear_render_cache()


# --------------------------------------------------------------------------- sympy corpus


def _sympy_expressions() -> list[sympy.Expr]:
    f = sympy.Function("f")
    return [
        sympy.sin(x),
        sympy.cos(x) ** 2,
        sympy.tan(x**2),
        sympy.sec(x) ** 3,
        sympy.csc(x),
        sympy.cot(x),
        sympy.asin(x),
        sympy.acos(2 * x),
        sympy.atan(x),
        sympy.acot(x),
        sympy.asec(x),
        sympy.acsc(x),
        sympy.sinh(x),
        sympy.cosh(x),
        sympy.tanh(x),
        sympy.sech(x),
        sympy.csch(x),
        sympy.coth(x),
        sympy.asinh(x),
        sympy.acosh(x),
        sympy.atanh(x),
        sympy.acoth(x),
        sympy.Abs(x),
        sympy.log(x, 2),
        sympy.log(x),
        sympy.log(sympy.Abs(x)),
        sympy.sqrt(x),
        sympy.cbrt(x),
        sympy.root(x, 5),
        sympy.exp(x),
        sympy.exp(sympy.sin(x) ** 2),
        sympy.exp(-(x**2) / 2),
        1 / (1 + 1 / (1 + x)),
        (x**2 + 1) / (x - 1) ** 3,
        sympy.sin(x) ** 2 * sympy.cos(x) ** 3,
        sympy.Rational(3, 4) * x ** sympy.Rational(2, 3),
        sympy.pi * x + sympy.E**x,
        sympy.Derivative(sympy.sin(x), x),
        sympy.diff(sympy.acot(x) * sympy.exp(x), x),
        sympy.diff(sympy.asec(x), x),
        sympy.diff(sympy.sech(x) * sympy.log(x, 2), x),
        sympy.diff(f(x**2), x),
        sympy.Piecewise((x, x > 0), (-x, True)),
        sympy.Limit(1 / x, x, sympy.oo),
        sympy.floor(x) + sympy.ceiling(x),
    ]


SYMPY_LATEX = [sympy.latex(e) for e in _sympy_expressions()]
SYMPY_LATEX += [
    sympy.latex(sympy.asin(x), inv_trig_style="full"),
    sympy.latex(sympy.log(x), ln_notation=True),
]


@pytest.mark.parametrize("tex", SYMPY_LATEX)
def test_every_sympy_latex_output_renders(tex: str) -> None:
    result = render_latex(tex)
    assert result.error is None, (tex, mathtext_safe(tex), result.error)
    decode(result.png)
    assert result.text


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"\dfrac{1}{x}", r"\frac{1}{x}"),
        (r"\tfrac12", r"\frac{1}{2}"),
        (r"\displaystyle \sum_{n} x", r"\sum_{n} x"),
        (r"\operatorname*{lim}_{x \to 0}", r"\operatorname{lim}_{x \to 0}"),
        (r"x \le y \ge z", r"x \leq y \geq z"),
        (r"\lvert x \rvert", "| x |"),
        (r"\Big( x \Big)", "( x )"),
        (r"\sech{x} + \arccot{x}", r"\operatorname{sech}{x} + \operatorname{arccot}{x}"),
        (r"\textbf{v} \cdot \textrm{d}x", r"\mathbf{v} \cdot \text{d}x"),
        (r"\sqrt2", r"\sqrt{2}"),
        (r"a \implies b", r"a \Rightarrow b"),
        (r"\color{red}{x}", "{x}"),
        (r"\cancel{x}", "{x}"),
        (r"A \& B", r"A \text{&} B"),
        (r"5 \$", r"5 \$"),
        ("a $ b", r"a \$ b"),
    ],
)
def test_mathtext_safe_rewrites(tex: str, expected: str) -> None:
    assert mathtext_safe(tex) == expected


def test_mathtext_safe_flattens_cases_and_rows() -> None:
    tex = sympy.latex(sympy.Piecewise((x, x > 0), (-x, True)))
    safe = mathtext_safe(tex)
    assert r"\begin" not in safe and "&" not in safe and r"\\" not in safe
    assert safe.startswith(r"\left\{")
    assert "\\\\" not in mathtext_safe(r"a \\ b")


def test_mathtext_safe_keeps_unknown_commands_so_they_fail() -> None:
    assert mathtext_safe(r"\notacommand") == r"\notacommand"


def test_align_environment_becomes_stacked_lines() -> None:
    one = decode(render_latex("f(x) = x^2").png)
    two = decode(render_latex(r"\begin{aligned} f(x) &= x^2 \\ f'(x) &= 2x \end{aligned}").png)
    assert two.shape[0] > 1.6 * one.shape[0]


# --------------------------------------------------------------------------- image properties


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_png_decodes_for_both_themes(theme: str) -> None:
    result = render_latex(SAMPLE, theme=theme)
    assert result.error is None
    pixels = decode(result.png)
    assert pixels.shape[0] > 30 and pixels.shape[1] > 100  # readable size, not a thumbnail


def test_dark_theme_text_is_light_and_light_theme_text_is_dark() -> None:
    dark = decode(render_latex(SAMPLE, theme="dark").png)
    light = decode(render_latex(SAMPLE, theme="light").png)
    dark_ink = luminance(dark[dark[..., 3] > 200])
    light_ink = luminance(light[light[..., 3] > 200])
    assert dark_ink.size and light_ink.size
    assert dark_ink.min() > 180  # near #DCDDDE
    assert light_ink.max() < 80  # near #2E3338


def test_background_is_transparent() -> None:
    pixels = decode(render_latex(SAMPLE).png)
    for corner in (pixels[0, 0], pixels[0, -1], pixels[-1, 0], pixels[-1, -1]):
        assert corner[3] == 0
    assert (pixels[..., 3] == 0).mean() > 0.4  # mostly background, not an opaque box


@pytest.mark.parametrize("tex", [SAMPLE, "x", r"\frac{1}{x^{2} + 1}", r"e^{- x^{2}}"])
def test_margins_are_trimmed_and_even(tex: str) -> None:
    pixels = decode(render_latex(tex).png)
    top, bottom, left, right = ink_bbox(pixels)
    height, width = pixels.shape[:2]
    assert (top, left) == (PAD_PX, PAD_PX)
    assert (height - 1 - bottom, width - 1 - right) == (PAD_PX, PAD_PX)


def test_long_expression_stays_small_and_wraps() -> None:
    expr = sympy.diff(sympy.sin(x**2) * sympy.exp(sympy.cos(x)) * sympy.log(x**2 + 1) * x**3, x)
    tex = sympy.latex(sympy.expand(expr))
    assert len(tex) > 300
    result = render_latex(tex)
    pixels = decode(result.png)  # asserts < MAX_PNG_BYTES
    assert pixels.shape[1] <= render.WRAP_WIDTH_PX + 2 * PAD_PX + 50
    assert pixels.shape[0] > 90  # wrapped onto several lines rather than squeezed


def test_unsplittable_wide_expression_is_downscaled_under_limits() -> None:
    inner = " + ".join(f"x^{{{k}}}" for k in range(1, 50))
    result = render_latex(rf"\frac{{{inner}}}{{2}}")
    pixels = decode(result.png)
    assert pixels.shape[1] <= render.MAX_WIDTH_PX + 2 * PAD_PX
    normal = decode(render_latex(r"\frac{x^{1} + x^{2}}{2}").png)
    assert pixels.shape[0] < normal.shape[0]  # shrunk to fit, not cropped


def test_huge_input_is_refused_gracefully() -> None:
    tex = " + ".join(f"x^{{{k}}}" for k in range(2000))
    result = render_latex(tex)
    assert result.png is None
    assert result.error
    assert result.text.startswith("x^0 + x^1")


def test_size_ceiling_applies_even_to_many_lines() -> None:
    lines = [f"Step {k}: $\\frac{{d}}{{dx}} x^{{{k}}} = {k} x^{{{k - 1}}}$" for k in range(1, 40)]
    result = render_lines(lines)
    pixels = decode(result.png)  # too tall at full size: shrunk, still under the byte limit
    assert pixels.shape[0] <= render.MAX_HEIGHT_PX + 2 * PAD_PX
    too_many = render_lines(lines * 2)
    assert too_many.png is None
    assert too_many.error and too_many.text.startswith("Step 1: d/dx x^1 = 1 x^0")


# --------------------------------------------------------------------------- cache


def test_cache_returns_identical_bytes_and_counts_a_hit() -> None:
    first = render_latex(SAMPLE)
    before = render_cache_info()
    second = render_latex(SAMPLE)
    after = render_cache_info()
    assert second.png == first.png
    assert after.hits == before.hits + 1
    assert after.misses == before.misses


def test_cache_key_includes_theme_and_fontsize() -> None:
    dark = render_latex(SAMPLE).png
    light = render_latex(SAMPLE, theme="light").png
    big = render_latex(SAMPLE, fontsize=30).png
    assert len({dark, light, big}) == 3
    assert render_cache_info().currsize == 3
    assert decode(big).shape[0] > decode(dark).shape[0]


def test_fallback_text_is_not_part_of_the_cache_key() -> None:
    a = render_latex(SAMPLE, fallback_text="one")
    b = render_latex(SAMPLE, fallback_text="two")
    assert (a.text, b.text) == ("one", "two")
    assert a.png == b.png
    assert render_cache_info().hits == 1


def test_concurrent_renders_match_sequential_ones() -> None:
    texts = [sympy.latex(sympy.diff(sympy.sin(x**k) * x, x)) for k in range(2, 10)]
    expected = [render_latex(t).png for t in texts]
    clear_render_cache()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: render_latex(t).png, texts * 2))
    assert got == expected * 2


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("bad", ["\\frac{", "\\notacommand", "x^{", "\\left( x", "}", "", "   "])
def test_bad_latex_falls_back_to_text(bad: str) -> None:
    result = render_latex(bad, fallback_text="the answer is x")
    assert result.png is None
    assert result.text == "the answer is x"
    assert result.error


def test_bad_latex_derives_readable_text_without_fallback() -> None:
    result = render_latex(r"\frac{1}{x} + \notacommand")
    assert result.png is None
    assert result.text == "1/x + notacommand"


def test_programmer_errors_still_raise() -> None:
    with pytest.raises(ValueError):
        render_latex("x", theme="blue")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render_latex("x", fontsize=500)


def test_pyplot_is_never_imported() -> None:
    code = (
        "import sys, sympy\n"
        "from bot.math.render import render_latex, render_tangent\n"
        "assert render_latex('x^2').png\n"
        "assert render_tangent(sympy.sin(sympy.Symbol('x')), 1).png\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --------------------------------------------------------------------------- plain text


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (sympy.latex(2 * x * sympy.sin(x) + x**2 * sympy.cos(x)), "x^2 cos(x) + 2 x sin(x)"),
        (r"\frac{2 x}{\sqrt{1 - x^{4}}}", "(2 x)/sqrt(1 - x^4)"),
        (sympy.latex(sympy.sech(x) ** 2), "sech^2(x)"),
        (sympy.latex(sympy.Abs(x)), "|x|"),
        (sympy.latex(sympy.cbrt(x)), "cbrt(x)"),
        (r"\pi \cdot e^{- \frac{x^{2}}{2}}", "π · e^(- x^2/2)"),
        (r"x \leq \infty", "x ≤ ∞"),
    ],
)
def test_tex_to_text(tex: str, text: str) -> None:
    assert tex_to_text(tex) == text


# --------------------------------------------------------------------------- render_lines


def test_render_lines_stacks_mixed_text_and_math() -> None:
    single = render_lines(["Product rule: $(fg)' = f'g + fg'$"])
    steps = render_lines(
        [
            "Product rule: $(fg)' = f'g + fg'$",
            r"$\frac{d}{dx} x^2 \sin(x) = 2x \sin(x) + x^2 \cos(x)$",
            "",
            "so the slope at $x = 0$ is $0$",
        ],
        theme="light",
    )
    assert single.error is None and steps.error is None
    assert decode(steps.png).shape[0] > 3 * decode(single.png).shape[0]
    assert steps.text.splitlines()[-1] == "so the slope at x = 0 is 0"


def test_render_lines_plain_line_keeps_a_dollar_sign() -> None:
    result = render_lines(["costs $5"])
    assert result.error is None
    decode(result.png)


def test_render_lines_bad_math_falls_back() -> None:
    result = render_lines(["fine", r"$\frac{$"])
    assert result.png is None
    assert result.text.startswith("fine\n")


# --------------------------------------------------------------------------- tangent plots


@pytest.mark.parametrize(
    ("function", "a"),
    [(sympy.sin(x), 1), (sympy.log(x), 2), (sympy.tan(x), 0.5), (x**3 - x, -1)],
)
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_render_tangent_returns_png(function: sympy.Expr, a: float, theme: str) -> None:
    result = render_tangent(function, a, theme=theme)
    assert result.error is None, result.error
    pixels = decode(result.png)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert pixels[0, 0, 3] == 0  # transparent background
    assert "tangent" in result.text


def test_render_tangent_text_has_the_tangent_line() -> None:
    result = render_tangent(sympy.log(x), 2)
    assert "y = 0.5x - 0.3069" in result.text
    assert "slope 0.5" in result.text


def test_render_tangent_without_real_tangent_falls_back() -> None:
    result = render_tangent(sympy.sqrt(x), -1)
    assert result.png is None
    assert result.error
    assert "no real tangent" in result.text


def test_render_tangent_other_variable_and_cache() -> None:
    t = sympy.Symbol("t")
    first = render_tangent(sympy.exp(t), 0)
    second = render_tangent(sympy.exp(t), 0)
    assert first.error is None
    assert first.png == second.png
    assert render_cache_info().hits == 1
    assert "y = t + 1" in first.text


def test_render_tangent_matches_variable_by_name() -> None:
    real_x = sympy.Symbol("x", real=True)
    result = render_tangent(sympy.sin(real_x), 1, var=sympy.Symbol("x"))
    assert result.error is None
    decode(result.png)
