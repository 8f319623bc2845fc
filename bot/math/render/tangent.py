"""The tangent-line picture: f near x = a with its tangent, "the derivative is the slope"."""

from __future__ import annotations

import math

import numpy as np
import sympy
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.math.render.base import (
    MPL_LOCK,
    THEMES,
    Palette,
    Rendered,
    Theme,
    _check_options,
    _RenderError,
)
from bot.math.render.cache import _cached_render
from bot.math.render.plaintext import tex_to_text
from bot.math.render.raster import _PARSER, DPI, _font, encode_rgba
from bot.math.render.texfix import _lighten, mathtext_safe


def _fmt(value: float) -> str:
    """About 4 significant digits, without scientific notation for everyday magnitudes."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    if 1e-4 <= abs(value) < 1e6:
        decimals = max(0, 3 - math.floor(math.log10(abs(value))))
        text = f"{value:.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    else:
        text = f"{value:.4g}"
    return "0" if text in ("-0", "0") else text


def _tangent_tex(m: float, b: float) -> str:
    if _fmt(m) == "0":
        return f"y = {_fmt(b)}"
    slope = {"1": "", "-1": "-"}.get(_fmt(m), _fmt(m))
    if _fmt(b) == "0":
        return f"y = {slope}x"
    sign = "-" if b < 0 else "+"
    return f"y = {slope}x {sign} {_fmt(abs(b))}"


def _real_or_none(value: sympy.Expr) -> float | None:
    try:
        z = complex(sympy.N(value))
    except Exception:  # sympy can fail in many ways (even RecursionError) on odd expressions
        return None
    if not (math.isfinite(z.real) and math.isfinite(z.imag)) or abs(z.imag) > 1e-9:
        return None
    return z.real


def _sample(function: sympy.Expr, var: sympy.Symbol, xs: np.ndarray) -> np.ndarray:
    """f on the grid with undefined/complex/infinite points as NaN (so the line breaks there)."""
    try:
        f = sympy.lambdify(var, function, modules="numpy")
        with np.errstate(all="ignore"):
            raw = np.asarray(f(xs))
        ys = np.broadcast_to(raw, xs.shape).astype(complex)
    except Exception:  # something numpy cannot vectorise: go point by point with mpmath
        f = sympy.lambdify(var, function, modules="mpmath")
        ys = np.empty(xs.shape, dtype=complex)
        for i, x in enumerate(xs):
            try:
                ys[i] = complex(f(float(x)))
            except Exception:
                ys[i] = complex("nan")
    real = ys.real.copy()
    real[~np.isfinite(ys.real) | ~np.isfinite(ys.imag) | (np.abs(ys.imag) > 1e-9)] = np.nan
    return real


def _slope(function: sympy.Expr, var: sympy.Symbol, point: sympy.Expr) -> float | None:
    """f'(a), or None where f has no (two-sided, real) derivative."""
    real = sympy.Dummy(var.name, real=True)  # so d|x|/dx is sign(x), not an re/im tangle
    try:
        derivative = sympy.diff(function.subs(var, real), real)
    except Exception:
        return None
    if derivative.has(sympy.Derivative):  # sympy gave up (floor, ...): difference quotient
        a = float(point)
        h = 1e-6 * max(1.0, abs(a))
        ys = _sample(function, var, np.array([a - h, a + h]))
        slope = float((ys[1] - ys[0]) / (2 * h))
        return slope if math.isfinite(slope) else None
    return _real_or_none(derivative.subs(real, point))


def _one_sided_slopes_agree(function: sympy.Expr, var: sympy.Symbol, a: float, m: float) -> bool:
    """Reject corners and jumps (|x| at 0, floor at 1) that sympy happily assigns a slope to."""
    h = 1e-5 * max(1.0, abs(a))
    left, mid, right = _sample(function, var, np.array([a - h, a, a + h]))
    sides = [s for s in ((mid - left) / h, (right - mid) / h) if math.isfinite(s)]
    tolerance = 1e-2 * max(1.0, abs(m))
    return all(abs(s - m) <= tolerance for s in sides)


def _y_window(xs: np.ndarray, ys: np.ndarray, a: float, fa: float, m: float) -> tuple[float, float]:
    """Vertical range showing the tangent across the window and f near the point, so that a
    fast-growing f (e^x) or an asymptote (tan x) does not flatten the picture."""
    near = np.abs(xs - a) <= (xs[-1] - xs[0]) / 4
    finite = ys[near & np.isfinite(ys)]
    values = [fa, fa + m * (xs[0] - a), fa + m * (xs[-1] - a)]
    if finite.size:
        values += list(np.percentile(finite, [2, 98]))
    lo, hi = min(values), max(values)
    span = hi - lo
    if span < 1e-9:
        span = max(1.0, abs(fa))
        lo, hi = fa - span / 2, fa + span / 2
    return lo - 0.12 * span, hi + 0.12 * span


def _function_label(function: sympy.Expr, v: str) -> str:
    """`f(x) = ...` for the legend, or just `f(x)` when the formula is long or would not draw."""
    f_tex = _lighten(mathtext_safe(sympy.latex(function)))
    f_label = f"$f({v}) = {f_tex}$"
    try:
        _PARSER.parse(f_label, DPI, _font(11))
        if len(f_tex) > 80:
            raise _RenderError("label too long")
    except Exception:
        return f"$f({v})$"
    return f_label


def _style_axes(ax: Axes, colors: Palette, title: str, xlabel: str) -> None:
    """Axes through the origin, grid, title and legend in the theme's colours."""
    ax.axhline(0, color=colors.text, lw=0.8, alpha=0.5)
    ax.axvline(0, color=colors.text, lw=0.8, alpha=0.5)
    ax.grid(True, color=colors.text, alpha=0.15)
    ax.set_title(title, color=colors.text, fontsize=13)
    ax.set_xlabel(xlabel, color=colors.text, fontsize=12)
    ax.tick_params(colors=colors.text, labelsize=10)
    for spine in ax.spines.values():
        spine.set_color(colors.text)
        spine.set_alpha(0.6)
    legend = ax.legend(loc="best", fontsize=11, framealpha=0.85, facecolor=colors.legend_face)
    legend.get_frame().set_edgecolor(colors.text)
    for label in legend.get_texts():
        label.set_color(colors.text)


def _draw_tangent(
    function: sympy.Expr, var: sympy.Symbol, a: float, fa: float, m: float, theme: str
) -> bytes:
    colors = THEMES[theme]
    half = 3.0  # enough to see the curve bend away from the line, close enough to look linear
    xs = np.linspace(a - half, a + half, 801)
    ys = _sample(function, var, xs)
    y_lo, y_hi = _y_window(xs, ys, a, fa, m)
    span = y_hi - y_lo
    ys[(ys < y_lo - span) | (ys > y_hi + span)] = np.nan  # break lines at asymptotes

    v = sympy.latex(var)
    b = fa - m * a
    fig = Figure(figsize=(6.4, 4.2), dpi=DPI, facecolor="none")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_facecolor("none")
    ax.plot(xs, ys, color=colors.curve, lw=2.4, label=_function_label(function, v))
    ax.plot(
        xs,
        fa + m * (xs - a),
        color=colors.tangent,
        lw=2.0,
        ls="--",
        label=f"tangent: ${_tangent_tex(m, b).replace('x', v)}$",
    )
    ax.plot([a], [fa], "o", ms=8, color=colors.point, zorder=5)
    ax.annotate(
        f"$({_fmt(a)},\\ {_fmt(fa)})$",
        (a, fa),
        xytext=(8, -16),
        textcoords="offset points",
        color=colors.text,
        fontsize=11,
    )
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(y_lo, y_hi)
    title = f"slope of the tangent at ${v} = {_fmt(a)}$:  $f'({_fmt(a)}) = {_fmt(m)}$"
    _style_axes(ax, colors, title, f"${v}$")
    fig.tight_layout(pad=0.6)
    canvas.draw()
    return encode_rgba(np.asarray(canvas.buffer_rgba()))


def render_tangent(
    function: sympy.Expr,
    a: float,
    *,
    var: sympy.Symbol | None = None,
    theme: Theme = "dark",
    fallback_text: str | None = None,
) -> Rendered:
    """Plot f near x=a with its tangent line: the picture of "the derivative is the slope".

    `function` must be trusted (generated by us): it is compiled with `sympy.lambdify`.
    """
    _check_options(theme, 22)
    free = sorted(function.free_symbols, key=str)
    if var is None:
        var = free[0] if len(free) == 1 else sympy.Symbol("x")
    elif var not in free:  # same name, different assumptions (real=True...): same variable
        var = next((s for s in free if s.name == var.name), var)
    a_value = float(a)
    state: dict[str, float | str] = {}

    def draw() -> bytes:
        if len(function.free_symbols - {var}) > 0:
            raise _RenderError("function has more than one variable")
        if not math.isfinite(a_value):
            raise _RenderError("tangent point must be finite")
        point = sympy.Integer(int(a_value)) if a_value.is_integer() else sympy.Float(a_value)
        fa = _real_or_none(function.subs(var, point))
        slope = _slope(function, var, point)
        if fa is None or slope is None:
            raise _RenderError(f"f has no real tangent at {var} = {_fmt(a_value)}")
        if not _one_sided_slopes_agree(function, var, a_value, slope):
            state["why"] = "not differentiable"
            raise _RenderError(f"f is not differentiable at {var} = {_fmt(a_value)}")
        state.update(fa=fa, m=slope)
        with MPL_LOCK:
            return _draw_tangent(function, var, a_value, fa, slope, theme)

    def derive_text() -> str:
        head = f"f({var}) = {tex_to_text(sympy.latex(function))}"
        if "m" not in state:
            why = state.get("why", "no real tangent line")
            return f"{head}; {why} at {var} = {_fmt(a_value)}"
        fa, m = float(state["fa"]), float(state["m"])
        line = _tangent_tex(m, fa - m * a_value).replace("x", str(var))
        return f"{head}; tangent at {var} = {_fmt(a_value)}: {line} (slope {_fmt(m)})"

    png, error, text = _cached_render(("tangent", function, a_value, var, theme), draw, derive_text)
    return Rendered(png, fallback_text if fallback_text is not None else text, error)
