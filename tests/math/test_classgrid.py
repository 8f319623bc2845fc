"""Tests for bot.math.render.classgrid: the /class picture from plain data, colours that mean
what the key says, hostile names drawn literally, picklable for the worker pool."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from bot.math.charts import look_for
from bot.math.render import MAX_PNG_BYTES
from bot.math.render.classgrid import (
    MAX_ROWS,
    ClassGrid,
    GridCell,
    _colour,
    class_grid_png,
    mastery_band,
)

SKILLS = ("power", "sum", "product", "chain", "inverse_trig")


def _grid(students: int, skills: tuple[str, ...] = SKILLS, **kw: object) -> ClassGrid:
    names = tuple(f"student {i}" for i in range(students))
    cells = tuple(
        tuple(
            None if (i + j) % 4 == 0 else GridCell(1 + (i + j) % 3, 3, (i * j) % 11, 10)
            for j in range(len(skills))
        )
        for i in range(students)
    )
    return ClassGrid("Calculus 101", "2026-03-02", skills, names, cells, **kw)  # type: ignore[arg-type]


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png))


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_a_small_png_on_the_theme_background(theme: str) -> None:
    png = class_grid_png(_grid(12), theme)
    assert png.startswith(b"\x89PNG") and len(png) < MAX_PNG_BYTES
    corner = np.asarray(_image(png).convert("RGB"))[2, 2] / 255
    assert np.allclose(corner, to_rgb(look_for(theme).bg), atol=0.02)


def test_the_picture_grows_with_the_class_up_to_its_limit() -> None:
    small, big = _image(class_grid_png(_grid(3))), _image(class_grid_png(_grid(30)))
    assert big.height > small.height + 300
    wide = _image(class_grid_png(_grid(3, SKILLS * 3)))
    assert wide.width > small.width + 500
    capped = _image(class_grid_png(_grid(MAX_ROWS + 40)))
    assert capped.height == _image(class_grid_png(_grid(MAX_ROWS))).height


def test_hue_is_recent_accuracy_and_strength_the_level() -> None:
    assert mastery_band(None) == "none"
    assert mastery_band(GridCell(2, 3, 0, 0)) == "none"
    assert mastery_band(GridCell(1, 3, 4, 10)) == "low"
    assert mastery_band(GridCell(1, 3, 5, 10)) == "mid"
    assert mastery_band(GridCell(1, 3, 8, 10)) == "high"
    assert mastery_band(GridCell(1, 3, 15, 10)) == "high"  # never more than all of them
    look = look_for("dark")
    bg = np.array(to_rgb(look.bg))

    def distance(cell: GridCell) -> float:
        return float(np.linalg.norm(np.array(to_rgb(_colour(cell, look))) - bg))

    assert distance(GridCell(1, 3, 9, 10)) < distance(GridCell(2, 3, 9, 10))
    assert distance(GridCell(2, 3, 9, 10)) < distance(GridCell(3, 3, 9, 10))
    assert _colour(GridCell(3, 3, 9, 10), look) == look.heat[3].lower()  # top level: full colour
    assert _colour(GridCell(3, 3, 1, 10), look) == look.bad.lower()
    assert _colour(None, look) == look.track


@pytest.mark.parametrize(
    "name", [r"$\frac{1}{$", "@everyone", "a\nb\u202e\u200bc", "😀 中文名字", "W" * 200, ""]
)
def test_hostile_names_render(name: str) -> None:
    grid = ClassGrid(name, "2026-03-02", ("chain",), (name,), ((GridCell(1, 3, 1, 2),),))
    assert class_grid_png(grid).startswith(b"\x89PNG")


def test_an_empty_class_and_a_mismatched_grid() -> None:
    assert class_grid_png(ClassGrid("", "2026-03-02", (), (), ())).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="one row per student"):
        class_grid_png(ClassGrid("", "2026-03-02", ("chain",), ("ada",), ((None, None),)))
    with pytest.raises(ValueError, match="theme"):
        class_grid_png(_grid(2), "sepia")


def test_the_data_is_plain_and_picklable() -> None:
    grid = _grid(4, more=3)
    assert pickle.loads(pickle.dumps(grid)) == grid
