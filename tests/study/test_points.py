"""The leaderboard's rollups (points per server and day, and in all) rank exactly as the review
log does: after reviews across days, with opt-outs, ties, several servers, a member ranked
below the top, and after migration 0011_perf filled them from an existing log."""

from __future__ import annotations

import datetime as dt

import pytest
import sympy as sp
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.db import migrate
from bot.db.engine import create_engine
from bot.db.models import Membership, ReviewLog, ServerPoints, ServerPointsDay, User
from bot.math.workers import MathPool
from bot.study import stats
from bot.study.service import StudyService
from tests.seeds import seeded
from tests.study.test_service import Clock


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=2, timeout=10.0) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC))


@pytest.fixture
def service(session_factory, pool, clock) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=10, _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=clock, seeds=seeded())


async def _from_the_log(service: StudyService, server: int, since: dt.date | None):
    """The leaderboard as it was computed before the rollups: every log row of the window."""
    points = func.sum(ReviewLog.points)
    name = func.coalesce(func.nullif(Membership.display_name, ""), User.display_name)
    query = (
        select(User.id, name, points)
        .join(ReviewLog, ReviewLog.user_id == User.id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.server_id == server))
        .where(ReviewLog.server_id == server, ~Membership.leaderboard_opt_out)
        .group_by(User.id, User.display_name, Membership.display_name)
        .having(points > 0)
        .order_by(points.desc(), User.id)
    )
    if since is not None:
        query = query.where(ReviewLog.local_day >= since)
    async with service.sessions() as session:
        rows = (await session.execute(query)).all()
    return [stats.Standing(rank, *row) for rank, row in enumerate(rows, start=1)]


async def _answer(service, user, key, server, *, right: bool, wrong_first: bool = False):
    shown = await service.present(user, key, server)
    if wrong_first:
        await service.submit_answer(shown.token, "0", seconds=5)
    if right:
        await service.submit_answer(shown.token, sp.sstr(shown.problem.answer), seconds=5)
    else:
        await service.give_up(shown.token)


# skills taken in turn, so that many answers are reviews of due items (they score)
KEYS = [f"skill:{name}:1" for name in ("power", "sum", "chain", "trig", "product", "exp", "log")]


async def test_leaderboards_equal_the_review_log_after_reviews_across_days(service, clock) -> None:
    server_ids = []
    users = []
    for k, name in enumerate(["ann", "ben", "cy", "dee", "eve", "fay"]):
        users.append(await service.user_for_discord(100 + k, name))
    a = await service.join_server(users[0], 10, "A")
    b = await service.join_server(users[0], 20, "B")
    server_ids = [a, b]
    for k, user in enumerate(users):
        await service.join_server(user, 10, "A", member_name=f"nick{k}")
        await service.join_server(user, 20, "B")
    start = clock.now
    # 40 days of varied work: right, right after a wrong try, given up; in A, in B, in a DM
    for day in range(40):
        clock.now = start + dt.timedelta(days=day, hours=day % 5)
        for k, user in enumerate(users):
            if (day + k) % 3 == 0:
                continue
            key = KEYS[(day + k) % len(KEYS)]
            server = (a, b, None)[(day * k) % 3]
            await _answer(
                service, user, key, server, right=(day + k) % 4 != 0, wrong_first=k % 2 == 1
            )
    await service.set_leaderboard_opt_out(users[2], a, True)
    await _answer(service, users[1], "skill:quotient:1", None, right=True)  # in a DM
    async with service.sessions() as session:
        logged = await session.scalar(select(func.sum(ReviewLog.points)))
        rolled = await session.scalar(select(func.sum(ServerPointsDay.points)))
        totals = await session.scalar(select(func.sum(ServerPoints.points)))
        in_servers = await session.scalar(
            select(func.sum(ReviewLog.points)).where(ReviewLog.server_id.is_not(None))
        )
    assert logged > in_servers > 0  # some points were earned in DMs: never on a board
    assert rolled == totals == in_servers
    for offset in (0, 3, 20):  # the windows move on as the days go by
        now = clock.now + dt.timedelta(days=offset)
        for server in server_ids:
            for period, days in stats.PERIOD_DAYS.items():
                since = None if days is None else now.date() - dt.timedelta(days=days - 1)
                expected = await _from_the_log(service, server, since)
                assert expected or offset == 20  # a month on, the windows may be empty
                for user in users:
                    async with service.sessions() as session:
                        board = await stats.leaderboard(
                            session, server, period, now, user_id=user, size=3
                        )
                    assert board.top == expected[:3], (server, period, offset)
                    mine = next((s for s in expected if s.user_id == user), None)
                    assert board.me == mine, (server, period, offset, user)


async def test_equal_points_rank_by_user_id_and_a_member_below_the_top_is_ranked(
    service,
) -> None:
    users = [await service.user_for_discord(300 + k, f"s{k}") for k in range(5)]
    server = await service.join_server(users[0], 30, "Ties")
    for user in users:
        await service.join_server(user, 30, "Ties")
    for user in reversed(users):  # the same points each, earned in reverse order
        await _answer(service, user, "skill:power:1", server, right=True)
    async with service.sessions() as session:
        board = await stats.leaderboard(
            session,
            server,
            "all",
            dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
            user_id=users[4],
            size=2,
        )
    assert [s.user_id for s in board.top] == users[:2]
    assert board.me == stats.Standing(5, users[4], "s4", 10)


async def test_migration_0013_fills_the_rollups_from_the_log(empty_db_url: str) -> None:
    await migrate.upgrade_async(empty_db_url, "0012")
    engine = create_engine(empty_db_url)
    row = (
        "INSERT INTO review_log (user_id, server_id, item_key, kind, quality, scheduler, "
        "reviewed_at, local_day, state_after, points, counted) VALUES "
        "(:u, :s, 'skill:power:1', 'skill', 5, 'sm2', :at, :day, '{}', :p, :c)"
    )
    at = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, discord_id, display_name) "
                    "VALUES (1, 11, 'a'), (2, 22, 'b')"
                )
            )
            await conn.execute(
                text("INSERT INTO servers (id, discord_guild_id) VALUES (5, 55), (6, 66)")
            )
            for u, s, day, p in [
                (1, 5, dt.date(2026, 3, 1), 10),
                (1, 5, dt.date(2026, 3, 1), 7),
                (1, 5, dt.date(2026, 3, 2), 20),
                (2, 5, dt.date(2026, 3, 2), 0),
                (2, 6, dt.date(2026, 3, 2), 3),
                (2, None, dt.date(2026, 3, 2), 10),  # a DM: no server, no board
            ]:
                await conn.execute(
                    text(row), {"u": u, "s": s, "at": at, "day": day, "p": p, "c": p > 0}
                )
        await migrate.upgrade_async(empty_db_url)
        async with engine.connect() as conn:
            days = await conn.execute(
                text(
                    "SELECT server_id, local_day, user_id, points FROM server_points_days "
                    "ORDER BY server_id, local_day, user_id"
                )
            )
            assert [(s, str(d), u, p) for s, d, u, p in days] == [
                (5, "2026-03-01", 1, 17),
                (5, "2026-03-02", 1, 20),
                (6, "2026-03-02", 2, 3),
            ]
            totals = await conn.execute(
                text("SELECT server_id, user_id, points FROM server_points ORDER BY server_id")
            )
            assert totals.all() == [(5, 1, 37), (6, 2, 3)]
    finally:
        await engine.dispose()
