"""What to study next: today's due queue, new items, the re-drills a session owes."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.models import Card, Deck, ItemState, ReviewLog, ServerDeck
from bot.math.generator import SKILLS
from bot.srs.session import REDRILL_PASS
from bot.study.cases.base import ServiceBase
from bot.study.items import card_key, skill_key


class QueueCases(ServiceBase):
    """Runs on every /review: the statements are built once per shape (`queue_statements`)."""

    async def due_queue(self, user_id: int, server_id: int | None = None) -> list[str]:
        """Today's queue: due reviews, most overdue (relative to interval) first, then new items,
        within the user's daily limits.

        Runs on every /review, so each part is one indexed query returning only what is needed
        (due rows via (user_id, due_day|due_at), new cards via the (user_id, item_key) index),
        and the statements are built once (`queue_statements`), not on every call.
        """
        q = queue_statements(server_id is not None)
        async with self.sessions() as session:
            user = await self._user(session, user_id)
            today = self.today(user)
            params = {"user_id": user_id, "server_id": server_id, "today": today}
            done = (await session.execute(q.done_today, params)).one()
            # an item introduced today has exactly one counted answer today, its first: that
            # one counts against the new-item limit, not the review limit
            new_done = int(done[1] or 0)
            reviews_done = max(0, int(done[0] or 0) - new_done)
            tomorrow = srs.day_start_utc(
                today + dt.timedelta(days=1), user.timezone, user.day_start_hour
            )
            rows = await session.execute(q.due, {**params, "tomorrow": tomorrow})
            due = []
            for key, due_day, due_at, interval, reviewed_at in rows:
                if due_at is not None:  # FSRS: due by the day of its due instant
                    due_day = srs.local_day(due_at, user.timezone, user.day_start_hour)
                    if reviewed_at is not None:
                        interval = round((due_at - reviewed_at).total_seconds() / 86400)
                due.append((srs.sort_key(due_day, today, max(interval, 1)), key))
            due.sort()
            allowance = max(0, user.new_per_day - new_done)
            new: list[str] = []
            if allowance:
                new = await self._new_items(session, q, params, allowance)
            return srs.select_for_today(
                [key for _, key in due],
                new,
                done_reviews_today=reviews_done,
                done_new_today=new_done,
                max_reviews=user.reviews_per_day,
                max_new=user.new_per_day,
            )

    async def _new_items(
        self, session: AsyncSession, q: QueueStatements, params: dict[str, Any], limit: int
    ) -> list[str]:
        """Up to `limit` new skills and new cards, taking turns."""
        # one query: the unseen items in view, and which skills have a level-1 state at all
        rows = (await session.execute(q.unseen, params)).all()
        unseen = [(r.item_key, r.kind) for r in rows if r.introduced_day is None and r.unlocked]
        first_levels = {r.skill for r in rows if r.kind == "skill" and r.level == 1}
        skills = [key for key, kind in unseen if kind == "skill"]
        skills += [skill_key(n, 1) for n in SKILLS if n not in first_levels]
        cards = [key for key, kind in unseen if kind == "card"]
        if len(cards) < limit:
            fresh = await session.execute(q.fresh_cards, {**params, "limit": limit - len(cards)})
            cards += [card_key(cid) for cid in fresh.scalars()]
        return _interleave(skills, cards)[:limit]

    async def session_redrills(self, user_id: int, since: dt.datetime) -> list[str]:
        """Items whose latest answer since ``since`` scored below 4, in answer order: the
        same-day re-drills (SM-2 step 7) a session still owes when it is rebuilt after a
        restart."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(ReviewLog.item_key, ReviewLog.quality)
                .where(ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= since)
                .order_by(ReviewLog.reviewed_at, ReviewLog.id)
            )
            latest: dict[str, int] = {}
            for key, quality in rows:
                latest.pop(key, None)  # re-inserted: ordered by each item's latest answer
                latest[key] = quality
        return [key for key, quality in latest.items() if quality < REDRILL_PASS]


@dataclass(frozen=True)
class QueueStatements:
    """The statements behind `StudyService.due_queue`, with bound parameters ``user_id``,
    ``today``, ``tomorrow`` (when the next study day starts, UTC), ``limit`` and (in a server)
    ``server_id``."""

    done_today: Any  # reviews counted and items introduced today, in one round trip
    due: Any  # introduced items due by today (SM-2) or before tomorrow starts (FSRS), in view
    unseen: Any  # unseen items in view, plus every level-1 skill state
    fresh_cards: Any  # visible cards with no state at all yet, decks in the server's order
    leeches: Any  # flagged leeches in view, most lapses first


@functools.cache
def queue_statements(in_server: bool) -> QueueStatements:
    """Built once per shape: constructing a select costs more Python than running it."""
    user_id, today = bindparam("user_id"), bindparam("today")
    decks = Deck.server_id.is_(None)
    if in_server:  # shipped decks everywhere, a server's own decks only in that server,
        # and of those only the decks the server has not disabled
        decks = (decks | (Deck.server_id == bindparam("server_id"))) & ~disabled_here()
    # correlated, so each of the student's card states probes cards and decks by primary key;
    # `card_id IN (SELECT cards.id ... )` made PostgreSQL scan every server's cards first
    visible_card = (
        select(Card.id)
        .join(Deck, Card.deck_id == Deck.id)
        .where(Card.id == ItemState.card_id, decks, ~Card.retired)
        .exists()
    )
    in_view = or_(ItemState.kind == "skill", visible_card)
    seen = (
        select(ItemState.id)
        .where(
            ItemState.user_id == user_id,
            ItemState.item_key == literal("card:") + cast(Card.id, String),
        )
        .exists()
    )
    choice = ServerDeck.__table__.alias("choice")
    fresh = (
        select(Card.id)
        .join(Deck, Card.deck_id == Deck.id)
        .where(decks, ~Card.retired, ~seen)
        .limit(bindparam("limit"))
    )
    if in_server:
        fresh = fresh.outerjoin(
            choice,
            (choice.c.deck_id == Deck.id) & (choice.c.server_id == bindparam("server_id")),
        ).order_by(*deck_order(choice.c.position), Card.position, Card.id)
    else:
        fresh = fresh.order_by(*deck_order(None), Card.position, Card.id)
    return QueueStatements(
        done_today=_done_today(user_id, today),
        due=_due(user_id, today, in_view),
        unseen=_unseen(user_id, in_view),
        fresh_cards=fresh,  # the visible decks first (few), their cards through cards(deck_id)
        leeches=select(ItemState.item_key)
        .where(ItemState.user_id == user_id, ItemState.leech_flagged, in_view)
        .order_by(ItemState.lapses.desc(), ItemState.item_key),
    )


def disabled_here() -> Any:
    """True for a deck that the server (bound parameter ``server_id``) has disabled."""
    return (
        select(ServerDeck.deck_id)
        .where(
            ServerDeck.deck_id == Deck.id,
            ServerDeck.server_id == bindparam("server_id"),
            ~ServerDeck.enabled,
        )
        .exists()
    )


def deck_order(position: Any) -> tuple[Any, ...]:
    """ORDER BY terms putting decks in the order their new cards are introduced: first a
    server's own decks that the teacher has not placed (a deck just imported is wanted now),
    then the decks the teacher placed (`position`, a server's choice; None outside a server),
    then the shipped decks not placed; in each group the older deck first."""
    own = Deck.server_id.is_not(None)
    if position is None:
        return (case((own, 0), else_=2), Deck.id)
    group = case((position.is_not(None), 1), (own, 0), else_=2)
    return (group, position, Deck.id)


def _done_today(user_id: Any, today: Any) -> Any:
    """Reviews counted and items introduced today, in one round trip."""
    reviews = (
        select(func.count())
        .select_from(ReviewLog)
        .where(ReviewLog.user_id == user_id, ReviewLog.local_day == today, ReviewLog.counted)
        .scalar_subquery()
    )
    introduced = (
        select(func.count())
        .select_from(ItemState)
        .where(ItemState.user_id == user_id, ItemState.introduced_day == today)
        .scalar_subquery()
    )
    return select(reviews, introduced)


def _due(user_id: Any, today: Any, in_view: Any) -> Any:
    return select(
        ItemState.item_key,
        ItemState.due_day,
        ItemState.due_at,
        ItemState.interval,
        ItemState.last_reviewed_at,
    ).where(
        ItemState.user_id == user_id,
        ItemState.introduced_day.is_not(None),
        or_(ItemState.due_day <= today, ItemState.due_at < bindparam("tomorrow")),
        in_view,
    )


def _unseen(user_id: Any, in_view: Any) -> Any:
    return (
        select(
            ItemState.item_key,
            ItemState.kind,
            ItemState.skill,
            ItemState.level,
            ItemState.introduced_day,
            ItemState.unlocked,
        )
        .where(
            ItemState.user_id == user_id,
            or_(
                ItemState.introduced_day.is_(None),
                (ItemState.kind == "skill") & (ItemState.level == 1),
            ),
            in_view,
        )
        .order_by(ItemState.id)
    )


def _interleave(a: list[str], b: list[str]) -> list[str]:
    out: list[str] = []
    for pair in zip(a, b, strict=False):
        out.extend(pair)
    shorter = min(len(a), len(b))
    return out + a[shorter:] + b[shorter:]
