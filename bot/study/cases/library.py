"""Decks as use cases: the shipped ones synced, a teacher's imported, exported, listed, removed.
(`bot.study.decks` reads and writes deck files; this stores them.)"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Card, Deck
from bot.study import decks, importing
from bot.study.cases.base import ServiceBase
from bot.study.cases.results import StudyError
from bot.study.importing import ImportBusy
from bot.study.text import clean_text


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
        session.add(target)
    for gone in existing.values():
        gone.retired = True  # kept, so the students' progress on it is not lost


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
    )
