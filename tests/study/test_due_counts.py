"""`due_counts` (the reminder pass's batch count) equals the length of each student's due
queue, whatever the mix: new students, reviews due and done, daily limits, server decks and
retired cards, FSRS, students in other time zones, days later."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import sympy as sp
from sqlalchemy import update

from bot import srs
from bot.config import Settings
from bot.db.engine import transaction
from bot.db.models import Card, Deck
from bot.math.workers import MathPool
from bot.study.due_counts import due_counts
from bot.study.service import StudyService
from tests.cogs.helpers import make_due
from tests.seeds import seeded
from tests.study.test_service import Clock


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=2, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=10, _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded())


async def _deck(service: StudyService, server: int | None, slug: str, cards: int) -> list[int]:
    async with transaction(service.sessions) as session:
        deck = Deck(server_id=server, slug=slug, title=slug)
        session.add(deck)
        await session.flush()
        rows = [Card(deck_id=deck.id, card_key=f"c{k}", front="f", back="b") for k in range(cards)]
        session.add_all(rows)
        await session.flush()
        return [c.id for c in rows]


async def _expected(service: StudyService, pairs) -> dict:
    return {(u, s): len(await service.due_queue(u, s)) for u, s in pairs}


async def _counted(service: StudyService, clock: Clock, pairs) -> dict:
    async with service.sessions() as session:
        return await due_counts(session, pairs, clock())


async def test_batch_counts_equal_each_due_queue(service, clock) -> None:
    shipped = await _deck(service, None, "shipped", 6)
    names = ["new", "busy", "capped", "fsrs", "tokyo", "class", "idle"]
    users = {n: await service.user_for_discord(500 + k, n) for k, n in enumerate(names)}
    a = await service.join_server(users["class"], 50, "A")
    b = await service.join_server(users["fsrs"], 60, "B")
    await service.join_server(users["busy"], 50, "A")
    await service.update_server_settings(b, default_scheduler="fsrs")
    own = await _deck(service, a, "class-deck", 4)
    await service.set_user_preferences(users["capped"], new_per_day=2, reviews_per_day=3)
    await service.set_user_preferences(users["idle"], new_per_day=0)
    await service.set_reminder(users["tokyo"], "07:00", "Asia/Tokyo")
    async with transaction(service.sessions) as session:  # one shipped card retired
        await session.execute(update(Card).where(Card.id == shipped[5]).values(retired=True))

    async def study(user: int, server: int | None, keys: list[str]) -> None:
        for key in keys:
            shown = await service.present(user, key, server)
            if shown.problem is not None:
                answer = sp.sstr(shown.problem.answer) if len(key) % 2 else "0"
                await service.submit_answer(shown.token, answer, seconds=5)
                if len(key) % 2 == 0:
                    await service.give_up(shown.token)
            else:
                await service.grade_card(shown.token, srs.Button.GOOD)

    seen: set[int] = set()
    cards = [f"card:{c}" for c in shipped[:5]]
    skills = ["skill:power:1", "skill:sum:1", "skill:chain:1", "skill:trig:1"]
    for day in range(12):
        for name in ("busy", "capped", "fsrs", "tokyo", "class", "idle"):
            user = users[name]
            server = {"busy": a, "class": a, "fsrs": b}.get(name)
            if (day + len(name)) % 3 == 0:
                continue
            queue = await service.due_queue(user, server)
            extra = [f"card:{c}" for c in own[:2]] if name == "class" else []
            await study(user, server, (queue[:4] or cards[:2] + skills[:2]) + extra)
        for hours in (0, 9, 20):  # the day goes on, study days turn over in other zones
            clock.advance(hours=hours)
            pairs = [
                (users["new"], None),
                (users["busy"], a),
                (users["capped"], None),
                (users["fsrs"], b),
                (users["tokyo"], None),
                (users["class"], a if day % 2 else None),
                (users["idle"], None),
            ]
            expected = await _expected(service, pairs)
            assert await _counted(service, clock, pairs) == expected, (day, hours)
            seen.update(expected.values())
            clock.advance(hours=-hours)
        clock.advance(days=1)
    assert expected[(users["new"], None)] == 10  # a new student: a full day of new items
    assert len(seen) >= 5  # the mix gave queues of many lengths, empty ones too
    assert 0 in seen


async def test_students_outside_any_server(service, clock) -> None:
    users = [await service.user_for_discord(900 + k, f"dm{k}") for k in range(3)]
    await _deck(service, None, "shipped", 3)
    pairs = [(user, None) for user in users]  # no server at all in the batch
    assert await _counted(service, clock, pairs) == await _expected(service, pairs)


async def test_decks_a_server_disabled_are_not_counted(service, clock) -> None:
    ann = await service.user_for_discord(950, "ann")
    server = await service.join_server(ann, 95, "Choosy")
    other = await service.join_server(ann, 96, "Other")
    shipped = await _deck(service, None, "shipped", 3)
    await _deck(service, server, "own", 2)
    await service.set_deck_enabled(server, "shipped", False)
    # due, but hidden in that server
    await make_due(SimpleNamespace(service=service), ann, shipped[:2], clock())
    for pairs in ([(ann, server)], [(ann, other)], [(ann, None)]):
        assert await _counted(service, clock, pairs) == await _expected(service, pairs)


async def test_no_pairs_no_queries(service, clock) -> None:
    assert await _counted(service, clock, []) == {}
