"""One study session: SM-2 step 7 (same-day re-drill) and the daily limits.

SM-2 step 7: after the day's reviews, repeat every item that scored below 4 until it scores at
least 4. Those repeats are practice, not evidence about long-term memory, so only the first
answer of an item in a session is applied to its schedule.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.srs.sm2 import PASS, check_quality

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

REDRILL_PASS = 4
REDRILL_AFTER = 3
MAX_REVIEWS_PER_DAY = 200
MAX_NEW_PER_DAY = 10


@dataclass(frozen=True)
class RecordResult(Generic[K]):
    item_key: K
    quality: int
    apply_to_schedule: bool  # True only for the item's first answer in this session
    is_redrill: bool
    will_return: bool  # quality < 4: the item was queued again


@dataclass(frozen=True)
class SessionSummary:
    reviewed: int  # distinct items answered
    correct: int  # items whose first answer had quality >= 3
    redrilled: int  # distinct items sent back at least once
    remaining: int  # queue entries still to answer, pending re-drills included


class StudySession(Generic[K]):
    """A queue of item keys (due reviews, then new) with re-drills folded back in.

    Pure and in memory: the caller shows `next()`, then reports the answer with `record()` and
    applies it to the schedule only when `RecordResult.apply_to_schedule` says so.
    """

    def __init__(self, keys: Iterable[K], *, redrill_after: int = REDRILL_AFTER) -> None:
        items = list(keys)
        if len(set(items)) != len(items):
            raise ValueError("an item can appear only once in a session")
        if isinstance(redrill_after, bool) or not isinstance(redrill_after, int):
            raise TypeError("redrill_after must be an int")
        if redrill_after < 0:
            raise ValueError("redrill_after must be >= 0")
        self._queue: list[tuple[K, bool]] = [(key, False) for key in items]
        self._redrill_after = redrill_after
        self._first: dict[K, int] = {}
        self._redrilled: set[K] = set()

    def next(self) -> tuple[K, bool] | None:
        """The item to show and whether it is a re-drill; asking twice shows the same item."""
        return self._queue[0] if self._queue else None

    def record(self, item_key: K, quality: int) -> RecordResult[K]:
        """Answer the current item. A quality below 4 sends it back `redrill_after` items later
        (or to the end if fewer remain)."""
        check_quality(quality)
        if not self._queue or self._queue[0][0] != item_key:
            current = self._queue[0][0] if self._queue else None
            raise ValueError(f"{item_key!r} is not the current item (that is {current!r})")
        self._queue.pop(0)
        first = item_key not in self._first
        if first:
            self._first[item_key] = quality
        again = quality < REDRILL_PASS
        if again:
            self._queue.insert(min(self._redrill_after, len(self._queue)), (item_key, True))
            self._redrilled.add(item_key)
        return RecordResult(
            item_key=item_key,
            quality=quality,
            apply_to_schedule=first,
            is_redrill=not first,
            will_return=again,
        )

    @property
    def finished(self) -> bool:
        return not self._queue

    def summary(self) -> SessionSummary:
        return SessionSummary(
            reviewed=len(self._first),
            correct=sum(q >= PASS for q in self._first.values()),
            redrilled=len(self._redrilled),
            remaining=len(self._queue),
        )


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def select_for_today(
    due: Sequence[T],
    new: Sequence[T],
    done_reviews_today: int,
    done_new_today: int,
    max_reviews: int = MAX_REVIEWS_PER_DAY,
    max_new: int = MAX_NEW_PER_DAY,
) -> list[T]:
    """What is left of today's allowance: due reviews (already in due order) then new items.

    The two limits are independent, so a heavy review day never stops new material entirely
    unless the user sets `max_new` to 0.
    """
    reviews_left = max(0, _count("max_reviews", max_reviews) - _count("done", done_reviews_today))
    new_left = max(0, _count("max_new", max_new) - _count("done_new", done_new_today))
    return [*due[:reviews_left], *new[:new_left]]
