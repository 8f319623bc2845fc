from __future__ import annotations

import math

import pytest
from fsrs import Rating

from bot.srs.grades import (
    BUTTON_QUALITY,
    QUALITY_RATING,
    Button,
    button_quality,
    fsrs_rating,
    problem_quality,
)


def test_button_table() -> None:
    assert dict(BUTTON_QUALITY) == {Button.AGAIN: 2, Button.HARD: 3, Button.GOOD: 4, Button.EASY: 5}
    assert [button_quality(b) for b in Button] == [2, 3, 4, 5]


def test_button_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        BUTTON_QUALITY[Button.AGAIN] = 0  # type: ignore[index]


def test_button_quality_rejects_strings() -> None:
    with pytest.raises(TypeError):
        button_quality("again")  # type: ignore[arg-type]


def test_rating_table() -> None:
    assert [fsrs_rating(q) for q in range(6)] == [
        Rating.Again,
        Rating.Again,
        Rating.Again,
        Rating.Hard,
        Rating.Good,
        Rating.Easy,
    ]
    assert set(QUALITY_RATING) == set(range(6))


@pytest.mark.parametrize("bad", [6, -1, 2.0, True])
def test_rating_rejects_bad_quality(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        fsrs_rating(bad)  # type: ignore[arg-type]


# (correct, first_try, hinted, seconds, gave_up) -> quality, target 30 s
PROBLEM_TABLE = [
    ((True, True, False, 12.0, False), 5),  # first try, fast
    ((True, True, False, 30.0, False), 4),  # first try, exactly at target: not "under"
    ((True, True, False, 95.0, False), 4),  # first try, slow
    ((True, False, False, 10.0, False), 3),  # after a retry
    ((True, True, True, 10.0, False), 3),  # after a hint
    ((True, False, True, 10.0, False), 3),  # both
    ((False, False, False, 40.0, False), 1),  # wrong, solution shown
    ((False, True, True, 5.0, False), 1),
    ((False, False, False, 3.0, True), 0),  # gave up
    ((True, True, False, 3.0, True), 0),  # gave up wins over everything
]


@pytest.mark.parametrize(("args", "quality"), PROBLEM_TABLE)
def test_problem_quality_table(args: tuple[bool, bool, bool, float, bool], quality: int) -> None:
    correct, first_try, hinted, seconds, gave_up = args
    assert (
        problem_quality(
            correct=correct,
            first_try=first_try,
            hinted=hinted,
            seconds=seconds,
            target_seconds=30.0,
            gave_up=gave_up,
        )
        == quality
    )


def test_problem_quality_defaults() -> None:
    assert problem_quality(correct=True, seconds=5, target_seconds=20) == 5


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf])
def test_problem_quality_rejects_bad_times(seconds: float) -> None:
    with pytest.raises(ValueError):
        problem_quality(correct=True, seconds=seconds, target_seconds=30)


def test_problem_quality_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        problem_quality(True, True, False, 1.0, 30.0, False)  # type: ignore[misc]
