"""Progress: stats, leaderboards (per server, and the console's local one), session summaries,
leeches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.db.models import ItemState, ReviewLog, User
from bot.study import points
from bot.study import stats as stats_module
from bot.study.cases.base import ServiceBase, local_date
from bot.study.cases.queue import queue_statements
from bot.study.cases.results import SessionReport, StudyError
from bot.study.credit import FIRST_TRY_QUALITY


class ProgressCases(ServiceBase):
    """Reads only: nothing here changes a schedule."""

    async def stats(self, user_id: int) -> stats_module.Stats:
        async with self.sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise StudyError(f"no user {user_id}")
            return await stats_module.stats(session, user, self.clock())

    async def leaderboard(
        self, server_id: int, period: stats_module.Period = "week", *, user_id: int | None = None
    ) -> stats_module.Leaderboard:
        now = self.clock()
        days = stats_module.period_days(period)
        built = None
        if days is not None:
            window = (server_id, days, points.window_since(days, now))
            built = window in self._built_windows or None
            if built is None and points.buildable(now):
                await points.build_window(self.sessions, server_id, days, now)
                self._remember_built(window)
                built = True
        async with self.sessions() as session:
            return await stats_module.leaderboard(
                session, server_id, period, now, user_id=user_id, built=built
            )

    async def session_summary(self, user_id: int, since: dt.datetime) -> SessionReport:
        """What a study session achieved, per item (a re-drilled item counts once): reviewed,
        correct at the first answer (a problem: at the first try without a hint), new items
        learned, points, streak, next due."""
        async with self.sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise StudyError(f"no user {user_id}")
            rows = (
                await session.execute(
                    select(
                        ReviewLog.item_key,
                        ReviewLog.kind,
                        ReviewLog.quality,
                        ReviewLog.state_before,
                        ReviewLog.points,
                        ReviewLog.counted,
                    )
                    .where(ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= since)
                    .order_by(ReviewLog.reviewed_at, ReviewLog.id)
                )
            ).all()
            progress = await stats_module.stats(session, user, self.clock())
            upcoming = [
                day
                for day in (
                    await session.scalar(
                        select(func.min(ItemState.due_day)).where(
                            ItemState.user_id == user_id, ItemState.due_day > progress.today
                        )
                    ),
                    local_date(
                        await session.scalar(
                            select(func.min(ItemState.due_at)).where(
                                ItemState.user_id == user_id, ItemState.due_at > self.clock()
                            )
                        ),
                        user,
                    ),
                )
                if day is not None
            ]
        first: dict[str, tuple[bool, dict | None, bool]] = {}
        for key, kind, quality, before, _, counted in rows:
            first.setdefault(key, (_correct(kind, quality), before, counted))
        return SessionReport(
            reviewed=len(first),
            correct=sum(1 for correct, *_ in first.values() if correct),
            # learned: its first answer started a schedule (practice on a locked level did not)
            new_learned=sum(
                1 for _, before, counted in first.values() if counted and _never_reviewed(before)
            ),
            points=sum(points for *_, points, _ in rows),
            streak=progress.streak,
            next_due=min(upcoming, default=None),
        )

    async def leeches(self, user_id: int, server_id: int | None = None) -> list[str]:
        """Items failed again and again, most lapses first, offered for focused practice (only
        cards visible here: a server's own deck stays in that server)."""
        q = queue_statements(server_id is not None)
        async with self.sessions() as session:
            rows = await session.execute(q.leeches, {"user_id": user_id, "server_id": server_id})
            return list(rows.scalars())

    async def console_leaderboard(
        self, period: stats_module.Period = "week", *, user_id: int | None = None, size: int = 10
    ) -> stats_module.Leaderboard:
        """The local leaderboard: everyone with a console name on this database, ranked by all
        their points in the period (a console has no server to scope it to)."""
        days = stats_module.period_days(period)
        total = func.sum(ReviewLog.points)
        query = (
            select(User.id, User.display_name, User.console_name, total)
            .join(ReviewLog, ReviewLog.user_id == User.id)
            .where(User.console_name.is_not(None))
            .group_by(User.id, User.display_name, User.console_name)
            .having(total > 0)
            .order_by(total.desc(), User.id)
        )
        if days is not None:  # as on Discord: counted back from UTC today
            query = query.where(ReviewLog.local_day >= points.window_since(days, self.clock()))
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        standings = [
            stats_module.Standing(rank, uid, display or console or f"user {uid}", int(total))
            for rank, (uid, display, console, total) in enumerate(rows, start=1)
        ]
        me = next((s for s in standings if s.user_id == user_id), None)
        return stats_module.Leaderboard(period, True, standings[:size], me)


def _correct(kind: str, quality: int) -> bool:
    """A problem counts as correct only when solved at the first try without help (after a
    hint or a wrong try it was not); a card when the student remembered it (Hard or better)."""
    return quality >= (FIRST_TRY_QUALITY if kind == "skill" else 3)


def _never_reviewed(before: dict | None) -> bool:
    return not before or (not before.get("repetitions") and not before.get("interval"))
