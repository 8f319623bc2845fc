"""/assign: teachers set a server's students work (so many problems of a skill, or cards of a
deck) due by a day; students see it in /quiz, /review, /stats and their reminder.

Thin: one service call per command (`bot.study.cases.assignments`). Setting, checking and
closing assignments is for teachers (Manage Server or the teacher role, `teacher_only`);
`/assign list` shows a teacher every assignment and a student their own progress.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import (
    NotTeacher,
    StudyCog,
    is_teacher,
    send_private,
    skill_choices,
    teacher_only,
    timezone_choices,
)
from bot.cogs.embeds import ASSIGNMENTS, BLURPLE, assignments_text
from bot.study import wording
from bot.study.service import AssignmentStatus, AssignmentView, StudyError

#: How many students /assign status lists before "… and N more".
STATUS_ROWS = 40


def _safe(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def describe(a: AssignmentView) -> str:
    """ "#3 Chain rule L2 · 5 problems · due Fri 06 Mar 2026 (Europe/Berlin)"."""
    return (
        f"#{a.id} {_safe(a.label)} · {a.target} {a.unit} · "
        f"due {wording.day_text(a.due_day)} ({a.timezone})"
    )


class Assign(StudyCog):
    assign = app_commands.Group(
        name="assign", description="Assignments: work set for this server's students"
    )

    @assign.command(name="create", description="Set students a skill or a deck, due by a day")
    @app_commands.describe(
        count="How many problems (or cards) to do",
        due="Due by the end of: fri, 2026-12-04, tomorrow, +3 …",
        skill="A skill (or give a deck)",
        level="Only this level of the skill (default: any)",
        deck="A deck's id (or give a skill)",
        timezone="Whose day 'due' means (default: your /settings time zone)",
    )
    @app_commands.guild_only()
    @teacher_only()
    async def create(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, 200],
        due: str,
        skill: str | None = None,
        level: app_commands.Range[int, 1, 3] | None = None,
        deck: str | None = None,
        timezone: str | None = None,
    ) -> None:
        """Announced in the channel, so the class sees it; a mistake is told privately."""
        await interaction.response.defer(thinking=True)
        user, server = await self._user(interaction)
        assert server is not None  # guild_only
        try:
            made = await self.service.create_assignment(
                server,
                user,
                count=count,
                due=due,
                skill=skill.strip() if skill else None,
                level=level,
                deck=deck.strip() if deck else None,
                timezone=timezone,
            )
        except (ValueError, StudyError) as error:
            await send_private(interaction, f"I couldn't set that: {_safe(str(error))}.")
            return
        embed = discord.Embed(title="📌 New assignment", description=describe(made), colour=BLURPLE)
        how = "/review or /quiz" if made.deck is None else "/review"
        embed.set_footer(text=f"Work in this server through {how} counts toward it.")
        await interaction.followup.send(embed=embed)

    @create.autocomplete("skill")
    async def skill_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return skill_choices(current)

    @create.autocomplete("deck")
    async def deck_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        return [
            app_commands.Choice(name=f"{slug} — {title}"[:100], value=slug)
            for slug, title, _, _ in await self.service.list_decks(await self._server(interaction))
            if typed in slug or typed in title.lower()
        ][:25]

    @create.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @assign.command(name="list", description="This server's assignments (students: your progress)")
    @app_commands.guild_only()
    async def list_(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, server = await self._user(interaction)
        assert server is not None  # guild_only
        if await _teacher(interaction):
            found = await self.service.assignments(server)
            now = self.host.clock()
            lines = [describe(a) + (" · past due" if a.due_at <= now else "") for a in found] or [
                "No open assignments. `/assign create` sets one."
            ]
            embed = discord.Embed(title=ASSIGNMENTS, description="\n".join(lines)[:4000])
            embed.set_footer(text="/assign status shows each student; /assign close ends one.")
        else:
            mine = await self.service.open_assignments(user, server)
            text = assignments_text(mine) or "No open assignments here. 🎉"
            embed = discord.Embed(title=ASSIGNMENTS, description=text)
        embed.colour = discord.Colour(BLURPLE)
        await interaction.followup.send(embed=embed, ephemeral=True)

    @assign.command(name="status", description="Each student's progress on an assignment")
    @app_commands.describe(assignment="The assignment (its number in /assign list)")
    @app_commands.guild_only()
    @teacher_only()
    async def status(self, interaction: discord.Interaction, assignment: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        assert server is not None  # guild_only
        try:
            found = await self.service.assignment_status(server, assignment)
        except StudyError as error:
            await send_private(interaction, f"{str(error).capitalize()}; `/assign list` has them.")
            return
        await interaction.followup.send(embed=status_embed(found), ephemeral=True)

    @assign.command(name="close", description="End an assignment: students stop seeing it")
    @app_commands.describe(assignment="The assignment (its number in /assign list)")
    @app_commands.guild_only()
    @teacher_only()
    async def close(self, interaction: discord.Interaction, assignment: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        assert server is not None  # guild_only
        try:
            closed = await self.service.close_assignment(server, assignment)
        except StudyError as error:
            await send_private(interaction, f"{str(error).capitalize()}; `/assign list` has them.")
            return
        await interaction.followup.send(
            f"Closed {describe(closed)}. `/assign status assignment:{closed.id}` still shows "
            "what each student did.",
            ephemeral=True,
        )

    @status.autocomplete("assignment")
    @close.autocomplete("assignment")
    async def assignment_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        server = await self._server(interaction)
        if server is None:
            return []
        typed = current.strip().lower().lstrip("#")
        return [
            app_commands.Choice(
                name=f"#{a.id} {a.label} · due {wording.day_text(a.due_day)}"[:100], value=a.id
            )
            for a in await self.service.assignments(server)
            if typed in str(a.id) or typed in a.label.lower()
        ][:25]

    async def _server(self, interaction: discord.Interaction) -> int | None:
        """The server row of the interaction's guild, registering no one (autocomplete)."""
        if interaction.guild is None:
            return None
        settings = await self.service.server_settings_for_guild(interaction.guild.id)
        return settings.server_id if settings is not None else None


async def _teacher(interaction: discord.Interaction) -> bool:
    try:
        return await is_teacher(interaction)
    except NotTeacher:
        return False


def status_embed(found: AssignmentStatus) -> discord.Embed:
    """Each student on one line: done, accuracy, most frequent mistake (most done first)."""
    a = found.assignment
    cards = a.deck is not None
    lines = []
    for s in found.students[:STATUS_ROWS]:
        line = wording.student_status_line(s, a.target, cards=cards)
        # a missed card's front is the deck author's text; mistake codes are ours
        lines.append(f"**{_safe(s.name[:32])}** — {_safe(line) if cards else line}")
    if len(found.students) > STATUS_ROWS:
        lines.append(f"… and {len(found.students) - STATUS_ROWS} more")
    finished = sum(1 for s in found.students if s.done >= a.target)
    embed = discord.Embed(
        title=f"📌 {_safe(a.label)}: {finished}/{len(found.students)} students done",
        description="\n".join(lines)[:4000] or "No students in this server yet.",
        colour=BLURPLE,
    )
    state = "closed" if a.closed else wording.due_text(a.due_day, found.today)
    embed.set_footer(text=f"#{a.id} · {a.target} {a.unit} · {state} ({a.timezone})")
    return embed


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Assign(bot))
