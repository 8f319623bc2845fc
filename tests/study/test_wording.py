"""The words both front-ends share: one phrasing for dates, verdicts, schedules and summaries."""

from __future__ import annotations

import datetime as dt

from bot.math.check import Verdict
from bot.study import wording
from bot.study.service import Outcome, Schedule, SessionReport

MONDAY = dt.date(2026, 3, 2)


def schedule(due_day: dt.date | None = None, due_at: dt.datetime | None = None) -> Schedule:
    return Schedule("sm2", due_day, due_at, interval=1, lapses=0, leech=False)


def test_a_study_day_reads_the_same_everywhere() -> None:
    assert wording.day_text(MONDAY) == "Mon 02 Mar 2026"
    assert wording.days_text(1) == "1 day" and wording.days_text(3) == "3 days"
    assert wording.next_due_text(None) == "nothing scheduled"
    assert wording.next_due_text(MONDAY) == "Mon 02 Mar 2026"


def test_a_counted_review_names_its_next_day_from_either_kind_of_schedule() -> None:
    by_day = Outcome("correct", graded=True, schedule=schedule(due_day=MONDAY), points=10)
    assert wording.counted(by_day) and wording.next_review(by_day) == MONDAY
    at = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)  # FSRS keeps an instant
    by_instant = Outcome("correct", graded=True, schedule=schedule(due_at=at))
    assert wording.next_review(by_instant) == dt.date(2026, 3, 4)
    assert wording.practice_note(by_day) is None


def test_practice_says_why_the_schedule_stayed_but_not_for_an_answer_graded_before() -> None:
    early = Outcome("correct", practice="early", schedule=schedule(due_day=MONDAY))
    assert not wording.counted(early) and wording.next_review(early) is None
    assert wording.practice_note(early) == wording.PRACTICE_NOTES["early"]
    already = Outcome("already", practice="today")
    assert wording.practice_note(already) is None
    assert wording.practice_note(Outcome("incorrect", can_retry=True)) is None


def test_an_answer_graded_before_shows_as_what_it_was() -> None:
    right = Verdict("correct", "Correct!")
    assert wording.shown_status(Outcome("already", verdict=right)) == "correct"
    assert wording.shown_status(Outcome("already")) == "revealed"
    assert wording.outcome_title("correct") == "✅ Correct!"
    assert wording.outcome_title("graded") == "Done"


def test_the_engine_speaks_when_it_says_more_than_the_title() -> None:
    assert wording.says_more("invalid", Verdict("invalid", "I couldn't read `2x(`"))
    assert wording.says_more("incorrect", Verdict("incorrect", "Close, but I need the exact value"))
    assert not wording.says_more("incorrect", Verdict("incorrect", "Not quite."))
    named = Verdict("incorrect", "Power rule", mistake="power", diagnosis="Power rule")
    assert not wording.says_more("incorrect", named)
    assert not wording.says_more("correct", Verdict("correct", "Correct!"))


def test_caught_up_names_the_next_day_or_this_front_ends_quiz_command() -> None:
    done = wording.all_caught_up(MONDAY, "/quiz")
    assert "All caught up" in done and "next review is due Mon 02 Mar 2026" in done
    nothing = wording.all_caught_up(None, "quiz")
    assert "Try `quiz` for a fresh problem" in nothing


def test_answer_kinds_have_their_titles() -> None:
    assert wording.answer_title("number") == "Evaluate the derivative"
    assert wording.answer_title("line") == "Find the tangent line"
    assert wording.answer_title("derivative") == "Differentiate"


def test_a_summary_lists_the_session_then_the_standing() -> None:
    report = SessionReport(
        reviewed=5, correct=4, new_learned=2, points=40, streak=1, next_due=MONDAY
    )
    assert wording.summary_rows(report) == [
        ("Reviewed", "5"),
        ("Correct", "4"),
        ("New learned", "2"),
        ("Points", "+40"),
        ("Streak", "1 day"),
        ("Next due", "Mon 02 Mar 2026"),
    ]
    assert wording.standing_rows(report) == wording.summary_rows(report)[3:]
