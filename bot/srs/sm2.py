"""SuperMemo-2, exactly as Wozniak published it, in integer arithmetic.

The E-Factor is kept in hundredths (250 means 2.5) because float E-Factors give wrong intervals:
6 x 1.5000000000000002 rounds up to 10 where SM-2 says 9. Every quantity here is an `int`.

Lapses (our reading of "failed after having been learned"): a review is a lapse when its quality
is below 3 *and* the state before it had `repetitions > 0`, i.e. the item had been recalled at
least once since it was introduced or since its last lapse. Failing a never-learned item, or
failing again while relearning (repetitions already reset to 0), is not a new lapse. So every
lapse is separated from the previous one by at least one pass, as in Anki's lapse count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MIN_EASE = 130
START_EASE = 250
PASS = 3  # quality >= PASS is a successful recall
LEECH_FIRST = 8
LEECH_EVERY = 4


def check_quality(quality: object) -> int:
    """Reject anything but an int 0-5 (bools too: True is not a grade, it is a bug upstream)."""
    if isinstance(quality, bool) or not isinstance(quality, int):
        raise TypeError(f"quality must be an int 0-5, not {type(quality).__name__}")
    if not 0 <= quality <= 5:
        raise ValueError(f"quality must be between 0 and 5, got {quality}")
    return quality


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


@dataclass(frozen=True)
class State:
    """SM-2 memory of one item; `ease` is the E-Factor in hundredths."""

    repetitions: int = 0
    interval: int = 0
    ease: int = START_EASE

    def __post_init__(self) -> None:
        # Validated here so a corrupt row from storage fails loudly instead of scheduling 0 days.
        _check_count("repetitions", self.repetitions)
        _check_count("interval", self.interval)
        _check_count("ease", self.ease)
        if self.ease < MIN_EASE:
            raise ValueError(f"ease must be >= {MIN_EASE}, got {self.ease}")
        if self.repetitions > 0 and self.interval < 1:
            raise ValueError("a learned item (repetitions > 0) needs an interval >= 1")


def ease_delta(quality: int) -> int:
    """SM-2's E-Factor change, in hundredths: 0.1 - (5-q)(0.08 + (5-q)0.02) times 100."""
    miss = 5 - check_quality(quality)
    return 10 - miss * (8 + miss * 2)


def review(state: State, quality: int) -> State:
    """One SM-2 review. The interval uses the ease from *before* this review's update."""
    check_quality(quality)
    if quality >= PASS:
        if state.repetitions == 0:
            interval = 1
        elif state.repetitions == 1:
            interval = 6
        else:
            interval = -(-state.interval * state.ease // 100)  # integer ceil
        repetitions = state.repetitions + 1
    else:
        repetitions, interval = 0, 1
    ease = max(MIN_EASE, state.ease + ease_delta(quality))
    return State(repetitions=repetitions, interval=interval, ease=ease)


def is_lapse(before: State, quality: int) -> bool:
    """A failure of an item that had been learned (see the module docstring)."""
    return check_quality(quality) < PASS and before.repetitions > 0


def leech_flag(lapses: int) -> bool:
    """True exactly at 8, 12, 16, ... lapses: flag once, then again every 4 further lapses."""
    _check_count("lapses", lapses)
    return lapses >= LEECH_FIRST and (lapses - LEECH_FIRST) % LEECH_EVERY == 0


@dataclass(frozen=True)
class ReviewOutcome:
    """A review with its lapse bookkeeping, so callers need not re-derive either."""

    state: State
    lapse: bool
    lapses: int
    leech: bool


def review_with_lapses(state: State, quality: int, lapses: int = 0) -> ReviewOutcome:
    """`review` plus the item's lapse count (stored beside `State`) and whether to flag a leech."""
    _check_count("lapses", lapses)
    lapse = is_lapse(state, quality)
    total = lapses + lapse
    return ReviewOutcome(
        state=review(state, quality), lapse=lapse, lapses=total, leech=lapse and leech_flag(total)
    )


def due_day(reviewed_day: date, state: State) -> date:
    """SM-2 counts whole days: due on the (local) day of the last review plus the interval."""
    return reviewed_day + timedelta(days=state.interval)
