"""The study day is the user's local day, starting at a configurable hour (default 04:00).

Late-night sessions (02:30 local) belong to the day before, so finishing a session after midnight
does not eat into tomorrow's limits or make tomorrow's cards overdue.

Rule: the local day of an instant is the calendar date of its local wall-clock time minus
`day_start_hour` hours. Wall-clock arithmetic is what makes it DST-safe: the boundary is always
at 04:00 on the clock, whether that day has 23, 24 or 25 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DAY_START_HOUR = 4


@lru_cache(maxsize=256)
def zone(tz: str) -> ZoneInfo:
    """The IANA zone `tz`; ValueError (not KeyError) for a name users could have mistyped."""
    if not isinstance(tz, str) or not tz:
        raise ValueError(f"unknown time zone: {tz!r}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone: {tz!r}") from exc


def _check_hour(day_start_hour: int) -> int:
    if isinstance(day_start_hour, bool) or not isinstance(day_start_hour, int):
        raise TypeError("day_start_hour must be an int")
    if not 0 <= day_start_hour <= 23:
        raise ValueError(f"day_start_hour must be 0-23, got {day_start_hour}")
    return day_start_hour


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime (UTC)")
    return moment


def local_day(moment_utc: datetime, tz: str, day_start_hour: int = DEFAULT_DAY_START_HOUR) -> date:
    """The user's study day containing this instant."""
    hour = _check_hour(day_start_hour)
    wall = _aware(moment_utc).astimezone(zone(tz)).replace(tzinfo=None)
    return (wall - timedelta(hours=hour)).date()


def day_start_utc(day: date, tz: str, day_start_hour: int = DEFAULT_DAY_START_HOUR) -> datetime:
    """The UTC instant the local study day `day` begins.

    If the start hour is repeated (DST ends), the day begins at its first occurrence. If it does
    not exist (DST starts inside that hour), the day begins when the clock jumps, i.e. at the
    first instant whose wall-clock time is at or past the start hour; `local_day` agrees.
    """
    hour = _check_hour(day_start_hour)
    zi = zone(tz)
    target = datetime.combine(day, time(hour))
    early, late = sorted(target.replace(tzinfo=zi, fold=fold).astimezone(UTC) for fold in (0, 1))
    if _wall(early, zi) == target:
        return early
    if _wall(late, zi) == target:
        return late
    # A gap: `early` shows a wall time before the target, `late` one after; the jump lies
    # between. zoneinfo does not expose transitions, so bisect on whole seconds (tzdata's unit).
    lo, hi = int(early.timestamp()), int(late.timestamp()) + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(datetime.fromtimestamp(mid, UTC), zi) >= target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _wall(moment: datetime, zi: ZoneInfo) -> datetime:
    return moment.astimezone(zi).replace(tzinfo=None)


def overdue_ratio(due_day: date, today: date, interval: int) -> float:
    """Days overdue relative to the interval: 3 days late on a 2-day card beats 10 on a 100-day
    card, because the short-interval memory is the one most likely already lost."""
    return (today - due_day).days / max(interval, 1)


def sort_key(due_day: date | None, today: date, interval: int = 0) -> tuple[int, float]:
    """Sort key for "most overdue first (relative to interval), then new" (new: due_day None).

    Sorting is stable, so new items keep their given order; append your own tie-breaker if
    equally overdue reviews need a fixed order.
    """
    if due_day is None:
        return (1, 0.0)
    return (0, -overdue_ratio(due_day, today, interval))
