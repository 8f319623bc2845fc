"""The picture of a computation graph (a backprop problem): inputs on the left, the loss on the
right, each node with its forward value and each edge with its local derivative.

The problem shows the inputs' values and leaves the rest as `?`; the solution fills them in.
The graph is plain data (`Problem.extra["graph"]`: nodes `{id, value}`, edges `{from, to,
local}`), drawn with Figure/Agg under `MPL_LOCK` and cached like every picture.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from bot.math.render.base import MPL_LOCK, THEMES, Rendered, Theme, _check_options, _RenderError
from bot.math.render.cache import _cached_render
from bot.math.render.raster import DPI, encode_rgba

__all__ = ["graph_text", "render_graph"]

MAX_NODES = 12
_COLUMN = {"z": 1, "a": 2, "L": 3}
_NAMES = {"L": "L"}


def _layout(nodes: Sequence[Mapping[str, str]]) -> dict[str, tuple[float, float]]:
    """Inputs stacked in column 0, then z, a and L left to right on the middle line."""
    inputs = [n["id"] for n in nodes if n["id"] not in _COLUMN]
    out: dict[str, tuple[float, float]] = {}
    for k, name in enumerate(inputs):
        out[name] = (0.0, (len(inputs) - 1) / 2 - k)
    for n in nodes:
        if n["id"] in _COLUMN:
            out[n["id"]] = (1.0 + 2.2 * _COLUMN[n["id"]], 0.0)
    return out


def _inputs(graph: Mapping[str, Any]) -> set[str]:
    return {n["id"] for n in graph["nodes"] if n["id"] not in _COLUMN}


def _label(node: Mapping[str, str], solved: bool, given: set[str]) -> str:
    value = node["value"] if solved or node["id"] in given else "?"
    return f"{node['id']} = {value}"


def _draw(graph: Mapping[str, Any], solved: bool, theme: Theme, title: str) -> bytes:
    colors = THEMES[theme]
    nodes, edges = graph["nodes"], graph["edges"]
    where = _layout(nodes)
    given = _inputs(graph)
    height = max(3.0, 0.9 * len(given) + 1.2)
    fig = Figure(figsize=(9.0, height), dpi=DPI, facecolor="none")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.86))
    ax.set_axis_off()
    ys = [y for _, y in where.values()]
    ax.set_xlim(-0.8, 8.6)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    for e in edges:
        (x0, y0), (x1, y1) = where[e["from"]], where[e["to"]]
        arrow = FancyArrowPatch(
            (x0 + 0.55, y0), (x1 - 0.55, y1), arrowstyle="-|>", mutation_scale=14,
            color=colors.curve, lw=1.6,
        )  # fmt: skip
        ax.add_patch(arrow)
        if e["local"]:
            local = e["local"] if solved else "?"
            t = 0.5 if y0 == y1 else 0.42  # along the edge, clear of the crowd at its head
            mx, my = x0 + 0.55 + t * (x1 - x0 - 1.1), y0 + t * (y1 - y0)
            ax.text(
                mx, my, f"∂{e['to']}/∂{e['from']} = {local}", color=colors.tangent,
                fontsize=9, ha="center", va="center",
                bbox={"boxstyle": "round,pad=0.15", "facecolor": colors.legend_face,
                      "edgecolor": "none"},
            )  # fmt: skip
    for n in nodes:
        x, y = where[n["id"]]
        box = FancyBboxPatch(
            (x - 0.55, y - 0.22), 1.1, 0.44, boxstyle="round,pad=0.04",
            facecolor=colors.legend_face, edgecolor=colors.point if n["id"] == "L" else colors.text,
            lw=1.4,
        )  # fmt: skip
        ax.add_patch(box)
        ax.text(x, y, _label(n, solved, given), color=colors.text, fontsize=10.5,
                ha="center", va="center")  # fmt: skip
    fig.suptitle(title, color=colors.text, fontsize=12)
    canvas.draw()
    return encode_rgba(np.asarray(canvas.buffer_rgba()))


def graph_text(graph: Mapping[str, Any], *, solved: bool = False) -> str:
    """The graph in words, for when it cannot be drawn (and for screen readers)."""
    given = _inputs(graph)
    nodes = ", ".join(_label(n, solved, given) for n in graph["nodes"])
    edges = ", ".join(
        f"∂{e['to']}/∂{e['from']} = {e['local'] if solved else '?'}"
        for e in graph["edges"]
        if e["local"]
    )
    return f"nodes: {nodes}; local derivatives: {edges}"


def render_graph(
    graph: Mapping[str, Any], *, solved: bool = False, theme: Theme = "dark"
) -> Rendered:
    """The computation graph as a PNG: the problem's (`solved` false: inputs only) or the
    solution's (every forward value and local derivative)."""
    _check_options(theme, 22)
    title = "Forward values and local derivatives" if solved else "Fill in the graph"

    def draw() -> bytes:
        if not graph.get("nodes") or len(graph["nodes"]) > MAX_NODES:
            raise _RenderError("a graph needs 1 to 12 nodes")
        with MPL_LOCK:
            return _draw(graph, solved, theme, title)

    key = ("graph", json.dumps(graph, sort_keys=True), solved, theme)
    png, error, text = _cached_render(key, draw, lambda: graph_text(graph, solved=solved))
    return Rendered(png, text, error)
