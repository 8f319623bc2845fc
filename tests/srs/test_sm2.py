"""SM-2 against its published rules, the worked examples, and an exact Fraction reference."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.srs.sm2 import (
    State,
    due_day,
    ease_delta,
    is_lapse,
    leech_flag,
    review,
    review_with_lapses,
)
from tests.property import examples

QUALITIES = st.lists(st.integers(0, 5), max_size=60)


def run(qualities: list[int], state: State | None = None) -> list[State]:
    states = []
    state = state or State()
    for q in qualities:
        state = review(state, q)
        states.append(state)
    return states


def test_all_fives_worked_example() -> None:
    states = run([5, 5, 5, 5, 5, 5])
    assert [s.interval for s in states] == [1, 6, 17, 48, 140, 420]
    assert [s.ease for s in states] == [260, 270, 280, 290, 300, 310]
    assert [s.repetitions for s in states] == [1, 2, 3, 4, 5, 6]


def test_mixed_worked_example() -> None:
    # By hand: 3 -> I=1, EF 250-14=236; 3 -> I=6, EF 222; 1 -> reset, EF 168; 1 -> reset,
    # EF 114 floored to 130; 5 -> I=1, EF 140; 5 -> I=6, EF 150; 3 -> I=ceil(6*1.50)=9, EF 136.
    states = run([3, 3, 1, 1, 5, 5, 3])
    assert [s.interval for s in states] == [1, 6, 1, 1, 1, 6, 9]
    assert [s.ease for s in states] == [236, 222, 168, 130, 140, 150, 136]
    assert [s.repetitions for s in states] == [1, 2, 0, 0, 1, 2, 3]


def test_float_e_factor_would_be_wrong_here() -> None:
    # The reason for hundredths: 2.5 after these updates is not exactly 1.5 in floats.
    ef = 2.5
    for q in (3, 3, 1, 1, 5, 5):
        ef = max(1.3, ef + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)))
    assert math.ceil(6 * ef) == 10
    assert review(State(repetitions=2, interval=6, ease=150), 3).interval == 9


@pytest.mark.parametrize(
    ("quality", "delta"), [(5, 10), (4, 0), (3, -14), (2, -32), (1, -54), (0, -80)]
)
def test_ease_delta_table(quality: int, delta: int) -> None:
    assert ease_delta(quality) == delta


def test_interval_uses_ease_before_update() -> None:
    after = review(State(repetitions=2, interval=10, ease=250), 5)
    assert after.interval == 25  # 10 * 2.5, not 10 * 2.6
    assert after.ease == 260


def test_failure_updates_ease_too() -> None:
    after = review(State(repetitions=4, interval=30, ease=250), 2)
    assert after == State(repetitions=0, interval=1, ease=218)


def test_ease_floor() -> None:
    assert review(State(ease=130), 0).ease == 130


@pytest.mark.parametrize("bad", [6, -1, 100])
def test_out_of_range_quality_raises_value_error(bad: int) -> None:
    with pytest.raises(ValueError):
        review(State(), bad)


@pytest.mark.parametrize("bad", [2.5, 3.0, "3", True, False, None])
def test_non_int_quality_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        review(State(), bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ease": 129},
        {"interval": -1},
        {"repetitions": -1},
        {"repetitions": 2, "interval": 0},
        {"ease": 2.5},
        {"interval": True},
    ],
)
def test_state_rejects_corrupt_values(kwargs: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        State(**kwargs)  # type: ignore[arg-type]


def test_state_is_frozen() -> None:
    with pytest.raises(AttributeError):
        State().ease = 300  # type: ignore[misc]


def test_due_day_adds_interval_days() -> None:
    assert due_day(date(2026, 2, 27), State(repetitions=2, interval=6)) == date(2026, 3, 5)


# --- lapses and leeches -----------------------------------------------------------------------


def test_lapse_needs_a_learned_item() -> None:
    assert not is_lapse(State(), 0)  # never learned
    assert is_lapse(State(repetitions=1, interval=1), 2)
    assert not is_lapse(State(repetitions=1, interval=1), 3)
    # failing again while relearning is not another lapse
    relearning = review(State(repetitions=3, interval=10), 1)
    assert not is_lapse(relearning, 1)


def test_leech_flags_exactly_at_8_12_16() -> None:
    flagged = [n for n in range(0, 41) if leech_flag(n)]
    assert flagged == [8, 12, 16, 20, 24, 28, 32, 36, 40]


def test_leech_flag_through_reviews() -> None:
    state, lapses, flags = State(), 0, []
    for _ in range(16):
        for q in (4, 1, 1):  # learn, lapse, fail again (not a lapse)
            outcome = review_with_lapses(state, q, lapses)
            state, lapses = outcome.state, outcome.lapses
            if outcome.leech:
                flags.append(lapses)
    assert lapses == 16
    assert flags == [8, 12, 16]


def test_review_with_lapses_matches_review() -> None:
    outcome = review_with_lapses(State(repetitions=2, interval=6), 0, lapses=7)
    assert outcome.state == review(State(repetitions=2, interval=6), 0)
    assert outcome.lapse and outcome.lapses == 8 and outcome.leech


# --- properties -------------------------------------------------------------------------------


def reference(qualities: list[int]) -> list[tuple[int, int, Fraction]]:
    """SM-2 as published, in exact rationals: (repetitions, interval, E-Factor)."""
    n, interval, ef = 0, 0, Fraction(5, 2)
    out = []
    for q in qualities:
        if q >= 3:
            interval = 1 if n == 0 else 6 if n == 1 else math.ceil(interval * ef)
            n += 1
        else:
            n, interval = 0, 1
        ef = max(
            Fraction(13, 10),
            ef + Fraction(1, 10) - (5 - q) * (Fraction(8, 100) + (5 - q) * Fraction(2, 100)),
        )
        out.append((n, interval, ef))
    return out


@settings(max_examples=examples(300), deadline=None)
@given(QUALITIES)
def test_matches_fraction_reference(qualities: list[int]) -> None:
    states = run(qualities)
    assert [(s.repetitions, s.interval, Fraction(s.ease, 100)) for s in states] == reference(
        qualities
    )


@settings(max_examples=examples(300), deadline=None)
@given(QUALITIES)
def test_invariants(qualities: list[int]) -> None:
    before = State()
    run_intervals: list[int] = []
    for q in qualities:
        after = review(before, q)
        assert all(type(v) is int for v in (after.repetitions, after.interval, after.ease))
        assert after.ease >= 130
        assert after.interval >= 1
        if q < 3:
            assert (after.repetitions, after.interval) == (0, 1)
            run_intervals = []
        else:
            assert after.repetitions == before.repetitions + 1
            run_intervals.append(after.interval)
            assert run_intervals == sorted(run_intervals)
        before = after
