"""The review log is the source of truth; scheduler state is a cache derivable from it.

That is what makes switching scheduler lossless: replay the same events under the other one.
Only answers that were applied to the schedule belong in the replayed log (same-day re-drills
are not, see `session.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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
    """Where an item stands under one scheduler: what `step` takes and returns.

    SM-2's memory (`sm2_state`) is kept under either scheduler, because it is what defines a
    lapse (see `sm2.is_lapse`); so `lapses`, and leech status, survive a switch unchanged.
    `fsrs_state` is FSRS's memory (None: never reviewed under FSRS); under SM-2 it is carried
    along untouched, a cache a switch back re-derives. `due_day` is the local study day under
    SM-2 (day of the last review + interval), `due_at` the UTC instant under FSRS; the other one
    is None, and both are None for a never-reviewed item.
    """

    scheduler: SchedulerName = "sm2"
    sm2_state: sm2.State = field(default_factory=sm2.State)
    fsrs_state: FsrsState | None = None
    lapses: int = 0
    reviews: int = 0
    last_reviewed_at: datetime | None = None
    due_day: date | None = None
    due_at: datetime | None = None

    @property
    def state(self) -> sm2.State | FsrsState | None:
        """The memory of the scheduler in charge."""
        return self.fsrs_state if self.scheduler == "fsrs" else self.sm2_state

    @property
    def due(self) -> date | datetime | None:
        """When the scheduler in charge wants the item back (a local day, or a UTC instant)."""
        return self.due_at if self.scheduler == "fsrs" else self.due_day


@dataclass(frozen=True)
class Reviewed:
    """The state after one review, and what that review did to the lapse count."""

    state: ScheduleState
    lapse: bool
    leech: bool  # this review made the item a leech (at 8 lapses, then every 4 more)


def _check_scheduler(scheduler: str) -> None:
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}; expected one of {SCHEDULERS}")


def step(
    state: ScheduleState,
    quality: int,
    at: datetime,
    scheduler: SchedulerName,
    *,
    tz: str = "UTC",
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
) -> Reviewed:
    """One review of quality 0-5 at `at` under `scheduler`: the one definition of a review,
    applied by grading and folded by `replay`, so a stored state always equals its log's replay.

    A state with reviews kept under the other scheduler is refused: re-derive it with `replay`
    first (that is what a scheduler switch does). `tz`/`day_start_hour` are the student's and
    only matter for SM-2's due day.
    """
    _check_scheduler(scheduler)
    when = as_utc(at)
    if state.scheduler != scheduler and state.reviews:
        raise ValueError(
            f"this state was kept under {state.scheduler}; replay its log under {scheduler} first"
        )
    # SM-2 always runs: it is cheap and it is what defines a lapse.
    outcome = sm2.review_with_lapses(state.sm2_state, quality, state.lapses)
    fsrs_state, due_day, due_at = state.fsrs_state, None, None
    if scheduler == "fsrs":
        fsrs_state, due_at = review_fsrs(state.fsrs_state, quality, when)
    else:
        due_day = sm2.due_day(local_day(when, tz, day_start_hour), outcome.state)
    after = ScheduleState(
        scheduler=scheduler,
        sm2_state=outcome.state,
        fsrs_state=fsrs_state,
        lapses=outcome.lapses,
        reviews=state.reviews + 1,
        last_reviewed_at=when,
        due_day=due_day,
        due_at=due_at,
    )
    return Reviewed(after, outcome.lapse, outcome.leech)


def replay(
    events: Iterable[ReviewEvent],
    scheduler: SchedulerName,
    *,
    tz: str = "UTC",
    day_start_hour: int = DEFAULT_DAY_START_HOUR,
) -> ScheduleState:
    """Re-derive an item's state from its review log (sorted by time, stable for ties): `step`
    folded over it from a never-reviewed item.

    `tz`/`day_start_hour` are the user's, and only matter for the SM-2 due day.
    """
    _check_scheduler(scheduler)
    zone(tz)  # fail on a bad zone even for an empty log
    state = ScheduleState(scheduler=scheduler)
    for event in sorted(events, key=lambda e: as_utc(e.reviewed_at)):
        state = step(
            state, event.quality, event.reviewed_at, scheduler, tz=tz, day_start_hour=day_start_hour
        ).state
    return state
