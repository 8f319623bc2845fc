r"""Progress pictures for Discord: a student's study dashboard and a server's leaderboard.

Plain data in, PNG bytes out. The cogs turn service results into the small frozen dataclasses
below (picklable, no ORM objects) and the drawing runs in the worker pool, because a dashboard
costs a few hundred milliseconds of matplotlib. Same rules as `render`: `Figure` on an Agg
canvas, never pyplot; matplotlib serialised by render's lock; render's dark/light palettes on an
opaque Discord-coloured card; every PNG under `MAX_PNG_BYTES`.

Speed (~0.3 s a dashboard): axes have fixed limits, so patches go in with `add_artist` (not
`add_patch`, which recomputes the limits for each) and the calendar is one `PatchCollection`.

Names are user text: every string is drawn with mathtext and TeX off, so a name such as
`$\frac{1}{0}$` appears exactly as typed and an unbalanced `$` cannot break the drawing.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from bot.math.render import MAX_PNG_BYTES, MPL_LOCK, THEMES, encode_rgba

__all__ = [
    "MAX_PNG_BYTES",
    "PERIOD_LABELS",
    "Look",
    "SkillAccuracy",
    "Standing",
    "StatsData",
    "canvas_figure",
    "fit_width",
    "leaderboard_png",
    "literal_text",
    "look_for",
    "plain_name",
    "render_png",
    "stats_png",
]

Day = dt.date | str  # a date, or its ISO form "2025-06-03"

HEATMAP_WEEKS = 26
NAME_CHARS = 24  # longer names are cut with an ellipsis: the layout has room for this many
DPI = 120  # about 1080 px wide: Discord shows it at roughly half size; a click shows it all
PERIOD_LABELS = {"week": "last 7 days", "month": "last 30 days", "all": "all time"}


@dataclass(frozen=True)
class SkillAccuracy:
    skill: str
    correct: int
    attempts: int


@dataclass(frozen=True)
class StatsData:
    """Everything the dashboard shows, as plain values (dates as `date` or ISO strings)."""

    name: str
    today: Day
    reviews_per_day: tuple[tuple[Day, int], ...] = ()
    accuracy: tuple[SkillAccuracy, ...] = ()
    forecast: tuple[tuple[Day, int], ...] = ()  # the coming days, today first
    streak: int = 0
    total_reviews: int = 0
    items_learning: int = 0
    leeches: tuple[str, ...] = ()  # readable labels, e.g. "chain · level 2"
    streak_min_reviews: int = 5  # a day with this many reviews counts for the streak


class Standing(NamedTuple):
    """One leaderboard row; any `(rank, name, points)` tuple will do."""

    rank: int
    name: str
    points: int


# --------------------------------------------------------------------------- look


@dataclass(frozen=True)
class Look:
    """A theme's colours for charts (`look_for`): every picture of the bot matches."""

    bg: str
    text: str
    accent: str
    warm: str
    bad: str
    muted: str
    track: str  # empty heatmap cells, bar backgrounds, the highlighted row
    heat: tuple[str, ...]  # 0 reviews, then four increasing levels
    medals: tuple[str, str, str]


class _Shades(NamedTuple):
    """The colours a theme's palette lacks (the last fields of `Look`): muted text, bar
    tracks, the calendar's greens, medals."""

    muted: str
    track: str
    heat: tuple[str, ...]
    medals: tuple[str, str, str]


_SHADES = {
    "dark": _Shades(
        "#949BA4",
        "#383A40",
        ("#383A40", "#0E4429", "#006D32", "#26A641", "#39D353"),
        ("#F1C40F", "#C0C6CC", "#D68A4C"),
    ),
    "light": _Shades(
        "#5C5E66",
        "#EBEDF0",
        ("#EBEDF0", "#9BE9A8", "#40C463", "#30A14E", "#216E39"),
        ("#C9A100", "#8A939B", "#B0652B"),
    ),
}


def look_for(theme: str) -> Look:
    """The chart colours of ``"dark"`` or ``"light"``, taken from the renderer's palette."""
    if theme not in THEMES:  # a programmer error (the theme column is constrained)
        raise ValueError(f"theme must be 'dark' or 'light', not {theme!r}")
    base, shades = THEMES[theme], _SHADES[theme]  # render's palette: every image matches
    return Look(base.legend_face, base.text, base.curve, base.tangent, base.point, *shades)


# --------------------------------------------------------------------------- plain text

# control characters, zero-width and bidi overrides: a name must not hide or reorder text
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def plain_name(name: str, limit: int = NAME_CHARS) -> str:
    """A display name made safe to draw: one line, no invisible characters, at most `limit`
    characters (cut with an ellipsis). Mathtext is off everywhere, so `$` needs no escaping."""
    cleaned = " ".join(_INVISIBLE.sub(" ", str(name)).split()) or "?"
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def literal_text(target: Axes | Figure, x: float, y: float, s: str, **kw: Any) -> Text:
    """Every string goes through here: literal text, never mathtext or TeX."""
    return target.text(x, y, s, parse_math=False, usetex=False, **kw)


def _note(ax: Axes, y: float, s: str, fontsize: float, look: Look) -> Text:
    """A muted, centred note where there is nothing to draw yet."""
    kw: dict[str, Any] = {"ha": "center", "va": "center", "linespacing": 1.6}
    return literal_text(ax, 0.5, y, s, fontsize=fontsize, color=look.muted, **kw)


def fit_width(text: Text, width_px: float) -> Text:
    """Shorten a drawn string (with an ellipsis) until it is at most `width_px` wide: wide
    glyphs would otherwise run into the next column whatever the character limit."""
    renderer = text.figure.canvas.get_renderer()
    content = text.get_text()
    while len(content) > 1 and text.get_window_extent(renderer).width > width_px:
        content = content[:-2].rstrip() + "…"
        text.set_text(content)
    return text


def canvas_figure(width: float, height: float, look: Look) -> Figure:
    """A figure with its canvas attached, so text can be measured while laying out."""
    fig = Figure(figsize=(width, height), dpi=DPI, facecolor=look.bg)
    FigureCanvasAgg(fig)
    return fig


def _day(value: Day) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _short_date(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


# --------------------------------------------------------------------------- rendering


def render_png(build: Callable[[], Figure]) -> bytes:
    """Build and draw a figure under matplotlib's lock; PNG within the size ceiling."""
    with MPL_LOCK, warnings.catch_warnings():
        # names in scripts DejaVu lacks (CJK, most emoji) draw as boxes: not worth a warning
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        fig = build()
        fig.canvas.draw()
        return encode_rgba(np.asarray(fig.canvas.buffer_rgba()))


def stats_png(data: StatsData, theme: str = "dark") -> bytes:
    """The study dashboard: headline numbers, a GitHub-style calendar of reviews over the last
    26 weeks, accuracy per skill and the 30-day forecast. A new user gets the same layout,
    empty, with a hint where to start."""
    look = look_for(theme)
    return render_png(lambda: _stats_figure(data, look))


def _stats_figure(data: StatsData, look: Look) -> Figure:
    today = _day(data.today)
    fig = canvas_figure(9.0, 5.8, look)
    _stats_header(fig, data.name, today, look)
    _stats_tiles(fig, data, today, look)
    heat_ax = fig.add_axes((0.025, 0.43, 0.55, 0.33))
    _heatmap(heat_ax, data, today, look)
    forecast_ax = fig.add_axes((0.065, 0.12, 0.5, 0.22))
    _forecast(forecast_ax, data, today, look)
    accuracy_ax = fig.add_axes((0.62, 0.07, 0.355, 0.69))
    _accuracy(accuracy_ax, data, look)

    if data.leeches:
        shown = ", ".join(plain_name(label, 28) for label in data.leeches[:4])
        more = f" and {len(data.leeches) - 4} more" if len(data.leeches) > 4 else ""
        footer = f"Leeches (missed again and again): {shown}{more}"
    else:
        footer = "No leeches: nothing keeps slipping."
    fit_width(
        literal_text(fig, 0.025, 0.025, footer, fontsize=10, color=look.muted),
        0.95 * fig.bbox.width,
    )
    return fig


def _stats_header(fig: Figure, name: str, today: dt.date, look: Look) -> None:
    """The student's name (cut to fit), and the day the dashboard is of."""
    drawn = literal_text(
        fig,
        0.025,
        0.955,
        plain_name(name, 32),
        fontsize=17,
        fontweight="bold",
        color=look.text,
        va="center",
    )
    fit_width(drawn, 0.6 * fig.bbox.width)
    literal_text(
        fig,
        0.975,
        0.955,
        f"study stats · {today:%a} {_short_date(today)} {today.year}",
        fontsize=11,
        color=look.muted,
        ha="right",
        va="center",
    )


def _stats_tiles(fig: Figure, data: StatsData, today: dt.date, look: Look) -> None:
    """The headline numbers, one rounded tile each."""
    due_today = sum(n for day, n in data.forecast if _day(day) <= today)
    tiles = [
        ("streak", _plural(data.streak, "day"), look.warm if data.streak else look.text),
        ("due today", f"{due_today:,}", look.text),
        ("reviews", f"{data.total_reviews:,}", look.text),
        ("learning", _plural(data.items_learning, "item"), look.text),
        ("leeches", f"{len(data.leeches):,}", look.bad if data.leeches else look.text),
    ]
    width = 0.95 / len(tiles)
    for i, (caption, value, colour) in enumerate(tiles):
        x = 0.025 + i * width
        fig.add_artist(
            FancyBboxPatch(
                (x + 0.004, 0.795),
                width - 0.008,
                0.105,
                boxstyle="round,pad=0,rounding_size=0.012",
                transform=fig.transFigure,
                facecolor=look.track,
                edgecolor="none",
            )
        )
        centre = x + width / 2
        literal_text(
            fig, centre, 0.862, value, fontsize=16, fontweight="bold", color=colour, ha="center"
        )
        literal_text(fig, centre, 0.815, caption, fontsize=10, color=look.muted, ha="center")


def _heat_level(count: int, streak_min: int) -> int:
    """0 for none, 1 below a streak day, then 2/3/4 at 1x, 2x, 4x a streak day's reviews."""
    if count <= 0:
        return 0
    thresholds = (streak_min, 2 * streak_min, 4 * streak_min)
    return 1 + sum(count >= t for t in thresholds)


def _heatmap(ax: Axes, data: StatsData, today: dt.date, look: Look) -> None:
    per_day: Mapping[dt.date, int] = {_day(d): int(n) for d, n in data.reviews_per_day}
    start = today - dt.timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)  # a Monday
    cells, colours = [], []
    for i in range((today - start).days + 1):
        day = start + dt.timedelta(days=i)
        week, weekday = divmod(i, 7)
        cells.append(Rectangle((week + 0.08, weekday + 0.08), 0.84, 0.84))
        level = _heat_level(per_day.get(day, 0), max(1, data.streak_min_reviews))
        colours.append(look.heat[level])
    ax.add_collection(PatchCollection(cells, facecolors=colours, edgecolors="none"))
    ax.add_artist(  # today, outlined
        Rectangle(
            ((today - start).days // 7 + 0.04, today.weekday() + 0.04),
            0.92,
            0.92,
            facecolor="none",
            edgecolor=look.text,
            linewidth=1.2,
        )
    )
    ax.set_xlim(-1.6, HEATMAP_WEEKS + 0.1)
    ax.set_ylim(8.6, -1.3)  # Monday on top, room for months above and the key below
    ax.set_aspect("equal")
    ax.axis("off")
    for weekday, label in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        literal_text(
            ax, -0.2, weekday + 0.5, label, fontsize=8, color=look.muted, ha="right", va="center"
        )
    last_month = None
    for week in range(HEATMAP_WEEKS):
        sunday = start + dt.timedelta(weeks=week, days=6)
        if sunday.month != last_month and week < HEATMAP_WEEKS - 1:
            if last_month is not None or sunday.day <= 7:
                literal_text(ax, week, -0.35, f"{sunday:%b}", fontsize=8, color=look.muted)
            last_month = sunday.month
    window = [per_day.get(start + dt.timedelta(days=i), 0) for i in range((today - start).days + 1)]
    active = sum(1 for n in window if n > 0)
    summary = f"{_plural(sum(window), 'review')} on {_plural(active, 'day')}"
    summary += f" in {HEATMAP_WEEKS} weeks"
    literal_text(ax, 0, 8.1, summary, fontsize=9, color=look.text, va="center")
    literal_text(
        ax, HEATMAP_WEEKS - 6.6, 8.1, "less", fontsize=8, color=look.muted, ha="right", va="center"
    )
    for level, colour in enumerate(look.heat):
        x = HEATMAP_WEEKS - 6.4 + level * 1.05
        ax.add_artist(Rectangle((x, 7.65), 0.84, 0.84, facecolor=colour, edgecolor="none"))
    literal_text(ax, HEATMAP_WEEKS - 1.05, 8.1, "more", fontsize=8, color=look.muted, va="center")


def _style_axes(ax: Axes, look: Look) -> None:
    ax.set_facecolor(look.bg)
    ax.tick_params(colors=look.muted, labelsize=8, length=0)
    for side, spine in ax.spines.items():
        spine.set_visible(side == "bottom")
        spine.set_color(look.muted)


def _forecast(ax: Axes, data: StatsData, today: dt.date, look: Look) -> None:
    days = [(_day(d), int(n)) for d, n in data.forecast]
    if not days:  # nothing scheduled: the same 30-day axis, empty
        days = [(today + dt.timedelta(days=i), 0) for i in range(30)]
    counts = [n for _, n in days]
    colours = [look.warm if i == 0 else look.accent for i in range(len(days))]
    ax.bar(range(len(days)), counts, width=0.75, color=colours)
    _style_axes(ax, look)
    ax.set_xlim(-0.7, max(len(days), 30) - 0.3)
    ticks = list(range(0, len(days), 7))
    ax.set_xticks(ticks, ["today" if i == 0 else _short_date(days[i][0]) for i in ticks])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.grid(axis="y", color=look.muted, alpha=0.2)
    ax.set_axisbelow(True)
    literal_text(
        ax,
        0,
        1.08,
        f"Due in the next {len(days)} days",
        transform=ax.transAxes,
        fontsize=11,
        fontweight="bold",
        color=look.text,
    )
    if not any(counts):
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        literal_text(
            ax,
            0.5,
            0.5,
            "nothing scheduled yet",
            transform=ax.transAxes,
            fontsize=10,
            color=look.muted,
            ha="center",
            va="center",
        )


def _accuracy(ax: Axes, data: StatsData, look: Look) -> None:
    rows = [a for a in data.accuracy if a.attempts > 0][:16]
    ax.set_facecolor(look.bg)
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(max(len(rows), 8) - 0.4, -1.4)
    literal_text(ax, 0, -1.0, "Accuracy per skill", fontsize=11, fontweight="bold", color=look.text)
    if not rows:
        _note(ax, 3, "no answers yet:\ntry /quiz to get started", 10, look)
        return
    left, right = 0.36, 0.78  # bar span, in axes fractions
    for y, row in enumerate(rows):
        correct = min(max(row.correct, 0), row.attempts)
        share = correct / row.attempts
        colour = look.bad if share < 0.5 else look.warm if share < 0.8 else look.heat[3]
        label = plain_name(row.skill.replace("_", " "), 16)
        skill = literal_text(ax, left - 0.03, y, label, fontsize=9, color=look.text, ha="right")
        skill.set_va("center")
        fit_width(skill, (left - 0.05) * ax.bbox.width)
        ax.add_artist(Rectangle((left, y - 0.3), right - left, 0.6, facecolor=look.track))
        ax.add_artist(Rectangle((left, y - 0.3), (right - left) * share, 0.6, facecolor=colour))
        literal_text(
            ax,
            right + 0.02,
            y,
            f"{correct}/{row.attempts}",
            fontsize=9,
            color=look.muted,
            va="center",
        )


# --------------------------------------------------------------------------- leaderboard


def leaderboard_png(
    rows: Sequence[tuple[int, str, int]],
    me: tuple[int, str, int] | None,
    period: str,
    theme: str = "dark",
    *,
    server: str = "",
) -> bytes:
    """A server's top standings as ranked bars, the caller's row highlighted (and added below
    a gap when it is not in the top). `server` is the server's name, drawn as plain text."""
    look = look_for(theme)
    standings = [Standing(int(r), str(n), int(p)) for r, n, p in rows]
    mine = Standing(int(me[0]), str(me[1]), int(me[2])) if me is not None else None
    return render_png(lambda: _leaderboard_figure(standings, mine, period, server, look))


def _leaderboard_figure(
    rows: list[Standing], me: Standing | None, period: str, server: str, look: Look
) -> Figure:
    lines: list[Standing | None] = list(rows)  # None is the gap before the caller's own row
    if me is not None and all(r.rank != me.rank for r in rows):
        lines += [None, me]
    height = 1.25 + 0.42 * max(len(lines), 2)
    fig = canvas_figure(8.0, height, look)
    _leaderboard_header(fig, period, server, 1 - 0.42 / height, look)
    ax = fig.add_axes((0.03, 0.2 / height, 0.94, 1 - 1.05 / height))
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(max(len(lines), 2) - 0.5, -0.5)
    if not rows:
        why = "Correct answers to due reviews in this server earn points."
        _note(ax, 0.5, f"No points yet ({PERIOD_LABELS.get(period, period)}).\n{why}", 11, look)
    best = max([r.points for r in rows] + ([me.points] if me else []) + [1])
    for y, row in enumerate(lines):
        if row is None:
            literal_text(ax, 0.06, y, "⋯", fontsize=14, color=look.muted, ha="center", va="center")
            continue
        _standing(ax, y, row, me is not None and row.rank == me.rank, best, look)
    return fig


def _leaderboard_header(fig: Figure, period: str, server: str, top: float, look: Look) -> None:
    """The title and period, and the server's name (cut to fit) on the right."""
    title = f"Leaderboard · {PERIOD_LABELS.get(period, period)}"
    literal_text(
        fig, 0.03, top, title, fontsize=16, fontweight="bold", color=look.text, va="center"
    )
    if server:
        label = literal_text(
            fig, 0.97, top, plain_name(server, 40), fontsize=11, color=look.muted, ha="right"
        )
        label.set_va("center")
        fit_width(label, 0.4 * fig.bbox.width)


def _standing(ax: Axes, y: int, row: Standing, mine: bool, best: int, look: Look) -> None:
    """One ranked row: medal or rank, name, a bar scaled to the best score, the points; the
    caller's own row outlined."""
    left, right = 0.44, 0.86
    if mine:
        ax.add_artist(
            FancyBboxPatch(
                (0.005, y - 0.42),
                0.99,
                0.84,
                boxstyle="round,pad=0,rounding_size=0.15",
                mutation_aspect=1 / 12,
                facecolor=look.track,
                edgecolor=look.accent,
                linewidth=1.2,
            )
        )
    medal = look.medals[row.rank - 1] if 1 <= row.rank <= 3 else None
    literal_text(
        ax,
        0.06,
        y,
        f"#{row.rank}",
        fontsize=12,
        fontweight="bold",
        color=medal or look.muted,
        ha="center",
        va="center",
    )
    name = literal_text(
        ax, 0.12, y, plain_name(row.name), fontsize=12, color=look.text, va="center"
    )
    fit_width(name, (left - 0.15) * ax.bbox.width)
    bar = (right - left) * max(row.points, 0) / best
    colour = medal or look.accent
    ax.add_artist(Rectangle((left, y - 0.22), max(bar, 0.004), 0.44, facecolor=colour))
    literal_text(
        ax,
        left + bar + 0.015,
        y,
        f"{row.points:,} pts",
        fontsize=11,
        color=look.text,
        va="center",
    )
