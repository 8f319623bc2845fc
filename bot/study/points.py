"""The leaderboards' rollups: points per server, per student and local day
(`ServerPointsDay`) and in all (`ServerPoints`), added to in the transaction that logs the
review that earned them, and read by the leaderboard instead of the review log: a window
reads a row per student and day, all time a row per student, in points order.

They hold exactly the sums of the review log's ``points`` by (server, day, student) and
(server, student): migration 0011_perf filled them from the log, grading keeps them (`record`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Membership, ServerPoints, ServerPointsDay, User
from bot.db.upsert import add_up


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str
    points: int


async def record(
    session: AsyncSession, server_id: int | None, user_id: int, day: dt.date, points: int
) -> None:
    """Add a review's points to the server's rollups (in the caller's transaction)."""
    if server_id is None or not points:
        return
    await add_up(
        session,
        ServerPointsDay,
        ["server_id", "local_day", "user_id"],
        "points",
        server_id=server_id,
        local_day=day,
        user_id=user_id,
        points=points,
    )
    await add_up(
        session,
        ServerPoints,
        ["server_id", "user_id"],
        "points",
        server_id=server_id,
        user_id=user_id,
        points=points,
    )


def _totals(server_id: int, since: dt.date | None) -> Any:
    """Each student's points in the server since `since` (None: all time)."""
    if since is None:
        return (
            select(ServerPoints.user_id, ServerPoints.points)
            .where(ServerPoints.server_id == server_id)
            .subquery()
        )
    return (
        select(ServerPointsDay.user_id, func.sum(ServerPointsDay.points).label("points"))
        .where(ServerPointsDay.server_id == server_id, ServerPointsDay.local_day >= since)
        .group_by(ServerPointsDay.user_id)
        .subquery()
    )


async def standings(
    session: AsyncSession,
    server_id: int,
    since: dt.date | None,
    *,
    user_id: int | None = None,
    size: int = 10,
) -> tuple[list[Standing], Standing | None]:
    """The top `size` members with points (opted-out members skipped), most points first,
    ties by user id; and `user_id`'s own standing, ranked among all of them (None without
    points or opted out). Reads the top and one member, never every member."""
    totals = _totals(server_id, since)
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
    ahead = or_(
        totals.c.points > mine.points,
        and_(totals.c.points == mine.points, totals.c.user_id < user_id),
    )
    count = select(func.count()).select_from(ranked.where(ahead).subquery())
    rank = int(await session.scalar(count) or 0) + 1
    return top, Standing(rank, user_id, mine[1] or f"user {user_id}", int(mine.points))
