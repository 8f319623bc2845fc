r"""/tex: any LaTeX a student types, drawn for everyone in the channel to discuss.

It is user text like any answer: rate-limited (`too_fast`), refused early when too long or not
math (`usertex.formula_problem`), drawn in the worker pool within a time limit and the
renderer's size limits (`tasks.arender_formula`), echoed without pinging anyone, and every
refusal told privately and kindly.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import StudyCog, echo, engine_text, image_file, send_private, too_fast
from bot.math import tasks
from bot.math.usertex import MAX_FORMULA_CHARS, formula_problem

#: Seconds a formula may take to draw (a few hundred characters take ~50 ms).
TEX_TIMEOUT = 5.0
TIP = r"Write math the way you would between `$…$`, e.g. `\frac{d}{dx} \sin x = \cos x`."


def refusal(reason: str) -> str:
    """A refusal as the student reads it: what went wrong, and how to write it instead."""
    return f"I couldn't draw that formula: {engine_text(reason)}.\n{TIP}"


class Tex(StudyCog):
    @app_commands.command(name="tex", description="Draw a LaTeX formula for everyone here")
    @app_commands.describe(
        formula=rf"LaTeX math, e.g. \frac{{d}}{{dx}} x^2 = 2x (at most {MAX_FORMULA_CHARS} chars)"
    )
    async def tex(self, interaction: discord.Interaction, formula: str) -> None:
        if await too_fast(interaction):  # each formula keeps a worker busy
            return
        problem = formula_problem(formula)
        if problem is not None:  # nothing was drawn: no need to keep anyone waiting
            await interaction.response.send_message(refusal(problem), ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        user, _ = await self._user(interaction)
        theme = (await self.service.preferences(user)).theme
        rendered = await tasks.arender_formula(self.pool, formula, theme=theme, timeout=TEX_TIMEOUT)
        file = image_file(rendered, "formula.png")
        if file is None:
            await send_private(interaction, refusal(rendered.error or "it did not draw"))
            return
        embed = discord.Embed(description=echo(formula), colour=0x5865F2)
        embed.set_author(name=interaction.user.display_name[:100])
        embed.set_image(url="attachment://formula.png")
        await interaction.followup.send(
            embed=embed, file=file, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Tex(bot))
