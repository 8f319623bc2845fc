"""Keeping the database bounded and its planner informed: pruning presentations that no button
can still need, and refreshing statistics.

A presentation is a row per problem or card shown (about 40 per active student per study day),
read back only by its own buttons and answer box: Answer, Hint, Solution, Retry, Next and the
flashcard grades all carry the token, and survive restarts (persistent views). The review log
and quiz attempts keep their copy of the token and everything statistics need, so a
presentation is only ever needed while someone may still press one of its buttons:

- once graded (``answered_at``), only Solution and Next remain useful; kept
  :data:`ANSWERED_KEEP` (two days) so that yesterday's message still shows its solution;
- never graded: kept :data:`UNANSWERED_KEEP` (two weeks): an answer box left open over a
  weekend still grades.

Older ones are deleted, and their buttons answer :data:`results.EXPIRED` ("this problem has
expired..."), privately, like any refusal; never an error.

The leaderboards' week and month windows (`bot.study.points`) get a new key each UTC day:
the pass drops the ones no board reads any more and builds today's for the servers whose
board was read yesterday, so the first student to ask does not wait for the build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, or_, select

from bot.db.engine import optimize, transaction
from bot.db.models import Presentation
from bot.study import points
from bot.study.cases.base import ServiceBase

#: How long a graded presentation is kept (its Solution and Next buttons).
ANSWERED_KEEP = dt.timedelta(days=2)
#: How long an ungraded one is kept (an answer box left open).
UNANSWERED_KEEP = dt.timedelta(days=14)
#: Rows deleted per transaction: SQLite's one write lock is never held for long.
PRUNE_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one pruning pass deleted."""

    presentations: int


@dataclass(frozen=True, slots=True)
class LeaderboardUpkeep:
    """What one pass did to the leaderboard windows: built ahead, dropped as old."""

    built: int
    dropped: int


class UpkeepCases(ServiceBase):
    """Periodic maintenance the bot's upkeep loop and ``derivbot db prune`` run."""

    async def prune_presentations(
        self,
        *,
        answered_keep: dt.timedelta = ANSWERED_KEEP,
        unanswered_keep: dt.timedelta = UNANSWERED_KEEP,
        batch: int = PRUNE_BATCH,
    ) -> Pruned:
        """Delete the presentations no button needs any more (see the module docstring), a
        batch per short transaction; returns how many."""
        now = self.clock()
        stale = or_(
            Presentation.answered_at < now - answered_keep,
            Presentation.created_at < now - unanswered_keep,
        )
        total = 0
        while True:
            async with transaction(self.sessions) as session:
                tokens = select(Presentation.token).where(stale).limit(batch).scalar_subquery()
                deleted = await session.execute(
                    delete(Presentation)
                    .where(Presentation.token.in_(tokens))
                    .execution_options(synchronize_session=False)
                )
            count = deleted.rowcount or 0
            total += count
            if count < batch:
                return Pruned(total)

    async def keep_leaderboards(self) -> LeaderboardUpkeep:
        """Drop the windows no board reads any more (one transaction each) and build today's
        where yesterday's was read (see the module docstring)."""
        now = self.clock()
        async with self.sessions() as session:
            stale = await points.stale_windows(session, now)
            todo = (
                list(await points.windows_to_build(session, now)) if points.buildable(now) else []
            )
        for window in stale:
            async with transaction(self.sessions) as session:
                await points.drop_window(session, *window)
        built = 0
        for server_id, days in todo:
            built += await points.build_window(self.sessions, server_id, days, now)
            self._remember_built((server_id, days, points.window_since(days, now)))
        return LeaderboardUpkeep(built, len(stale))

    async def optimize_database(self) -> None:
        """Refresh the planner's statistics (``PRAGMA optimize`` / ``ANALYZE``)."""
        await optimize(self.sessions.kw["bind"])
