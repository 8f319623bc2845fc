"""Races between two front-ends (or two bot processes) on one database, on every backend.

Each service has an engine of its own, as two processes would; both requests are fired in the
same loop tick, and every race is run ROUNDS times (the failures these tests pin down happened
in every round on PostgreSQL). ``DERIVBOT_RACE_ROUNDS`` runs more of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator, Iterator

import pytest
import sympy as sp
from sqlalchemy import func, select

from bot import srs
from bot.config import Settings
from bot.db.engine import create_engine, session_factory
from bot.db.models import Card, ItemState, Membership, Reminder, ReviewLog, Server, User
from bot.math.workers import MathPool
from bot.study.items import card_key
from bot.study.service import Outcome, StudyService
from tests.seeds import seeded

ROUNDS = int(os.environ.get("DERIVBOT_RACE_ROUNDS", "50"))


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def pool() -> Iterator[MathPool]:
    with MathPool(workers=2, timeout=10.0) as p:
        yield p


@pytest.fixture
async def services(db_url: str, pool: MathPool) -> AsyncIterator[tuple[StudyService, ...]]:
    """Two services on one database and one clock, each with its own engine."""
    clock = Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=10, _env_file=None)
    engines = [create_engine(db_url), create_engine(db_url)]
    try:
        yield tuple(
            StudyService(session_factory(e), pool, settings=settings, clock=clock, seeds=seeded())
            for e in engines
        )
    finally:
        for e in engines:
            await e.dispose()


async def _scalar(service: StudyService, query):
    async with service.sessions() as session:
        return await session.scalar(query)


async def _rows(service: StudyService, query) -> list:
    async with service.sessions() as session:
        return list((await session.execute(query)).all())


async def _assert_logged_once_each(service: StudyService, tokens: list[str]) -> None:
    """Every presentation's answer is in the log, exactly once; nothing else is."""
    logged = await _rows(
        service,
        select(ReviewLog.presentation_token, func.count()).group_by(ReviewLog.presentation_token),
    )
    assert dict(logged) == dict.fromkeys(tokens, 1)


async def test_a_new_students_first_two_interactions_at_once(services) -> None:
    """/quiz and /stats clicked together by someone the bot has never seen, in a new server:
    both work, with the same user and server, each stored once."""
    a, b = services

    async def first_contact(service: StudyService, discord_id: int, guild_id: int):
        user = await service.user_for_discord(discord_id, "Ada")
        return user, await service.join_server(user, guild_id, "Calculus 101")

    seen = []
    for n in range(ROUNDS):
        discord_id, guild_id = 1000 + n, 5000 + n
        (user, server), other = await asyncio.gather(
            first_contact(a, discord_id, guild_id), first_contact(b, discord_id, guild_id)
        )
        assert other == (user, server)
        seen.append((discord_id, guild_id, user, server))
    users = await _rows(a, select(User.discord_id, User.id, User.display_name))
    assert sorted(users) == [(d, u, "Ada") for d, _, u, _ in seen]
    servers = await _rows(a, select(Server.discord_guild_id, Server.id, Server.name))
    assert sorted(servers) == [(g, s, "Calculus 101") for _, g, _, s in seen]
    members = await _rows(a, select(Membership.user_id, Membership.server_id))
    assert sorted(members) == [(u, s) for _, _, u, s in seen]


async def test_classmates_joining_a_new_server_at_once(services) -> None:
    """Two known students' first commands in a server the bot has just joined."""
    a, b = services
    ada = await a.user_for_discord(1, "Ada")
    bob = await a.user_for_discord(2, "Bob")
    servers = []
    for n in range(ROUNDS):
        guild_id = 5000 + n
        server, other = await asyncio.gather(
            a.join_server(ada, guild_id, "Calculus"), b.join_server(bob, guild_id, "Calculus")
        )
        assert other == server
        servers.append(server)
    members = await _rows(a, select(Membership.server_id, Membership.user_id))
    assert sorted(members) == sorted([(s, ada) for s in servers] + [(s, bob) for s in servers])
    # a new name later is still taken (names are updated, not only set once)
    assert await b.user_for_discord(1, "Ada L.") == ada
    assert await _scalar(a, select(User.display_name).where(User.id == ada)) == "Ada L."


def _one_review_one_practice(first: Outcome, second: Outcome) -> tuple[Outcome, Outcome]:
    """The two gradings of one item, review first: exactly one moved the schedule."""
    review, practice = sorted((first, second), key=lambda o: not o.graded)
    assert review.graded and review.practice is None
    assert not practice.graded and practice.practice == "today" and practice.points == 0
    assert practice.schedule == review.schedule  # judged on the state the review left
    return review, practice


async def test_two_presentations_of_a_new_card_graded_at_once(services) -> None:
    """The bot and the console (or two processes) each show a never-seen card; both answers
    are logged exactly once, the first answer is the review and the other is practice. A
    genuine double click on one of them still counts once. The next day, due again, the same
    race on the existing state: still one review, nothing lost."""
    a, b = services
    await a.sync_shipped_decks()
    key = card_key(await _scalar(a, select(func.min(Card.id))))
    start, tokens = a.clock.now, []
    for n in range(ROUNDS):
        user = await a.user_for_console(f"student{n}")
        for day in range(2):
            a.clock.now = start + dt.timedelta(days=day)  # SM-2: due again the day after a Good
            first, second = await asyncio.gather(a.present(user, key), b.present(user, key))
            graded_first, graded_second, again = await asyncio.gather(
                a.grade_card(first.token, srs.Button.GOOD),
                b.grade_card(second.token, srs.Button.GOOD),
                b.grade_card(first.token, srs.Button.GOOD),  # a double click on the first
            )
            assert graded_second.status == "graded"
            assert sorted([graded_first.status, again.status]) == ["already", "graded"]
            graded_first = graded_first if graded_first.status == "graded" else again
            _one_review_one_practice(graded_first, graded_second)
            tokens += [first.token, second.token]
    await _assert_logged_once_each(a, tokens)
    # one state per student, reviewed once per day: no review lost, none counted twice
    states = await _rows(a, select(ItemState.item_key, ItemState.reviews))
    assert states == [(key, 2)] * ROUNDS
    counted = select(ReviewLog.user_id, func.count()).where(ReviewLog.counted)
    assert {n for _, n in await _rows(a, counted.group_by(ReviewLog.user_id))} == {2}


async def test_two_presentations_of_a_new_problem_answered_at_once(services) -> None:
    """The same race through typed answers to generated problems (a quiz in two places)."""
    a, b = services
    tokens = []
    for n in range(ROUNDS):
        user = await a.user_for_console(f"solver{n}")
        first, second = await asyncio.gather(
            a.present(user, "skill:power:1"), b.present(user, "skill:power:1")
        )
        outcomes = await asyncio.gather(
            a.submit_answer(first.token, sp.sstr(first.problem.answer), seconds=5),
            b.submit_answer(second.token, sp.sstr(second.problem.answer), seconds=5),
        )
        assert [o.status for o in outcomes] == ["correct", "correct"]
        _one_review_one_practice(*outcomes)
        tokens += [first.token, second.token]
    await _assert_logged_once_each(a, tokens)


async def test_a_reminder_set_twice_at_once(services) -> None:
    """/remind set clicked twice (or from the bot and the console) by someone with no reminder
    yet: both succeed, one reminder is stored, and it holds one of the two times."""
    a, b = services
    for n in range(ROUNDS):
        user = await a.user_for_console(f"rem{n}")
        await asyncio.gather(
            a.set_reminder(user, "07:30", "UTC"), b.set_reminder(user, "08:15", "UTC")
        )
        info = await a.reminder(user)
        assert info is not None and info.local_time in ("07:30", "08:15")
    count = await _scalar(a, select(func.count()).select_from(Reminder))
    assert count == ROUNDS
