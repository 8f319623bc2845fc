"""Reminders sent exactly once across processes (issue 14): claims that are disjoint, recorded,
released, and that lapse when their process dies; on SQLite and PostgreSQL, in one process with
two engines and across `derivbot reminders due --claim` processes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.config import Settings
from bot.db.engine import create_engine, session_factory
from bot.db.models import Reminder, User, utcnow
from bot.math.workers import MathPool
from bot.study.reminders import Delivery
from bot.study.service import StudyService
from tests.study.test_reminder_delivery import START, Clock, FakeSink

ROOT = Path(__file__).resolve().parents[2]
CLAIM = [sys.executable, "-m", "bot", "reminders", "due", "--claim", "--jsonl"]


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


def _service(url: str, pool: MathPool, clock: Clock) -> tuple[StudyService, object]:
    engine = create_engine(url)
    settings = Settings(database_url=url, _env_file=None)
    return StudyService(session_factory(engine), pool, settings=settings, clock=clock), engine


async def _due_reminders(url: str, count: int, fire_at: dt.datetime) -> set[int]:
    """``count`` students whose reminder is due at ``fire_at``: their reminder ids."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            users = await conn.execute(
                insert(User).returning(User.id),
                [{"discord_id": 10_000 + i, "name": f"s{i}"} for i in range(count)],
            )
            ids = await conn.execute(
                insert(Reminder).returning(Reminder.id),
                [
                    {"user_id": user, "local_time": "07:00", "next_fire_at": fire_at}
                    for user in users.scalars().all()
                ],
            )
            return set(ids.scalars().all())
    finally:
        await engine.dispose()


async def test_two_services_claiming_at_once_get_disjoint_sets(db_url: str, pool) -> None:
    due = await _due_reminders(db_url, 60, START)
    clock = Clock(START + dt.timedelta(minutes=1))
    (a, engine_a), (b, engine_b) = _service(db_url, pool, clock), _service(db_url, pool, clock)
    try:
        claims = await asyncio.gather(
            *(service.claim_due_reminders(limit=7) for service in (a, b, a, b, a, b) * 6)
        )
        taken = [reminder.reminder_id for batch in claims for reminder in batch]
        assert len(taken) == len(set(taken))  # nobody got one twice
        assert set(taken) == due  # and every one went to someone
        assert await a.claim_due_reminders() == []  # all claimed: nothing left to take
    finally:
        await engine_a.dispose()
        await engine_b.dispose()


async def test_a_claim_lapses_when_its_process_dies(db_url: str, pool) -> None:
    due = await _due_reminders(db_url, 3, START)
    clock = Clock(START + dt.timedelta(minutes=1))
    dead, engine_a = _service(db_url, pool, clock)
    alive, engine_b = _service(db_url, pool, clock)
    try:
        held = await dead.claim_due_reminders(lease=dt.timedelta(minutes=2))
        assert {r.reminder_id for r in held} == due
        assert await alive.claim_due_reminders() == []  # held, not lapsed yet
        assert await alive.reminders_left() == 3
        clock.now += dt.timedelta(minutes=2, seconds=1)  # the holder never came back
        taken = await alive.claim_due_reminders()
        assert {r.reminder_id for r in taken} == due
        for reminder in taken:
            await alive.reminder_sent(reminder.reminder_id)
        assert await alive.reminders_left() == 0
        assert await dead.claim_due_reminders() == []  # sent: not due again today
    finally:
        await engine_a.dispose()
        await engine_b.dispose()


async def test_an_undelivered_reminder_is_given_back_for_the_next_pass(db_url: str, pool) -> None:
    clock = Clock(START + dt.timedelta(minutes=1))
    service, engine = _service(db_url, pool, clock)
    try:
        user = await service.user_for_discord(3, "flaky")
        await service.set_reminder(user, "06:00", "UTC")
        clock.now = START + dt.timedelta(days=1, minutes=1)
        first = await service.deliver_due_reminders(FakeSink({3: Delivery.later("down")}))
        assert first.retry == 1
        # given back at once, not held until the lease ends
        again = await service.deliver_due_reminders(FakeSink())
        assert again.sent == 1
    finally:
        await engine.dispose()


class _SlowSink:
    """Delivers each reminder in a second of the shared clock (slow DMs), and once, after
    ``then_after`` of them, lets another process run a pass of its own meanwhile."""

    def __init__(self, clock: Clock, then_after: int, other: StudyService) -> None:
        self.clock, self.then_after, self.other = clock, then_after, other
        self.given: list[int] = []
        self.others = FakeSink()

    async def deliver(self, reminder) -> Delivery:
        self.given.append(reminder.reminder_id)
        self.clock.now += dt.timedelta(seconds=1)
        if len(self.given) == self.then_after:
            await self.other.deliver_due_reminders(self.others)
        return Delivery.sent()


async def test_a_long_pass_and_another_process_deliver_each_reminder_once(
    db_url: str, pool
) -> None:
    """250 reminders, delivered a second each: the pass outlasts a claim's lease (two
    minutes). Another process's pass two and a half minutes in must find none of them lapsed
    and still undelivered: each reminder reaches one student once."""
    due = await _due_reminders(db_url, 250, START)
    clock = Clock(START + dt.timedelta(minutes=1))
    (slow, engine_a), (other, engine_b) = (
        _service(db_url, pool, clock),
        _service(db_url, pool, clock),
    )
    try:
        sink = _SlowSink(clock, then_after=150, other=other)
        report = await slow.deliver_due_reminders(sink, concurrency=1)
        helped = [r.reminder_id for r in sink.others.given]
        everything = sink.given + helped
        assert len(everything) == len(set(everything)) == 250  # nobody got one twice
        assert set(everything) == due
        assert helped and report.sent == len(sink.given)  # the other process took a share
        assert await slow.reminders_left() == 0
    finally:
        await engine_a.dispose()
        await engine_b.dispose()


def _claimer(url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLAIM, "--url", url, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _outputs(processes: list[subprocess.Popen[str]]) -> list[tuple[str, str]]:
    """Every process's output, read at once: a full pipe would stall a process holding claims
    until they lapse, and the claims' lease is what keeps a stalled process from double sends."""
    return await asyncio.gather(
        *(asyncio.to_thread(process.communicate, timeout=300) for process in processes)
    )


def _printed(output: str) -> list[int]:
    return [json.loads(line)["reminder_id"] for line in output.splitlines() if line.strip()]


async def test_three_processes_print_every_due_reminder_exactly_once(db_url: str) -> None:
    due = await _due_reminders(db_url, 1000, utcnow() - dt.timedelta(minutes=1))
    processes = [_claimer(db_url, "--batch", "25") for _ in range(3)]
    outputs = await _outputs(processes)
    assert [p.returncode for p in processes] == [0, 0, 0], [err for _, err in outputs]
    printed = [_printed(out) for out, _ in outputs]
    everything = [rid for lines in printed for rid in lines]
    assert len(everything) == len(set(everything)) == 1000
    assert set(everything) == due


async def test_a_killed_process_claims_are_picked_up_by_the_others(db_url: str) -> None:
    due = await _due_reminders(db_url, 1000, utcnow() - dt.timedelta(minutes=1))
    # a slow deliverer: claims 5 at a time for 8 s, takes 1 s per reminder
    slow = _claimer(db_url, "--batch", "5", "--lease", "8", "--delay", "1", "--progress")
    assert slow.stderr is not None
    recorded = await asyncio.to_thread(slow.stderr.readline)
    assert recorded.startswith("recorded"), recorded
    others = [_claimer(db_url, "--batch", "25", "--wait") for _ in range(2)]
    recorded = await asyncio.to_thread(slow.stderr.readline)
    assert recorded.startswith("recorded"), recorded
    slow.send_signal(signal.SIGKILL)  # mid-batch, asleep in its next "delivery"
    slow_out, _ = await asyncio.to_thread(slow.communicate, timeout=60)
    outputs = await _outputs(others)
    assert [p.returncode for p in others] == [0, 0], [err for _, err in outputs]
    everything = _printed(slow_out) + [rid for out, _ in outputs for rid in _printed(out)]
    assert len(_printed(slow_out)) == 2  # killed holding 3 more claims
    assert len(everything) == len(set(everything)) == 1000
    assert set(everything) == due
