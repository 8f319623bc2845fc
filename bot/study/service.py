"""The study service: the one set of use cases every front-end calls.

Discord cogs and the console turn gestures into these calls and results into messages; nothing
here knows about either. Maths runs in the worker pool (``bot.math.tasks``), the schedule is the
pure ``bot.srs`` room, and every grading writes the item's new state and its review-log entry in
one transaction, keyed by the presentation token so a double click counts once.

`StudyService` is composed from the use-case parts in ``bot.study.cases`` (one module each:
people, queue, presenting, grading, library, progress, reminding, servers,
classview, assignments, upkeep) over
``cases.base.ServiceBase``, which declares what they share. This module stays the stable entry
point: every name callers import from it is re-exported here.
"""

from __future__ import annotations

from bot.study.cases.assignments import (
    AssignmentCases,
    AssignmentProgress,
    AssignmentStatus,
    AssignmentView,
    StudentStatus,
    parse_due,
)
from bot.study.cases.base import PROBLEM_CACHE, Clock, SchedulerName
from bot.study.cases.classview import (
    ClassLeech,
    ClassMistake,
    ClassStudent,
    ClassView,
    ClassViewCases,
    MistakeExample,
    SkillCell,
)
from bot.study.cases.grades import MAX_DURATION_S
from bot.study.cases.grading import (
    POINTS_PER_CARD,
    POINTS_PER_LEVEL,
    UNLOCK_INTERVAL,
    GradingCases,
)
from bot.study.cases.library import DeckEntry, LibraryCases
from bot.study.cases.people import PREFERENCE_LIMITS, PeopleCases
from bot.study.cases.presenting import PresentingCases
from bot.study.cases.progress import ProgressCases
from bot.study.cases.queue import QueueCases
from bot.study.cases.reminding import ReminderCases
from bot.study.cases.results import (
    EXPIRED,
    AlreadyGraded,
    CardView,
    MemberPrivacy,
    Outcome,
    Practice,
    Preferences,
    Presented,
    ReminderInfo,
    Schedule,
    ServerSettings,
    SessionReport,
    ShownHint,
    StudyError,
)
from bot.study.cases.servers import ServerCases
from bot.study.cases.upkeep import (
    ANSWERED_KEEP,
    UNANSWERED_KEEP,
    LeaderboardUpkeep,
    Pruned,
    UpkeepCases,
)
from bot.study.importing import ImportBusy
from bot.study.items import ItemKey
from bot.study.wording import LEECH_NOTE, PRACTICE_NOTES


class StudyService(
    PeopleCases,
    QueueCases,
    PresentingCases,
    GradingCases,
    LibraryCases,
    ProgressCases,
    ReminderCases,
    ServerCases,
    ClassViewCases,
    AssignmentCases,
    UpkeepCases,
):
    """The one object every front-end calls; its state and constructor are
    `cases.base.ServiceBase`'s (sessions, pool, settings, clock, seeds, import limits)."""


__all__ = [
    "ANSWERED_KEEP",
    "EXPIRED",
    "LEECH_NOTE",
    "MAX_DURATION_S",
    "POINTS_PER_CARD",
    "POINTS_PER_LEVEL",
    "PRACTICE_NOTES",
    "PREFERENCE_LIMITS",
    "PROBLEM_CACHE",
    "UNANSWERED_KEEP",
    "UNLOCK_INTERVAL",
    "AlreadyGraded",
    "AssignmentProgress",
    "AssignmentStatus",
    "AssignmentView",
    "CardView",
    "ClassLeech",
    "ClassMistake",
    "ClassStudent",
    "ClassView",
    "Clock",
    "DeckEntry",
    "ImportBusy",
    "ItemKey",
    "LeaderboardUpkeep",
    "MemberPrivacy",
    "MistakeExample",
    "Outcome",
    "Practice",
    "Preferences",
    "Presented",
    "Pruned",
    "ReminderInfo",
    "Schedule",
    "SchedulerName",
    "ServerSettings",
    "SessionReport",
    "ShownHint",
    "SkillCell",
    "StudentStatus",
    "StudyError",
    "StudyService",
    "parse_due",
]
