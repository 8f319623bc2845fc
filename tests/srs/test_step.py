"""`srs.step`, the one definition of a review: what grading applies and what replay folds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.srs import sm2
from bot.srs.days import local_day
from bot.srs.events import ReviewEvent, ScheduleState, replay, step
from bot.srs.fsrs_adapter import review_fsrs
from tests.property import examples

START = datetime(2026, 1, 5, 18, 30, tzinfo=UTC)

reviews = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 40 * 24 * 3600)), min_size=1, max_size=15
)


def timeline(pairs: list[tuple[int, int]]) -> list[tuple[int, datetime]]:
    """Qualities at increasing times (each gap is the second number, in seconds)."""
    out, when = [], START
    for quality, gap in pairs:
        when += timedelta(seconds=gap)
        out.append((quality, when))
    return out


def check_step_is_the_old_review(pairs: list[tuple[int, int]], scheduler: str, tz: str) -> None:
    """Folding `step` gives what the per-scheduler code gave, review by review: SM-2 (always run,
    it defines lapses and leeches) and, under FSRS, the FSRS card and its due instant."""
    state = ScheduleState(scheduler=scheduler)  # type: ignore[arg-type]
    sm2_state, lapses, fsrs_state = sm2.State(), 0, None
    for quality, at in timeline(pairs):
        done = step(state, quality, at, scheduler, tz=tz)  # type: ignore[arg-type]
        old = sm2.review_with_lapses(sm2_state, quality, lapses)
        sm2_state, lapses = old.state, old.lapses
        assert (done.state.sm2_state, done.state.lapses) == (sm2_state, lapses)
        assert (done.lapse, done.leech) == (old.lapse, old.leech)
        if scheduler == "fsrs":
            fsrs_state, due = review_fsrs(fsrs_state, quality, at)
            assert (done.state.fsrs_state, done.state.due_at, done.state.due_day) == (
                fsrs_state,
                due,
                None,
            )
            assert done.state.state == fsrs_state and done.state.due == due
        else:
            due_day = sm2.due_day(local_day(at, tz), sm2_state)
            assert (done.state.due_day, done.state.due_at) == (due_day, None)
            assert done.state.state == sm2_state and done.state.due == due_day
        assert done.state.last_reviewed_at == at
        assert done.state.reviews == state.reviews + 1
        state = done.state


@settings(max_examples=examples(40), deadline=None)
@given(reviews, st.sampled_from(["sm2", "fsrs"]))
def test_step_is_the_per_scheduler_review(pairs: list[tuple[int, int]], scheduler: str) -> None:
    check_step_is_the_old_review(pairs, scheduler, "America/New_York")


def test_step_fixed_sequences() -> None:
    pairs = [(5, 0), (4, 86400), (1, 6 * 86400), (1, 86400), (4, 86400), (3, 3 * 86400)]
    for scheduler in ("sm2", "fsrs"):
        check_step_is_the_old_review(pairs, scheduler, "Europe/Berlin")


@settings(max_examples=examples(40), deadline=None)
@given(reviews, st.sampled_from(["sm2", "fsrs"]))
def test_replay_is_folding_step(pairs: list[tuple[int, int]], scheduler: str) -> None:
    state = ScheduleState(scheduler=scheduler)  # type: ignore[arg-type]
    events = []
    for quality, at in timeline(pairs):
        state = step(state, quality, at, scheduler, tz="Asia/Tokyo").state  # type: ignore[arg-type]
        events.append(ReviewEvent(quality, at))
    assert replay(events, scheduler, tz="Asia/Tokyo") == state  # type: ignore[arg-type]


def test_a_leech_is_flagged_by_the_step_that_makes_it() -> None:
    state, flagged = ScheduleState(scheduler="fsrs"), []
    for day, quality in enumerate([4, 1, 1] * 8):
        done = step(state, quality, START + timedelta(days=day), "fsrs")
        state = done.state
        flagged.append(done.leech)
    assert state.lapses == 8
    assert flagged == [False] * 22 + [True, False]


def test_sm2_step_keeps_the_fsrs_memory_and_due_day_is_local() -> None:
    """Under SM-2 the FSRS part is left alone (a switch re-derives it from the log); the due
    day is the student's local study day of the review plus the interval."""
    under_fsrs = step(ScheduleState(scheduler="fsrs"), 4, START, "fsrs").state
    cached = ScheduleState(scheduler="sm2", fsrs_state=under_fsrs.fsrs_state)
    late = datetime(2026, 1, 6, 1, 30, tzinfo=UTC)  # 02:30 in Berlin: still the 5th there
    done = step(cached, 5, late, "sm2", tz="Europe/Berlin", day_start_hour=4).state
    assert done.fsrs_state == under_fsrs.fsrs_state
    assert done.due_day == date(2026, 1, 6) and done.due_at is None


def test_step_refuses_a_history_kept_under_the_other_scheduler() -> None:
    """A reviewed item's state under one scheduler is not a state under the other: it must be
    re-derived from the log first (`replay`), or the review would be applied to stale memory."""
    reviewed = step(ScheduleState(scheduler="sm2"), 4, START, "sm2").state
    with pytest.raises(ValueError, match="replay"):
        step(reviewed, 4, START + timedelta(days=1), "fsrs")
    # never reviewed: nothing to re-derive, it simply starts under the new one
    fresh = step(ScheduleState(scheduler="sm2"), 4, START, "fsrs").state
    assert fresh.scheduler == "fsrs" and fresh.fsrs_state is not None


def test_step_rejects_bad_input() -> None:
    state = ScheduleState()
    with pytest.raises(ValueError):
        step(state, 6, START, "sm2")
    with pytest.raises(ValueError):
        step(state, 4, START, "anki")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        step(state, 4, datetime(2026, 1, 5), "sm2")  # naive: its zone would be a guess
    earlier = step(ScheduleState(scheduler="fsrs"), 4, START, "fsrs").state
    with pytest.raises(ValueError):
        step(earlier, 4, START - timedelta(days=1), "fsrs")
