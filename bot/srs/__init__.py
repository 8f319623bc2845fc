"""Spaced repetition, pure: SM-2 (integer-exact), FSRS via the `fsrs` package, grades, local study
days and the same-day re-drill session. No I/O, no Discord, no database."""

from bot.srs.days import day_start_utc, local_day, overdue_ratio, sort_key
from bot.srs.events import (
    Reviewed,
    ReviewEvent,
    SchedulerName,
    ScheduleState,
    replay,
    step,
)
from bot.srs.fsrs_adapter import FsrsState, review_fsrs
from bot.srs.grades import (
    BUTTON_QUALITY,
    QUALITY_RATING,
    Button,
    button_quality,
    fsrs_rating,
    problem_quality,
)
from bot.srs.session import (
    RecordResult,
    SessionSummary,
    StudySession,
    select_for_today,
)
from bot.srs.sm2 import (
    ReviewOutcome,
    State,
    check_quality,
    due_day,
    is_lapse,
    leech_flag,
    review,
    review_with_lapses,
)

__all__ = [
    "BUTTON_QUALITY",
    "QUALITY_RATING",
    "Button",
    "FsrsState",
    "RecordResult",
    "ReviewEvent",
    "ReviewOutcome",
    "Reviewed",
    "ScheduleState",
    "SchedulerName",
    "SessionSummary",
    "State",
    "StudySession",
    "button_quality",
    "check_quality",
    "day_start_utc",
    "due_day",
    "fsrs_rating",
    "is_lapse",
    "leech_flag",
    "local_day",
    "overdue_ratio",
    "problem_quality",
    "replay",
    "review",
    "review_fsrs",
    "review_with_lapses",
    "select_for_today",
    "sort_key",
    "step",
]
