"""Time to verdict: N students' right answers arrive at once, without the Discord simulator.

Each student has a problem of their own (level 1 of the everyday skills). All answers are
submitted together through the real `StudyService` (the check runs in the worker pool, the
grade is written) and each one's worked-solution picture is then drawn in the same pool, as
the cogs do. Measured from the moment all answers are in:

- "text verdict": when `submit_answer` returned: what a student reads first now (the cogs send
  it at once and attach the picture by editing the message);
- "verdict with its picture": when the picture was drawn too: when the verdict reached the
  student before, as it was sent only with the picture.

``DERIVBOT_BENCH_BURSTS`` (default "200,1000") says how many answer at once; the pool has
``DERIVBOT_BENCH_WORKERS`` workers (default: the machine's, as the bot sizes it). The database
is a new SQLite file; PostgreSQL runs too when ``DERIVBOT_BENCH_POSTGRES_URL`` names a database
it may empty. ``DERIVBOT_BENCH_HISTORY`` students (default 0) already have a history in the
SQLite database (`scale_bench.fill`: 300 item states and 100 review-log rows each, so 10,000
give the issue's 3 M states and 1 M log rows). What each student types is written before the
clock starts: it is the student's share, not the bot's.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import sympy as sp

from bench import reset_postgres, scale_bench
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.math import tasks
from bot.math.workers import MathPool
from bot.study import wording
from bot.study.service import StudyService

BURSTS = [int(n) for n in os.environ.get("DERIVBOT_BENCH_BURSTS", "200,1000").split(",")]
WORKERS = (
    int(os.environ["DERIVBOT_BENCH_WORKERS"]) if "DERIVBOT_BENCH_WORKERS" in os.environ else None
)
HISTORY = int(os.environ.get("DERIVBOT_BENCH_HISTORY", "0"))
SKILLS = ["power", "sum", "chain", "product", "trig"]


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2)


async def _burst(service: StudyService, pool: MathPool, n: int, first: int) -> dict[str, float]:
    shown = []
    for k in range(n):  # set-up, not measured
        user = await service.user_for_discord(first + k, f"s{first + k}")
        presented = await service.present(user, f"skill:{SKILLS[k % len(SKILLS)]}:1")
        shown.append((user, presented.token, sp.sstr(presented.problem.answer)))
    text_at: list[float] = []
    picture_at: list[float] = []
    fired = time.perf_counter()

    async def answer(user: int, token: str, typed: str) -> None:
        outcome = await service.submit_answer(token, typed, user_id=user)
        text_at.append(time.perf_counter() - fired)
        await tasks.arender(pool, wording.solution_lines(outcome.steps), theme="dark")
        picture_at.append(time.perf_counter() - fired)

    await asyncio.gather(*(answer(*student) for student in shown))
    return {
        f"{n} at once: text verdict p50 (s)": _pct(text_at, 50),
        f"{n} at once: text verdict p99 (s)": _pct(text_at, 99),
        f"{n} at once: verdict with its picture p50 (s)": _pct(picture_at, 50),
        f"{n} at once: verdict with its picture p99 (s)": _pct(picture_at, 99),
        f"{n} at once: last picture (s)": round(max(picture_at), 2),
    }


async def _measure(url: str) -> dict[str, object]:
    engine = create_engine(url)
    settings = Settings(database_url=url, _env_file=None)
    result: dict[str, object] = {}
    with MathPool(workers=WORKERS, timeout=10.0) as pool:
        result["workers"] = pool.workers
        service = StudyService(session_factory(engine), pool, settings=settings)
        await _burst(service, pool, 10, 1)  # warm: workers started, first renders done
        first = 100
        for n in BURSTS:
            result.update(await _burst(service, pool, n, first))
            first += n
    await engine.dispose()
    return result


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "verdict.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        if HISTORY:
            scale_bench.fill(path, HISTORY, 100 * HISTORY, 300, 0)
        result = asyncio.run(_measure(url))
    postgres = os.environ.get("DERIVBOT_BENCH_POSTGRES_URL")
    if postgres:
        asyncio.run(reset_postgres(postgres))
        migrate.upgrade(postgres)
        measured = asyncio.run(_measure(postgres))
        result.update({f"PostgreSQL: {k}": v for k, v in measured.items() if k != "workers"})
    return result


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
