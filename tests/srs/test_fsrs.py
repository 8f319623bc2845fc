"""FSRS through the `fsrs` package, and lossless scheduler switching by replaying the log."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from fsrs import Card, Rating, Scheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.srs import sm2
from bot.srs.events import ReviewEvent, replay
from bot.srs.fsrs_adapter import FsrsState, review_fsrs
from tests.property import examples

START = datetime(2026, 1, 5, 18, 30, tzinfo=UTC)
RATING = {
    0: Rating.Again,
    1: Rating.Again,
    2: Rating.Again,
    3: Rating.Hard,
    4: Rating.Good,
    5: Rating.Easy,
}


def direct_fsrs(qualities: list[int], times: list[datetime]) -> Card:
    """The same reviews straight through the package, configured as documented in the adapter
    (no minute-scale learning steps: the schedule moves once per study day)."""
    scheduler = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = Card(card_id=1, due=times[0])
    for q, t in zip(qualities, times, strict=True):
        card, _ = scheduler.review_card(card, RATING[q], review_datetime=t)
    return card


def sm2_directly(qualities: list[int]) -> sm2.State:
    state = sm2.State()
    for q in qualities:
        state = sm2.review(state, q)
    return state


def review_times(qualities: list[int], start: datetime = START) -> list[datetime]:
    """Review each item on the day SM-2 asks for it (how a student on SM-2 would)."""
    times, state, when = [], sm2.State(), start
    for q in qualities:
        times.append(when)
        state = sm2.review(state, q)
        when += timedelta(days=state.interval)
    return times


def test_new_card_review_is_deterministic() -> None:
    first = review_fsrs(None, 4, START)
    again = review_fsrs(None, 4, START)
    assert first == again
    state, due = first
    assert due == state.due and due > START
    assert state.last_review == START


def test_rejects_naive_time_and_time_travel() -> None:
    with pytest.raises(ValueError):
        review_fsrs(None, 4, datetime(2026, 1, 5, 12))
    state, _ = review_fsrs(None, 4, START)
    with pytest.raises(ValueError):
        review_fsrs(state, 4, START - timedelta(days=1))


def test_non_utc_aware_times_are_converted() -> None:
    tokyo = START.astimezone(timezone(timedelta(hours=9)))
    assert review_fsrs(None, 5, tokyo) == review_fsrs(None, 5, START)


def test_invalid_quality() -> None:
    with pytest.raises(ValueError):
        review_fsrs(None, 6, START)
    with pytest.raises(TypeError):
        review_fsrs(None, True, START)


def test_state_dict_round_trip_through_json() -> None:
    state, _ = review_fsrs(None, 3, START)
    state, _ = review_fsrs(state, 4, START + timedelta(days=2))
    stored = json.loads(json.dumps(state.to_dict()))
    assert FsrsState.from_dict(stored) == state
    # and the restored state schedules exactly like the original
    later = START + timedelta(days=9)
    assert review_fsrs(FsrsState.from_dict(stored), 2, later) == review_fsrs(state, 2, later)


def test_matches_the_package_directly() -> None:
    qualities = [4, 4, 1, 3, 5, 5]
    times = review_times(qualities)
    state = None
    for q, t in zip(qualities, times, strict=True):
        state, due = review_fsrs(state, q, t)
    card = direct_fsrs(qualities, times)
    assert state is not None
    assert (state.stability, state.difficulty, int(state.state), state.step) == (
        card.stability,
        card.difficulty,
        int(card.state),
        card.step,
    )
    assert due == card.due


def check_switch_round_trip(qualities: list[int], tz: str) -> None:
    times = review_times(qualities)
    log = [ReviewEvent(q, t, duration_ms=4000) for q, t in zip(qualities, times, strict=True)]

    on_sm2 = replay(log, "sm2", tz=tz)
    assert on_sm2.state == sm2_directly(qualities)

    on_fsrs = replay(log, "fsrs", tz=tz)
    card = direct_fsrs(qualities, times)
    assert isinstance(on_fsrs.state, FsrsState)
    assert on_fsrs.state.to_card().__dict__ | {"card_id": 1} == card.__dict__
    assert on_fsrs.due == card.due

    back = replay(log, "sm2", tz=tz)
    assert back == on_sm2
    assert on_fsrs.lapses == on_sm2.lapses  # leech history survives the switch


def test_switch_scheduler_and_back_loses_nothing() -> None:
    check_switch_round_trip([5, 4, 3, 1, 1, 4, 5, 2, 4, 4], "Europe/Berlin")


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=15))
def test_switch_round_trip_property(qualities: list[int]) -> None:
    check_switch_round_trip(qualities, "America/New_York")


def test_sm2_due_is_local_review_day_plus_interval() -> None:
    # 02:30 in Berlin on 6 Jan is still the study day of 5 Jan.
    late = datetime(2026, 1, 6, 1, 30, tzinfo=UTC)
    result = replay([ReviewEvent(5, late)], "sm2", tz="Europe/Berlin")
    assert result.state == sm2.State(repetitions=1, interval=1, ease=260)
    assert result.due == date(2026, 1, 6)
    assert replay([ReviewEvent(5, late)], "sm2", tz="Asia/Tokyo").due == date(2026, 1, 7)


def test_replay_sorts_by_time() -> None:
    events = [ReviewEvent(4, START + timedelta(days=d)) for d in (0, 1, 7)]
    events.append(ReviewEvent(1, START + timedelta(days=3)))
    shuffled = [events[2], events[0], events[3], events[1]]
    assert replay(shuffled, "fsrs") == replay(sorted(events, key=lambda e: e.reviewed_at), "fsrs")


def test_empty_log() -> None:
    assert replay([], "sm2").state == sm2.State()
    assert replay([], "sm2").due is None
    assert replay([], "fsrs").state is None


def test_replay_counts_lapses() -> None:
    qualities = [4, 1, 1] * 8
    log = [ReviewEvent(q, START + timedelta(days=i)) for i, q in enumerate(qualities)]
    result = replay(log, "fsrs")
    assert result.lapses == 8 and sm2.leech_flag(result.lapses)
    assert result.reviews == 24


def test_replay_rejects_unknown_scheduler_and_zone() -> None:
    with pytest.raises(ValueError):
        replay([], "anki")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        replay([], "sm2", tz="Nowhere/Special")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quality": 7, "reviewed_at": START},
        {"quality": 3, "reviewed_at": datetime(2026, 1, 1)},
        {"quality": 3, "reviewed_at": START, "duration_ms": -5},
        {"quality": 3, "reviewed_at": START, "duration_ms": 1.5},
    ],
)
def test_review_event_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        ReviewEvent(**kwargs)  # type: ignore[arg-type]


def test_every_review_schedules_whole_days_ahead() -> None:
    """No 1- or 10-minute learning steps: those would leave a card due, and unmovable (the
    schedule moves once a day), for the rest of the day."""
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    state = None
    for quality in (4, 1, 2, 3, 5):
        state, due = review_fsrs(state, quality, start)
        assert due - start >= timedelta(days=1), (quality, due)
        start = due
