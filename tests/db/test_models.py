"""The schema's rules hold on every backend: cascades, uniqueness, checks, JSON, scoping."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import transaction
from bot.db.models import (
    Card,
    Deck,
    ItemState,
    Membership,
    Presentation,
    QuizAttempt,
    Reminder,
    ReviewLog,
    Server,
    Setting,
    User,
    utcnow,
)

Sessions = async_sessionmaker[AsyncSession]
DAY = dt.date(2026, 2, 1)


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _world(sessions: Sessions) -> dict[str, int]:
    """A user in a server, with a server deck and a shipped deck, progress and history."""
    async with transaction(sessions) as s:
        user = User(discord_id=42, display_name="Ada")
        server = Server(discord_guild_id=7, name="Calc 1")
        shipped = Deck(slug="basics", title="Basics")
        s.add_all([user, server, shipped])
        await s.flush()
        own = Deck(server_id=server.id, slug="ours", title="Ours")
        s.add(own)
        await s.flush()
        card = Card(deck_id=own.id, card_key="q1", front="d/dx x^2", back="2x", tags=["power"])
        shipped_card = Card(deck_id=shipped.id, card_key="q1", front="d/dx e^x", back="e^x")
        s.add_all([card, shipped_card, Membership(user_id=user.id, server_id=server.id)])
        await s.flush()
        s.add_all(
            [
                ItemState(
                    user_id=user.id,
                    item_key=f"card:{card.id}",
                    kind="card",
                    card_id=card.id,
                    scheduler="sm2",
                    due_day=DAY,
                ),
                ItemState(
                    user_id=user.id,
                    item_key=f"card:{shipped_card.id}",
                    kind="card",
                    card_id=shipped_card.id,
                    scheduler="sm2",
                    due_day=DAY,
                ),
                Presentation(
                    token="p1",
                    user_id=user.id,
                    item_key=f"card:{card.id}",
                    kind="card",
                    card_id=card.id,
                    server_id=server.id,
                ),
                ReviewLog(
                    user_id=user.id,
                    server_id=server.id,
                    item_key=f"card:{card.id}",
                    kind="card",
                    quality=5,
                    scheduler="sm2",
                    local_day=DAY,
                    state_after={},
                    points=10,
                    counted=True,
                    presentation_token="p1",
                ),
                QuizAttempt(
                    user_id=user.id,
                    server_id=server.id,
                    skill="chain",
                    level=1,
                    seed=3,
                    answer_text="2x",
                    verdict="correct",
                ),
                Reminder(
                    user_id=user.id,
                    server_id=server.id,
                    local_time="18:00",
                    next_fire_at=utcnow(),
                ),
                Setting(scope="user", scope_id=user.id, key="hints", value=True),
            ]
        )
        return {
            "user": user.id,
            "server": server.id,
            "own_deck": own.id,
            "shipped_deck": shipped.id,
            "card": card.id,
        }


async def test_deleting_a_deck_cascades_to_cards_progress_and_presentations(
    session_factory: Sessions,
) -> None:
    ids = await _world(session_factory)
    async with transaction(session_factory) as s:
        await s.execute(delete(Deck).where(Deck.id == ids["own_deck"]))
    async with session_factory() as s:
        assert await _count(s, Card) == 1  # the shipped deck's card
        assert await _count(s, ItemState) == 1
        assert await _count(s, Presentation) == 0
        assert await _count(s, ReviewLog) == 1  # history is kept


async def test_deleting_a_server_cascades_and_keeps_history(session_factory: Sessions) -> None:
    ids = await _world(session_factory)
    async with transaction(session_factory) as s:
        await s.execute(delete(Server).where(Server.id == ids["server"]))
    async with session_factory() as s:
        assert await _count(s, Membership) == 0
        assert await _count(s, Deck) == 1  # only the shipped deck
        assert await _count(s, Card) == 1
        log = await s.scalar(select(ReviewLog))
        assert log is not None and log.server_id is None and log.points == 10
        reminder = await s.scalar(select(Reminder))
        assert reminder is not None and reminder.server_id is None
        attempt = await s.scalar(select(QuizAttempt))
        assert attempt is not None and attempt.server_id is None


async def test_deleting_a_user_removes_everything_of_theirs(session_factory: Sessions) -> None:
    ids = await _world(session_factory)
    async with transaction(session_factory) as s:
        await s.execute(delete(User).where(User.id == ids["user"]))
    async with session_factory() as s:
        for model in (Membership, ItemState, ReviewLog, Presentation, QuizAttempt, Reminder):
            assert await _count(s, model) == 0, model.__name__
        assert await _count(s, Server) == 1 and await _count(s, Card) == 2


async def test_foreign_keys_are_enforced(session_factory: Sessions) -> None:
    with pytest.raises(IntegrityError):
        async with transaction(session_factory) as s:
            s.add(Card(deck_id=999, card_key="x", front="f", back="b"))


async def test_json_round_trip(session_factory: Sessions) -> None:
    ids = await _world(session_factory)
    fsrs: dict[str, Any] = {
        "stability": 3.1415926535,
        "difficulty": 5.5,
        "state": 2,
        "step": None,
        "history": [1, 2, {"nested": ["ä", "∂y/∂x", True]}],
    }
    async with transaction(session_factory) as s:
        state = await s.scalar(select(ItemState).where(ItemState.card_id == ids["card"]))
        assert state is not None
        state.fsrs_state = fsrs
        for key, value in [("n", 3), ("s", "dark"), ("l", [1, "a"]), ("d", {"a": {"b": 1.5}})]:
            s.add(Setting(scope="global", key=key, value=value))
    async with session_factory() as s:
        state = await s.scalar(select(ItemState).where(ItemState.card_id == ids["card"]))
        assert state is not None and state.fsrs_state == fsrs
        card = await s.get(Card, ids["card"])
        assert card is not None and card.tags == ["power"]
        values = {k: v for k, v in (await s.execute(select(Setting.key, Setting.value))).all()}
        assert values == {"n": 3, "s": "dark", "l": [1, "a"], "d": {"a": {"b": 1.5}}, "hints": True}
        # Nullable JSON columns keep Python None as SQL NULL, so IS NULL finds it.
        nulls = await s.scalar(
            select(func.count()).select_from(ReviewLog).where(ReviewLog.state_before.is_(None))
        )
        assert nulls == 1


async def test_server_defaults_apply_to_rows_written_outside_the_orm(
    session_factory: Sessions,
) -> None:
    async with transaction(session_factory) as s:
        await s.execute(insert(User).values(console_name="raw"))
        await s.execute(insert(Server).values(discord_guild_id=1))
        await s.execute(insert(Deck).values(slug="d", title="D"))
    async with session_factory() as s:
        user = await s.scalar(select(User))
        assert user is not None
        assert (user.timezone, user.day_start_hour, user.new_per_day, user.reviews_per_day) == (
            "UTC",
            4,
            10,
            200,
        )
        assert (user.theme, user.scheduler, user.display_name) == ("dark", None, "")
        server = await s.scalar(select(Server))
        assert server is not None and server.leaderboard_enabled is True
        deck = await s.scalar(select(Deck))
        assert deck is not None
        await s.execute(insert(Card).values(deck_id=deck.id, card_key="k", front="f", back="b"))
        card = await s.scalar(select(Card))
        assert card is not None and (card.tags, card.retired, card.typed_var) == ([], False, "x")


async def test_deck_slugs_unique_per_server_and_among_shipped(session_factory: Sessions) -> None:
    ids = await _world(session_factory)
    async with transaction(session_factory) as s:
        other = Server(discord_guild_id=8)
        s.add(other)
        await s.flush()
        s.add(Deck(server_id=other.id, slug="ours", title="Same slug, other server"))
        s.add(Deck(server_id=ids["server"], slug="basics", title="Shadows a shipped slug"))
    for server_id, slug in [(None, "basics"), (ids["server"], "ours")]:
        with pytest.raises(IntegrityError):
            async with transaction(session_factory) as s:
                s.add(Deck(server_id=server_id, slug=slug, title="Duplicate"))


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (User, {"console_name": "x", "scheduler": "anki"}),
        (User, {"console_name": "x", "theme": "pink"}),
        (User, {"console_name": "x", "day_start_hour": 24}),
        (User, {"display_name": "nobody"}),  # neither a Discord id nor a console name
        (Setting, {"scope": "global", "scope_id": 5, "key": "k", "value": 1}),
        (Setting, {"scope": "guild", "scope_id": 5, "key": "k", "value": 1}),
    ],
    ids=["scheduler", "theme", "day-start", "identity", "global-scope-id", "scope"],
)
async def test_check_constraints(session_factory: Sessions, model: type, values: dict) -> None:
    with pytest.raises(IntegrityError):
        async with transaction(session_factory) as s:
            s.add(model(**values))


async def test_item_state_kind_fields_and_uniqueness(session_factory: Sessions) -> None:
    ids = await _world(session_factory)
    bad = [
        {"item_key": "skill:chain:1", "kind": "skill", "skill": "chain"},  # no level
        {"item_key": "card:x", "kind": "card"},  # no card id
        {"item_key": f"card:{ids['card']}", "kind": "card", "card_id": ids["card"]},  # duplicate
    ]
    for values in bad:
        with pytest.raises(IntegrityError):
            async with transaction(session_factory) as s:
                s.add(ItemState(user_id=ids["user"], scheduler="sm2", **values))


async def test_reminders_one_per_user_and_channel_needs_an_id(session_factory: Sessions) -> None:
    ids = await _world(session_factory)
    for values in [
        {"user_id": ids["user"], "local_time": "07:30"},  # second reminder
        {"user_id": None, "local_time": "7:30"},  # bad time
        {"user_id": None, "local_time": "07:30", "where": "channel"},  # no channel id
    ]:
        with pytest.raises(IntegrityError):
            async with transaction(session_factory) as s:
                if values["user_id"] is None:
                    fresh = User(console_name="r")
                    s.add(fresh)
                    await s.flush()
                    values = {**values, "user_id": fresh.id}
                s.add(Reminder(next_fire_at=utcnow(), **values))


async def test_queries_are_isolated_by_server(session_factory: Sessions) -> None:
    """Leaderboards and custom decks only ever see their own server's rows."""
    async with transaction(session_factory) as s:
        a, b = Server(discord_guild_id=1, name="A"), Server(discord_guild_id=2, name="B")
        ann, bob = User(discord_id=10), User(discord_id=11)
        s.add_all([a, b, ann, bob])
        await s.flush()
        s.add_all(
            [
                Deck(slug="shared", title="Shipped"),
                Deck(server_id=a.id, slug="a-only", title="A's"),
                Deck(server_id=b.id, slug="b-only", title="B's"),
            ]
        )
        for n, (user, server, points) in enumerate(
            [(ann, a, 10), (ann, a, 10), (bob, a, 5), (ann, b, 100), (bob, None, 7)]
        ):
            s.add(
                ReviewLog(
                    user_id=user.id,
                    server_id=server.id if server else None,
                    item_key=f"skill:chain:{n + 1}",
                    kind="skill",
                    quality=4,
                    scheduler="sm2",
                    local_day=DAY,
                    state_after={},
                    points=points,
                    counted=True,
                )
            )
    async with session_factory() as s:
        board = (
            await s.execute(
                select(ReviewLog.user_id, func.sum(ReviewLog.points))
                .where(ReviewLog.server_id == a.id, ReviewLog.local_day == DAY)
                .group_by(ReviewLog.user_id)
                .order_by(func.sum(ReviewLog.points).desc())
            )
        ).all()
        assert [tuple(row) for row in board] == [(ann.id, 20), (bob.id, 5)]
        visible = await s.scalars(
            select(Deck.slug)
            .where(or_(Deck.server_id.is_(None), Deck.server_id == b.id))
            .order_by(Deck.slug)
        )
        assert list(visible) == ["b-only", "shared"]
