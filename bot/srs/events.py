"""The review log is the source of truth; scheduler state is a cache derivable from it.

That is what makes switching scheduler lossless: replay the same events under the other one.
Only answers that were applied to the schedule belong in the replayed log (same-day re-drills
are not, see `session.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.srs import sm2
from bot.srs.days import DEFAULT_DAY_START_HOUR, local_day, zone
from bot.srs.fsrs_adapter import FsrsState, as_utc, review_fsrs

SchedulerName = Literal["sm2", "fsrs"]
SCHEDULERS: tuple[SchedulerName, ...] = ("sm2", "fsrs")


@dataclass(frozen=True)
class ReviewEvent:
    quality: int
    reviewed_at: datetime
    duration_ms: int | None = None

    def __post_init__(self) -> None:
        sm2.check_quality(self.quality)
        as_utc(self.reviewed_at)
        if self.duration_ms is not None and (
            isinstance(self.duration_ms, bool)
            or not isinstance(self.duration_ms, int)
            or self.duration_ms < 0
        ):
            raise ValueError("duration_ms must be None or an int >= 0")


@dataclass(frozen=True)
class ScheduleState:
    """Where an item stands under one scheduler.

    `state` is an `sm2.State` or an `FsrsState` (None: FSRS, never reviewed). `due` is a local
    `date` under SM-2 (day of the last review + interval) and a UTC `datetime` under FSRS; None
    for a never-reviewed item. `lapses` depends only on the qualities (see `sm2.is_lapse`), so
    it, and leech status, survive a scheduler switch unchanged.
    """

    scheduler: SchedulerName
    state: sm2.State | FsrsState | None
    due: date | datetime | None
    lapses: int = 0
    reviews: int = 0
    last_reviewed_at: datetime | None = None


def replay(
    events: Iterable[ReviewEvent],
    scheduler: SchedulerName,
    *,
    tz: str = "UTC",
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
) -> ScheduleState:
    """Re-derive an item's state from its review log (sorted by time, stable for ties).

    `tz`/`day_start_hour` are the user's, and only matter for the SM-2 due day.
    """
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}; expected one of {SCHEDULERS}")
    zone(tz)  # fail on a bad zone even for an empty log
    ordered = sorted(events, key=lambda e: as_utc(e.reviewed_at))
    sm2_state = sm2.State()
    fsrs_state: FsrsState | None = None
    fsrs_due: datetime | None = None
    lapses = 0
    for event in ordered:
        # SM-2 always runs: it is cheap and it is what defines a lapse.
        outcome = sm2.review_with_lapses(sm2_state, event.quality, lapses)
        sm2_state, lapses = outcome.state, outcome.lapses
        if scheduler == "fsrs":
            fsrs_state, fsrs_due = review_fsrs(fsrs_state, event.quality, event.reviewed_at)
    if not ordered:
        initial = sm2_state if scheduler == "sm2" else None
        return ScheduleState(scheduler=scheduler, state=initial, due=None)
    last = as_utc(ordered[-1].reviewed_at)
    if scheduler == "sm2":
        state: sm2.State | FsrsState | None = sm2_state
        due: date | datetime | None = sm2.due_day(local_day(last, tz, day_start_hour), sm2_state)
    else:
        state, due = fsrs_state, fsrs_due
    return ScheduleState(
        scheduler=scheduler,
        state=state,
        due=due,
        lapses=lapses,
        reviews=len(ordered),
        last_reviewed_at=last,
    )
