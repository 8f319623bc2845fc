from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.srs import sm2
from bot.srs.session import SessionSummary, StudySession, select_for_today
from tests.property import examples


def drain(session: StudySession[str], answers: dict[str, list[int]]) -> list[tuple[str, bool]]:
    """Answer every item from its list of qualities, in order; returns what was shown."""
    shown = []
    while (current := session.next()) is not None:
        key, _ = current
        shown.append(current)
        session.record(key, answers[key].pop(0))
    return shown


def test_redrill_until_four_and_schedule_applied_once() -> None:
    session = StudySession(["a", "b", "c", "d", "e"])
    schedule = {key: sm2.State() for key in "abcde"}
    answers = {"a": [2, 3, 4], "b": [5], "c": [4], "d": [3, 5], "e": [4]}
    applied: list[tuple[str, int]] = []
    shown = []
    while (current := session.next()) is not None:
        key, is_redrill = current
        shown.append(current)
        quality = answers[key].pop(0)
        result = session.record(key, quality)
        assert result.is_redrill == is_redrill
        assert result.will_return == (quality < 4)
        if result.apply_to_schedule:
            schedule[key] = sm2.review(schedule[key], quality)
            applied.append((key, quality))
    assert shown == [
        ("a", False),
        ("b", False),
        ("c", False),
        ("d", False),
        ("a", True),  # after 3 other items
        ("e", False),
        ("d", True),  # d failed with only a, e left -> to the end
        ("a", True),  # a failed again with 2 left -> to the end
    ]
    assert applied == [("a", 2), ("b", 5), ("c", 4), ("d", 3), ("e", 4)]
    assert schedule["a"] == sm2.review(sm2.State(), 2)  # re-drill 3 and 4 did not count
    assert all(not answers[k] for k in answers)
    assert session.summary() == SessionSummary(reviewed=5, correct=4, redrilled=2, remaining=0)
    assert session.finished


def test_failed_last_item_comes_straight_back() -> None:
    session = StudySession(["x"])
    shown = drain(session, {"x": [1, 2, 3, 4]})
    assert shown == [("x", False), ("x", True), ("x", True), ("x", True)]
    assert session.summary() == SessionSummary(reviewed=1, correct=0, redrilled=1, remaining=0)


def test_next_is_idempotent_and_record_checks_the_item() -> None:
    session = StudySession(["a", "b"])
    assert session.next() == ("a", False)
    assert session.next() == ("a", False)
    with pytest.raises(ValueError):
        session.record("b", 5)
    with pytest.raises(ValueError):
        session.record("a", 9)
    assert session.next() == ("a", False)  # nothing consumed by the bad calls
    session.record("a", 1)
    assert session.summary().remaining == 2
    assert session.next() == ("b", False)


def test_record_after_the_end_raises() -> None:
    session = StudySession([])
    assert session.next() is None
    with pytest.raises(ValueError):
        session.record("a", 5)


def test_duplicate_keys_rejected() -> None:
    with pytest.raises(ValueError):
        StudySession(["a", "b", "a"])


def test_summary_midway() -> None:
    session = StudySession(["a", "b", "c"])
    session.record("a", 3)
    assert session.summary() == SessionSummary(reviewed=1, correct=1, redrilled=1, remaining=3)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.integers(1, 12),
    st.lists(st.integers(0, 5), min_size=1, max_size=200),
    st.integers(0, 5),
)
def test_session_properties(n: int, qualities: list[int], gap: int) -> None:
    keys = [f"k{i}" for i in range(n)]
    session = StudySession(keys, redrill_after=gap)
    grades = iter(qualities)
    applied: list[str] = []
    last_quality: dict[str, int] = {}
    steps = 0
    while (current := session.next()) is not None:
        key, _ = current
        quality = next(grades, 5)
        result = session.record(key, quality)
        last_quality[key] = quality
        if result.apply_to_schedule:
            applied.append(key)
        steps += 1
        assert steps <= n + len(qualities)
    assert applied == keys  # every item applied exactly once, in session order
    assert all(q >= 4 for q in last_quality.values())  # nothing leaves the session below 4
    assert session.summary().remaining == 0


def test_select_for_today_limits() -> None:
    due = [f"r{i}" for i in range(300)]
    new = [f"n{i}" for i in range(30)]
    picked = select_for_today(due, new, 0, 0)
    assert picked == due[:200] + new[:10]
    assert select_for_today(due, new, 150, 7) == due[:50] + new[:3]
    assert select_for_today(due, new, 250, 12) == []  # over the limit: nothing, not negative
    assert select_for_today(due, new, 0, 0, max_reviews=5, max_new=0) == due[:5]
    assert select_for_today(due[:3], new[:2], 0, 0) == due[:3] + new[:2]


@pytest.mark.parametrize(
    "args",
    [(-1, 0, 200, 10), (0, 0, -1, 10), (0, 0, 200, 2.5), (0, True, 200, 10)],
)
def test_select_for_today_rejects_bad_counts(args: tuple[object, ...]) -> None:
    with pytest.raises((ValueError, TypeError)):
        select_for_today(["r"], ["n"], *args)  # type: ignore[arg-type]
