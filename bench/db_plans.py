"""What the database does per front-end request, and how it grows: part of `bench/db_bench.py`.

- **Query plans.** One tour of every use case a front-end runs (a student's first command,
  /review's queue, showing and grading a card and a problem, /stats, /leaderboard, the session
  summary, leeches, /class, a reminder pass, the pruning pass) with every SQL statement
  captured (SQLAlchemy's ``before_cursor_execute``), timed, then ``EXPLAIN QUERY PLAN`` on
  SQLite, ``EXPLAIN`` on PostgreSQL (when ``DERIVBOT_BENCH_POSTGRES_URL`` names a server: the
  bench database is copied there with ``derivbot db copy``'s code first). A plan line that
  says ``SCAN <table>`` without an index, or PostgreSQL's ``Seq Scan`` on a big table, is what
  to look at.
- **Growth.** A month of an active student's history (presentations, quiz attempts, review
  log) bulk-inserted for ``HISTORY_USERS`` students by cloning rows the real service wrote,
  measured with SQLite's ``dbstat`` (table and index pages), then per student per month.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import srs
from bot.study.service import StudyService

#: An active student's month: reviews per study day, the share that are problems, typed
#: attempts per problem, presentations never answered (per answered one), study days.
REVIEWS_PER_DAY = 30
PROBLEM_SHARE = 2 / 3
ATTEMPTS_PER_PROBLEM = 1.3
UNANSWERED_SHARE = 0.1
DAYS = 30
HISTORY_USERS = int(os.environ.get("DERIVBOT_BENCH_HISTORY_USERS", "100"))
CLASS = 30  # students in the bench's one server


@dataclass
class Statement:
    use_case: str
    sql: str
    params: Any
    ms: float = 0.0
    plans: dict[str, list[str]] = field(default_factory=dict)


class Capture:
    """Every statement an engine runs, labelled with the use case running it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.label = ""
        self.statements: list[Statement] = []
        self._started: list[float] = []
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def _before(self, _conn, _cursor, sql, params, _context, many) -> None:
        self._started.append(time.perf_counter())
        if self.label and not sql.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT")):
            # an executemany (a batch's log rows) is planned with its first row's values
            self.statements.append(Statement(self.label, sql, params[0] if many else params))

    def _after(self, _conn, _cursor, sql, _params, _context, _many) -> None:
        elapsed = (time.perf_counter() - self._started.pop()) * 1000
        if self.statements and self.statements[-1].sql == sql and not self.statements[-1].ms:
            self.statements[-1].ms = elapsed


async def tour(service: StudyService, capture: Capture, now: dt.datetime) -> None:
    """Every front-end use case once, as a class member with history (user 1)."""
    members = list(range(1, CLASS + 1))
    server = 0
    for member in members:  # the class: a server with its members (not captured)
        server = await service.join_server(member, 42, "Bench class", member_name=f"m{member}")
    await service.set_reminder(1, now.strftime("%H:%M"), "UTC", server_id=server)
    user = members[0]
    queue: list[str] = []

    async def step(label: str, call: Callable[[], Awaitable[Any]]) -> Any:
        capture.label = label
        try:
            return await call()
        finally:
            capture.label = ""

    await step("first command (user_for_console)", lambda: service.user_for_console("u1"))
    await step("join_server (every guild command)", lambda: service.join_server(user, 42))
    queue = await step("due_queue (/review)", lambda: service.due_queue(user, server))
    card = next(k for k in queue if k.startswith("card:"))
    shown = await step("present card", lambda: service.present(user, card, server))
    await step("grade_card", lambda: service.grade_card(shown.token, srs.Button.GOOD))
    problem = await step("present problem", lambda: service.present(user, "skill:power:1", server))
    answer = sp.sstr(problem.problem.answer)
    await step("submit_answer", lambda: service.submit_answer(problem.token, answer))
    await step("stats (/stats)", lambda: service.stats(user))
    await step("leaderboard (/leaderboard)", lambda: service.leaderboard(server, "week"))
    await step(
        "session_summary",
        lambda: service.session_summary(user, now - dt.timedelta(minutes=30)),
    )
    await step("leeches (/review leeches)", lambda: service.leeches(user, server))
    await step("class_view (/class)", lambda: service.class_view(server))
    await step("claim_due_reminders", lambda: service.claim_due_reminders(limit=50))
    await step("prune_presentations", lambda: service.prune_presentations())


def explain_sqlite(path: Path, statements: list[Statement]) -> None:
    con = sqlite3.connect(path)
    try:
        for s in statements:
            rows = con.execute(f"EXPLAIN QUERY PLAN {s.sql}", s.params or ()).fetchall()
            s.plans["sqlite"] = [str(row[-1]) for row in rows]
    finally:
        con.close()


async def explain_postgres(engine: AsyncEngine, statements: list[Statement]) -> None:
    async with engine.connect() as conn:
        for s in statements:
            rows = await conn.exec_driver_sql(f"EXPLAIN {s.sql}", s.params or ())
            s.plans["postgres"] = [row[0] for row in rows]
        await conn.rollback()


def report(statements: list[Statement], *, top: int = 8) -> str:
    """The plans, statement by statement, and the slowest ones first."""
    lines = []
    for s in statements:
        lines.append(f"-- {s.use_case}: {s.ms:.2f} ms")
        lines.append("   " + " ".join(s.sql.split())[:300])
        for backend, plan in s.plans.items():
            lines += [f"   [{backend}] {line}" for line in plan]
    slowest = sorted(statements, key=lambda s: s.ms, reverse=True)[:top]
    lines.append("-- slowest statements")
    lines += [f"   {s.ms:8.2f} ms  {s.use_case}: {' '.join(s.sql.split())[:120]}" for s in slowest]
    return "\n".join(lines)


def unindexed(statements: list[Statement]) -> list[str]:
    """SQLite plan lines that read a whole table (``SCAN t`` with no index)."""
    return sorted(
        {
            f"{s.use_case}: {line}"
            for s in statements
            for line in s.plans.get("sqlite", [])
            if line.startswith("SCAN ") and " USING " not in line
        }
    )


# --- growth -----------------------------------------------------------------------------------

_HISTORY = ("presentations", "quiz_attempts", "review_log")


def sizes(path: Path) -> dict[str, int]:
    """Bytes of each history table with its indexes (``dbstat``)."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT tbl_name, sum(pgsize) FROM dbstat JOIN sqlite_schema USING (name)"
            " GROUP BY tbl_name"
        ).fetchall()
    finally:
        con.close()
    return {name: int(size) for name, size in rows if name in _HISTORY}


def fill_history(path: Path, now: dt.datetime, users: int) -> dict[str, int]:
    """A month of an active student's history for ``users`` students (clones of the rows the
    service wrote in the tour, with fresh ids, tokens and times); rows added per table."""
    rng = random.Random(5)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    added = dict.fromkeys(_HISTORY, 0)
    try:
        templates = {t: _template(con, t) for t in _HISTORY}
        per_day = REVIEWS_PER_DAY
        problems = round(per_day * PROBLEM_SHARE)
        with con:
            for user in range(1, users + 1):
                for day in range(DAYS):
                    moment = now - dt.timedelta(days=day, minutes=rng.randint(0, 600))
                    shown = round(per_day * (1 + UNANSWERED_SHARE))
                    attempts = round(problems * ATTEMPTS_PER_PROBLEM)
                    for table, count in (
                        ("presentations", shown),
                        ("quiz_attempts", attempts),
                        ("review_log", per_day),
                    ):
                        _clone(con, table, templates[table], user, moment, count, rng)
                        added[table] += count
    finally:
        con.close()
    return added


def _template(con: sqlite3.Connection, table: str) -> tuple[list[str], tuple[Any, ...]]:
    cursor = con.execute(f"SELECT * FROM {table} ORDER BY rowid DESC LIMIT 1")
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"the tour wrote no {table} row to clone")
    return [d[0] for d in cursor.description], row


def _clone(con, table, template, user, moment, count, rng) -> None:
    columns, row = template
    rows = []
    for i in range(count):
        values = dict(zip(columns, row, strict=True))
        values["user_id"] = user
        stamp = (moment + dt.timedelta(seconds=i * 40)).replace(tzinfo=None).isoformat(sep=" ")
        for key in ("created_at", "reviewed_at", "answered_at"):
            if key in values and values[key] is not None:
                values[key] = stamp
        if "local_day" in values:
            values["local_day"] = moment.date().isoformat()
        token = f"{rng.getrandbits(96):024x}"
        for key in ("token", "presentation_token"):
            if key in values:
                values[key] = token
        if "id" in values:
            values["id"] = None
        rows.append(tuple(values[c] for c in columns))
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


# --- the whole part, for db_bench.run() -----------------------------------------------------


async def _service(url: str, now: dt.datetime, pool) -> tuple[StudyService, AsyncEngine]:
    from bot.config import Settings
    from bot.db.engine import create_engine, session_factory

    engine = create_engine(url)
    settings = Settings(database_url=url, _env_file=None)
    return StudyService(session_factory(engine), pool, settings=settings, clock=lambda: now), engine


async def _captured_tour(url: str, now: dt.datetime, pool) -> list[Statement]:
    service, engine = await _service(url, now, pool)
    try:
        capture = Capture(engine)
        await tour(service, capture, now)
        if engine.dialect.name == "postgresql":
            await explain_postgres(engine, capture.statements)
        return capture.statements
    finally:
        await engine.dispose()


async def measure(path: Path, now: dt.datetime) -> tuple[dict[str, object], list[Statement]]:
    """Growth per active student per month, then every front-end statement's plan and time on
    the database with that history (and on PostgreSQL when configured)."""
    from bot.db import copying
    from bot.db.engine import create_engine, optimize
    from bot.math.workers import MathPool

    url = f"sqlite+aiosqlite:///{path}"
    result: dict[str, object] = {}
    with MathPool(workers=1) as pool:
        await _captured_tour(url, now, pool)  # rows to clone, and the class to query
        before = sizes(path)
        added = fill_history(path, now, HISTORY_USERS)
        after = sizes(path)
        month = 0.0
        for table in _HISTORY:
            per_row = (after[table] - before.get(table, 0)) / max(added[table], 1)
            rows = added[table] / HISTORY_USERS
            month += per_row * rows
            result[f"{table}: rows / active student / month"] = round(rows)
            result[f"{table}: bytes / row (with indexes)"] = round(per_row)
        result["history MB / active student / month"] = round(month / 1e6, 2)
        engine = create_engine(url)
        await optimize(engine, full=True)
        await engine.dispose()
        statements = await _captured_tour(url, now, pool)
        explain_sqlite(path, statements)
        pg = os.environ.get("DERIVBOT_BENCH_POSTGRES_URL")
        if pg:
            started = time.perf_counter()
            checks = await copying.copy_database(url, pg)
            result["db copy to PostgreSQL (s)"] = round(time.perf_counter() - started, 1)
            result["db copy verified"] = all(c.ok for c in checks)
            on_pg = await _captured_tour(pg, now, pool)
            for mine, theirs in zip(statements, on_pg, strict=False):
                if mine.use_case == theirs.use_case:
                    mine.plans.update(theirs.plans)
    result["statements per tour"] = len(statements)
    result["slowest statement (ms)"] = round(max(s.ms for s in statements), 2)
    result["whole-table scans (SQLite)"] = len(unindexed(statements))
    return result, statements
