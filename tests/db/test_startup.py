"""Several processes starting at once on one fresh database: each migrates and loads the shipped
decks, and none may crash because another is doing the same (a bot restarting while the
console opens, two bot replicas, `derivbot migrate` in a deploy script)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.db.models import Card, Deck
from bot.math.workers import MathPool
from bot.study import decks
from bot.study.service import StudyService
from tests.seeds import seeded

ROOT = Path(__file__).resolve().parents[2]
STARTS = 3

# Imports first, then waits for a line on stdin, so that every process starts migrating at once.
MIGRATE_WHEN_TOLD = """
import sys
from bot import cli
from bot.db import migrate
print("ready", flush=True)
sys.stdin.readline()
sys.exit(cli.main(["migrate", "--url", sys.argv[1]]))
"""


def _start_together(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    processes = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready", process.stderr
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        done = []
        for command, process in zip(commands, processes, strict=True):
            out, err = process.communicate(timeout=120)
            done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
        return done
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_processes_migrating_a_fresh_database_at_once_all_succeed(empty_db_url: str) -> None:
    command = [sys.executable, "-c", MIGRATE_WHEN_TOLD, empty_db_url]
    for done in _start_together([command] * STARTS):
        assert done.returncode == 0, done.stderr
        assert f"database at {migrate.head()}" in done.stdout
    assert migrate.current(empty_db_url) == migrate.head()


async def _shipped_decks(url: str) -> list[tuple[str, int]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Deck.slug, func.count(Card.id))
                .join(Card, Card.deck_id == Deck.id)
                .group_by(Deck.slug)
                .order_by(Deck.slug)
            )
            return [(slug, int(n)) for slug, n in rows]
    finally:
        await engine.dispose()


async def test_starts_at_once_migrate_and_load_the_decks_once(empty_db_url: str) -> None:
    """Three starts (each with its own engine, as in three processes) on a fresh database:
    each migrates and loads the shipped decks through `prepare_database`, as the bot, the
    console and `derivbot deck sync` do. (In one process, to stay fast: importing the study
    layer costs a process seconds of CPU.)"""
    engines = [create_engine(empty_db_url) for _ in range(STARTS)]
    try:
        with MathPool(workers=1) as pool:  # never started: loading decks needs no worker
            services = [StudyService(session_factory(e), pool, seeds=seeded()) for e in engines]
            loaded = await asyncio.gather(
                *(
                    migrate.prepare_database(empty_db_url, then=s.sync_shipped_decks)
                    for s in services
                )
            )
    finally:
        for engine in engines:
            await engine.dispose()
    shipped = [decks.load_path(path) for path in sorted(decks.shipped_decks_dir().glob("*.yaml"))]
    assert loaded == [[deck.id for deck in shipped]] * STARTS
    assert await migrate.current_async(empty_db_url) == migrate.head()
    assert await _shipped_decks(empty_db_url) == sorted((d.id, len(d.cards)) for d in shipped)


async def test_the_startup_lock_admits_one_process_at_a_time(empty_db_url: str) -> None:
    entered = asyncio.Event()

    async def second_start() -> None:
        async with migrate.startup_lock(empty_db_url):
            entered.set()

    async with migrate.startup_lock(empty_db_url):
        waiting = asyncio.create_task(second_start())
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(entered.wait()), timeout=0.5)
    await asyncio.wait_for(waiting, timeout=10)  # and gets its turn once the first is done
    assert entered.is_set()
