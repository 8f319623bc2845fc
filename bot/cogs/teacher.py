"""/class: the class at a glance, for a server's teachers only, always privately.

`/class` is a picture (students × skills, coloured by mastery: the level reached and recent
first-try accuracy, drawn in the worker pool by `bot.math.render.classgrid`) and a short embed
with the three mistakes the class makes most, an example each, and the class's leeches.
`/class export:True` is the gradebook instead: a CSV file, one row per student and skill. One
command with an option, rather than a group: a group could not also be typed as `/class`.

Thin: the service (`class_view`, `class_csv`) decides who the class is and what counts;
students' names and answers are user text and are echoed as such.
"""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import StudyCog, echo, send_private, teacher_only, too_fast
from bot.math.render.classgrid import ClassGrid, class_grid_png
from bot.study.cases.classview import RECENT_PROBLEMS, class_csv_text, grid_data
from bot.study.service import ClassView

log = logging.getLogger(__name__)

CHART_TIMEOUT = 15.0  # a big class takes well under a second; a guard against a stuck worker
COLOUR = 0x5865F2
SHOWN_LEECHES = 6
FIELD_LIMIT = 1024
NOBODY = "Nobody has answered anything in this server yet: the class view fills up as they study."


class Teacher(StudyCog):
    @app_commands.command(name="class", description="Teachers: the class at a glance (private)")
    @app_commands.describe(
        export="Instead: a CSV gradebook, one row per student and skill",
    )
    @app_commands.guild_only()
    @teacher_only()
    async def class_(self, interaction: discord.Interaction, export: bool = False) -> None:
        if await too_fast(interaction):  # the picture costs a worker
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, server = await self._user(interaction)
        assert server is not None and interaction.guild is not None  # guild-only command
        if export:
            await self._export(interaction, server)
            return
        view = await self.service.class_view(server)
        if not view.students:
            await send_private(interaction, NOBODY)
            return
        theme = (await self.service.preferences(user)).theme
        file = await self._picture(grid_data(view), theme)
        embed = class_embed(view, interaction.guild.name, image=file is not None)
        await interaction.followup.send(
            embed=embed, file=file or discord.utils.MISSING, ephemeral=True
        )

    async def _picture(self, grid: ClassGrid, theme: str) -> discord.File | None:
        """The grid from the worker pool, or None (the embed then stands alone)."""
        try:
            png = await self.pool.arun(class_grid_png, grid, theme, timeout=CHART_TIMEOUT)
        except Exception:
            log.warning("the class picture failed; sending text only", exc_info=True)
            return None
        return discord.File(io.BytesIO(png), filename="class.png")

    async def _export(self, interaction: discord.Interaction, server: int) -> None:
        view = await self.service.class_view(server, examples=False)
        rows = len(view.students) * len(view.skills)
        if rows == 0:
            await send_private(interaction, NOBODY)
            return
        text = class_csv_text(view)
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename="class.csv")
        await interaction.followup.send(
            f"📋 The gradebook: {rows} rows, one per student and skill "
            "(accuracy: problems solved at the first try without a hint, in %).",
            file=file,
            ephemeral=True,
        )


def _name(text: str) -> str:
    """A display name as plain text in an embed: markdown escaped, mentions inert."""
    cleaned = " ".join(text.split())[:40] or "?"
    return discord.utils.escape_mentions(discord.utils.escape_markdown(cleaned))


def _fit(lines: list[str], limit: int = FIELD_LIMIT) -> str:
    out: list[str] = []
    for line in lines:
        if len("\n".join([*out, line])) > limit - 2:
            out.append("…")
            break
        out.append(line)
    return "\n".join(out)


def mistake_lines(view: ClassView) -> list[str]:
    lines = []
    for rank, mistake in enumerate(view.mistakes, start=1):
        answers = "wrong answer" if mistake.count == 1 else "wrong answers"
        who = "student" if mistake.students == 1 else "students"
        lines.append(
            f"**{rank}. {mistake.words}**: {mistake.count} {answers}, {mistake.students} {who}"
        )
        ex = mistake.example
        asked = echo(ex.problem) if ex.problem else f"{ex.skill} · level {ex.level}"
        lines.append(f"  e.g. {_name(ex.student)} on {asked} answered {echo(ex.answer)}")
    return lines


def leech_lines(view: ClassView) -> list[str]:
    lines = [
        f"• {echo(leech.label)}: {', '.join(_name(n) for n in leech.students)}"
        for leech in view.leeches[:SHOWN_LEECHES]
    ]
    if len(view.leeches) > SHOWN_LEECHES:
        lines.append(f"…and {len(view.leeches) - SHOWN_LEECHES} more")
    return lines


def class_embed(view: ClassView, server: str, *, image: bool) -> discord.Embed:
    """What the picture shows, in words, with what it does not: mistakes and leeches."""
    count = len(view.students)
    described = (
        f"{count} student{'s' if count != 1 else ''} × {len(view.skills)} "
        f"skill{'s' if len(view.skills) != 1 else ''}. Each cell: "
        f"the level reached, and first tries among the last {RECENT_PROBLEMS} problems."
    )
    if not image:
        described += " (The picture could not be drawn just now; `/class export:True` has it all.)"
    embed = discord.Embed(
        title=f"🏫 {_name(server)}: the class at a glance", description=described, colour=COLOUR
    )
    embed.add_field(
        name="Mistakes made most",
        value=_fit(mistake_lines(view)) or "No named mistakes yet.",
        inline=False,
    )
    embed.add_field(
        name="Leeches (failed again and again)",
        value=_fit(leech_lines(view)) or "None: nothing keeps slipping.",
        inline=False,
    )
    embed.set_footer(text="Only you can see this. /class export:True: the CSV gradebook.")
    if image:
        embed.set_image(url="attachment://class.png")
    return embed


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Teacher(bot))
