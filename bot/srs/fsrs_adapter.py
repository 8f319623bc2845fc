"""FSRS as an alternative scheduler, delegated to the `fsrs` package (v6) rather than re-derived.

Fuzzing is off so that replaying a review log always reproduces the stored state: scheduling is
a pure function of (state, quality, time). The card id is fixed because it only seeds fuzzing.

FSRS's minute-scale learning steps (1 and 10 minutes by default) are off: the schedule moves at
most once per local day (a student's later answers that day are same-day re-drill, see
`bot.srs.session`), so a 10-minute step would leave the item due, and unmovable, all day.
Without steps FSRS schedules whole days from the first review on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fsrs import Card, Scheduler
from fsrs import State as CardState

from bot.srs.grades import fsrs_rating
from bot.srs.sm2 import check_quality

SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
_CARD_ID = 0


def as_utc(moment: datetime) -> datetime:
    """Any aware datetime as UTC (fsrs insists on `timezone.utc`); naive ones are refused
    because guessing their zone would silently shift every due time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("reviewed_at must be timezone-aware (UTC)")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class FsrsState:
    """An FSRS card after at least one review; `to_dict()` is the JSON-able storage form."""

    state: int  # fsrs.State value: 1 learning, 2 review, 3 relearning
    step: int | None
    stability: float
    difficulty: float
    due: datetime
    last_review: datetime

    def to_card(self) -> Card:
        return Card(
            card_id=_CARD_ID,
            state=CardState(self.state),
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )

    @classmethod
    def from_card(cls, card: Card) -> FsrsState:
        if card.stability is None or card.difficulty is None or card.last_review is None:
            raise ValueError("an FsrsState needs a card that has been reviewed")
        return cls(
            state=int(card.state),
            step=card.step,
            stability=float(card.stability),
            difficulty=float(card.difficulty),
            due=as_utc(card.due),
            last_review=as_utc(card.last_review),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat(),
            "last_review": self.last_review.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FsrsState:
        step = data["step"]
        return cls(
            state=int(CardState(int(data["state"]))),
            step=None if step is None else int(step),
            stability=float(data["stability"]),
            difficulty=float(data["difficulty"]),
            due=as_utc(datetime.fromisoformat(data["due"])),
            last_review=as_utc(datetime.fromisoformat(data["last_review"])),
        )


def review_fsrs(
    state: FsrsState | None, quality: int, reviewed_at: datetime
) -> tuple[FsrsState, datetime]:
    """One FSRS review (state None: a new item); returns the new state and its UTC due time."""
    rating = fsrs_rating(check_quality(quality))
    when = as_utc(reviewed_at)
    if state is None:
        card = Card(card_id=_CARD_ID, due=when)
    else:
        if when < state.last_review:
            raise ValueError("reviews must be applied in time order")
        card = state.to_card()
    reviewed, _log = SCHEDULER.review_card(card, rating, review_datetime=when)
    after = FsrsState.from_card(reviewed)
    return after, after.due
