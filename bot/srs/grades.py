"""The one place where what the student did becomes an SM-2 quality (0-5) and an FSRS rating.

Flashcard buttons:   Again -> 2, Hard -> 3, Good -> 4, Easy -> 5.
Generated problems (first matching rule wins):
    gave up or skipped                                    -> 0
    wrong (the solution is then shown)                    -> 1
    correct, but after a retry or a hint                  -> 3
    correct at the first try, under the target time       -> 5
    correct at the first try                              -> 4
Quality -> FSRS rating:  0, 1, 2 -> Again;  3 -> Hard;  4 -> Good;  5 -> Easy.

Problems skip 2 on purpose: SM-2's 1 is "incorrect, but the correct answer recognised once
seen", which is exactly what showing the solution gives; both reset the repetitions.
"""

from __future__ import annotations

import math
from enum import Enum
from types import MappingProxyType

from fsrs import Rating

from bot.srs.sm2 import check_quality


class Button(Enum):
    AGAIN = "again"
    HARD = "hard"
    GOOD = "good"
    EASY = "easy"


BUTTON_QUALITY = MappingProxyType({Button.AGAIN: 2, Button.HARD: 3, Button.GOOD: 4, Button.EASY: 5})

QUALITY_RATING = MappingProxyType(
    {
        0: Rating.Again,
        1: Rating.Again,
        2: Rating.Again,
        3: Rating.Hard,
        4: Rating.Good,
        5: Rating.Easy,
    }
)


def button_quality(button: Button) -> int:
    if not isinstance(button, Button):
        raise TypeError(f"expected a Button, got {type(button).__name__}")
    return BUTTON_QUALITY[button]


def fsrs_rating(quality: int) -> Rating:
    return QUALITY_RATING[check_quality(quality)]


def problem_quality(
    *,
    correct: bool,
    first_try: bool = True,
    hinted: bool = False,
    seconds: float,
    target_seconds: float,
    gave_up: bool = False,
) -> int:
    """Grade a generated problem; precedence is the table in the module docstring.

    `first_try` means the (final) correct answer was the first one submitted; `gave_up` wins over
    everything, so a student who gives up after a lucky guess is still scheduled soon.
    Time only ever separates 5 from 4: being slow is not a failure.
    """
    for name, value in (("seconds", seconds), ("target_seconds", target_seconds)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number, not {type(value).__name__}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {value}")
    if gave_up:
        return 0
    if not correct:
        return 1
    if hinted or not first_try:
        return 3
    return 5 if seconds < target_seconds else 4
