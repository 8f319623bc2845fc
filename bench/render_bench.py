"""How fast `bot.math.render` turns sympy derivatives into PNGs, cold and cached.

Cold means every expression is new to both our LRU and matplotlib's mathtext cache, i.e. what a
student waits for the first time a given answer is shown.  The one-off start-up cost (font loading,
first parse) is paid by a warm-up render that is not measured.
"""

from __future__ import annotations

import gc
import io
import itertools
import os
import platform
import statistics
import time

import matplotlib
import sympy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.math.render import clear_render_cache, mathtext_safe, render_cache_info, render_latex

N_EXPRESSIONS = 200


def corpus(n: int = N_EXPRESSIONS) -> list[str]:
    """Distinct `sympy.latex` strings of derivatives like those the bot generates."""
    x = sympy.Symbol("x")
    outers = [
        sympy.sin,
        sympy.cos,
        sympy.tan,
        sympy.sec,
        sympy.cot,
        sympy.asin,
        sympy.acos,
        sympy.atan,
        sympy.acot,
        sympy.asec,
        sympy.sinh,
        sympy.tanh,
        sympy.sech,
        sympy.coth,
        sympy.asinh,
        sympy.exp,
        sympy.log,
        sympy.sqrt,
        sympy.cbrt,
        lambda u: sympy.log(u, 2),
    ]
    inners = [x**2, 3 * x + 1, x**3 - 2 * x, sympy.sqrt(x), 1 / x, sympy.exp(x), x / (x + 1)]
    shapes = [
        lambda f, u: f(u),
        lambda f, u: x**2 * f(u),
        lambda f, u: f(u) / (x**2 + 1),
        lambda f, u: f(u) ** 2,
    ]
    seen: dict[str, None] = {}
    for shape, inner, outer in itertools.product(shapes, inners, outers):
        seen.setdefault(sympy.latex(sympy.diff(shape(outer, inner), x)))
    texts = list(seen)
    step = max(1, len(texts) // n)  # spread the sample over every shape, not just the first
    return texts[::step][:n]


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _time_all(texts: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per render.  Wall is what the student waits for; CPU
    separates our cost from other processes competing for this 2-core machine."""
    wall, cpu = [], []
    for tex in texts:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        result = render_latex(tex)
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start_wall) * 1000)
        if result.png is None:
            raise RuntimeError(f"benchmark expression failed to render: {tex!r}: {result.error}")
    return wall, cpu


def _naive_png(tex: str) -> bytes:
    """The obvious implementation, for comparison: draw on a default figure and let
    savefig(bbox_inches="tight") find the text (it draws twice, and encodes RGBA)."""
    fig = Figure(dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0, 0, f"${mathtext_safe(tex)}$", fontsize=22, color="#DCDDDE")
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight", pad_inches=0.08, transparent=True)
    return out.getvalue()


def _time_naive(texts: list[str]) -> list[float]:
    times = []
    for tex in texts:
        start = time.perf_counter()
        _naive_png(tex)
        times.append((time.perf_counter() - start) * 1000)
    return times


def run(n: int = N_EXPRESSIONS) -> dict:
    """Measure p50/p99 render latency in ms, uncached and cached, on this machine."""
    texts = corpus(n)
    clear_render_cache()
    render_latex(r"\frac{d}{dx} \sin{\left(x \right)} = \cos{\left(x \right)}")  # warm-up
    clear_render_cache()
    cold_wall, cold_cpu = _time_all(texts)
    hits_before = render_cache_info().hits
    warm_wall, _ = _time_all(texts)
    hits = render_cache_info().hits - hits_before
    sizes = [len(render_latex(t).png or b"") for t in texts]
    # The p99 above is dominated by full (generation 2) garbage collections over sympy's large
    # heap.  A long-running bot can gc.freeze() after start-up; measure what that buys.
    clear_render_cache()
    gc.collect()
    gc.freeze()
    try:
        frozen_wall, _ = _time_all(texts)
    finally:
        gc.unfreeze()
    clear_render_cache()
    naive = _time_naive(texts[::4])
    return {
        "expressions": len(texts),
        "mean_tex_chars": round(statistics.fmean(map(len, texts))),
        "uncached_p50_ms": round(_percentile(cold_wall, 50), 2),
        "uncached_p99_ms": round(_percentile(cold_wall, 99), 2),
        "uncached_cpu_p50_ms": round(_percentile(cold_cpu, 50), 2),
        "uncached_cpu_p99_ms": round(_percentile(cold_cpu, 99), 2),
        "uncached_gc_frozen_p50_ms": round(_percentile(frozen_wall, 50), 2),
        "uncached_gc_frozen_p99_ms": round(_percentile(frozen_wall, 99), 2),
        "naive_savefig_tight_p50_ms": round(_percentile(naive, 50), 2),
        "cached_p50_ms": round(_percentile(warm_wall, 50), 4),
        "cached_p99_ms": round(_percentile(warm_wall, 99), 4),
        "cached_hit_rate": round(hits / len(texts), 3),
        "png_kb_mean": round(statistics.fmean(sizes) / 1000, 1),
        "png_kb_max": round(max(sizes) / 1000, 1),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "matplotlib": matplotlib.__version__,
    }


def to_markdown(result: dict) -> str:
    rows = [
        "| metric | value |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in result.items()),
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(to_markdown(run()))
