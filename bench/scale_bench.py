"""A server's history at scale, on SQLite: the leaderboard and the reminder pass.

Fills (plain sqlite3 bulk inserts) one server with ``DERIVBOT_BENCH_STUDENTS`` members (2,000
by default), ``DERIVBOT_BENCH_LOG`` review-log rows with points (200,000) spread over 90
days, 40 item states per student and a reminder due now for each of ``DERIVBOT_BENCH_DUE``
students (1,000), then measures through the real `StudyService`:

- the leaderboard (week, all) a student asks for, p50 and p99 of 50 calls;
- one reminder pass (`deliver_due_reminders`, a sink that answers at once) over every due
  reminder, and meanwhile the longest a student's request (a due queue, every 5 ms) waited:
  on SQLite every transaction holds the only connection, so that is what a pass costs them.

Runs on whichever code is importable (`bot`), so the same file measures the code before a
change: when the rollup tables (migration 0011_perf) exist they are filled from the log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.math.workers import MathPool
from bot.study.reminders import Delivery
from bot.study.service import StudyService

STUDENTS = int(os.environ.get("DERIVBOT_BENCH_STUDENTS", "2000"))
LOG_ROWS = int(os.environ.get("DERIVBOT_BENCH_LOG", "200000"))
DUE = min(STUDENTS, int(os.environ.get("DERIVBOT_BENCH_DUE", "1000")))
ITEMS = 40
DAYS = 90
NOW = dt.datetime(2026, 11, 27, 7, 1, tzinfo=dt.UTC)


def _ts(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


def fill(
    path: Path,
    students: int = STUDENTS,
    log_rows: int = LOG_ROWS,
    items: int = ITEMS,
    due: int | None = None,
) -> None:
    """A server's history in the migrated SQLite database at ``path`` (students 1 to
    ``students``, Discord ids from 10,001); `verdict_bench` fills a larger one with it."""
    due = min(students, DUE if due is None else due)
    rng = random.Random(5)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    today = NOW.date()
    with con:
        con.execute("INSERT INTO servers (id, discord_guild_id, name) VALUES (1, 1, 'school')")
        con.executemany(
            "INSERT INTO users (id, discord_id, display_name, created_at) VALUES (?, ?, ?, ?)",
            [(u, 10_000 + u, f"s{u}", _ts(NOW)) for u in range(1, students + 1)],
        )
        con.executemany(
            "INSERT INTO memberships (user_id, server_id, joined_at) VALUES (?, 1, ?)",
            [(u, _ts(NOW)) for u in range(1, students + 1)],
        )

        def logs():
            for k in range(log_rows):
                day = today - dt.timedelta(days=rng.randrange(DAYS))
                yield (
                    rng.randint(1, students),
                    f"skill:power:{k % 3 + 1}",
                    _ts(dt.datetime.combine(day, dt.time(12), dt.UTC)),
                    day.isoformat(),
                    rng.choice((0, 4, 7, 10, 20)),
                    f"t{k}",
                )

        con.executemany(
            "INSERT INTO review_log (user_id, server_id, item_key, kind, quality, scheduler,"
            " reviewed_at, local_day, state_after, points, counted, presentation_token)"
            " VALUES (?, 1, ?, 'skill', 5, 'sm2', ?, ?, '{}', ?, 1, ?)",
            logs(),
        )
        skills = [f"skill:s{k}:1" for k in range(items)]

        def states():
            for u in range(1, students + 1):
                for key in skills:
                    due = today + dt.timedelta(days=rng.randint(-5, 20))
                    yield (u, key, key.split(":")[1], due.isoformat())

        con.executemany(
            "INSERT INTO item_states (user_id, item_key, kind, skill, level, scheduler,"
            " repetitions, interval, ease, due_day, lapses, leech_flagged, reviews,"
            " introduced_day, unlocked) VALUES (?, ?, 'skill', ?, 1, 'sm2', 2, 6, 250, ?, 0, 0,"
            " 2, '2026-09-01', 1)",
            states(),
        )
        con.executemany(
            'INSERT INTO reminders (user_id, local_time, timezone, "where", next_fire_at)'
            " VALUES (?, '07:00', 'UTC', 'dm', ?)",
            [(u, _ts(NOW - dt.timedelta(minutes=1))) for u in range(1, due + 1)],
        )
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        if "server_points" in tables:  # what migration 0011_perf does for an existing log
            con.execute(
                "INSERT INTO server_points_days SELECT server_id, local_day, user_id,"
                " SUM(points) FROM review_log WHERE points <> 0"
                " GROUP BY server_id, local_day, user_id"
            )
            con.execute(
                "INSERT INTO server_points SELECT server_id, user_id, SUM(points)"
                " FROM review_log WHERE points <> 0 GROUP BY server_id, user_id"
            )
    con.execute("ANALYZE")
    con.close()


class Sink:
    async def deliver(self, reminder: object) -> Delivery:
        return Delivery.sent()


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2)


async def _measure(url: str) -> dict[str, object]:
    engine = create_engine(url)
    settings = Settings(database_url=url, _env_file=None)
    result: dict[str, object] = {}
    with MathPool(workers=1) as pool:
        service = StudyService(session_factory(engine), pool, settings=settings, clock=lambda: NOW)
        await service.leaderboard(1, "all")  # the first call opens the connection
        for period in ("week", "all"):
            start = time.perf_counter()
            await service.leaderboard(1, period)  # the week's first board of the day builds it
            if period == "week":
                result["leaderboard week, first board of the day (builds it) (ms)"] = round(
                    (time.perf_counter() - start) * 1000, 1
                )
            times = []
            for k in range(50):
                start = time.perf_counter()
                await service.leaderboard(1, period, user_id=1 + k * 37 % STUDENTS)
                times.append((time.perf_counter() - start) * 1000)
            result[f"leaderboard {period} p50 (ms)"] = _pct(times, 50)
            result[f"leaderboard {period} p99 (ms)"] = _pct(times, 99)
        waits: list[float] = []
        done = asyncio.Event()

        async def student() -> None:
            k = 0
            while not done.is_set():
                start = time.perf_counter()
                await service.due_queue(DUE + 1 + k % max(1, STUDENTS - DUE))
                waits.append((time.perf_counter() - start) * 1000)
                k += 1
                await asyncio.sleep(0.005)

        beside = asyncio.create_task(student())
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        report = await service.deliver_due_reminders(Sink(), discord_only=True)
        took = time.perf_counter() - start
        done.set()
        await beside
        result[f"reminder pass, {DUE} due (s)"] = round(took, 2)
        result["reminders sent"] = report.sent
        result["student request during the pass, max (ms)"] = round(max(waits), 1)
        result["student request during the pass, p50 (ms)"] = _pct(waits, 50)
    await engine.dispose()
    return result


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        fill(path)
        result = {
            "students, review-log rows, due reminders": f"{STUDENTS}, {LOG_ROWS}, {DUE}",
            **asyncio.run(_measure(url)),
        }
        return result


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
