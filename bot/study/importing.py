"""Checking a teacher's uploaded deck in the worker pool without starving the students.

The pool's workers also check students' answers, and a task holds its worker until it is done.
So an upload is never one long task: the file is read in one short task, then its cards are
checked a slice at a time, each slice a task submitted only when the previous one is back.
Students' checks queue between the slices and wait for one slice (a fraction of a second) at
most, never for the whole deck. (One import at a time per bot is the service's part.)

Every way this can fail says what went wrong: problems in the file with their lines, and when
a slice takes too long or kills its worker, the card that did it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.math.workers import MathPool, WorkerCrashed, WorkTimeout
from bot.study import decks

__all__ = ["ImportBusy", "ImportLimits", "check_upload"]


class ImportBusy(Exception):
    """Another deck import is running in this bot; one at a time keeps the pool for students."""


@dataclass(frozen=True)
class ImportLimits:
    """How an upload is split into worker tasks, and how long each may take.

    A slice of 50 cards normally takes 0.1-0.3 s: the limits are generous, so they only stop
    a card that would never finish (or a machine in trouble)."""

    read_seconds: float = 30.0  # the file's text to a deck: YAML or CSV, structure
    slice_cards: int = 50  # cards checked per task
    slice_seconds: float = 20.0  # one slice
    card_seconds: float = 5.0  # one card, when its slice failed and we look for the culprit
    total_seconds: float = 180.0  # the whole deck (2,000 ordinary cards take about 8 s)


async def check_upload(
    pool: MathPool,
    text: str,
    fmt: Literal["yaml", "csv"],
    *,
    deck_id: str,
    limits: ImportLimits | None = None,
    source: str = "upload",
) -> decks.Deck:
    """The deck in `text` if it may be imported; else raise `DeckError` (the first problem by
    line, every problem in `.problems`)."""
    limits = limits or ImportLimits()
    try:
        loaded = await pool.arun(
            decks.load_text,
            text,
            fmt=fmt,
            source=source,
            deck_id=deck_id,
            timeout=limits.read_seconds,
        )
    except WorkTimeout:
        raise decks.DeckError(
            f"reading the file took longer than {limits.read_seconds:g} s, before any card was "
            "checked: the bot may be very busy. Try again in a few minutes, or split the deck",
            source=source,
        ) from None
    except WorkerCrashed:
        raise decks.DeckError(
            "reading the file stopped its worker twice: the checker may be restarting (try "
            "again in a moment), or the file needs too much memory (then split the deck)",
            source=source,
        ) from None
    cards = loaded.deck.cards
    problems: list[decks.DeckError] = []
    if not cards:
        problems.append(decks.DeckError("the deck has no cards", loc=("cards",)))
    deadline = time.monotonic() + limits.total_seconds
    for start in range(0, len(cards), limits.slice_cards):
        if time.monotonic() > deadline:
            message = (
                f"checking the deck took longer than {limits.total_seconds:g} s altogether "
                f"(it had got to card {start + 1} of {len(cards)}): its formulas and typed "
                "answers are unusually heavy; split it into smaller decks"
            )
            problems.append(decks.DeckError(message, loc=("cards", start)))
            break
        part = cards[start : start + limits.slice_cards]
        try:
            problems += await pool.arun(
                decks.check_cards, part, start, timeout=limits.slice_seconds
            )
        except (WorkTimeout, WorkerCrashed) as exc:
            problems += await _culprits(pool, loaded, part, start, exc, limits)
    if problems:
        located = loaded.locate(problems)
        first = located[0]
        first.problems = tuple(located)
        raise first
    return loaded.deck


async def _culprits(
    pool: MathPool,
    loaded: decks.LoadedDeck,
    part: Sequence[decks.Card],
    start: int,
    failure: Exception,
    limits: ImportLimits,
) -> list[decks.DeckError]:
    """A slice timed out or killed its worker: check its cards one by one to name the card
    that does it (stopping at the first), or, if none does alone, the whole slice."""
    for index, card in enumerate(part, start):
        try:
            await pool.arun(decks.check_cards, [card], index, timeout=limits.card_seconds)
        except WorkTimeout:
            why = f"checking it took longer than {limits.card_seconds:g} s"
        except WorkerCrashed:
            why = "checking it stopped its worker (it needed too much memory)"
        else:
            continue
        message = f"card {card.id!r}: {why}; simplify its LaTeX or typed answer"
        return [decks.DeckError(message, loc=("cards", index))]
    last = start + len(part) - 1
    first_line, last_line = loaded.line_of(start), loaded.line_of(last)
    lines = f" (lines {first_line}-{last_line})" if first_line and last_line else ""
    what = (
        f"took longer than {limits.slice_seconds:g} s"
        if isinstance(failure, WorkTimeout)
        else "stopped its worker (too much memory)"
    )
    message = (
        f"checking cards {start + 1}-{last + 1}{lines} {what}, though no card alone does: "
        "the bot may be very busy; try again in a few minutes"
    )
    return [decks.DeckError(message, loc=("cards", start))]
