"""The rows and rules of one grading, apart from the transactions that write them
(`grading`): what a first review creates, whether a grade is practice, what the review log
and the quiz log record. Pure functions over the rows a grading read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot import srs
from bot.db.models import ItemState, Presentation, User
from bot.math.check import Verdict
from bot.math.generator import Problem
from bot.math.rules import Step
from bot.study import points as points_rollup
from bot.study.cases.results import Practice, Schedule
from bot.study.credit import Credit

__all__ = [
    "MAX_DURATION_S",
    "Answer",
    "Batch",
    "Grade",
    "Moment",
    "answer_seconds",
    "attempt_row",
    "fresh_state",
    "gave_up",
    "interval_days",
    "is_due",
    "log_entry",
    "practice_reason",
    "schedule_of",
    "snapshot",
]

#: The longest answer time the review log records (a day); buttons outlive their messages.
MAX_DURATION_S = 24 * 3600


def fresh_state(p: Presentation, scheduler: str) -> dict[str, object]:
    """The state row an item gets at its first review."""
    return {
        "user_id": p.user_id,
        "item_key": p.item_key,
        "kind": p.kind,
        "card_id": p.card_id,
        "skill": p.skill,
        "level": p.level,
        "scheduler": scheduler,
        "repetitions": 0,
        "interval": 0,
        "ease": 250,
        "lapses": 0,
        "reviews": 0,
        "leech_flagged": False,
        "unlocked": True,
    }


@dataclass(frozen=True)
class Answer:
    """A checked typed answer, waiting to be written (`GradingCases._write_answers`)."""

    token: str
    text: str
    verdict: Verdict
    problem: Problem | None
    steps: tuple[Step, ...]
    seconds: float | None


@dataclass
class Batch:
    """What one grading, or a batch of them, read together (the item states) and writes
    together when it settles (`GradingCases._settle`): quiz-log and review-log rows, one
    statement each however many, and the points."""

    states: dict[tuple[int, str], ItemState] = field(default_factory=dict)
    attempts: list[dict[str, object]] = field(default_factory=list)
    logs: list[dict[str, object]] = field(default_factory=list)
    earned: list[points_rollup.Earned] = field(default_factory=list)

    def attempted(self, token: str, text: str) -> bool:
        """Whether this batch logs the same answer to the same presentation already."""
        return any(
            a["presentation_token"] == token and a["answer_text"] == text for a in self.attempts
        )


@dataclass(frozen=True)
class Grade:
    """What a grading scores: the quality that moves the schedule, the credit that pays."""

    quality: int
    credit: Credit


@dataclass(frozen=True)
class Moment:
    """Who is graded, under which scheduler, when: read once per grading, so the state, the
    log entry and the study day all agree on the same instant."""

    user: User
    scheduler: str
    now: dt.datetime
    today: dt.date


def log_entry(
    p: Presentation,
    at: Moment,
    quality: int,
    seconds: float,
    before: dict[str, object] | None,
    state: ItemState | None,
    points: int,
    counted: bool,
) -> dict[str, object]:
    """The review-log row of one grading; ``counted`` rows alone re-derive the schedule."""
    return {
        "user_id": p.user_id,
        "server_id": p.server_id,
        "item_key": p.item_key,
        "kind": p.kind,
        "quality": quality,
        "rating": int(srs.fsrs_rating(quality)) if at.scheduler == "fsrs" else None,
        "scheduler": at.scheduler,
        "reviewed_at": at.now,
        "local_day": at.today,
        "duration_ms": int(seconds * 1000),
        "state_before": before,
        "state_after": snapshot(state) if state is not None else {},
        "points": points,
        "counted": counted,
        "presentation_token": p.token,
    }


def attempt_row(
    p: Presentation, problem: Problem, text: str, verdict: Verdict, at: dt.datetime
) -> dict[str, object]:
    """The quiz-log row of one typed answer (``text`` as stored: at most 2,000 characters),
    at the service's time ``at``, as the review log's."""
    return {
        "user_id": p.user_id,
        "server_id": p.server_id,
        "presentation_token": p.token,
        "skill": problem.skill,
        "level": problem.level,
        "seed": problem.seed,
        "answer_text": text[:2000],
        "verdict": verdict.verdict,
        "mistake": verdict.mistake,
        "created_at": at,
    }


def gave_up(p: Presentation) -> Grade:
    """The solution (or a typed card's answer) shown: a lapse, no points."""
    quality = srs.problem_quality(correct=False, gave_up=p.tries == 0, seconds=0, target_seconds=1)
    return Grade(quality, Credit.SOLUTION)


def answer_seconds(p: Presentation, now: dt.datetime, seconds: float | None) -> float:
    """The answer time to log: a card or a give-up is measured from when the item was shown;
    a button pressed weeks later is not a weeks-long answer (and would overflow the column)."""
    if seconds is None:
        seconds = max(0.0, (now - p.created_at).total_seconds())
    return min(seconds, MAX_DURATION_S)


def practice_reason(state: ItemState, user: User, today: dt.date) -> Practice | None:
    """Judged on the state as stored, as `due_queue` judged it when it offered the item."""
    if state.last_reviewed_at is not None and (
        srs.local_day(state.last_reviewed_at, user.timezone, user.day_start_hour) == today
    ):
        return "today"
    if state.introduced_day is not None and not is_due(state, user, today):
        return "early"
    return None


def is_due(state: ItemState, user: User, today: dt.date) -> bool:
    """Due on or before the user's study day `today` (FSRS's due instant counts by its day)."""
    if state.scheduler == "fsrs" and state.due_at is not None:
        return srs.local_day(state.due_at, user.timezone, user.day_start_hour) <= today
    return state.due_day is None or state.due_day <= today


def interval_days(state: ItemState) -> int:
    """The gap the item was last scheduled for: FSRS's own, else SM-2's interval."""
    if state.scheduler == "fsrs" and state.due_at is not None and state.last_reviewed_at:
        return round((state.due_at - state.last_reviewed_at).total_seconds() / 86400)
    return state.interval


def snapshot(state: ItemState) -> dict[str, object]:
    return {
        "scheduler": state.scheduler,
        "repetitions": state.repetitions,
        "interval": state.interval,
        "ease": state.ease,
        "lapses": state.lapses,
        "due_day": state.due_day.isoformat() if state.due_day else None,
        "due_at": state.due_at.isoformat() if state.due_at else None,
        "fsrs": state.fsrs_state,
    }


def schedule_of(state: ItemState) -> Schedule:
    return Schedule(
        state.scheduler,
        state.due_day,
        state.due_at,
        state.interval,
        state.lapses,
        state.leech_flagged,
    )
