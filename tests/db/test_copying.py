"""`derivbot db copy`: a seeded database goes SQLite -> (PostgreSQL | SQLite) -> SQLite and ends
identical (every table's count and checksum); an interrupted copy run again completes; a
target holding other data is refused before anything is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sympy as sp
from sqlalchemy import func, select

from bot import srs
from bot.cli import main
from bot.config import Settings
from bot.db import copying, migrate
from bot.db.engine import create_engine, session_factory
from bot.db.models import Card, ReviewLog, Setting
from bot.math.workers import MathPool
from bot.study.service import StudyService
from tests.seeds import seeded

NOW = dt.datetime(2026, 3, 2, 15, 0, 0, 123456, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


def _sqlite(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _service_on(url: str, pool: MathPool) -> tuple[StudyService, object]:
    engine = create_engine(url)
    settings = Settings(database_url=url, _env_file=None)
    service = StudyService(
        session_factory(engine), pool, settings=settings, clock=lambda: NOW, seeds=seeded()
    )
    return service, engine


async def _seed(url: str, pool: MathPool) -> None:
    """Students in a server, shipped decks, answered problems and cards, reminders, a setting."""
    await migrate.prepare_database(url)
    service, engine = await _service_on(url, pool)
    try:
        await service.sync_shipped_decks()
        async with service.sessions() as session:
            card = await session.scalar(select(Card.id).order_by(Card.id).limit(1))
        for n, name in enumerate(("ada", "Zoë 数学", "bo")):
            user = await service.user_for_discord(1000 + n, name)
            server = await service.join_server(user, 42, "Calculus", member_name=f"{name}!")
            if n == 1:
                await service.set_scheduler(user, "fsrs")
            shown = await service.present(user, "skill:power:1", server)
            await service.submit_answer(shown.token, sp.sstr(shown.problem.function))  # wrong
            await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=4)
            flash = await service.present(user, f"card:{card}", server)
            await service.grade_card(flash.token, srs.Button.GOOD)
            await service.present(user, "skill:chain:1", server)  # shown, never answered
            await service.set_reminder(user, "07:30", "Europe/Paris", server_id=server)
        async with service.sessions() as session, session.begin():
            session.add(
                Setting(scope="global", scope_id=0, key="motd", value={"b": [1, 2], "a": None})
            )
    finally:
        await engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
async def seeded_sqlite(tmp_path: Path, pool: MathPool) -> str:
    url = _sqlite(tmp_path / "source.db")
    await _seed(url, pool)
    return url


def _rows(checks: list[copying.TableCheck]) -> dict[str, int]:
    return {c.table: c.target_rows for c in checks}


async def test_round_trip_ends_identical(
    seeded_sqlite: str, empty_db_url: str, tmp_path: Path, pool: MathPool
) -> None:
    there = await copying.copy_database(seeded_sqlite, empty_db_url, batch=3)
    assert all(c.ok for c in there), there
    rows = _rows(there)
    assert rows["users"] == 3 and rows["review_log"] >= 6 and rows["reminders"] == 3
    assert rows["cards"] > 0 and rows["presentations"] == 9 and rows["settings"] >= 1

    back_url = _sqlite(tmp_path / "back.db")
    back = await copying.copy_database(empty_db_url, back_url)
    assert all(c.ok for c in back), back
    assert await copying.checksums(seeded_sqlite) == await copying.checksums(back_url)

    # the copy is a working database: new rows get fresh ids (PostgreSQL sequences moved on)
    service, engine = await _service_on(empty_db_url, pool)
    try:
        newcomer = await service.user_for_discord(2000, "newcomer")
        assert newcomer == 4
        shown = await service.present(newcomer, "skill:power:1")
        await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
        async with service.sessions() as session:
            newest = await session.scalar(select(func.max(ReviewLog.id)))
        assert newest == rows["review_log"] + 1
    finally:
        await engine.dispose()  # type: ignore[attr-defined]


async def test_an_interrupted_copy_run_again_completes(
    seeded_sqlite: str, empty_db_url: str
) -> None:
    with pytest.raises(copying.CopyInterrupted):
        await copying.copy_database(seeded_sqlite, empty_db_url, batch=2, stop_after=7)
    partial = await copying.verify(seeded_sqlite, empty_db_url)
    assert not all(c.ok for c in partial)  # some tables copied, some half, some not at all
    assert any(0 < c.target_rows < c.source_rows for c in partial) or any(
        c.target_rows == 0 < c.source_rows for c in partial
    )
    again = await copying.copy_database(seeded_sqlite, empty_db_url, batch=2)
    assert all(c.ok for c in again), again
    # and once more: nothing to do, still verified, nothing doubled
    assert _rows(await copying.copy_database(seeded_sqlite, empty_db_url)) == _rows(again)


async def test_a_target_with_other_data_is_refused(
    seeded_sqlite: str, empty_db_url: str, pool: MathPool
) -> None:
    await migrate.prepare_database(empty_db_url)
    service, engine = await _service_on(empty_db_url, pool)
    try:
        await service.user_for_discord(777, "someone else")  # a bot already used this database
    finally:
        await engine.dispose()  # type: ignore[attr-defined]
    with pytest.raises(copying.TargetNotEmpty, match="users"):
        await copying.copy_database(seeded_sqlite, empty_db_url)
    checks = {c.table: c for c in await copying.verify(seeded_sqlite, empty_db_url)}
    assert checks["users"].target_rows == 1  # nothing was written
    assert checks["review_log"].target_rows == 0


def test_cli_copy_interrupted_then_completed(
    seeded_sqlite: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _sqlite(tmp_path / "target.db")
    argv = ["db", "copy", "--from", seeded_sqlite, "--to", target, "--batch", "2", "--quiet"]
    assert main([*argv, "--stop-after-batches", "3"]) == 3
    assert "run it again" in capsys.readouterr().err
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "verified" in out and "MISMATCH" not in out
    assert "review_log" in out and "users" in out
    assert main(["db", "verify", "--from", seeded_sqlite, "--to", target]) == 0


def test_cli_copy_from_an_unmigrated_source_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _sqlite(tmp_path / "nothing.db")
    target = _sqlite(tmp_path / "target.db")
    assert main(["db", "copy", "--from", source, "--to", target, "--quiet"]) == 2
    assert "not at the latest schema" in capsys.readouterr().err


async def test_checksums_notice_a_changed_value(seeded_sqlite: str, tmp_path: Path) -> None:
    target = _sqlite(tmp_path / "target.db")
    await copying.copy_database(seeded_sqlite, target)
    engine = create_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE users SET display_name = 'x' WHERE id = 2")
            count = await conn.scalar(select(func.count()).select_from(Card.__table__))
    finally:
        await engine.dispose()
    checks = {c.table: c for c in await copying.verify(seeded_sqlite, target)}
    assert not checks["users"].ok and checks["users"].target_rows == 3
    assert checks["cards"].ok and checks["cards"].target_rows == count


async def test_a_killed_copy_run_again_completes(seeded_sqlite: str, empty_db_url: str) -> None:
    """The real thing: `derivbot db copy` killed (SIGKILL) mid-way, then run again."""
    import asyncio
    import os
    import signal
    import sys

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "copy",
        "--from",
        seeded_sqlite,
        "--to",
        empty_db_url,
        "--batch",
        "1",
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert process.stderr is not None
    seen = b""
    while b"review_log: " not in seen:  # a few tables in: kill it
        chunk = await asyncio.wait_for(process.stderr.read(256), 60)
        assert chunk, f"the copy ended before it could be killed: {seen[-300:]!r}"
        seen += chunk
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()
    assert process.returncode == -signal.SIGKILL
    partial = await copying.verify(seeded_sqlite, empty_db_url)
    assert not all(c.ok for c in partial)
    assert any(c.target_rows for c in partial)

    again = await asyncio.to_thread(
        main, ["db", "copy", "--from", seeded_sqlite, "--to", empty_db_url, "--quiet"]
    )
    assert again == 0
    assert all(c.ok for c in await copying.verify(seeded_sqlite, empty_db_url))


def test_copy_help_states_the_batch_the_copy_uses(capsys: pytest.CaptureFixture[str]) -> None:
    """The parser names the default without importing the database layer (a quick --help), so
    it repeats `copying.BATCH`: a change to one must show in the other."""
    with pytest.raises(SystemExit):
        main(["db", "copy", "--help"])
    assert f"(default {copying.BATCH})" in capsys.readouterr().out
