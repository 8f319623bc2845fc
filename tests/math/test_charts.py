"""Tests for bot.math.charts: valid, small PNGs on both themes; user names drawn literally."""

from __future__ import annotations

import datetime as dt
import io
import pickle
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from bot.math import charts
from bot.math.charts import (
    MAX_PNG_BYTES,
    SkillAccuracy,
    Standing,
    StatsData,
    leaderboard_png,
    plain_name,
    stats_png,
)
from bot.math.workers import MathPool

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = dt.date(2025, 6, 4)  # a Wednesday
SKILLS = ["power", "sum", "product", "quotient", "chain", "trig", "exp", "log", "inverse_trig"]
HOSTILE = [
    r"$\frac{1}{0}$",
    r"$\frac{1}{$",  # unbalanced: mathtext would raise while drawing
    "@everyone",
    "<@123> **bold** `code`",
    "a\nb\tc\u202e\u200bd",  # newline, tab, bidi override, zero width
    "😀 中文名字 𝔘𝔫𝔦",
    "W" * 100,
    "",
]


def decode(png: bytes) -> np.ndarray:
    """RGBA pixels of a PNG, after checking it really is one and is small enough."""
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < MAX_PNG_BYTES
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return np.asarray(image.convert("RGBA"))


def busy_stats(name: str = "ada", *, iso: bool = False) -> StatsData:
    """A year of daily reviews, every skill attempted, a full forecast, several leeches."""
    rng = np.random.default_rng(7)

    def day(d: dt.date) -> dt.date | str:
        return d.isoformat() if iso else d

    return StatsData(
        name=name,
        today=day(TODAY),
        reviews_per_day=tuple(
            (day(TODAY - dt.timedelta(days=k)), int(rng.integers(0, 40))) for k in range(365)
        ),
        accuracy=tuple(
            SkillAccuracy(s, int(rng.integers(0, 30)), 30) for s in [*SKILLS, *SKILLS[:6]]
        ),
        forecast=tuple(
            (day(TODAY + dt.timedelta(days=k)), int(rng.integers(0, 25))) for k in range(30)
        ),
        streak=41,
        total_reviews=9876,
        items_learning=57,
        leeches=("chain · level 2", "card #14", "trig · level 1", "exp · level 3", "log · level 1"),
    )


TOP = [(i, f"student {i}", 500 - 40 * i) for i in range(1, 11)]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_stats_is_a_small_png_on_the_theme_background(theme: str) -> None:
    pixels = decode(stats_png(busy_stats(), theme))
    height, width, _ = pixels.shape
    assert width >= 1000 and 0.5 < height / width < 0.8  # landscape: Discord shows it whole
    background = {"dark": (0x2B, 0x2D, 0x31), "light": (0xFF, 0xFF, 0xFF)}[theme]
    assert tuple(pixels[2, 2, :3]) == background and pixels[2, 2, 3] == 255
    # plenty of ink in the text colour family: not a blank card
    assert len(np.unique(pixels.view(np.uint32))) > 20


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_a_new_user_gets_the_empty_dashboard(theme: str) -> None:
    empty = decode(stats_png(StatsData(name="newbie", today=TODAY), theme))
    busy = decode(stats_png(busy_stats(), theme))
    assert empty.shape == busy.shape  # same layout, nothing missing or collapsed


def test_dates_may_be_iso_strings() -> None:
    assert stats_png(busy_stats(iso=True)) == stats_png(busy_stats())


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_leaderboard_pngs(theme: str) -> None:
    top = decode(leaderboard_png(TOP, TOP[3], "week", theme, server="Calculus class"))
    below = decode(leaderboard_png(TOP, (42, "me", 3), "month", theme))
    empty = decode(leaderboard_png([], None, "all", theme))
    assert below.shape[0] > top.shape[0] > empty.shape[0]  # the caller's row is added below
    assert top.shape[1] == below.shape[1] == empty.shape[1]


def test_leaderboard_takes_plain_tuples_or_standings() -> None:
    standings = [Standing(*row) for row in TOP]
    assert leaderboard_png(standings, Standing(1, "student 1", 460), "week") == leaderboard_png(
        TOP, (1, "student 1", 460), "week"
    )


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_render(name: str) -> None:
    decode(stats_png(StatsData(name=name, today=TODAY)))
    rows = [(1, name, 30), (2, "bo", 10)]
    decode(leaderboard_png(rows, (1, name, 30), "week", server=name))


def _texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text()]


def test_names_are_drawn_literally_not_as_mathtext() -> None:
    name = r"$\frac{1}{0}$"
    look = charts.look_for("dark")
    with charts.MPL_LOCK:
        figures = [
            charts._stats_figure(busy_stats(name), look),
            charts._leaderboard_figure([Standing(1, name, 10)], None, "week", "$x$ class", look),
        ]
    for fig in figures:
        drawn = [t for t in _texts(fig) if "frac" in t.get_text() or "$x$" in t.get_text()]
        assert name in [t.get_text() for t in drawn]
        assert all(not t.get_parse_math() and not t.get_usetex() for t in drawn)
        # nothing in the picture is parsed as mathtext, user text or not
        assert all(not t.get_parse_math() for t in _texts(fig) if "$" in t.get_text())


def test_the_unbalanced_name_would_crash_mathtext() -> None:
    """The hostile-name test has teeth: with mathtext on, this name fails to draw."""
    fig = Figure()
    fig.text(0, 0, HOSTILE[1])
    with pytest.raises(ValueError):
        FigureCanvasAgg(fig).draw()


def test_long_names_are_shortened_to_fit() -> None:
    look = charts.look_for("light")
    with charts.MPL_LOCK:
        fig = charts._leaderboard_figure([Standing(1, "W" * 40, 10)], None, "week", "", look)
    shown = next(t.get_text() for t in _texts(fig) if t.get_text().startswith("W"))
    assert shown.endswith("…") and len(shown) < 24


def test_plain_name() -> None:
    assert plain_name("  ada \n lovelace\u202e\u200b ") == "ada lovelace"
    assert plain_name("") == "?"
    assert plain_name("x" * 30, 10) == "x" * 9 + "…"
    assert plain_name(r"$\frac{1}{0}$") == r"$\frac{1}{0}$"  # no escaping needed: mathtext off


def test_heat_levels_follow_the_streak_threshold() -> None:
    assert [charts._heat_level(n, 5) for n in (0, 1, 4, 5, 9, 10, 19, 20, 500)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]


def test_unknown_theme_is_a_programmer_error() -> None:
    with pytest.raises(ValueError):
        stats_png(busy_stats(), "blue")
    with pytest.raises(ValueError):
        leaderboard_png(TOP, None, "week", "blue")


def test_inputs_are_plain_picklable_data_and_render_in_the_pool() -> None:
    data = busy_stats()
    assert pickle.loads(pickle.dumps(data)) == data
    with MathPool(workers=1, timeout=20.0) as pool:
        png = pool.run(stats_png, data, "dark")
        board = pool.run(leaderboard_png, TOP, None, "all", "light", server="A")
    assert png == stats_png(data, "dark")
    decode(board)


def test_pyplot_is_never_imported() -> None:
    code = (
        "import sys, datetime\n"
        "from bot.math.charts import StatsData, leaderboard_png, stats_png\n"
        "assert stats_png(StatsData('ada', datetime.date(2025, 6, 4)))\n"
        "assert leaderboard_png([(1, 'ada', 10)], None, 'week')\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert 'discord' not in sys.modules and 'sqlalchemy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
