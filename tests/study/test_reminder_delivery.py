"""Reminder delivery behind one interface: the service asks a sink to deliver each due reminder
and records what the sink says (sent, paused with a reason, or try again next pass)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest

from bot.config import Settings
from bot.math.workers import MathPool
from bot.study.reminders import Delivery, DeliveryReport, OutgoingReminder
from bot.study.service import StudyService
from tests.seeds import seeded

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


class FakeSink:
    """Answers per Discord id (default: delivered); remembers what it was given and how many
    deliveries ran at once.

    Each delivery waits (up to a second) until ``meet`` deliveries are running together, so
    "how many at once" does not depend on how fast the database answered in between: a pass
    that runs them one by one still shows 1, after a second's wait each."""

    def __init__(
        self, answers: dict[int, Delivery | Exception] | None = None, *, meet: int = 1
    ) -> None:
        self.answers = answers or {}
        self.given: list[OutgoingReminder] = []
        self.running = 0
        self.most_at_once = 0
        self.meet = meet
        self._together = asyncio.Event()

    async def deliver(self, reminder: OutgoingReminder) -> Delivery:
        self.given.append(reminder)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        if self.running >= self.meet:
            self._together.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._together.wait(), 1.0)
            await asyncio.sleep(0.01)  # a round trip
        finally:
            self.running -= 1
            if self.running == 0:
                self._together.clear()
        answer = self.answers.get(reminder.discord_id or 0, Delivery.sent())
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=3, _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded())


async def _discord_user(service: StudyService, discord_id: int, **where: object) -> int:
    user = await service.user_for_discord(discord_id, f"student {discord_id}")
    await service.set_reminder(user, "07:00", "UTC", **where)  # type: ignore[arg-type]
    return user


async def test_each_sinks_answer_is_recorded(service, clock) -> None:
    sent = await _discord_user(service, 1)
    closed = await _discord_user(service, 2)
    flaky = await _discord_user(service, 3)
    broken = await _discord_user(service, 4)
    sink = FakeSink(
        {
            2: Delivery.paused("DMs closed"),
            3: Delivery.later("gateway down"),
            4: RuntimeError("the sink failed"),
        }
    )
    clock.now = START + dt.timedelta(hours=1, minutes=1)
    report = await service.deliver_due_reminders(sink, discord_only=True)
    assert report == DeliveryReport(sent=1, paused=1, retry=2, left=0)
    assert sorted(r.user_id for r in sink.given) == sorted([sent, closed, flaky, broken])

    tomorrow = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)
    assert (await service.reminder(sent)).next_fire_at == tomorrow
    paused = await service.reminder(closed)
    assert paused.paused and paused.paused_reason == "DMs closed"
    assert await service.pending_notice(closed) == "DMs closed"
    # neither sent nor paused: still due, so the next pass tries again
    assert {r.user_id for r in await service.reminders_due()} == {flaky, broken}
    again = await service.deliver_due_reminders(FakeSink(), discord_only=True)
    assert again == DeliveryReport(sent=2, paused=0, retry=0, left=0)
    assert await service.reminders_due() == []


async def test_a_pass_longer_than_a_lease_tries_each_reminder_once(service, clock) -> None:
    """Deliveries that fail slowly (three minutes each): their claims lapse before the pass
    ends, and this pass must not take them again (it would never end); the next pass does."""
    users = [await _discord_user(service, discord_id) for discord_id in (5, 6)]
    clock.now = START + dt.timedelta(hours=1, minutes=1)

    class Stalling(FakeSink):
        async def deliver(self, reminder):
            clock.now += dt.timedelta(minutes=3)
            await super().deliver(reminder)
            return Delivery.later("gateway down")

    sink = Stalling()
    report = await asyncio.wait_for(service.deliver_due_reminders(sink, concurrency=1), 30)
    assert report == DeliveryReport(sent=0, paused=0, retry=2, left=0)
    assert sorted(r.user_id for r in sink.given) == sorted(users)
    again = await service.deliver_due_reminders(FakeSink())
    assert again.sent == 2


async def test_the_sink_gets_what_it_needs_to_word_and_route_a_reminder(service, clock) -> None:
    user = await _discord_user(service, 7)
    server = await service.join_server(user, 555, "class")
    await service.update_server_settings(server, reminder_channel_id=9090)
    await service.set_reminder(
        user, "07:00", "UTC", where="channel", channel_id=42, server_id=server
    )
    clock.now = START + dt.timedelta(hours=1)
    sink = FakeSink()
    await service.deliver_due_reminders(sink)
    (given,) = sink.given
    assert (given.discord_id, given.where, given.channel_id, given.server_id) == (
        7,
        "channel",
        42,
        server,
    )
    assert given.fallback_channel_id == 9090
    assert given.due_count == len(await service.due_queue(user, server)) == 3


async def test_limit_concurrency_and_whose_reminders(service, clock) -> None:
    for discord_id in range(10, 16):
        await _discord_user(service, discord_id)
    console = await service.user_for_console("terminal")
    await service.set_reminder(console, "07:00", "UTC")
    clock.now = START + dt.timedelta(hours=1)

    sink = FakeSink(meet=2)
    report = await service.deliver_due_reminders(sink, discord_only=True, limit=4, concurrency=2)
    assert report == DeliveryReport(sent=4, paused=0, retry=0, left=2)
    assert sink.most_at_once == 2
    assert all(r.discord_id is not None for r in sink.given)

    mine = FakeSink()
    report = await service.deliver_due_reminders(mine, user_id=console)
    assert report.sent == 1 and [r.user_id for r in mine.given] == [console]
    assert mine.given[0].discord_id is None and mine.given[0].fallback_channel_id is None


def test_a_delivery_says_why_not() -> None:
    assert Delivery.sent() == Delivery(True)
    assert Delivery.paused("DMs closed") == Delivery(False, "DMs closed", pause=True)
    assert not Delivery.later("busy").pause
    with pytest.raises(ValueError):
        Delivery(True, "but why", pause=True)
    with pytest.raises(ValueError):
        Delivery(False, "", pause=True)  # a pause is told to the student: it needs a reason


async def test_a_big_pass_records_every_answer_and_counts_every_queue(service, clock) -> None:
    """More reminders than one chunk (`DELIVERY_CHUNK`): each is delivered once, with its own
    queue's size, and each answer is recorded as a pass of single reminders would."""
    from bot.study.cases.reminding import DELIVERY_CHUNK

    answers: dict[int, Delivery | Exception] = {}
    users = {}
    for discord_id in range(1000, 1000 + 2 * DELIVERY_CHUNK + 30):
        users[discord_id] = await _discord_user(service, discord_id)
        await service.set_user_preferences(users[discord_id], new_per_day=discord_id % 4)
        if discord_id % 7 == 0:
            answers[discord_id] = Delivery.paused(f"closed {discord_id}")
        elif discord_id % 11 == 0:
            answers[discord_id] = RuntimeError("failed")
    clock.now = START + dt.timedelta(hours=1, minutes=1)
    sink = FakeSink(answers)
    report = await service.deliver_due_reminders(sink, discord_only=True)
    paused = sum(1 for a in answers.values() if isinstance(a, Delivery))
    retry = len(answers) - paused
    assert report == DeliveryReport(len(users) - len(answers), paused, retry, 0)
    assert sorted(r.discord_id for r in sink.given) == sorted(users)
    for given in sink.given:
        assert (
            given.due_count == len(await service.due_queue(given.user_id)) == (given.discord_id % 4)
        )
    tomorrow = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)
    for discord_id, user in users.items():
        reminder = await service.reminder(user)
        answer = answers.get(discord_id)
        if answer is None:
            assert reminder.next_fire_at == tomorrow and not reminder.paused
        elif isinstance(answer, Delivery):
            assert reminder.paused and reminder.paused_reason == f"closed {discord_id}"
        else:
            assert reminder.next_fire_at < tomorrow and not reminder.paused
    due = {r.user_id for r in await service.reminders_due()}
    assert due == {users[d] for d, a in answers.items() if isinstance(a, Exception)}
