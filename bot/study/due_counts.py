"""How many items each of a batch of students has to study today, in a few queries for the
whole batch: what a reminder says ("12 due today"). The reminder pass used to build every
student's due queue (`StudyService.due_queue`) just to count it, a transaction each.

`due_counts` returns exactly ``len(due_queue(user, server))`` for every pair: the same due
rule (SM-2's day, FSRS's instant before tomorrow starts), the same visibility (skills, shipped
decks, the server's own decks, less the decks it disabled, no retired cards), the same daily
limits and new items (unseen states, level-1 skills never started, cards never shown).
`tests/study/test_due_counts.py` holds it to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.models import Card, Deck, ItemState, ReviewLog, ServerDeck, User
from bot.math.generator import SKILLS
from bot.study.cases.queue import disabled_here

Pair = tuple[int, int | None]  # (user id, server id or None)


@dataclass(frozen=True)
class _Tally:
    """One student's item states, counted as the due queue would use them."""

    due: int = 0
    introduced_today: int = 0
    unseen_skills: int = 0
    unseen_cards: int = 0
    card_states: int = 0  # states of cards in view, seen or not
    started_skills: int = 0  # skills of the catalogue with a level-1 state


async def due_counts(
    session: AsyncSession, pairs: Sequence[Pair], now: dt.datetime
) -> dict[Pair, int]:
    """``len(due_queue(user, server))`` for each pair, for pairs of distinct users."""
    if not pairs:
        return {}
    users = {
        u.id: u
        for u in (
            await session.execute(select(User).where(User.id.in_([p[0] for p in pairs])))
        ).scalars()
    }
    # students who share a study day and a server share a statement (`IN` a list, which
    # SQLAlchemy compiles once): a chunk of reminders set for one time is a group or two
    groups: dict[tuple[dt.date, dt.datetime, int | None], list[int]] = {}
    for user_id, server_id in pairs:
        user = users[user_id]
        today = srs.local_day(now, user.timezone, user.day_start_hour)
        tomorrow = srs.day_start_utc(
            today + dt.timedelta(days=1), user.timezone, user.day_start_hour
        )
        groups.setdefault((today, tomorrow, server_id), []).append(user_id)
    tallies: dict[int, _Tally] = {}
    counted: dict[int, int] = {}
    for (today, tomorrow, server_id), ids in groups.items():
        params = {"ids": ids, "today": today, "tomorrow": tomorrow, "server_id": server_id}
        for row in await session.execute(_TALLY, params):
            tallies[row[0]] = _Tally(*row[1:])
        counted.update((await session.execute(_COUNTED_TODAY, params)).all())
    visible = await _visible_cards(session, {server for _, server in pairs})
    counts = {}
    for user_id, server_id in pairs:
        user = users[user_id]
        tally = tallies.get(user_id, _Tally())
        cards = visible.get(server_id, 0)
        counts[(user_id, server_id)] = _count(
            user, tally, int(counted.get(user_id) or 0), cards - tally.card_states
        )
    return counts


def _count(user: User, tally: _Tally, counted_today: int, fresh_cards: int) -> int:
    """`select_for_today` over the due queue's parts, counted instead of listed."""
    new_done = tally.introduced_today
    reviews_left = max(0, user.reviews_per_day - max(0, counted_today - new_done))
    new_left = max(0, user.new_per_day - new_done)
    new = 0
    if new_left:
        skills = tally.unseen_skills + (len(SKILLS) - tally.started_skills)
        cards = tally.unseen_cards
        if cards < new_left:
            cards += min(max(0, fresh_cards), new_left - cards)
        new = min(new_left, skills + cards)
    return min(tally.due, reviews_left) + new


def _tally_query() -> Any:
    """Each student's states (``ids``), counted by what the due queue does with them on the
    study day ``today`` (whose next starts at ``tomorrow``) in server ``server_id``."""
    in_view = or_(
        ItemState.kind == "skill",
        and_(
            ~Card.retired,
            or_(Deck.server_id.is_(None), Deck.server_id == bindparam("server_id")),
            ~disabled_here(),  # never true outside a server (server_id NULL)
        ),
    )
    unseen = and_(in_view, ItemState.introduced_day.is_(None), ItemState.unlocked)
    due = and_(
        in_view,
        ItemState.introduced_day.is_not(None),
        or_(ItemState.due_day <= bindparam("today"), ItemState.due_at < bindparam("tomorrow")),
    )
    level_one = and_(
        ItemState.kind == "skill", ItemState.level == 1, ItemState.skill.in_(list(SKILLS))
    )
    return (
        select(
            ItemState.user_id,
            _number(due),
            _number(ItemState.introduced_day == bindparam("today")),
            _number(and_(unseen, ItemState.kind == "skill")),
            _number(and_(unseen, ItemState.kind == "card")),
            _number(and_(in_view, ItemState.kind == "card")),
            func.count(distinct(case((level_one, ItemState.skill)))),
        )
        .outerjoin(Card, Card.id == ItemState.card_id)
        .outerjoin(Deck, Deck.id == Card.deck_id)
        .where(ItemState.user_id.in_(bindparam("ids", expanding=True)))
        .group_by(ItemState.user_id)
    )


def _number(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


_TALLY = _tally_query()
#: reviews counted on the students' (``ids``) study day ``today``
_COUNTED_TODAY = (
    select(ReviewLog.user_id, func.count(ReviewLog.id))
    .where(
        ReviewLog.user_id.in_(bindparam("ids", expanding=True)),
        ReviewLog.local_day == bindparam("today"),
        ReviewLog.counted,
    )
    .group_by(ReviewLog.user_id)
)


async def _visible_cards(session: AsyncSession, servers: set[int | None]) -> dict[int | None, int]:
    """Cards not retired that each server (None: outside any) shows: the shipped decks and the
    server's own, less the decks the server disabled."""
    owners = [s for s in servers if s is not None]
    per_deck = (
        await session.execute(
            select(Deck.id, Deck.server_id, func.count(Card.id))
            .join(Card, Card.deck_id == Deck.id)
            .where(~Card.retired, or_(Deck.server_id.is_(None), Deck.server_id.in_(owners)))
            .group_by(Deck.id, Deck.server_id)
        )
    ).all()
    disabled = set(
        (
            await session.execute(
                select(ServerDeck.server_id, ServerDeck.deck_id).where(
                    ServerDeck.server_id.in_(owners), ~ServerDeck.enabled
                )
            )
        ).all()
    )
    return {
        server: sum(
            n
            for deck, owner, n in per_deck
            if owner in (None, server) and (server, deck) not in disabled
        )
        for server in servers
    }
