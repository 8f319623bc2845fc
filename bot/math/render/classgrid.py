"""The class at a glance as a PNG: students × skills, each cell coloured by mastery.

Plain data in (`ClassGrid`: names and small numbers, picklable, no ORM rows), PNG bytes out;
it runs in the worker pool like every other drawing. Mastery has two parts a teacher reads at
once: the hue is recent accuracy (red under 50 %, amber under 80 %, green from 80 %: first-try
answers among the student's last few problems of the skill), and the strength of the colour is
the level reached (pale at level 1, full at the top level). Each cell also says both in text
("L2 7/10"), so the picture does not depend on colour alone.

Drawn like the other charts (`bot.math.charts`: its palette, literal text with mathtext off,
names cut to fit, `Figure` on Agg under the render lock). Not re-exported by
`bot.math.render`'s `__init__`, because it builds on `charts`, which imports that package:
import it as `bot.math.render.classgrid`.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.math.charts import (
    Look,
    canvas_figure,
    fit_width,
    literal_text,
    look_for,
    plain_name,
    render_png,
)

__all__ = ["MAX_ROWS", "ClassGrid", "GridCell", "class_grid_png", "mastery_band"]

MAX_ROWS = 80  # a taller picture is unreadable in Discord; the caller says how many more
NAME_IN = 2.1  # inches for the names column
CELL_IN = 0.78  # inches per skill column
ROW_IN = 0.32  # inches per student row
HEAD_IN = 1.25  # title and the slanted skill names
FOOT_IN = 0.75  # the key


@dataclass(frozen=True)
class GridCell:
    """One student on one skill: the level reached of `levels`, and first-try answers
    (`correct`) among their last `attempts` problems."""

    level: int
    levels: int
    correct: int
    attempts: int


@dataclass(frozen=True)
class ClassGrid:
    """The whole picture: `cells[i][j]` is `students[i]` on `skills[j]` (None: not started)."""

    title: str
    day: str  # ISO date the view is of
    skills: tuple[str, ...]
    students: tuple[str, ...]
    cells: tuple[tuple[GridCell | None, ...], ...]
    more: int = 0  # students left out of the picture
    recent: int = 10  # how many recent problems the accuracy is over


def mastery_band(cell: GridCell | None) -> str:
    """`none` (not started), `low` (under 50 %), `mid` (under 80 %) or `high`: the hue."""
    if cell is None or cell.attempts <= 0:
        return "none"
    share = max(0, min(cell.correct, cell.attempts)) / cell.attempts
    return "low" if share < 0.5 else "mid" if share < 0.8 else "high"


def class_grid_png(grid: ClassGrid, theme: str = "dark") -> bytes:
    """The grid as a PNG (at most `MAX_ROWS` students; more are counted under it)."""
    if len(grid.cells) != len(grid.students) or any(
        len(row) != len(grid.skills) for row in grid.cells
    ):
        raise ValueError("cells must be one row per student and one column per skill")
    look = look_for(theme)
    return render_png(lambda: _figure(grid, look))


def _figure(grid: ClassGrid, look: Look) -> Figure:
    rows = len(grid.students[:MAX_ROWS])
    width = max(7.0, NAME_IN + CELL_IN * max(len(grid.skills), 1) + 0.3)
    height = HEAD_IN + ROW_IN * max(rows, 2) + FOOT_IN
    fig = canvas_figure(width, height, look)
    _header(fig, grid, look, 1 - 0.32 / height)
    left = NAME_IN / width
    ax = fig.add_axes(
        (left, FOOT_IN / height, 1 - left - 0.2 / width, ROW_IN * max(rows, 2) / height)
    )
    ax.axis("off")
    ax.set_xlim(0, max(len(grid.skills), 1))
    ax.set_ylim(max(rows, 2), 0)
    if not rows or not grid.skills:
        literal_text(
            ax,
            0.5 * max(len(grid.skills), 1),
            1,
            "No answers in this server yet.",
            fontsize=11,
            color=look.muted,
            ha="center",
            va="center",
        )
    for j, skill in enumerate(grid.skills):
        label = literal_text(
            ax,
            j + 0.3,
            -0.15,
            plain_name(skill.replace("_", " "), 16),
            fontsize=9,
            color=look.text,
            rotation=35,
            ha="left",
            va="bottom",
        )
        label.set_rotation_mode("anchor")
    for i, name in enumerate(grid.students[:MAX_ROWS]):
        drawn = literal_text(
            ax,
            -0.12,
            i + 0.5,
            plain_name(name),
            fontsize=9,
            color=look.text,
            ha="right",
            va="center",
        )
        fit_width(drawn, (NAME_IN - 0.2) * fig.dpi)
        for j, cell in enumerate(grid.cells[i]):
            _cell(ax, i, j, cell, look)
    _key(fig, grid, look, 0.3 / height)
    return fig


def _header(fig: Figure, grid: ClassGrid, look: Look, top: float) -> None:
    title = literal_text(
        fig,
        0.02,
        top,
        plain_name(grid.title or "The class", 48),
        fontsize=15,
        fontweight="bold",
        color=look.text,
        va="center",
    )
    fit_width(title, 0.6 * fig.bbox.width)
    count = len(grid.students) + grid.more
    literal_text(
        fig,
        0.98,
        top,
        f"{count} student{'s' if count != 1 else ''} · {grid.day}",
        fontsize=10,
        color=look.muted,
        ha="right",
        va="center",
    )


def _colour(cell: GridCell | None, look: Look) -> str:
    band = mastery_band(cell)
    if cell is None or band == "none":
        return look.track
    hue = {"low": look.bad, "mid": look.warm, "high": look.heat[3]}[band]
    strength = 0.35 + 0.65 * max(0, min(cell.level, cell.levels)) / max(cell.levels, 1)
    bg, fg = to_rgb(look.bg), to_rgb(hue)
    return to_hex(tuple(b + (f - b) * strength for b, f in zip(bg, fg, strict=True)))


def _cell(ax, i: int, j: int, cell: GridCell | None, look: Look) -> None:  # type: ignore[no-untyped-def]
    face = _colour(cell, look)
    ax.add_artist(Rectangle((j + 0.04, i + 0.06), 0.92, 0.88, facecolor=face, edgecolor="none"))
    if cell is None:
        literal_text(
            ax, j + 0.5, i + 0.5, "·", fontsize=9, color=look.muted, ha="center", va="center"
        )
        return
    label = f"L{cell.level} {min(cell.correct, cell.attempts)}/{cell.attempts}"
    ink = look.bg if _luminance(face) > 0.45 else look.text  # readable on pale and dark alike
    literal_text(ax, j + 0.5, i + 0.52, label, fontsize=7.5, color=ink, ha="center", va="center")


def _luminance(colour: str) -> float:
    red, green, blue = to_rgb(colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _key(fig: Figure, grid: ClassGrid, look: Look, y: float) -> None:
    """What the colours mean, and how many students the picture leaves out."""
    x = 0.02
    for band, words in (("low", "under 50%"), ("mid", "50-79%"), ("high", "80% or more")):
        sample = GridCell(3, 3, {"low": 0, "mid": 6, "high": 9}[band], 10)
        fig.add_artist(
            Rectangle(
                (x, y - 0.009 * fig.bbox.width / fig.bbox.height),
                0.018,
                0.018 * fig.bbox.width / fig.bbox.height,
                transform=fig.transFigure,
                facecolor=_colour(sample, look),
            )
        )
        literal_text(fig, x + 0.024, y, words, fontsize=8.5, color=look.text, va="center")
        x += 0.14
    note = f"first try, last {grid.recent} problems · paler: a lower level"
    more = grid.more + max(0, len(grid.students) - MAX_ROWS)
    if more > 0:
        note += f" · {more} more student{'s' if more != 1 else ''} in the CSV"
    fit_width(
        literal_text(fig, x + 0.01, y, note, fontsize=8.5, color=look.muted, va="center"),
        (0.97 - x) * fig.bbox.width,
    )
