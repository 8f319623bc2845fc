"""The words both front-ends say: dates, verdict titles, review and practice notes, summaries.

Discord and the console format differently (embeds, rich text) but must say the same thing,
so a student who studies in both reads one voice. Plain strings and data only: no discord, no
rich, nothing that decides anything (the service decides; this says it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.math.check import Verdict
from bot.math.diagnosis import CODES
from bot.math.rules import Step
from bot.math.skills import KINDS, Derivative
from bot.study.cases.assignments import AssignmentProgress, StudentStatus
from bot.study.cases.results import Outcome, SessionReport

__all__ = [
    "AGAIN_LATER",
    "ALREADY_GRADED",
    "LEECH_NOTE",
    "NO_LEECHES",
    "PRACTICE_NOTES",
    "all_caught_up",
    "answer_title",
    "assignment_line",
    "assignment_lines",
    "counted",
    "day_text",
    "days_text",
    "due_text",
    "mistake_text",
    "next_due_text",
    "next_review",
    "outcome_title",
    "practice_note",
    "says_more",
    "shown_status",
    "solution_lines",
    "solution_text",
    "standing_rows",
    "student_status_line",
    "summary_rows",
]

#: How a study day is written everywhere: "Mon 02 Mar 2026".
DATE_FORMAT = "%a %d %b %Y"
NOTHING_SCHEDULED = "nothing scheduled"
AGAIN_LATER = "🔁 Again later in this session."
ALREADY_GRADED = "This one was already graded; it counts once."
NO_LEECHES = "No leeches: nothing you keep forgetting. 🎉"
NO_HINT = "No hint for this one."

#: The verdict's headline, by `shown_status`.
OUTCOME_TITLES = {
    "correct": "✅ Correct!",
    "incorrect": "❌ Not quite",
    "invalid": "⚠️ I couldn't read that",
    "revealed": "📖 Worked solution",
}

#: Said when a review makes an item a leech (`Outcome.new_leech`).
LEECH_NOTE = "Now a leech: you keep forgetting this one, so it's worth some focused practice."

#: Why an answer was practice (`Outcome.practice`), for every front-end.
PRACTICE_NOTES: dict[str, str] = {
    "today": "Practice only: this item's schedule already moved today.",
    "early": "Practice only: it isn't due yet, so its schedule stays as it was.",
    "locked": "Practice only: this level unlocks once you pass the level below after a 6-day gap.",
}


def day_text(day: dt.date) -> str:
    return day.strftime(DATE_FORMAT)


def days_text(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def next_due_text(day: dt.date | None) -> str:
    """A summary's "Next due" value: the day, or that nothing is scheduled."""
    return day_text(day) if day is not None else NOTHING_SCHEDULED


def all_caught_up(next_due: dt.date | None, quiz_command: str) -> str:
    """Said when a review finds nothing due; `quiz_command` is how this front-end spells the
    command that gives a fresh problem (`/quiz` on Discord, `quiz` in the console)."""
    if next_due is None:
        return (
            f"Nothing to review yet! Try `{quiz_command}` for a fresh problem; "
            "it joins your reviews."
        )
    return (
        f"🎉 All caught up: nothing is due right now. Your next review is due {day_text(next_due)}."
    )


def answer_title(answer_kind: str) -> str:
    """A problem's headline: its answer kind's `title` in the skills registry (a word no kind
    has, from a problem stored before its kind was renamed, reads as a derivative)."""
    kind = KINDS.get(answer_kind)
    return kind.title if kind is not None else Derivative.title


def shown_status(outcome: Outcome) -> str:
    """The status a verdict is shown with: an answer graded before (`already`) shows as what
    it was, correct or the worked solution."""
    if outcome.status != "already":
        return outcome.status
    verdict = outcome.verdict
    return "correct" if verdict is not None and verdict.correct else "revealed"


def outcome_title(status: str) -> str:
    return OUTCOME_TITLES.get(status, "Done")


def says_more(status: str, verdict: Verdict) -> bool:
    """Whether the engine's own words belong under the title: always when the answer could not
    be read; for a wrong answer with no named mistake, when they say more than the title
    ("Close, but I need the exact value…", "still contains x", a difference quotient)."""
    if status == "invalid":
        return True
    return status == "incorrect" and not verdict.diagnosis and verdict.message != "Not quite."


def counted(outcome: Outcome) -> bool:
    """Whether this answer was a review that moved the schedule (so there is a next review,
    points, perhaps a new leech to tell)."""
    return outcome.graded and outcome.schedule is not None


def next_review(outcome: Outcome) -> dt.date | None:
    """The study day a counted review comes back on; None when nothing was scheduled."""
    schedule = outcome.schedule
    if not counted(outcome) or schedule is None:
        return None
    if schedule.due_day is not None:
        return schedule.due_day
    return schedule.due_at.date() if schedule.due_at is not None else None


def practice_note(outcome: Outcome) -> str | None:
    """Why an answer left the schedule alone, when it did (not for one graded before)."""
    if counted(outcome) or outcome.status == "already" or outcome.practice is None:
        return None
    return PRACTICE_NOTES[outcome.practice]


def hint_footer(number: int, total: int) -> str:
    """What a hint rung ends on: that the next press goes further, or that it was the last."""
    if number < total:
        return f"Press Hint again for hint {number + 1}/{total}."
    return "That was the last hint; Solution shows the worked solution."


def solution_lines(steps: Sequence[Step]) -> list[str]:
    """A worked solution as the lines of its picture: each step's title, then its formula."""
    return [f"{s.title}:  ${s.latex}$" for s in steps]


def solution_text(steps: Sequence[Step]) -> str:
    """The same solution in plain text (the picture's fallback)."""
    return "\n".join(s.text for s in steps)


def summary_rows(report: SessionReport) -> list[tuple[str, str]]:
    """A review session's summary, as (label, value) pairs in the order both front-ends show."""
    return [
        ("Reviewed", str(report.reviewed)),
        ("Correct", str(report.correct)),
        ("New learned", str(report.new_learned)),
        *standing_rows(report),
    ]


def standing_rows(report: SessionReport) -> list[tuple[str, str]]:
    """What closes every session summary (a review or a quiz): points, streak, next due."""
    return [
        ("Points", f"+{report.points}"),
        ("Streak", days_text(report.streak)),
        ("Next due", next_due_text(report.next_due)),
    ]


# --- assignments ------------------------------------------------------------------------------


def due_text(day: dt.date, today: dt.date) -> str:
    """When an assignment is due, as a student reads it: "due today", "due Fri" within the
    week, "due Fri 11 Dec" further out, "was due Fri 04 Dec" once past."""
    if day < today:
        return f"was due {day.strftime('%a %d %b')}"
    if day == today:
        return "due today"
    if (day - today).days < 7:
        return f"due {day.strftime('%a')}"
    return f"due {day.strftime('%a %d %b')}"


def assignment_line(progress: AssignmentProgress) -> str:
    """One open assignment: "Chain rule L2: 3/5 done, due Fri" (a tick once complete)."""
    a = progress.assignment
    done = min(progress.done, a.target)
    tick = " ✅" if progress.complete else ""
    return f"{a.label}: {done}/{a.target} done, {due_text(a.due_day, progress.today)}{tick}"


def assignment_lines(progress: Sequence[AssignmentProgress]) -> str:
    """Every open assignment, one line each with a pin ("" when there is none)."""
    return "\n".join(f"📌 {assignment_line(p)}" for p in progress)


def mistake_text(code: str) -> str:
    """A mistake code in words: "chain (inner derivative missing)"."""
    words = CODES.get(code)
    return f"{code} ({words})" if words else code


def student_status_line(student: StudentStatus, target: int, *, cards: bool) -> str:
    """One student in /assign status: done, accuracy, most frequent mistake (or missed card)."""
    parts = [f"{min(student.done, target)}/{target} done"]
    if student.accuracy is not None:
        parts.append(f"{round(100 * student.accuracy)}% accuracy ({student.finished} tried)")
    else:
        parts.append("not started")
    if student.mistake is not None:
        what = f"missed most: {student.mistake}" if cards else mistake_text(student.mistake)
        parts.append(f"{what} ×{student.mistake_count}")
    return " · ".join(parts)
