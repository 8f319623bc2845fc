"""Showing an item: a fresh problem or a card, stored under a token so that its buttons
outlive a restart."""

from __future__ import annotations

import secrets

from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Card, Deck, ItemState, Presentation, User
from bot.study.cases.base import ServiceBase, Shown, check_owner
from bot.study.cases.results import CardView, Presented, StudyError
from bot.study.items import ItemKey, parse_key

# Built once (building a statement costs more than running it): whether the user exists and
# what they have of the item (levels above 1 get a state only when unlocked, `_unlock_next`,
# so none means locked), in one round trip; and a card with its deck.
_SEEN = (
    select(User.id, ItemState.user_id.label("has_state"), ItemState.introduced_day)
    .outerjoin(
        ItemState,
        and_(ItemState.user_id == User.id, ItemState.item_key == bindparam("key")),
    )
    .where(User.id == bindparam("user_id"))
)
# a presentation's row: its token, when it was shown, and what it shows (`Shown`)
_STORED = ("token", "created_at", *Shown._fields)
_STORE = insert(Presentation).values({name: bindparam(name) for name in _STORED})
_CARD = (
    select(Card, Deck).join(Deck, Card.deck_id == Deck.id).where(Card.id == bindparam("card_id"))
)


class PresentingCases(ServiceBase):
    """Every presentation is a row: answers and buttons come back with its token alone."""

    async def present(self, user_id: int, item_key: str, server_id: int | None = None) -> Presented:
        """Show an item: a fresh generated problem for a skill (never the same twice), or a card.

        The presentation is stored, so its buttons keep working after a restart."""
        key = parse_key(item_key)
        seed = self.seeds() if key.kind == "skill" else None
        return await self._present(user_id, item_key, key, seed, server_id)

    async def present_seeded(self, user_id: int, item_key: str, seed: int) -> Presented:
        """`present` for a skill with a chosen problem seed, so a scripted console session (and
        its tests) knows every problem in advance. Discord never calls this: there the seed is
        secret, or a student could look the answers up."""
        key = parse_key(item_key)
        if key.kind != "skill" or key.skill is None or key.level is None:
            raise StudyError("only problems have seeds")
        return await self._present(user_id, item_key, key, seed, None)

    async def _present(
        self, user_id: int, item_key: str, key: ItemKey, seed: int | None, server_id: int | None
    ) -> Presented:
        """Build what the item shows, then store the presentation under a new token (a problem
        the pool could not build leaves no presentation behind)."""
        token = secrets.token_urlsafe(12)
        problem = None
        if key.kind == "skill":
            problem = await self._problem(key.skill, key.level, seed)  # type: ignore[arg-type]
        async with transaction(self.sessions, keyed=True) as session:
            seen = (await session.execute(_SEEN, {"user_id": user_id, "key": item_key})).first()
            if seen is None:
                raise StudyError(f"no user {user_id}")
            card_view = None
            if key.kind == "card":
                card_view = await self._card_view(session, key.card_id, server_id)
            shown = Shown(
                user_id, key.kind, item_key, key.skill, key.level, seed, key.card_id, server_id
            )
            # the service's clock: answer times use it too
            row = {"token": token, "created_at": self.clock(), **shown._asdict()}
            await session.execute(_STORE, row)
        self._remember(token, shown)
        has_state, introduced = seen.has_state is not None, seen.introduced_day
        locked = key.kind == "skill" and (key.level or 1) > 1 and not has_state
        new = not has_state or introduced is None
        return Presented(
            token, item_key, key.kind, new and not locked, problem, card_view, locked=locked
        )

    async def _card_view(
        self, session: AsyncSession, card_id: int | None, server_id: int | None
    ) -> CardView:
        row = (await session.execute(_CARD, {"card_id": card_id})).one_or_none()
        if row is None:
            raise StudyError(f"no card {card_id}")
        card, deck = row
        if deck.server_id is not None and deck.server_id != server_id:
            raise StudyError("that card belongs to another server's deck")
        return CardView(
            card.id,
            deck.slug,
            card.front,
            card.back,
            card.latex_front,
            card.latex_back,
            card.typed_answer,
            card.typed_var,
            card.skill,
        )

    async def presentation(self, token: str, *, user_id: int | None = None) -> Presented:
        """A stored presentation again (its card, or the same problem), so a button pressed
        after a restart still knows what it was about. ``new``: not introduced yet."""
        async with self.sessions() as session:
            p = await self._presentation(session, token)
            check_owner(p, user_id)
            card_view = None
            if p.kind == "card":
                card_view = await self._card_view(session, p.card_id, p.server_id)
            introduced = await session.scalar(
                select(ItemState.introduced_day).where(
                    ItemState.user_id == p.user_id, ItemState.item_key == p.item_key
                )
            )
        problem = await self.problem_for(token) if p.kind == "skill" else None
        return Presented(
            token, p.item_key, p.kind, introduced is None, problem=problem, card=card_view
        )

    async def presentation_server(self, token: str, *, user_id: int | None = None) -> int | None:
        """The server an item was shown in (None: a DM or the console), so a session rebuilt
        after a restart from a button pressed in a DM keeps that server's decks."""
        async with self.sessions() as session:
            p = await self._presentation(session, token)
            check_owner(p, user_id)
            return p.server_id
