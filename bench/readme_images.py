"""Render the pictures the README shows into docs/images/: `python -m bench.readme_images`.

Real output of the engine (a generated problem, its worked solution and hint ladder, a
tangent-line plot, the /stats dashboard), saved exactly as the console saves them: on the
theme's background, so they read on GitHub's light and dark pages alike. The dashboard's
student is made up (a fixed random history); everything else comes from fixed seeds, so a
re-run only changes what the code changed.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import sympy

from bot.console.images import opaque
from bot.math import charts
from bot.math.generator import SKILLS, generate
from bot.math.render import render_latex, render_lines, render_tangent

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"
THEME = "dark"  # Discord's colours: what students see in the chat
PROBLEM = ("product", 2, 1)
TANGENT = ("tangent_line", 2, 3)
LIMIT = 200_000  # bytes: keep the repository light


def sample_stats(today: dt.date) -> charts.StatsData:
    """Half a year of a steady student: most days studied, a few gaps, a 12-day streak."""
    r = random.Random(5)
    per_day = []
    for k in range(182, 0, -1):
        day = today - dt.timedelta(days=k)
        if r.random() < 0.72:
            per_day.append((day, r.randint(5, 28)))
    per_day += [(today - dt.timedelta(days=k), r.randint(6, 20)) for k in range(0, 12)]
    accuracy = tuple(
        charts.SkillAccuracy(name, correct, attempts)
        for name, correct, attempts in (
            ("power", 46, 50),
            ("sum", 38, 42),
            ("product", 31, 40),
            ("quotient", 22, 33),
            ("chain", 40, 55),
            ("trig", 27, 35),
            ("exp", 18, 20),
            ("log", 15, 21),
        )
        if name in SKILLS
    )
    forecast = tuple((today + dt.timedelta(days=k), r.randint(3, 25)) for k in range(30))
    return charts.StatsData(
        name="ada",
        today=today,
        reviews_per_day=tuple(sorted(dict(per_day).items())),
        accuracy=accuracy,
        forecast=forecast,
        streak=12,
        total_reviews=sum(n for _, n in per_day),
        items_learning=74,
        leeches=("quotient · level 2",),
    )


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    problem = generate(*PROBLEM)
    tangent = generate(*TANGENT)
    assert tangent.point is not None
    images = {
        "problem.png": render_latex(problem.prompt_latex, theme=THEME).png,
        "solution.png": render_lines(
            [f"{s.title}:  ${s.latex}$" for s in problem.steps], theme=THEME
        ).png,
        "hints.png": render_lines(
            [f"Hint {i}/{len(problem.hints)}:  {h.latex}" for i, h in enumerate(problem.hints, 1)],
            theme=THEME,
        ).png,
        "tangent.png": render_tangent(
            tangent.function,
            float(tangent.point),
            var=sympy.Symbol(tangent.var),
            theme=THEME,
        ).png,
        "stats.png": charts.stats_png(sample_stats(dt.date(2026, 11, 27)), THEME),
    }
    failed = False
    for name, png in images.items():
        if png is None:
            print(f"{name}: could not render", file=sys.stderr)
            failed = True
            continue
        data = opaque(png, THEME)
        (OUT / name).write_bytes(data)
        print(f"{OUT / name}: {len(data):,} bytes")
        if len(data) > LIMIT:
            print(f"{name} is over {LIMIT:,} bytes", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
