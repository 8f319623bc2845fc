"""The computation-graph picture of a backprop problem: drawn, and what it shows or hides."""

from __future__ import annotations

import io
import pickle

from PIL import Image

from bot.math.generator import generate
from bot.math.render.graph import render_graph


def _graph(level: int = 2, seed: int = 0) -> dict:
    return generate("backprop", level, seed).extra["graph"]


def test_the_problem_shows_inputs_and_hides_what_is_asked() -> None:
    graph = _graph()
    shown = render_graph(graph, solved=False, theme="light")
    assert shown.png is not None and shown.error is None
    image = Image.open(io.BytesIO(shown.png))
    assert image.width > 400 and image.height > 200
    values = {n["id"]: n["value"] for n in graph["nodes"]}
    assert f"w = {values['w']}" in shown.text and f"b = {values['b']}" in shown.text
    assert "z = ?" in shown.text and "L = ?" in shown.text and "∂a/∂z = ?" in shown.text


def test_the_solution_shows_forward_values_and_local_derivatives() -> None:
    solved = render_graph(_graph(), solved=True)
    assert solved.png is not None
    assert "a = 1/2" in solved.text and "∂a/∂z = 1/4" in solved.text
    unsolved = render_graph(_graph(), solved=False)
    assert solved.png != unsolved.png  # the values are drawn, not only described


def test_themes_differ_and_the_result_pickles() -> None:
    dark = render_graph(_graph(3, 1), solved=True, theme="dark")
    light = render_graph(_graph(3, 1), solved=True, theme="light")
    assert dark.png and light.png and dark.png != light.png
    assert pickle.loads(pickle.dumps(dark)) == dark  # it crosses the worker pool


def test_a_graph_too_large_is_refused_with_text() -> None:
    graph = {"nodes": [{"id": f"w{k}", "value": "1"} for k in range(20)], "edges": []}
    refused = render_graph(graph)
    assert refused.png is None and refused.error and "w3 = 1" in refused.text
