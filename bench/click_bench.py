"""The event loop's share of one review click and of one typed answer, on SQLite and PostgreSQL.

A *review click* is what the Good button of `/review` costs the bot's process: `grade_card` on
the shown card, then `present` of the next one. A *typed answer* is `submit_answer` with a
student's right answer to a generated problem (its check runs in the worker pool; the loop's
part is everything around it). Both run one at a time, so the process's CPU time over a run,
divided by the clicks, is each one's cost on the loop (the SQLite driver's thread included:
it is this process's CPU too); statements are counted at the cursor.

``DERIVBOT_BENCH_CLICKS`` students (default 300) of one server each review two cards as new
items, then again once they are due (an existing state: the everyday case), and each answers
one problem. PostgreSQL runs too when ``DERIVBOT_BENCH_POSTGRES_URL`` names an empty database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import sympy as sp
from sqlalchemy import event

from bench import reset_postgres
from bot import srs
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.math.workers import MathPool
from bot.study.service import StudyService

CLICKS = int(os.environ.get("DERIVBOT_BENCH_CLICKS", "300"))
START = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


async def _cards(service: StudyService, user: int, server: int, n: int) -> list[str]:
    queue = await service.due_queue(user, server)
    return [key for key in queue if key.startswith("card:")][:n]


async def _measure(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    statements = [0]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        statements[0] += 1

    clock = _Clock()
    settings = Settings(database_url=url, _env_file=None)
    result: dict[str, Any] = {}
    with MathPool(workers=None, timeout=10.0) as pool:
        service = StudyService(session_factory(engine), pool, settings=settings, clock=clock)
        await service.sync_shipped_decks()
        students = []
        for k in range(CLICKS):
            user = await service.user_for_discord(10_000 + k, f"s{k}")
            server = await service.join_server(user, 77, "bench", member_name=f"s{k}")
            students.append((user, server, await _cards(service, user, server, 2)))

        async def clicks(label: str) -> None:
            shown = [(u, s, keys, await service.present(u, keys[0], s)) for u, s, keys in students]
            statements[0] = 0
            cpu = time.process_time()
            for user, server, keys, first in shown:  # Good on the first, then the next shown
                await service.grade_card(first.token, srs.Button.GOOD, user_id=user)
                await service.present(user, keys[1], server)
            spent = time.process_time() - cpu
            result[f"review click, {label}: CPU per click (ms)"] = round(spent / CLICKS * 1e3, 2)
            result[f"review click, {label}: statements per click"] = round(
                statements[0] / CLICKS, 1
            )

        await clicks("new card")
        clock.now += dt.timedelta(days=3)  # both cards are due again
        await clicks("due card")

        problems = [(u, await service.present(u, "skill:power:1", s)) for u, s, _ in students]
        statements[0] = 0
        cpu = time.process_time()
        for user, presented in problems:
            answer = sp.sstr(presented.problem.answer)
            await service.submit_answer(presented.token, answer, user_id=user)
        spent = time.process_time() - cpu
        result["typed answer: CPU per answer (ms)"] = round(spent / CLICKS * 1e3, 2)
        result["typed answer: statements per answer"] = round(statements[0] / CLICKS, 1)
    await engine.dispose()
    return result


def run() -> dict[str, object]:
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'clicks.db'}"
        migrate.upgrade(url)
        result.update({f"SQLite: {k}": v for k, v in asyncio.run(_measure(url)).items()})
    postgres = os.environ.get("DERIVBOT_BENCH_POSTGRES_URL")
    if postgres:
        asyncio.run(reset_postgres(postgres))
        migrate.upgrade(postgres)
        result.update({f"PostgreSQL: {k}": v for k, v in asyncio.run(_measure(postgres)).items()})
    return result


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
