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


# --------------------------------------------------------------------------- split cards

BEFORE = """\
id: tiny
title: Tiny
version: 1
cards:
  - id: both
    front: What are d/dx sin x and d/dx cos x?
    back: cos x and −sin x
  - id: other
    front: What is d/dx (x)?
    back: '1'
"""
AFTER = """\
id: tiny
title: Tiny
version: 2
cards:
  - id: sin-part
    front: What is d/dx sin x?
    back: cos x
    replaces: [both]
  - id: cos-part
    front: What is d/dx cos x?
    back: −sin x
    replaces: [both]
  - id: other
    front: What is d/dx (x)?
    back: '1'
"""
SCHEDULE = (
    "scheduler",
    "repetitions",
    "interval",
    "ease",
    "fsrs_state",
    "due_day",
    "due_at",
    "lapses",
    "leech_flagged",
    "reviews",
    "last_reviewed_at",
    "introduced_day",
    "unlocked",
)


async def _sync(service: StudyService, folder: Path, text: str) -> None:
    (folder / "tiny.yaml").write_text(text, "utf-8")
    assert await service.sync_shipped_decks(folder) == ["tiny"]


async def _states(service: StudyService, user: int) -> dict[str, tuple]:
    """card key -> (item key, schedule) for the user's states on the tiny deck's cards."""
    async with service.sessions() as session:
        rows = await session.execute(
            select(Card.card_key, ItemState)
            .join(ItemState, ItemState.card_id == Card.id)
            .where(ItemState.user_id == user)
        )
        return {
            key: (state.item_key, tuple(getattr(state, c) for c in SCHEDULE)) for key, state in rows
        }


async def test_a_split_cards_parts_inherit_each_students_progress_once(
    service, clock, tmp_path: Path
) -> None:
    await _sync(service, tmp_path, BEFORE)
    both = (await _keys(service, None, "tiny"))[0]
    ada = await service.user_for_console("ada")
    bob = await service.user_for_console("bob")  # never saw the old card
    for _ in range(2):  # two reviews on two days: repetitions 2, interval 6
        shown = await service.present(ada, both)
        assert (await service.grade_card(shown.token, srs.Button.GOOD)).graded
        clock.advance(days=1)
    old = (await _states(service, ada))["both"]
    assert old[1][SCHEDULE.index("repetitions")] == 2

    await _sync(service, tmp_path, AFTER)
    states = await _states(service, ada)
    parts = await _keys(service, None, "tiny")
    assert both not in parts and len(parts) == 3  # the old card is retired, its parts active
    for part in ("sin-part", "cos-part"):
        item_key, schedule = states[part]
        assert item_key in parts
        assert schedule == old[1]  # the same SM-2 state: due when the old card was due
    assert states["both"] == old  # history kept on the retired card
    assert "other" not in states
    assert await _states(service, bob) == {}

    # a second sync changes nothing, and never overwrites what a student did since
    clock.advance(days=10)
    shown = await service.present(ada, states["sin-part"][0])
    assert (await service.grade_card(shown.token, srs.Button.AGAIN)).graded
    after_review = await _states(service, ada)
    await _sync(service, tmp_path, AFTER)
    await _sync(service, tmp_path, AFTER)
    assert await _states(service, ada) == after_review
    assert after_review["sin-part"] != after_review["cos-part"]
    # the parts are in the queue on the old card's schedule, the old card is not
    queue = await service.due_queue(ada)
    assert both not in queue and states["cos-part"][0] in queue


async def test_a_scheduler_switch_keeps_a_parts_inherited_progress(
    service, clock, tmp_path: Path
) -> None:
    """A part's state is re-derived from the old card's log followed by its own, so switching
    scheduler and back gives the inherited state exactly (the log stays the one truth)."""
    await _sync(service, tmp_path, BEFORE)
    both = (await _keys(service, None, "tiny"))[0]
    ada = await service.user_for_console("ada")
    for _ in range(2):
        shown = await service.present(ada, both)
        assert (await service.grade_card(shown.token, srs.Button.GOOD)).graded
        clock.advance(days=1)
    await _sync(service, tmp_path, AFTER)
    inherited = await _states(service, ada)
    await service.set_scheduler(ada, "fsrs")
    switched = await _states(service, ada)
    assert switched["sin-part"][1][SCHEDULE.index("reviews")] == 2  # not reset to new
    assert switched["sin-part"][1] == switched["both"][1]
    await service.set_scheduler(ada, "sm2")
    assert await _states(service, ada) == inherited


async def test_outside_a_server_every_shipped_deck_is_listed_and_enabled(service) -> None:
    await service.sync_shipped_decks()
    user = await service.user_for_discord(1, "ada")
    server = await service.join_server(user, 100, "Class")
    await service.set_deck_enabled(server, "ml-derivatives", False)  # that server's choice only
    overview = await service.deck_overview(None)
    assert [(e.slug, e.enabled, e.position) for e in overview] == [
        ("derivative-rules", True, 1),
        ("ml-derivatives", True, 2),
    ]


async def test_copying_progress_twice_at_once_copies_it_once(service, clock, tmp_path) -> None:
    """Two carry-overs racing (two processes storing the deck, or a grading creating the
    part's state meanwhile): on PostgreSQL the second insert waits for the first and then does
    nothing; neither fails and each part ends with one state, the old card's."""
    import asyncio

    from sqlalchemy import delete

    from bot.db.engine import transaction
    from bot.study.cases.library import _carry_over

    await _sync(service, tmp_path, BEFORE)
    both = (await _keys(service, None, "tiny"))[0]
    ada = await service.user_for_console("ada")
    shown = await service.present(ada, both)
    assert (await service.grade_card(shown.token, srs.Button.GOOD)).graded
    await _sync(service, tmp_path, AFTER)
    old = (await _states(service, ada))["both"]
    parts = await _keys(service, None, "tiny")
    async with transaction(service.sessions) as session:  # as if the copy had not happened
        await session.execute(delete(ItemState).where(ItemState.item_key.in_(parts)))
        deck_id = await session.scalar(select(Deck.id).where(Deck.slug == "tiny"))

    async def carry() -> None:
        async with transaction(service.sessions) as session:
            await _carry_over(session, deck_id)

    await asyncio.gather(carry(), carry())
    states = await _states(service, ada)
    assert set(states) == {"both", "sin-part", "cos-part"}
    assert states["sin-part"][1] == states["cos-part"][1] == old[1]
