"""Progress a student (and a class) can see: reviews per day, accuracy, streaks, the forecast,
leeches, and the per-server leaderboard. Read-only queries over the review log and item states.

Points count learning, not clicking: only the first review of an item per local day scores
(``review_log.counted``), only correct answers on due items earn points, higher skill levels
earn more, and a streak day needs at least ``STREAK_MIN_REVIEWS`` reviews.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.models import ItemState, ReviewLog, Server, User
from bot.math import charts
from bot.study import points
from bot.study.credit import FIRST_TRY_QUALITY
from bot.study.items import item_label, parse_key
from bot.study.points import Standing

STREAK_MIN_REVIEWS = 5
FORECAST_DAYS = 30
Period = Literal["week", "month", "all"]
PERIOD_DAYS: dict[str, int | None] = {"week": points.WEEK, "month": points.MONTH, "all": None}


@dataclass(frozen=True)
class Stats:
    today: dt.date
    reviews_per_day: dict[dt.date, int]  # counted reviews, last 365 days
    # skill -> (solved at the first try without a hint, problems finished)
    accuracy_per_skill: dict[str, tuple[int, int]]
    streak: int
    forecast: list[tuple[dt.date, int]]  # the next FORECAST_DAYS days, today first (overdue in)
    leeches: list[str]  # item keys
    total_reviews: int
    items_learning: int


async def stats(session: AsyncSession, user: User, now: dt.datetime) -> Stats:
    today = srs.local_day(now, user.timezone, user.day_start_hour)
    since = today - dt.timedelta(days=365)
    rows = await session.execute(
        select(ReviewLog.local_day, func.count())
        .where(ReviewLog.user_id == user.id, ReviewLog.counted, ReviewLog.local_day >= since)
        .group_by(ReviewLog.local_day)
    )
    per_day = {day: int(n) for day, n in rows}
    # per problem, not per typed answer: each problem ends in exactly one log row (solved, or
    # the solution shown), so a give-up counts against the skill and a resent answer never
    # counts twice; "correct" means at the first try without a hint (`Credit.FIRST_TRY`)
    first_try = func.sum(case((ReviewLog.quality >= FIRST_TRY_QUALITY, 1), else_=0))
    finished = await session.execute(
        select(ReviewLog.item_key, first_try, func.count())
        .where(ReviewLog.user_id == user.id, ReviewLog.kind == "skill")
        .group_by(ReviewLog.item_key)
    )
    accuracy: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item_key, solved, n in finished:
        skill = parse_key(item_key).skill or item_key
        accuracy[skill][0] += int(solved or 0)
        accuracy[skill][1] += int(n)
    states = (
        (await session.execute(select(ItemState).where(ItemState.user_id == user.id)))
        .scalars()
        .all()
    )
    forecast: Counter[dt.date] = Counter()
    last = today + dt.timedelta(days=FORECAST_DAYS - 1)
    for s in states:
        if s.introduced_day is None:
            continue
        day = s.due_day
        if s.scheduler == "fsrs" and s.due_at is not None:
            day = srs.local_day(s.due_at, user.timezone, user.day_start_hour)
        if day is None or day > last:
            continue
        forecast[max(day, today)] += 1
    total = await session.scalar(
        select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == user.id)
    )
    return Stats(
        today=today,
        reviews_per_day=per_day,
        accuracy_per_skill={k: (v[0], v[1]) for k, v in sorted(accuracy.items())},
        streak=streak(per_day, today),
        forecast=[(d, forecast[d]) for d in _days(today, FORECAST_DAYS)],
        leeches=sorted(s.item_key for s in states if s.leech_flagged),
        total_reviews=int(total or 0),
        items_learning=sum(1 for s in states if s.introduced_day is not None),
    )


def _days(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range(n)]


def streak(per_day: dict[dt.date, int], today: dt.date) -> int:
    """Consecutive days with enough reviews, ending today (or yesterday: today isn't over)."""
    day = today if per_day.get(today, 0) >= STREAK_MIN_REVIEWS else today - dt.timedelta(days=1)
    count = 0
    while per_day.get(day, 0) >= STREAK_MIN_REVIEWS:
        count += 1
        day -= dt.timedelta(days=1)
    return count


@dataclass(frozen=True)
class Leaderboard:
    period: str
    enabled: bool
    top: list[Standing]
    me: Standing | None


async def leaderboard(
    session: AsyncSession,
    server_id: int,
    period: Period,
    now: dt.datetime,
    *,
    user_id: int | None = None,
    size: int = 10,
    built: bool | None = None,
) -> Leaderboard:
    """A server's ranking: only reviews done in this server, only members who did not opt out.
    ``built``: whether the period's window is built (`points.build_window`), when the caller
    knows; else it is looked up."""
    days = period_days(period)
    server = await session.get(Server, server_id)
    if server is None or not server.leaderboard_enabled:
        return Leaderboard(period, False, [], None)
    if days is None:
        source = points.Source()
    else:
        # each review's local day is its student's own; the window counts back from UTC today
        since = points.window_since(days, now)
        if built is None:
            built = await points.window_built(session, server_id, days, since)
        source = points.Source(days, since, built)
    top, me = await points.standings(session, server_id, source, user_id=user_id, size=size)
    return Leaderboard(period, True, top, me)


def period_days(period: str) -> int | None:
    """The period's window in days (None: all time); a ValueError for an unknown period."""
    if period not in PERIOD_DAYS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_DAYS)}")
    return PERIOD_DAYS[period]


def chart_data(progress: Stats, name: str) -> charts.StatsData:
    """The service's stats as the plain values the chart worker takes."""
    return charts.StatsData(
        name=name,
        today=progress.today,
        reviews_per_day=tuple(sorted(progress.reviews_per_day.items())),
        accuracy=tuple(
            charts.SkillAccuracy(skill, correct, attempts)
            for skill, (correct, attempts) in progress.accuracy_per_skill.items()
        ),
        forecast=tuple(progress.forecast),
        streak=progress.streak,
        total_reviews=progress.total_reviews,
        items_learning=progress.items_learning,
        leeches=tuple(item_label(k) for k in progress.leeches),
        streak_min_reviews=STREAK_MIN_REVIEWS,
    )
