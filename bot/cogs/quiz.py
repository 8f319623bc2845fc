"""/quiz: a fresh problem, typed answers checked by the engine, hints and worked solutions.

Thin: every gesture becomes one service call; the result becomes an embed. Buttons are
`DynamicItem`s whose custom id carries the presentation token, so they work after a restart.
"""

from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import (
    AnswerModal,
    StudyCog,
    answer_submission,
    attach_steps,
    cog_of,
    echo,
    image_file,
    persistent_view,
    problem_image,
    reporting,
    send_hint,
    send_then_draw,
    skill_choices,
    study_button,
    tangent_picture,
    too_fast,
)
from bot.cogs.embeds import BLURPLE, add_assignments, open_assignments, outcome_embed
from bot.math.generator import SKILLS
from bot.study import wording
from bot.study.items import parse_key, skill_key
from bot.study.service import Outcome, StudyError

SESSION_LENGTH = 10
ANSWER_ID = re.compile(r"dqa:(?P<token>[A-Za-z0-9_-]{8,40})")
NOT_YOURS = "That problem is someone else's; `/quiz` gives you one of your own."


class QuizButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=(
        r"dq:(?P<action>answer|hint|solution|new|retry|next):(?P<token>[A-Za-z0-9_-]{8,40})"
        r"(?::(?P<owner>[0-9]{1,20}))?"
    ),
):
    """A quiz button; the token names the stored presentation (skill, level, seed), `owner`
    (on a public problem) the Discord user it was given to, so a classmate's press of Answer
    is refused before they type anything. Buttons sent without it still work."""

    def __init__(self, action: str, token: str, owner: int | None = None) -> None:
        custom_id = f"dq:{action}:{token}" + (f":{owner}" if owner is not None else "")
        super().__init__(study_button(action, custom_id))
        self.action = action
        self.token = token
        self.owner = owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: object
    ) -> QuizButton:
        found: dict[str, str | None] = match.groupdict()  # type: ignore[attr-defined]
        owner = found["owner"]
        return cls(str(found["action"]), str(found["token"]), int(owner) if owner else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        # View.on_error does not cover dynamic items: without this a failure would be silent
        await reporting(
            interaction,
            lambda: cog_of(interaction, Quiz).on_button(
                interaction, self.action, self.token, self.owner
            ),
        )


def buttons(token: str, *actions: str, owner: int | None = None) -> discord.ui.View:
    return persistent_view(QuizButton(action, token, owner) for action in actions)


class Quiz(StudyCog):
    def __init__(self, bot: commands.Bot) -> None:
        super().__init__(bot)
        self.progress: dict[int, int] = {}

    async def cog_load(self) -> None:
        self.offer_start("quiz", self.start_from_reminder)

    async def cog_unload(self) -> None:
        self.withdraw_start("quiz")

    async def start_from_reminder(
        self, interaction: discord.Interaction, _server_id: int | None
    ) -> None:
        """A reminder's "Start review" when /review is not loaded: the most due problem."""
        await interaction.response.defer(thinking=True)
        await self.show_problem(interaction, None, None)

    # --- /quiz ------------------------------------------------------------------------------

    @app_commands.command(name="quiz", description="A fresh differentiation problem")
    @app_commands.describe(skill="What to practise (default: what is most due)", level="1-3")
    async def quiz(
        self,
        interaction: discord.Interaction,
        skill: str | None = None,
        level: app_commands.Range[int, 1, 3] | None = None,
    ) -> None:
        if skill is not None and skill not in SKILLS:
            await interaction.response.send_message(
                f"I don't know the skill {echo(skill)}; pick one from the list.", ephemeral=True
            )
            return
        if await too_fast(interaction):
            return
        await interaction.response.defer(thinking=True)
        await self.show_problem(interaction, skill, level)

    @quiz.autocomplete("skill")
    async def skill_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return skill_choices(current)

    async def show_problem(
        self, interaction: discord.Interaction, skill: str | None, level: int | None
    ) -> None:
        """Present a problem in a (deferred) interaction: public, so a study channel can watch."""
        user, server = await self._user(interaction)
        key = skill_key(skill, level or 1) if skill else await self._most_due_skill(user, server)
        shown = await self.service.present(user, key, server)
        problem = shown.problem
        assert problem is not None
        done = self.progress.get(user, 0) % SESSION_LENGTH + 1
        self.progress[user] = done
        prefs = await self.service.preferences(user)
        image = await problem_image(self.pool, problem, theme=prefs.theme)
        first = wording.first_part(problem)
        embed = discord.Embed(
            title=wording.answer_title(problem.answer_kind),
            description=problem.prompt + (f"\n\n**{first}**" if first else ""),
            colour=BLURPLE,
        )
        embed.add_field(name="Skill", value=f"{problem.skill} · level {problem.level}")
        embed.add_field(name="Session", value=f"{done}/{SESSION_LENGTH}")
        footer = "Answer with the button; type it the way you would write it."
        if shown.locked:
            footer = f"{wording.PRACTICE_NOTES['locked']} {footer}"
        embed.set_footer(text=footer)
        file = image_file(image, "problem.png")
        if file is not None:
            embed.set_image(url="attachment://problem.png")
        await interaction.followup.send(
            embed=embed,
            file=file or discord.utils.MISSING,
            view=buttons(
                shown.token, "answer", "hint", "solution", "new", owner=interaction.user.id
            ),
        )

    async def _most_due_skill(self, user: int, server: int | None) -> str:
        """An unfinished assignment's skill first (the soonest due), else the most due one."""
        for progress in await open_assignments(self.service, user, server):
            a = progress.assignment
            if a.skill is not None and not progress.complete:
                return skill_key(a.skill, a.level or 1)
        for key in await self.service.due_queue(user, server):
            if parse_key(key).kind == "skill":
                return key
        return skill_key("power", 1)

    # --- buttons and the answer modal ---------------------------------------------------------

    async def on_button(
        self, interaction: discord.Interaction, action: str, token: str, owner: int | None = None
    ) -> None:
        if action == "answer" and owner is not None and owner != interaction.user.id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return
        # the typed answer counts when it is submitted, not when its box opens
        if action not in ("answer", "retry") and await too_fast(interaction):
            return
        if action in ("answer", "retry"):
            # a modal must be the first response: nothing slow may come before it
            await interaction.response.send_modal(
                AnswerModal(f"dqa:{token}", label="The derivative")
            )
            return
        if action in ("new", "next"):
            await interaction.response.defer(thinking=True)
            await self.show_problem(interaction, None, None)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, _ = await self._user(interaction)
        if action == "hint":
            await send_hint(interaction, self.service, self.pool, token, user)
            return
        outcome = await self.service.give_up(token, user_id=user)
        await self._send_outcome(interaction, user, token, outcome, answer=None)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted answer box (`dqa:<token>`), graded from its id: see `AnswerModal`."""
        submitted = answer_submission(interaction, ANSWER_ID)
        if submitted is None:
            return
        match, text = submitted
        # listeners' failures are only logged: tell the student
        await reporting(interaction, lambda: self.on_answer(interaction, match["token"], text))

    async def on_answer(self, interaction: discord.Interaction, token: str, text: str) -> None:
        if await too_fast(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, _ = await self._user(interaction)
        try:
            outcome = await self.service.submit_answer(token, text, user_id=user)
        except StudyError as exc:
            await interaction.followup.send(str(exc).capitalize() + ".", ephemeral=True)
            return
        await self._send_outcome(interaction, user, token, outcome, answer=text)

    async def _send_outcome(
        self,
        interaction: discord.Interaction,
        user: int,
        token: str,
        outcome: Outcome,
        answer: str | None,
    ) -> None:
        embed = outcome_embed(outcome, answer)
        actions = ("retry", "solution", "next") if outcome.can_retry else ("next",)
        if outcome.next_part is not None:  # a multi-part problem: the next part is asked
            actions = ("answer", "solution")

        async def draw() -> tuple[list[discord.Embed], list[discord.File]] | None:
            reading = outcome.verdict.reading if outcome.verdict is not None else None
            if not outcome.steps and reading is None:
                return None
            theme = (await self.service.preferences(user)).theme  # the student's, like the problem
            embeds, files = [embed], []
            file = await attach_steps(self.pool, embed, outcome.steps, theme=theme, reading=reading)
            files += [file] if file else []
            if outcome.steps:  # the solution: with the tangent, for problems at a point
                problem = await self.service.problem_for(token)
                picture = await tangent_picture(self.pool, problem, theme=theme)
                if picture is not None:
                    embeds.append(picture[0])
                    files.append(picture[1])
            return embeds, files

        if not outcome.can_retry:  # graded: how far the student's assignments are now
            server = await self.service.presentation_server(token, user_id=user)
            add_assignments(embed, await open_assignments(self.service, user, server))
        await send_then_draw(interaction, [embed], draw, view=buttons(token, *actions))


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(QuizButton)
    await bot.add_cog(Quiz(bot))
