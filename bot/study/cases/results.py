"""What the use cases return, and their errors: plain frozen data every front-end reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from bot.math.check import Verdict
from bot.math.generator import Problem
from bot.math.rules import Step
from bot.study.credit import Credit


class StudyError(LookupError):
    """A request the service cannot serve (unknown token, someone else's item, ...)."""


#: What a button or answer box says once its presentation is gone (pruned after a while, see
#: `cases.upkeep`): a calm note, not an error.
EXPIRED = "this problem has expired (old ones are cleared away after a while); start a fresh one"


class AlreadyGraded(Exception):
    """Raised inside a grading transaction when its presentation was graded concurrently."""


@dataclass(frozen=True)
class CardView:
    id: int
    deck: str
    front: str
    back: str
    latex_front: str | None
    latex_back: str | None
    typed_answer: str | None
    typed_var: str


@dataclass(frozen=True)
class Presented:
    """An item shown to a user; ``token`` goes into the buttons and comes back with the answer."""

    token: str
    item_key: str
    kind: str
    new: bool
    problem: Problem | None = None
    card: CardView | None = None
    #: a skill level not unlocked yet: it can be tried, as practice (see wording.PRACTICE_NOTES)
    locked: bool = False


@dataclass(frozen=True)
class ShownHint:
    """One rung of a problem's hint ladder as shown: rung `number` of `total` ("Hint 2/3").

    `text` is for chat; `latex` is a line of words with `$math$` spans (draw it with
    `render_lines`). `title` and `rule` let it stand where a worked step used to."""

    number: int
    total: int
    text: str
    latex: str

    @property
    def title(self) -> str:
        return f"Hint {self.number}/{self.total}"

    @property
    def rule(self) -> str:
        return "hint"

    @property
    def last(self) -> bool:
        """No rung after this one: the next help is the solution."""
        return self.number >= self.total


@dataclass(frozen=True)
class Schedule:
    scheduler: str
    due_day: dt.date | None
    due_at: dt.datetime | None
    interval: int
    lapses: int
    leech: bool


#: Why an answer did not move the schedule: ``today`` it already moved today (a re-drill or a
#: second go), ``early`` the item is not due yet, ``locked`` the skill level is not unlocked.
Practice = Literal["today", "early", "locked"]


@dataclass(frozen=True)
class Outcome:
    """What happened to an answer or a grade.

    ``status``: ``correct`` / ``incorrect`` / ``invalid`` for typed answers, ``revealed`` when
    the solution was shown, ``graded`` for a flashcard button, ``already`` when this
    presentation had been graded before (nothing counted twice).
    """

    status: str
    verdict: Verdict | None = None
    quality: int | None = None
    graded: bool = False
    schedule: Schedule | None = None
    points: int = 0
    can_retry: bool = False
    redrill: bool = False
    steps: tuple[Step, ...] = field(default_factory=tuple)
    #: why a graded answer was practice and left the schedule alone (``graded`` false)
    practice: Practice | None = None
    #: this review made the item a leech (at 8 lapses, and again every 4 more)
    new_leech: bool = False
    #: how it ended for points (`bot.study.credit`): first try, after a hint, ...; None when
    #: nothing was graded. Set on practice too: a right answer after a hint is never a first try
    credit: Credit | None = None


@dataclass(frozen=True)
class Preferences:
    timezone: str
    day_start_hour: int
    new_per_day: int
    reviews_per_day: int
    theme: str
    scheduler: str


@dataclass(frozen=True)
class SessionReport:
    reviewed: int
    correct: int
    new_learned: int
    points: int
    streak: int
    next_due: dt.date | None


@dataclass(frozen=True)
class ReminderInfo:
    """A user's daily reminder as the front-end shows it (``next_fire_at`` in UTC)."""

    local_time: str
    timezone: str
    where: str
    channel_id: int | None
    server_id: int | None
    next_fire_at: dt.datetime
    paused: bool
    paused_reason: str | None


@dataclass(frozen=True)
class ServerSettings:
    """A server's own settings; ``default_scheduler`` None means the global default."""

    server_id: int
    guild_id: int
    default_scheduler: str | None
    leaderboard_enabled: bool
    teacher_role_id: int | None
    reminder_channel_id: int | None


@dataclass(frozen=True)
class MemberPrivacy:
    """What a member lets others in a server see: the leaderboard and their stats."""

    leaderboard_opt_out: bool
    stats_shared: bool
