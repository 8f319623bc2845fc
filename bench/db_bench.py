"""The study database at class-of-a-school scale: 10 000 users × 300 items on SQLite.

Measures the two queries a student waits for: building today's queue (`due_queue`) and
grading a due card (`grade_card`: state and log written in one transaction). The database is
filled with plain sqlite3 bulk inserts (fast), then read and written through the real service.
`DERIVBOT_BENCH_USERS` scales it down for a quick look.

Then `bench/db_plans.py`: a month of an active student's history (growth per student), and
every statement each front-end use case runs, timed, with its query plan (SQLite; PostgreSQL
too when `DERIVBOT_BENCH_POSTGRES_URL` is set). `python -m bench.db_bench --plans` prints them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from bench import db_plans
from bot import srs
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.math.generator import SKILLS
from bot.math.workers import MathPool
from bot.study.service import StudyService

USERS = int(os.environ.get("DERIVBOT_BENCH_USERS", "10000"))
ITEMS = 300
CARDS = ITEMS - sum(s.levels for s in SKILLS.values())  # the rest are skill levels
SAMPLES = 300
NOW = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def _fill(path: Path) -> None:
    rng = random.Random(7)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    with con:
        con.execute(
            "INSERT INTO decks (id, slug, title, description, version, content_hash, created_at,"
            " updated_at) VALUES (1, 'bench', 'bench', '', 1, '', ?, ?)",
            (NOW.isoformat(), NOW.isoformat()),
        )
        con.executemany(
            "INSERT INTO cards (id, deck_id, card_key, front, back, tags, typed_var, position,"
            " retired) VALUES (?, 1, ?, 'front', 'back', '[]', 'x', ?, 0)",
            [(c, f"c{c}", c) for c in range(1, CARDS + 1)],
        )
        con.executemany(
            "INSERT INTO users (id, console_name, display_name, timezone, day_start_hour,"
            " new_per_day, reviews_per_day, theme, created_at) VALUES (?, ?, ?, 'UTC', 4, 10,"
            " 200, 'dark', ?)",
            [(u, f"u{u}", f"u{u}", NOW.isoformat()) for u in range(1, USERS + 1)],
        )
        skills = [(name, level) for name, s in SKILLS.items() for level in range(1, s.levels + 1)]

        def rows():
            for u in range(1, USERS + 1):
                for c in range(1, CARDS + 1):
                    yield _state(rng, u, f"card:{c}", "card", c, None, None)
                for name, level in skills:
                    yield _state(rng, u, f"skill:{name}:{level}", "skill", None, name, level)

        con.executemany(
            "INSERT INTO item_states (user_id, item_key, kind, card_id, skill, level, scheduler,"
            " repetitions, interval, ease, due_day, lapses, leech_flagged, reviews,"
            " last_reviewed_at, introduced_day, unlocked) VALUES (?, ?, ?, ?, ?, ?, 'sm2', ?, ?,"
            " 250, ?, 0, 0, ?, ?, ?, 1)",
            rows(),
        )
    con.execute("ANALYZE")
    con.close()


def _state(rng, user, key, kind, card, skill, level):
    interval = rng.choice((1, 3, 6, 14, 30, 60))
    due = TODAY + dt.timedelta(days=rng.randint(-20, 60))
    reviewed = (NOW - dt.timedelta(days=interval)).replace(tzinfo=None).isoformat(sep=" ")
    introduced = (TODAY - dt.timedelta(days=90)).isoformat()
    return (
        user,
        key,
        kind,
        card,
        skill,
        level,
        3,
        interval,
        due.isoformat(),
        3,
        reviewed,
        introduced,
    )


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _measure(url: str) -> dict[str, object]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    settings = Settings(database_url=url, _env_file=None)
    with MathPool(workers=1) as pool:
        service = StudyService(sessions, pool, settings=settings, clock=lambda: NOW)
        rng = random.Random(11)
        users = rng.sample(range(1, USERS + 1), min(SAMPLES, USERS))  # distinct students
        gc.collect()
        gc.freeze()  # as the bot does after start-up (bot/app.py)
        queue_ms, grade_ms, sizes, due_cards = [], [], [], []
        for user in users:
            start = time.perf_counter()
            queue = await service.due_queue(user)
            queue_ms.append((time.perf_counter() - start) * 1000)
            sizes.append(len(queue))
            due_cards.append(next(key for key in queue if key.startswith("card:")))
        moved = 0
        for user, key in zip(users, due_cards, strict=True):
            # a due card, so the grade is a review that moves the schedule: the full write
            shown = await service.present(user, key)
            start = time.perf_counter()
            outcome = await service.grade_card(shown.token, srs.Button.GOOD)
            grade_ms.append((time.perf_counter() - start) * 1000)
            moved += outcome.graded
    await engine.dispose()
    return {
        "users x items": f"{USERS} x {ITEMS}",
        "due_queue p50 (ms)": round(_percentile(queue_ms, 50), 2),
        "due_queue p99 (ms)": round(_percentile(queue_ms, 99), 2),
        "grade_card p50 (ms)": round(_percentile(grade_ms, 50), 2),
        "grade_card p99 (ms)": round(_percentile(grade_ms, 99), 2),
        "mean queue length": round(sum(sizes) / len(sizes), 1),
        "grades that moved a schedule": f"{moved} / {len(grade_ms)}",
    }


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        started = time.perf_counter()
        _fill(path)
        fill_s = time.perf_counter() - started
        result = asyncio.run(_measure(url))
        result["fill time (s)"] = round(fill_s, 1)
        result["database size (MB)"] = round(path.stat().st_size / 1e6)
        if os.environ.get("DERIVBOT_BENCH_PLANS", "1") != "0":
            growth, statements = asyncio.run(db_plans.measure(path, NOW))
            result.update(growth)
            result["database size with history (MB)"] = round(path.stat().st_size / 1e6)
            if PRINT_PLANS:
                print(db_plans.report(statements))
                for line in db_plans.unindexed(statements):
                    print(f"whole-table scan: {line}")
        return result


PRINT_PLANS = False

if __name__ == "__main__":
    import sys

    PRINT_PLANS = "--plans" in sys.argv
    for key, value in run().items():
        print(f"{key}: {value}")
