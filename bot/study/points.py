"""The leaderboards' rollups: points per server, per student and local day
(`ServerPointsDay`), in all (`ServerPoints`) and in the week's and month's windows
(`ServerPointsWindow`), added to in the transaction that logs the review that earned them, and
read by the leaderboard instead of the review log: all time and a built window read a row per
student in points order, by index.

A window of ``days`` is keyed by its first local day, ``since``: the UTC date of the moment of
reading, less ``days - 1`` (as the leaderboard has always counted). Each grading adds its
points to the window the UTC date of its moment opens (`record`), and the window is *built*
once (`build_window`): it adds what was logged before that UTC date began, from the day rows of
days no grading can reach any more and the review log of the last few. Both parts are
additions, so they commute with gradings running at the same time, and the build runs in the
transaction that marks the window built, so it is added exactly once. Until
:data:`BUILD_AFTER` has passed since UTC midnight (gradings begun before midnight may still be
committing), the board sums the day rows, as it did before windows were kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import transaction
from bot.db.models import (
    LeaderboardWindow,
    Membership,
    ReviewLog,
    ServerPoints,
    ServerPointsDay,
    ServerPointsWindow,
    User,
)
from bot.db.upsert import add_up_each, insert_missing

#: The windows kept per student, in local days: the week's and the month's leaderboards.
WEEK, MONTH = 7, 30
WINDOWS = (WEEK, MONTH)
#: A grading at UTC date T logs a study day of T - LAG_DAYS or later (a zone 12 hours behind
#: UTC and a study day that starts at 23:00 reach back 35 hours): older days are complete.
LAG_DAYS = 2
#: Above this many opted-out members, a rank joins each row ahead instead of listing them.
MANY_OPTED_OUT = 200
#: How long after UTC midnight the window it opens is built: the gradings begun before
#: midnight (logged under the day before, which the build adds) have committed by then.
BUILD_AFTER = dt.timedelta(minutes=10)


def _utc(now: dt.datetime) -> dt.datetime:
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def window_since(days: int, now: dt.datetime) -> dt.date:
    """The first local day of the ``days``-long window read at ``now`` (UTC)."""
    return _utc(now).date() - dt.timedelta(days=days - 1)


def buildable(now: dt.datetime) -> bool:
    """Whether the windows opened by ``now``'s UTC date may be built (see `BUILD_AFTER`)."""
    utc = _utc(now)
    return utc - utc.replace(hour=0, minute=0, second=0, microsecond=0) >= BUILD_AFTER


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str
    points: int


@dataclass(frozen=True)
class Earned:
    """A review's points, logged at ``now`` for study day ``day``: what the rollups add."""

    server_id: int | None
    user_id: int
    day: dt.date
    points: int
    now: dt.datetime


async def record_many(session: AsyncSession, earned: Iterable[Earned]) -> None:
    """Add several reviews' points to the rollups: three statements however many there are
    (a batch of gradings). Rows are summed per key first, so no statement adds to one row
    twice, and sent in key order, so two transactions lock shared rows in the same order."""
    days: dict[tuple[int, dt.date, int], int] = {}
    totals: dict[tuple[int, int], int] = {}
    windows: dict[tuple[int, int, dt.date, int], int] = {}
    for e in earned:
        if e.server_id is None or not e.points:
            continue
        key = (e.server_id, e.day, e.user_id)
        days[key] = days.get(key, 0) + e.points
        total = (e.server_id, e.user_id)
        totals[total] = totals.get(total, 0) + e.points
        for length in WINDOWS:
            window = (e.server_id, length, window_since(length, e.now), e.user_id)
            windows[window] = windows.get(window, 0) + e.points
    if not days:
        return
    await add_up_each(
        session,
        ServerPointsDay,
        ["server_id", "local_day", "user_id"],
        "points",
        [
            {"server_id": s, "local_day": d, "user_id": u, "points": n}
            for (s, d, u), n in sorted(days.items())
        ],
    )
    await add_up_each(
        session,
        ServerPoints,
        ["server_id", "user_id"],
        "points",
        [{"server_id": s, "user_id": u, "points": n} for (s, u), n in sorted(totals.items())],
    )
    await add_up_each(
        session,
        ServerPointsWindow,
        _WINDOW_KEY,
        "points",
        [
            {"server_id": s, "days": length, "since": since, "user_id": u, "points": n}
            for (s, length, since, u), n in sorted(windows.items())
        ],
    )


_WINDOW_KEY = ("server_id", "days", "since", "user_id")


async def window_built(session: AsyncSession, server_id: int, days: int, since: dt.date) -> bool:
    found = await session.get(LeaderboardWindow, (server_id, days, since))
    return found is not None


async def build_window(
    sessions: async_sessionmaker[AsyncSession], server_id: int, days: int, now: dt.datetime
) -> bool:
    """Build the ``days`` window that ``now``'s UTC date opens, unless it is built (here or
    concurrently); whether this call built it. Call only when `buildable`: the part it adds
    no longer changes then, so it is read before the short write transaction."""
    assert days > LAG_DAYS, "a window must be longer than the days gradings still reach"
    since = window_since(days, now)
    utc = _utc(now)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    first_open = utc.date() - dt.timedelta(days=LAG_DAYS)
    done = ServerPointsDay  # days no grading writes any more: their rollup is final
    complete = select(done.user_id, done.points).where(
        done.server_id == server_id, done.local_day >= since, done.local_day < first_open
    )
    # the days still open: only what was logged before midnight (gradings add the rest)
    logged = select(ReviewLog.user_id, ReviewLog.points).where(
        ReviewLog.server_id == server_id,
        ReviewLog.local_day >= first_open,
        ReviewLog.reviewed_at < midnight,
        ReviewLog.points != 0,
    )
    both = union_all(complete, logged).subquery()
    async with sessions() as session:
        if await window_built(session, server_id, days, since):
            return False
        totals = (
            await session.execute(
                select(both.c.user_id, func.sum(both.c.points)).group_by(both.c.user_id)
            )
        ).all()
    async with transaction(sessions) as session:
        if not await insert_missing(
            session,
            LeaderboardWindow,
            ["server_id", "days", "since"],
            server_id=server_id,
            days=days,
            since=since,
            built_at=utc,
        ):
            return False
        await add_up_each(
            session,
            ServerPointsWindow,
            _WINDOW_KEY,
            "points",
            [
                {
                    "server_id": server_id,
                    "days": days,
                    "since": since,
                    "user_id": user_id,
                    "points": int(points),
                }
                for user_id, points in totals
                if points
            ],
        )
    return True


async def stale_windows(session: AsyncSession, now: dt.datetime) -> list[tuple[int, int, dt.date]]:
    """The (server, days, since) windows no leaderboard reads any more: older than the
    current one and the one before it (a board read around midnight)."""
    found: set[tuple[int, int, dt.date]] = set()
    for days in WINDOWS:
        keep_from = window_since(days, now) - dt.timedelta(days=1)
        for model in (ServerPointsWindow, LeaderboardWindow):
            rows = await session.execute(
                select(model.server_id, model.since)
                .where(model.days == days, model.since < keep_from)
                .distinct()
            )
            found.update((server_id, days, since) for server_id, since in rows)
    return sorted(found)


async def drop_window(session: AsyncSession, server_id: int, days: int, since: dt.date) -> int:
    """Delete one window's rows and mark; how many rows went."""
    where = {"server_id": server_id, "days": days, "since": since}
    gone = 0
    for model in (ServerPointsWindow, LeaderboardWindow):
        result = await session.execute(
            delete(model)
            .where(*(getattr(model, k) == v for k, v in where.items()))
            .execution_options(synchronize_session=False)
        )
        gone += result.rowcount or 0
    return gone


async def windows_to_build(session: AsyncSession, now: dt.datetime) -> Iterable[tuple[int, int]]:
    """(server, days) whose window was read yesterday and is not built for today: the
    upkeep builds them before anyone asks."""
    rows = []
    for days in WINDOWS:
        since = window_since(days, now)
        built_today = select(LeaderboardWindow.server_id).where(
            LeaderboardWindow.days == days, LeaderboardWindow.since == since
        )
        rows += [
            (server_id, days)
            for server_id in (
                await session.scalars(
                    select(LeaderboardWindow.server_id).where(
                        LeaderboardWindow.days == days,
                        LeaderboardWindow.since == since - dt.timedelta(days=1),
                        LeaderboardWindow.server_id.not_in(built_today),
                    )
                )
            )
        ]
    return rows


@dataclass(frozen=True)
class Source:
    """Where a board's totals come from: all time (``days`` None), a built window, or the
    day rows summed (a window not built yet)."""

    days: int | None = None
    since: dt.date | None = None
    built: bool = False


def _totals(server_id: int, source: Source) -> Any:
    """Each student's points in the server from ``source``."""
    if source.days is None:
        return (
            select(ServerPoints.user_id, ServerPoints.points)
            .where(ServerPoints.server_id == server_id)
            .subquery()
        )
    if source.built:
        w = ServerPointsWindow
        return (
            select(w.user_id, w.points)
            .where(w.server_id == server_id, w.days == source.days, w.since == source.since)
            .subquery()
        )
    return (
        select(ServerPointsDay.user_id, func.sum(ServerPointsDay.points).label("points"))
        .where(ServerPointsDay.server_id == server_id, ServerPointsDay.local_day >= source.since)
        .group_by(ServerPointsDay.user_id)
        .subquery()
    )


async def standings(
    session: AsyncSession,
    server_id: int,
    source: Source,
    *,
    user_id: int | None = None,
    size: int = 10,
) -> tuple[list[Standing], Standing | None]:
    """The top `size` members with points (opted-out members skipped), most points first,
    ties by user id; and `user_id`'s own standing, ranked among all of them (None without
    points or opted out). Reads the top and one member, never every member."""
    totals = _totals(server_id, source)
    # the member's name in this server (their nickname there), else their own
    name = func.coalesce(func.nullif(Membership.display_name, ""), User.display_name)
    ranked = (
        select(totals.c.user_id, name, totals.c.points)
        .join(User, User.id == totals.c.user_id)
        .join(
            Membership,
            (Membership.user_id == totals.c.user_id) & (Membership.server_id == server_id),
        )
        .where(~Membership.leaderboard_opt_out, totals.c.points > 0)
    )
    rows = (
        await session.execute(ranked.order_by(totals.c.points.desc(), totals.c.user_id).limit(size))
    ).all()
    top = [
        Standing(rank, uid, label or f"user {uid}", int(points))
        for rank, (uid, label, points) in enumerate(rows, start=1)
    ]
    me = next((s for s in top if s.user_id == user_id), None)
    if me is not None or user_id is None:
        return top, me
    mine = (await session.execute(ranked.where(totals.c.user_id == user_id))).first()
    if mine is None:
        return top, None
    rank = await _ahead(session, server_id, source, int(mine.points), user_id, ranked, totals)
    return top, Standing(rank + 1, user_id, mine[1] or f"user {user_id}", int(mine.points))


async def _ahead(
    session: AsyncSession,
    server_id: int,
    source: Source,
    points: int,
    user_id: int,
    ranked: Any,
    totals: Any,
) -> int:
    """How many ranked members are ahead of ``user_id`` with ``points``.

    From a stored table (all time, a built window) the rows ahead are counted in the points
    index alone, less the opted-out members among them (a partial index holds those few):
    every row there is a member's, as points in a server are earned only through the server
    row `join_server` gives its member, and memberships go only with their rows (cascades).
    Summed day rows (a window not built yet) join each row ahead."""
    if source.days is None:
        model: Any = ServerPoints
        where = [ServerPoints.server_id == server_id]
    elif source.built:
        model = ServerPointsWindow
        where = [
            ServerPointsWindow.server_id == server_id,
            ServerPointsWindow.days == source.days,
            ServerPointsWindow.since == source.since,
        ]
    else:
        return await _ahead_joined(session, points, user_id, ranked, totals)
    above = select(func.count()).select_from(model).where(*where, model.points > points)
    tied = (
        select(func.count())
        .select_from(model)
        .where(*where, model.points == points, model.user_id < user_id)
    )
    ahead = int(await session.scalar(select(above.scalar_subquery() + tied.scalar_subquery())))
    hidden = list(
        await session.scalars(  # by the partial index; the board's few opt-outs, if any
            select(Membership.user_id).where(
                Membership.server_id == server_id, Membership.leaderboard_opt_out
            )
        )
    )
    if not hidden:
        return ahead
    if len(hidden) > MANY_OPTED_OUT:
        return await _ahead_joined(session, points, user_id, ranked, totals)
    counted = select(ahead - func.count()).where(
        *where,
        model.user_id.in_(hidden),
        or_(model.points > points, and_(model.points == points, model.user_id < user_id)),
    )
    return int(await session.scalar(counted) or 0)


async def _ahead_joined(
    session: AsyncSession, points: int, user_id: int, ranked: Any, totals: Any
) -> int:
    """`_ahead` row by row: each row ahead joined to its member."""
    ahead = or_(
        totals.c.points > points,
        and_(totals.c.points == points, totals.c.user_id < user_id),
    )
    count = select(func.count()).select_from(ranked.where(ahead).subquery())
    return int(await session.scalar(count) or 0)
