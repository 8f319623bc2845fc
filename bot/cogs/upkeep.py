"""The database's upkeep while the bot runs: every hour (`UPKEEP_HOURS`), presentations no
button can still need are pruned, the leaderboards' old windows dropped and today's built, and
the planner's statistics refreshed (`StudyService.prune_presentations`, `keep_leaderboards`,
`optimize_database`). No commands; the same pass runs
from `derivbot db prune` for a bot that is not running. Several processes on one database may
all run it: deleting what is already gone does nothing."""

from __future__ import annotations

import asyncio
import logging

from discord.ext import commands, tasks

from bot.cogs.common import StudyCog

log = logging.getLogger(__name__)

#: Hours between two upkeep passes unless the settings say otherwise (`upkeep_hours`).
EVERY_HOURS = 1.0
#: Seconds after start-up before the first pass: a start is busy enough (migrations, decks,
#: the first interactions), and the clock a test or a restart sets is in place by then.
FIRST_DELAY_S = 600.0


class Upkeep(StudyCog):
    async def cog_load(self) -> None:
        hours = self.service.settings.upkeep_hours
        if hours > 0:
            self.upkeep_loop.change_interval(hours=hours)
            self.upkeep_loop.start()

    async def cog_unload(self) -> None:
        self.upkeep_loop.cancel()

    @tasks.loop(hours=EVERY_HOURS)
    async def upkeep_loop(self) -> None:
        try:
            await self.run_once()
        except Exception:  # the loop must outlive any one bad hour
            log.exception("database upkeep failed")

    @upkeep_loop.before_loop
    async def _before_loop(self) -> None:
        await self.bot.wait_until_ready()
        await asyncio.sleep(min(FIRST_DELAY_S, self.service.settings.upkeep_hours * 3600))

    async def run_once(self) -> int:
        """One pass: prune, then refresh statistics; returns how many presentations went."""
        pruned = await self.service.prune_presentations()
        await self.service.keep_leaderboards()
        await self.service.optimize_database()
        if pruned.presentations:
            log.info("pruned %d expired presentations", pruned.presentations)
        return pruned.presentations


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Upkeep(bot))
