"""The leaderboard's rollups (points per server and day, in all, and the week's and month's
windows) rank exactly as the review log does: after reviews across days, with opt-outs, ties,
several servers, a member ranked below the top, students in the zones furthest from UTC, boards
read at every hour of the day (around midnight too, before and after a window is built), builds
racing gradings on two engines, and after migration 0011_perf filled them from an existing
log."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sympy as sp
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.db.models import (
    LeaderboardWindow,
    Membership,
    ReviewLog,
    ServerPoints,
    ServerPointsDay,
    ServerPointsWindow,
    User,
)
from bot.math.workers import MathPool
from bot.study import points, stats
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


# (zone, study day start): a zone 12 hours behind UTC whose day starts at 23:00 logs study
# days two UTC dates back; one 14 hours ahead logs the next UTC date
ZONES = [("UTC", 4), ("Etc/GMT+12", 23), ("Pacific/Kiritimati", 0), ("America/New_York", 4)]


async def _assert_boards_equal_the_log(service, server, users, now) -> None:
    for period, days in stats.PERIOD_DAYS.items():
        since = None if days is None else points.window_since(days, now)
        expected = await _from_the_log(service, server, since)
        for user in users:
            board = await service.leaderboard(server, period, user_id=user)
            assert board.top == expected[:10], (period, now)
            assert board.me == next((s for s in expected if s.user_id == user), None), (
                period,
                now,
                user,
            )


@pytest.mark.parametrize("listed", [True, False], ids=["opt-outs listed", "opt-outs joined"])
async def test_windows_built_once_a_day_rank_as_the_log_at_every_hour(
    service, clock, monkeypatch, listed: bool
) -> None:
    if not listed:  # as with more opted-out members than a rank lists
        monkeypatch.setattr(points, "MANY_OPTED_OUT", 0)
    users = []  # more than a board's ten: most ranks are counted, not read off the top
    for k in range(13):
        zone, start_hour = ZONES[k % len(ZONES)]
        user = await service.user_for_discord(700 + k, f"z{k}")
        await service.set_user_preferences(user, timezone=zone, day_start_hour=start_hour)
        users.append(user)
    server = await service.join_server(users[0], 70, "Zones")
    for user in users:
        await service.join_server(user, 70, "Zones")
    first = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    # 00:05: before the day's windows may be built (the board sums the day rows); 00:20: the
    # first board of the day builds them; then through the day, and just before midnight
    moments = [
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=20),
        dt.timedelta(hours=9),
        dt.timedelta(hours=23, minutes=55),
    ]
    built_at_0005 = []
    for day in range(10):
        for m, moment in enumerate(moments):
            clock.now = first + dt.timedelta(days=day) + moment
            for k, user in enumerate(users):
                if (day + k + m) % 3 == 0:
                    key = KEYS[(day * 4 + m + k) % len(KEYS)]
                    await _answer(service, user, key, server, right=(day + k) % 5 != 0)
            if day == 5 and m == 2:  # the leaders opt out: everyone ranked below moves up
                leaders = [s.user_id for s in await _from_the_log(service, server, None)][:2]
                for user in leaders:
                    await service.set_leaderboard_opt_out(user, server, True)
            if day == 8 and m == 2:  # one comes back
                await service.set_leaderboard_opt_out(leaders[1], server, False)
            if day % 4 == 3 and m == 0:
                await service.keep_leaderboards()  # the upkeep pass: old windows dropped
            if m == 0:
                async with service.sessions() as session:
                    built_at_0005.append(
                        await points.window_built(
                            session,
                            server,
                            points.WEEK,
                            points.window_since(points.WEEK, clock.now),
                        )
                    )
            if (day + m) % 2 == 0 or m == 1:
                await _assert_boards_equal_the_log(service, server, users, clock.now)
    assert not any(built_at_0005)  # never built before BUILD_AFTER: those boards were summed
    async with service.sessions() as session:
        marks = (
            await session.execute(select(LeaderboardWindow.days, LeaderboardWindow.since))
        ).all()
        kept = await session.scalar(
            select(func.min(ServerPointsWindow.since)).where(ServerPointsWindow.days == 7)
        )
    assert len(marks) <= 2 * 5  # a pass every 4 days drops what no board reads any more
    assert kept >= points.window_since(points.WEEK, clock.now) - dt.timedelta(days=4)


async def test_the_upkeep_builds_today_s_window_where_yesterday_s_was_read(service, clock) -> None:
    ann = await service.user_for_discord(801, "ann")
    read = await service.join_server(ann, 80, "Read")
    unread = await service.join_server(ann, 81, "Unread")
    for key, server in zip(KEYS, (read, unread), strict=False):
        await _answer(service, ann, key, server, right=True)
    await service.leaderboard(read, "week")  # yesterday's board, read
    clock.now += dt.timedelta(days=1)
    clock.now = clock.now.replace(hour=0, minute=5)
    assert (await service.keep_leaderboards()).built == 0  # too early: gradings may still land
    clock.now = clock.now.replace(hour=1)
    assert (await service.keep_leaderboards()).built == 1
    async with service.sessions() as session:
        marked = (
            await session.execute(select(LeaderboardWindow.server_id, LeaderboardWindow.since))
        ).all()
    today = points.window_since(points.WEEK, clock.now)
    assert (read, today) in marked and all(s != unread for s, _ in marked)
    board = await service.leaderboard(read, "week", user_id=ann)
    assert board.me is not None and board.me.points == 10
    # eight days on, the first windows are dropped; a board read then is built afresh
    clock.now += dt.timedelta(days=8)
    dropped = await service.keep_leaderboards()
    # both servers' first week and month, and the week built on the second day
    assert dropped.dropped == 5
    assert (await service.leaderboard(read, "week", user_id=ann)).me is None  # a week ago
    assert (await service.leaderboard(read, "month", user_id=ann)).me.points == 10


async def test_builds_racing_gradings_on_two_engines_count_every_point_once(
    db_url: str, pool, clock
) -> None:
    """Two processes' boards build the day's windows while both grade: each point is counted
    once (the build adds only what was logged before midnight, gradings the rest)."""
    settings = Settings(database_url="sqlite+aiosqlite://", new_per_day=10, _env_file=None)
    engines = [create_engine(db_url), create_engine(db_url)]
    try:
        a, b = (
            StudyService(session_factory(e), pool, settings=settings, clock=clock, seeds=seeded())
            for e in engines
        )
        users = [await a.user_for_discord(900 + k, f"r{k}") for k in range(6)]
        server = await a.join_server(users[0], 90, "Race")
        for user in users:
            await a.join_server(user, 90, "Race")
        clock.now = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)
        for k, user in enumerate(users):  # before midnight: the builds add these
            await _answer(a, user, KEYS[k % len(KEYS)], server, right=True)
        clock.now = dt.datetime(2026, 3, 3, 0, 30, tzinfo=dt.UTC)
        shown = [
            (svc, await svc.present(user, KEYS[(k + 3) % len(KEYS)], server))
            for k, user in enumerate(users)
            for svc in ((a, b)[k % 2],)
        ]
        await asyncio.gather(
            *(svc.submit_answer(p.token, sp.sstr(p.problem.answer), seconds=5) for svc, p in shown),
            *(svc.leaderboard(server, period) for svc in (a, b) for period in ("week", "month")),
        )
        async with a.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(LeaderboardWindow)) == 2
        for svc in (a, b):
            await _assert_boards_equal_the_log(svc, server, users, clock.now)
    finally:
        for e in engines:
            await e.dispose()


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
