"""A server's deck choices (enabled, order) and split cards carrying progress, on every backend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import srs
from bot.config import Settings
from bot.db.models import Card, Deck, ItemState
from bot.math.workers import MathPool
from bot.study.service import StudyError, StudyService
from tests.seeds import seeded
from tests.study.test_service import Clock

CLASS_DECK = """\
id: calc-class
title: Our class
version: 1
cards:
  - id: c1
    front: What is d/dx (x^2)?
    back: 2x
  - id: c2
    front: What is d/dx (x^3)?
    back: 3x^2
  - id: c3
    front: What is d/dx (x^4)?
    back: 4x^3
"""


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=10, _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded())


async def _keys(service: StudyService, server: int | None, slug: str) -> list[str]:
    """The item keys of a deck's active cards, in deck order."""
    owner = Deck.server_id.is_(None) if server is None else Deck.server_id == server
    async with service.sessions() as session:
        ids = await session.scalars(
            select(Card.id)
            .join(Deck, Card.deck_id == Deck.id)
            .where(owner, Deck.slug == slug, ~Card.retired)
            .order_by(Card.position)
        )
        return [f"card:{i}" for i in ids]


async def _setup(service: StudyService, new_per_day: int = 20) -> tuple[int, int]:
    await service.sync_shipped_decks()
    user = await service.user_for_discord(1, "ada")
    server = await service.join_server(user, 100, "Class")
    await service.set_user_preferences(user, new_per_day=new_per_day)
    return user, server


def _cards(queue: list[str]) -> list[str]:
    return [key for key in queue if key.startswith("card:")]


async def test_a_servers_own_deck_comes_before_the_shipped_ones(service) -> None:
    user, server = await _setup(service)
    await service.import_deck(server, CLASS_DECK, "yaml")
    own = await _keys(service, server, "calc-class")
    queue = await service.due_queue(user, server)
    assert _cards(queue)[:3] == own
    # outside the server (a DM) the class deck is not in view; the shipped deck leads
    rules = await _keys(service, None, "derivative-rules")
    assert _cards(await service.due_queue(user))[:2] == rules[:2]
    overview = await service.deck_overview(server)
    assert [(e.slug, e.shipped, e.enabled, e.position) for e in overview] == [
        ("calc-class", False, True, 1),
        ("derivative-rules", True, True, 2),
        ("ml-derivatives", True, True, 3),
    ]
    assert overview[0].cards == 3


async def test_a_disabled_deck_is_neither_new_nor_due_and_comes_back_as_it_was(
    service, clock
) -> None:
    user, server = await _setup(service)
    rules = await _keys(service, None, "derivative-rules")
    first = _cards(await service.due_queue(user, server))[0]
    assert first == rules[0]
    shown = await service.present(user, first, server)
    assert (await service.grade_card(shown.token, srs.Button.GOOD)).graded
    clock.advance(days=1)
    assert first in await service.due_queue(user, server)  # due again tomorrow

    entry = await service.set_deck_enabled(server, "derivative-rules", False)
    assert not entry.enabled and entry.shipped
    queue = await service.due_queue(user, server)
    assert not set(queue) & set(rules)  # neither due nor new
    assert _cards(queue)  # the other shipped deck is still studied
    assert first in await service.due_queue(user)  # other places are not affected

    await service.set_deck_enabled(server, "derivative-rules", True)
    queue = await service.due_queue(user, server)
    assert first in queue  # the same schedule, resumed
    async with service.sessions() as session:
        state = await session.scalar(
            select(ItemState).where(ItemState.user_id == user, ItemState.item_key == first)
        )
        assert state is not None and state.reviews == 1


async def test_a_teacher_orders_the_decks(service) -> None:
    user, server = await _setup(service)
    await service.import_deck(server, CLASS_DECK, "yaml")
    order = await service.move_deck(server, "ml-derivatives", 1)
    assert [e.slug for e in order] == ["ml-derivatives", "calc-class", "derivative-rules"]
    ml = await _keys(service, None, "ml-derivatives")
    assert _cards(await service.due_queue(user, server))[:2] == ml[:2]
    order = await service.move_deck(server, "ml-derivatives", 99)  # past the end: last
    assert [e.slug for e in order] == ["calc-class", "derivative-rules", "ml-derivatives"]
    assert [e.position for e in await service.deck_overview(server)] == [1, 2, 3]
    with pytest.raises(StudyError):
        await service.move_deck(server, "no-such-deck", 1)
    with pytest.raises(StudyError):
        await service.move_deck(server, "calc-class", 0)
    with pytest.raises(StudyError):
        await service.set_deck_enabled(server, "no-such-deck", False)
    # another server's order is its own
    other = await service.join_server(user, 200, "Other")
    assert [e.slug for e in await service.deck_overview(other)] == [
        "derivative-rules",
        "ml-derivatives",
    ]
