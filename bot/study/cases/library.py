"""Decks as use cases: the shipped ones synced, a teacher's imported, exported, listed, removed.
(`bot.study.decks` reads and writes deck files; this stores them.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.engine import transaction
from bot.db.models import Card, Deck, ItemState, ReviewLog, ServerDeck
from bot.db.upsert import insert_missing
from bot.study import decks, importing
from bot.study.cases import queue
from bot.study.cases.base import ServiceBase
from bot.study.cases.results import StudyError
from bot.study.importing import ImportBusy
from bot.study.items import card_key
from bot.study.text import clean_text


@dataclass(frozen=True)
class DeckEntry:
    """A deck as a server sees it (`StudyService.deck_overview`): `position` is its place in
    the order new cards are introduced there (1 first), `enabled` whether its cards are
    studied there at all."""

    slug: str
    title: str
    cards: int
    shipped: bool
    enabled: bool
    position: int


class LibraryCases(ServiceBase):
    """One deck import at a time per bot (`_deck_import`); a removed deck keeps its progress."""

    async def sync_shipped_decks(self, directory: Path | None = None) -> list[str]:
        """Load cards/*.yaml (or .yml) into the database: new cards added, edited ones updated
        in place (same id, so progress stays), removed ones retired. Returns the deck ids."""
        folder = directory or decks.shipped_decks_dir()
        loaded = []
        paths = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
        for path in sorted(paths):
            deck = decks.load_path(path)
            async with transaction(self.sessions) as session:
                await _store_deck(session, deck, server_id=None)
            loaded.append(deck.id)
        return loaded

    async def import_deck(
        self, server_id: int, text: str, fmt: Literal["yaml", "csv"], *, deck_id: str = ""
    ) -> str:
        """A teacher's deck (YAML or CSV), all or nothing: a bad file raises DeckError naming
        the line of its first problem, with every problem in `.problems`, and imports nothing.

        Validation runs in the pool a slice of cards at a time, so students' checks are never
        queued behind a whole deck (`bot.study.importing`); and one import at a time per bot:
        while one runs, another raises `ImportBusy` at once. Importing a deck with the id of
        a removed (retired) one brings it back, with the students' progress on it.
        """
        if fmt not in ("yaml", "csv"):
            raise ValueError("decks are YAML or CSV files")
        deck_id = clean_text(deck_id)  # a name; the file itself is refused if unclean
        if self._deck_import.locked():
            raise ImportBusy("another deck import is running; try again when it has finished")
        async with self._deck_import:
            deck = await importing.check_upload(
                self.pool, text, fmt, deck_id=deck_id or "imported", limits=self.import_limits
            )
            async with transaction(self.sessions) as session:
                await _store_deck(session, deck, server_id=server_id)
        return deck.id

    async def export_deck(self, server_id: int | None, slug: str, fmt: str = "yaml") -> str:
        async with self.sessions() as session:
            row = await _find_deck(session, server_id, slug)
            cards = (
                (
                    await session.execute(
                        select(Card)
                        .where(Card.deck_id == row.id, ~Card.retired)
                        .order_by(Card.position)
                    )
                )
                .scalars()
                .all()
            )
        deck = decks.Deck(
            id=row.slug,
            title=row.title,
            description=row.description,
            version=row.version,
            cards=tuple(_card_model(c) for c in cards),
        )
        return decks.dump_deck_csv(deck) if fmt == "csv" else decks.dump_deck_yaml(deck)

    async def list_decks(self, server_id: int | None) -> list[tuple[str, str, int, bool]]:
        """(slug, title, card count, shipped) for the decks visible in a server."""
        visible = Deck.server_id.is_(None)
        if server_id is not None:
            visible = visible | (Deck.server_id == server_id)
        async with self.sessions() as session:
            rows = await session.execute(
                select(Deck.slug, Deck.title, func.count(Card.id), Deck.server_id)
                .outerjoin(Card, (Card.deck_id == Deck.id) & ~Card.retired)
                .where(visible, ~Deck.retired)
                .group_by(Deck.id, Deck.slug, Deck.title, Deck.server_id)
                .order_by(Deck.server_id.is_not(None), Deck.slug)
            )
            return [(slug, title, int(n), sid is None) for slug, title, n, sid in rows]

    async def deck_overview(self, server_id: int | None) -> list[DeckEntry]:
        """The decks a server sees, in the order their new cards are introduced there (the
        server's own decks first unless the teacher ordered them otherwise), each enabled or
        not. Outside a server: the shipped decks, all enabled."""
        async with self.sessions() as session:
            return await _overview(session, server_id)

    async def set_deck_enabled(self, server_id: int, slug: str, enabled: bool) -> DeckEntry:
        """Turn a deck (a shipped one or the server's own) on or off in one server. A disabled
        deck's cards are neither introduced nor due there; students' progress on them is
        kept, and enabling the deck again resumes their schedules where they were."""
        async with transaction(self.sessions) as session:
            row = await _find_deck(session, server_id, slug)
            await _choice(session, server_id, row.id)
            await session.execute(
                update(ServerDeck)
                .where(ServerDeck.server_id == server_id, ServerDeck.deck_id == row.id)
                .values(enabled=enabled)
            )
            entries = await _overview(session, server_id)
        shipped = row.server_id is None
        return next(e for e in entries if e.slug == row.slug and e.shipped == shipped)

    async def move_deck(self, server_id: int, slug: str, position: int) -> list[DeckEntry]:
        """Put a deck at `position` (1 = its new cards come first; past the end = last) in the
        server's order; the other decks keep their order around it. Returns the new order.
        Every deck the server sees is then placed, so later imports come first (unplaced own
        decks lead) and new shipped decks last."""
        if position < 1:
            raise StudyError("positions start at 1")
        async with transaction(self.sessions) as session:
            row = await _find_deck(session, server_id, slug)
            ids = await _ordered_ids(session, server_id)
            ids.remove(row.id)
            ids.insert(min(position, len(ids) + 1) - 1, row.id)
            for place, deck_id in enumerate(ids, 1):
                await _choice(session, server_id, deck_id)
                await session.execute(
                    update(ServerDeck)
                    .where(ServerDeck.server_id == server_id, ServerDeck.deck_id == deck_id)
                    .values(position=place)
                )
            return await _overview(session, server_id)

    async def remove_deck(self, server_id: int, slug: str) -> None:
        """Retire one of a server's own decks (the shipped ones are everyone's): it leaves the
        list and its cards leave the queues, but the students' progress is kept, and
        importing a deck with the same id again brings it back (`import_deck`)."""
        async with transaction(self.sessions) as session:
            row = await _find_deck(session, server_id, slug, own_only=True)
            row.retired = True
            await session.execute(update(Card).where(Card.deck_id == row.id).values(retired=True))


async def _store_deck(session: AsyncSession, deck: decks.Deck, *, server_id: int | None) -> None:
    row = (
        await session.execute(
            select(Deck).where(
                Deck.slug == deck.id,
                Deck.server_id.is_(None) if server_id is None else Deck.server_id == server_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        row = Deck(server_id=server_id, slug=deck.id, title=deck.title)
        session.add(row)
        await session.flush()
    row.title = deck.title
    row.description = deck.description
    row.version = deck.version
    row.retired = False  # a removed deck imported again comes back, progress and all
    existing = {
        c.card_key: c
        for c in (await session.execute(select(Card).where(Card.deck_id == row.id))).scalars()
    }
    for position, card in enumerate(deck.cards):
        target = existing.pop(card.id, None) or Card(deck_id=row.id, card_key=card.id)
        target.front = card.front
        target.back = card.back
        target.latex_front = card.latex_front
        target.latex_back = card.latex_back
        target.tags = list(card.tags)
        target.typed_answer = card.typed.answer if card.typed else None
        target.typed_var = card.typed.var if card.typed else "x"
        target.typed_function = card.typed.function if card.typed else None
        target.typed_order = card.typed.order if card.typed else 1
        target.position = position
        target.retired = False
        target.replaces = list(card.replaces)
        session.add(target)
    for gone in existing.values():
        gone.retired = True  # kept, so the students' progress on it is not lost
    await session.flush()
    await _carry_over(session, row.id)


#: the item-state columns a split card's parts copy from the card they replace
_SCHEDULE_COLUMNS = (
    "user_id",
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
_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


async def _carry_over(session: AsyncSession, deck_id: int) -> None:
    """Each card that `replaces` earlier cards of its deck gets, for every student with a state
    on one of them and none on it yet, a copy of that state (the first old card listed wins).

    One INSERT ... SELECT ... ON CONFLICT DO NOTHING per card: idempotent (a second sync finds
    every copy made, and never overwrites a part the student has since reviewed) and race-free
    on PostgreSQL (a grading creating the same state at once wins, and this inserts nothing).
    The old card stays, retired, with its state and log: history is kept."""
    cards = (await session.execute(select(Card).where(Card.deck_id == deck_id))).scalars().all()
    ids = {c.card_key: c.id for c in cards}
    insert = _INSERTS[session.get_bind().dialect.name]
    for card in cards:
        if card.retired or not card.replaces:
            continue
        for old_key in card.replaces:
            old_id = ids.get(old_key)
            if old_id is None or old_id == card.id:
                continue
            copied = select(
                literal(card_key(card.id)),
                literal("card"),
                literal(card.id),
                *(getattr(ItemState, c) for c in _SCHEDULE_COLUMNS),
            ).where(ItemState.card_id == old_id)
            await session.execute(
                insert(ItemState)
                .from_select(["item_key", "kind", "card_id", *_SCHEDULE_COLUMNS], copied)
                .on_conflict_do_nothing(index_elements=["user_id", "item_key"])
            )


async def review_events(
    session: AsyncSession, user_id: int, states: Sequence[ItemState]
) -> dict[str, list[srs.ReviewEvent]]:
    """Each state's counted review log as events, oldest first, for re-deriving its schedule
    (a scheduler switch): a split card's part starts from the log of the card it replaces
    (the first listed that the student reviewed), whose state it inherited (`_carry_over`),
    so re-deriving it keeps that progress instead of resetting the part to new."""
    keys = {s.item_key for s in states}
    inherited = await _inherited(session, [s.card_id for s in states if s.card_id is not None])
    wanted = keys | {old for olds in inherited.values() for old in olds}
    logs = await session.execute(
        select(ReviewLog.item_key, ReviewLog.quality, ReviewLog.reviewed_at)
        .where(ReviewLog.user_id == user_id, ReviewLog.counted, ReviewLog.item_key.in_(wanted))
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    )
    by_key: dict[str, list[srs.ReviewEvent]] = {}
    for key, quality, at in logs:
        by_key.setdefault(key, []).append(srs.ReviewEvent(quality, at))
    events = {}
    for key in keys:
        before = next((by_key[old] for old in inherited.get(key, ()) if old in by_key), [])
        events[key] = [*before, *by_key.get(key, [])]
    return events


async def _inherited(session: AsyncSession, card_ids: list[int]) -> dict[str, list[str]]:
    """Item key of a card -> item keys of the cards it replaces, in the order listed."""
    if not card_ids:
        return {}
    rows = (
        await session.execute(
            select(Card.id, Card.deck_id, Card.replaces).where(Card.id.in_(card_ids))
        )
    ).all()
    rows = [(cid, deck, olds) for cid, deck, olds in rows if olds]
    if not rows:
        return {}
    decks = {deck for _, deck, _ in rows}
    ids = {
        (deck, key): cid
        for cid, deck, key in await session.execute(
            select(Card.id, Card.deck_id, Card.card_key).where(Card.deck_id.in_(decks))
        )
    }
    return {
        card_key(cid): [card_key(ids[deck, old]) for old in olds if (deck, old) in ids]
        for cid, deck, olds in rows
    }


async def _choice(session: AsyncSession, server_id: int, deck_id: int) -> None:
    """The server's row for a deck, created if missing (race-free: see `insert_missing`)."""
    await insert_missing(
        session, ServerDeck, ("server_id", "deck_id"), server_id=server_id, deck_id=deck_id
    )


def _seen_by(server_id: int | None) -> Any:
    visible = Deck.server_id.is_(None)
    if server_id is not None:
        visible = visible | (Deck.server_id == server_id)
    return visible & ~Deck.retired


async def _ordered(session: AsyncSession, server_id: int | None) -> Any:
    """(deck, enabled, card count) rows of the decks a server sees, in its order."""
    choice = ServerDeck.__table__.alias("choice")
    count = (
        select(func.count(Card.id))
        .where(Card.deck_id == Deck.id, ~Card.retired)
        .correlate(Deck)
        .scalar_subquery()
    )
    if server_id is None:  # no server's choices apply: every deck enabled
        query = select(Deck, literal(True), count).where(_seen_by(None))
        return await session.execute(query.order_by(*queue.deck_order(None)))
    query = select(Deck, func.coalesce(choice.c.enabled, True), count).where(_seen_by(server_id))
    query = query.outerjoin(
        choice, (choice.c.deck_id == Deck.id) & (choice.c.server_id == server_id)
    )
    return await session.execute(query.order_by(*queue.deck_order(choice.c.position)))


async def _ordered_ids(session: AsyncSession, server_id: int) -> list[int]:
    return [deck.id for deck, _, _ in await _ordered(session, server_id)]


async def _overview(session: AsyncSession, server_id: int | None) -> list[DeckEntry]:
    return [
        DeckEntry(deck.slug, deck.title, int(n), deck.server_id is None, bool(on), place)
        for place, (deck, on, n) in enumerate(await _ordered(session, server_id), 1)
    ]


async def _find_deck(
    session: AsyncSession, server_id: int | None, slug: str, *, own_only: bool = False
) -> Deck:
    slug = clean_text(slug)
    visible = Deck.server_id == server_id if own_only else Deck.server_id.is_(None)
    if server_id is not None and not own_only:
        visible = visible | (Deck.server_id == server_id)
    rows = (
        (
            await session.execute(
                select(Deck)
                .where(Deck.slug == slug, visible, ~Deck.retired)
                .order_by(Deck.server_id.is_(None))
            )
        )
        .scalars()
        .first()
    )
    if rows is None:
        raise StudyError(f"no deck {slug!r} here")
    return rows


def _card_model(card: Card) -> decks.Card:
    typed = (
        decks.TypedAnswer(
            answer=card.typed_answer,
            var=card.typed_var,
            function=card.typed_function,
            order=card.typed_order,
        )
        if card.typed_answer
        else None
    )
    return decks.Card(
        id=card.card_key,
        front=card.front,
        back=card.back,
        latex_front=card.latex_front,
        latex_back=card.latex_back,
        tags=tuple(card.tags or ()),
        typed=typed,
        replaces=tuple(card.replaces or ()),
    )
