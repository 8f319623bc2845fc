"""/stats, /leaderboard and /privacy: progress a student (and a class) can see.

Thin: one service call, then a picture drawn in the worker pool (`bot.math.charts`) and a short
embed that says the same in words, so the reply still makes sense when the picture is missing
(a busy pool gives a text-only embed). Personal replies are ephemeral unless `share` is set.

A member's stats are theirs: others in the server see them only after the member allows it
(`/privacy stats:on`); teachers (Manage Server or the teacher role) see them privately. Looking
someone up registers no one.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import NotTeacher, StudyCog, is_teacher, send_private, too_fast
from bot.cogs.embeds import add_assignments, open_assignments
from bot.math import charts
from bot.study import stats as stats_module
from bot.study.service import MemberPrivacy

log = logging.getLogger(__name__)

CHART_TIMEOUT = 10.0  # a dashboard takes ~0.3 s; this is only a guard against a stuck worker
COLOUR = 0x5865F2
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
PERIODS = [
    app_commands.Choice(name="this week (last 7 days)", value="week"),
    app_commands.Choice(name="this month (last 30 days)", value="month"),
    app_commands.Choice(name="all time", value="all"),
]
VISIBILITY = [
    app_commands.Choice(name="on: show me on this server's leaderboard", value="on"),
    app_commands.Choice(name="off: hide me from this server's leaderboard", value="off"),
]
STATS_VISIBILITY = [
    app_commands.Choice(name="on: members of this server can see my stats", value="on"),
    app_commands.Choice(name="off: only I (and teachers) see my stats", value="off"),
]


class Progress(StudyCog):
    async def _chart(
        self, filename: str, fn: Callable[..., bytes], *args: object, **kwargs: object
    ) -> discord.File | None:
        """A chart from the worker pool as a file, or None (the embed then stands alone)."""
        try:
            png = await self.pool.arun(fn, *args, timeout=CHART_TIMEOUT, **kwargs)
        except Exception:
            log.warning("chart %s failed; sending text only", filename, exc_info=True)
            return None
        return discord.File(io.BytesIO(png), filename=filename)

    # --- /stats -----------------------------------------------------------------------------

    @app_commands.command(name="stats", description="Progress: reviews, accuracy, streak, due")
    @app_commands.describe(
        member="Someone in this server (default: you)",
        share="Post it in the channel instead of showing it only to you",
    )
    async def stats(
        self,
        interaction: discord.Interaction,
        member: discord.User | None = None,
        share: bool = False,
    ) -> None:
        target = member or interaction.user
        if target.id != interaction.user.id and not (
            isinstance(member, discord.Member)
            and interaction.guild is not None
            and member.guild.id == interaction.guild.id
        ):
            await interaction.response.send_message(
                "You can look at the stats of members of this server only.", ephemeral=True
            )
            return
        if target.bot:
            await interaction.response.send_message("Bots don't study (yet).", ephemeral=True)
            return
        if await too_fast(interaction):  # each picture costs a worker ~0.3 s
            return
        await interaction.response.defer(ephemeral=not share, thinking=True)
        viewer, server = await self._user(interaction)
        user: int | None = viewer
        shareable = True
        if target.id != interaction.user.id:
            assert server is not None  # a member of this server, checked above
            user, shareable = await self._others_stats(interaction, target, server, share)
            if user is None:
                return
        progress = await self.service.stats(user)
        theme = (await self.service.preferences(viewer)).theme
        data = stats_module.chart_data(progress, target.display_name)
        file = await self._chart("stats.png", charts.stats_png, data, theme)
        embed = stats_embed(
            data, progress, image=file is not None, shared=share, shareable=shareable
        )
        add_assignments(embed, await open_assignments(self.service, user, server))
        await interaction.followup.send(
            embed=embed, file=file or discord.utils.MISSING, ephemeral=not share
        )

    async def _others_stats(
        self,
        interaction: discord.Interaction,
        target: discord.abc.User,
        server: int,
        public: bool,
    ) -> tuple[int | None, bool]:
        """(the target's user id, whether the viewer may post their stats) when the viewer may
        see them; otherwise (None, False) after saying why, privately. Nothing is created:
        someone who never used the bot stays unknown to it."""
        name = safe(target.display_name)
        user = await self.service.user_id_for_discord(target.id)
        privacy = await self.service.member_privacy(user, server) if user is not None else None
        if privacy is not None and privacy.stats_shared:
            return user, True
        if not await _teacher(interaction):  # not telling whether they studied: theirs too
            await send_private(
                interaction,
                f"{name} keeps their stats private: only they (and teachers) can see them. "
                "They can share them here with `/privacy stats:on`.",
            )
            return None, False
        if privacy is None:
            await send_private(interaction, f"{name} hasn't studied here yet.")
            return None, False
        if public:
            await send_private(
                interaction,
                f"Only {name} can share their stats in the channel (`/privacy stats:on`); "
                "without `share` you see them privately.",
            )
            return None, False
        return user, False

    # --- /leaderboard -----------------------------------------------------------------------

    @app_commands.command(name="leaderboard", description="This server's top students")
    @app_commands.describe(
        period="Which points count (default: this week)",
        share="Post it in the channel instead of showing it only to you",
    )
    @app_commands.choices(period=PERIODS)
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        period: app_commands.Choice[str] | None = None,
        share: bool = False,
    ) -> None:
        if await too_fast(interaction):
            return
        await interaction.response.defer(ephemeral=not share, thinking=True)
        user, server = await self._user(interaction)
        assert server is not None and interaction.guild is not None  # guild-only command
        board = await self.service.leaderboard(
            server, period.value if period else "week", user_id=user
        )
        if not board.enabled:
            await send_private(interaction, "Leaderboards are turned off in this server.")
            return
        theme = (await self.service.preferences(user)).theme
        rows = [(s.rank, s.name, s.points) for s in board.top]
        me = (board.me.rank, board.me.name, board.me.points) if board.me else None
        file = await self._chart(
            "leaderboard.png",
            charts.leaderboard_png,
            rows,
            me,
            board.period,
            theme,
            server=interaction.guild.name,
        )
        hidden = board.me is None and await self.service.leaderboard_opted_out(user, server)
        embed = leaderboard_embed(board, image=file is not None, hidden=hidden)
        await interaction.followup.send(
            embed=embed, file=file or discord.utils.MISSING, ephemeral=not share
        )

    # --- /privacy ---------------------------------------------------------------------------

    @app_commands.command(
        name="privacy", description="Who sees your progress here (no options: show)"
    )
    @app_commands.describe(
        leaderboard="on: show me on this server's leaderboard; off: hide me",
        stats="on: members of this server can see my /stats; off: only me (and teachers)",
    )
    @app_commands.choices(leaderboard=VISIBILITY, stats=STATS_VISIBILITY)
    @app_commands.guild_only()
    async def privacy(
        self,
        interaction: discord.Interaction,
        leaderboard: app_commands.Choice[str] | None = None,
        stats: app_commands.Choice[str] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, server = await self._user(interaction)
        assert server is not None  # guild-only command
        if leaderboard is not None:
            await self.service.set_leaderboard_opt_out(user, server, leaderboard.value == "off")
        if stats is not None:
            await self.service.set_stats_shared(user, server, stats.value == "on")
        privacy = await self.service.member_privacy(user, server)
        assert privacy is not None  # identify made the user a member
        await interaction.followup.send(privacy_text(privacy), ephemeral=True)


async def _teacher(interaction: discord.Interaction) -> bool:
    """Manage Server or the server's teacher role (as for /deck), as a yes or no."""
    try:
        return await is_teacher(interaction)
    except NotTeacher:
        return False


# --- presentation ---------------------------------------------------------------------------


def safe(name: str, limit: int = 32) -> str:
    """A user's name inside an embed: one line, no markdown, no mentions."""
    cleaned = charts.plain_name(name, limit)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(cleaned))


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def privacy_text(privacy: MemberPrivacy) -> str:
    board = (
        "🏆 You're hidden from this server's leaderboard; your points still count for you."
        if privacy.leaderboard_opt_out
        else "🏆 You're on this server's leaderboard."
    )
    stats = (
        "📈 Members of this server can see your stats, and post them with `share:True`."
        if privacy.stats_shared
        else "📈 Only you (and teachers) see your stats; `/privacy stats:on` shows them to "
        "members of this server."
    )
    return f"{board}\n{stats}"


def stats_embed(
    data: charts.StatsData,
    progress: stats_module.Stats,
    *,
    image: bool,
    shared: bool,
    shareable: bool = True,
) -> discord.Embed:
    """`shareable`: whether the viewer may post these stats (someone else's, unless shared,
    they may not)."""
    correct = sum(a.correct for a in data.accuracy)
    attempts = sum(a.attempts for a in data.accuracy)
    due_today = progress.forecast[0][1] if progress.forecast else 0
    embed = discord.Embed(title=f"📈 {safe(data.name)}'s progress", colour=COLOUR)
    embed.description = (
        f"🔥 Streak **{_days(data.streak)}** · **{data.total_reviews:,}** reviews · "
        f"**{due_today:,}** due today"
        if data.total_reviews
        else "Nothing reviewed yet: `/quiz` starts the first problem."
    )
    embed.add_field(
        name="Accuracy",
        value=f"{100 * correct // attempts}% ({correct}/{attempts})" if attempts else "—",
    )
    embed.add_field(name="Learning", value=f"{data.items_learning:,} items")
    embed.add_field(
        name="Leeches",
        value=", ".join(data.leeches[:5])[:1000] if data.leeches else "none",
    )
    if image:
        embed.set_image(url="attachment://stats.png")
    else:  # the picture failed: the same facts in words
        days = [progress.today - dt.timedelta(days=k) for k in range(6, -1, -1)]
        week = [progress.reviews_per_day.get(d, 0) for d in days]
        embed.add_field(name="Reviews, last 7 days", value=" · ".join(map(str, week)))
        embed.add_field(
            name="Due, next 7 days",
            value=" · ".join(str(n) for _, n in progress.forecast[:7]) or "—",
        )
        lines = [
            f"{a.skill.replace('_', ' ')}: {a.correct}/{a.attempts}"
            for a in data.accuracy
            if a.attempts
        ]
        if lines:
            embed.add_field(name="Per skill", value="\n".join(lines)[:1000], inline=False)
    if not shared:
        embed.set_footer(
            text="Only you can see this; share:True posts it in the channel."
            if shareable
            else "Only you can see this."
        )
    return embed


def leaderboard_embed(
    board: stats_module.Leaderboard, *, image: bool, hidden: bool = False
) -> discord.Embed:
    label = charts.PERIOD_LABELS.get(board.period, board.period)
    embed = discord.Embed(title=f"🏆 Leaderboard · {label}", colour=COLOUR)
    me = board.me.rank if board.me else None
    lines = []
    for s in board.top:
        line = f"{MEDALS.get(s.rank, f'**{s.rank}.**')} {safe(s.name)} — {s.points:,} pts"
        lines.append(f"**{line}** ← you" if s.rank == me else line)
    embed.description = "\n".join(lines) or (
        f"No points yet ({label}). Correct answers to due reviews in this server earn points."
    )
    if board.me is not None:
        embed.add_field(
            name="You", value=f"#{board.me.rank} with {board.me.points:,} pts", inline=False
        )
    elif hidden:
        embed.add_field(
            name="You",
            value="Hidden from this leaderboard (`/privacy leaderboard:on`).",
            inline=False,
        )
    else:
        embed.add_field(name="You", value="Not on this board yet: no points here.", inline=False)
    if image:
        embed.set_image(url="attachment://leaderboard.png")
    return embed


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Progress(bot))
