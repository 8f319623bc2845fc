"""Render docs/images/class.png, the /class picture: `python -m bench.class_image`.

A made-up but plausible class (fixed random seed): fourteen students of differing strength
working through the first skills over six weeks, later skills started by fewer of them, levels
reached by those who practised enough and well. Their answers are written to a fresh SQLite
database as grading would have logged them, and the picture is drawn from what
`StudyService.class_view` reads back, exactly as /class draws it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

from bot.console.images import opaque
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.db.models import ItemState, ReviewLog
from bot.math.render.classgrid import class_grid_png
from bot.math.workers import MathPool
from bot.study.classreport import grid_data
from bot.study.service import StudyService

OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "class.png"
THEME = "dark"
NOW = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)
GUILD = 1
STUDENTS = (
    "Ada", "Ben", "Chloé", "Dev", "Emma", "Farid", "Grace",
    "Hiro", "Inès", "Jonas", "Kofi", "Lena", "Mateo", "Noor",
)  # fmt: skip
#: skill -> how hard it is (subtracted from a student's strength)
SKILLS = {
    "power": 0.0,
    "sum": 0.02,
    "product": 0.12,
    "quotient": 0.2,
    "chain": 0.25,
    "trig": 0.15,
    "exp": 0.1,
    "log": 0.18,
}


def history(r: random.Random, strength: float, skill: str, order: int) -> list[tuple[int, bool]]:
    """(days ago, solved at the first try) for one student's problems of one skill: earlier
    skills are practised more, and started longer ago."""
    if r.random() < 0.12 * order:
        return []  # not started yet
    count = max(1, int(r.gauss(26 - 3 * order, 5)))
    start = 42 - 4 * order
    p = max(0.1, min(0.97, strength - SKILLS[skill]))
    answers = [(int(start * (1 - k / count)), r.random() < p) for k in range(count)]
    return sorted(answers, reverse=True)


def level_of(answers: list[tuple[int, bool]]) -> int:
    """Level 2 after steady work, level 3 after more of it, done well."""
    recent = [ok for _, ok in answers[-10:]]
    accuracy = sum(recent) / max(len(recent), 1)
    if len(answers) >= 18 and accuracy >= 0.7:
        return 3
    return 2 if len(answers) >= 10 and accuracy >= 0.5 else 1


def rows_for(user: int, server: int, r: random.Random, strength: float) -> list[object]:
    rows: list[object] = []
    for order, skill in enumerate(SKILLS):
        answers = history(r, strength, skill, order)
        if not answers:
            continue
        level = level_of(answers)
        for k, (ago, ok) in enumerate(answers):
            at = NOW - dt.timedelta(days=ago, hours=r.randint(1, 8))
            step = min(level, 1 + 3 * k // len(answers))
            rows.append(
                ReviewLog(
                    user_id=user,
                    server_id=server,
                    item_key=f"skill:{skill}:{step}",
                    kind="skill",
                    quality=r.choice((4, 5)) if ok else r.choice((0, 1, 3)),
                    scheduler="sm2",
                    reviewed_at=at,
                    local_day=at.date(),
                    state_after={},
                    points=10 * step if ok else 0,
                    counted=True,
                )
            )
        for step in range(1, level + 1):
            rows.append(
                ItemState(
                    user_id=user,
                    item_key=f"skill:{skill}:{step}",
                    kind="skill",
                    skill=skill,
                    level=step,
                    scheduler="sm2",
                    introduced_day=(NOW - dt.timedelta(days=40)).date(),
                    due_day=(NOW + dt.timedelta(days=r.randint(0, 9))).date(),
                    unlocked=True,
                )
            )
    return rows


async def render(url: str) -> bytes:
    await migrate.upgrade_async(url)
    engine = create_engine(url)
    try:
        with MathPool(workers=1) as pool:  # never started: the picture needs no problems
            service = StudyService(session_factory(engine), pool, clock=lambda: NOW)
            r = random.Random(12)
            for discord_id, name in enumerate(STUDENTS, start=100):
                user = await service.user_for_discord(discord_id, name)
                server = await service.join_server(user, GUILD, "Calculus I · Period 3")
                strength = r.uniform(0.45, 1.0)
                async with service.sessions() as session, session.begin():
                    session.add_all(rows_for(user, server, r, strength))
            view = await service.class_view(server, examples=False)
    finally:
        await engine.dispose()
    return class_grid_png(grid_data(view), THEME)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        png = asyncio.run(render(f"sqlite+aiosqlite:///{Path(tmp) / 'class.db'}"))
    data = opaque(png, THEME)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    print(f"{OUT}: {len(data):,} bytes")
    return 0 if len(data) <= 200_000 else 1


if __name__ == "__main__":
    sys.exit(main())
