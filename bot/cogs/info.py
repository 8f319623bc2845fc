"""/resources (where to learn more) and /help (every command, with an example, and what earns
points).

/help reads the command tree, so a new command shows up by itself; an example written here
is used only while it still matches the command's options, otherwise one is generated.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.study import credit
from bot.study.resources import RESOURCES

# One hand-written example per command we know of, keyed by the full command name.
EXAMPLES = {
    "quiz": "/quiz skill:chain level:2",
    "review": "/review",
    "stats": "/stats",
    "leaderboard": "/leaderboard period:month",
    "privacy": "/privacy leaderboard:off",
    "remind set": "/remind set time:07:30 timezone:Europe/Berlin where:dm",
    "remind show": "/remind show",
    "remind off": "/remind off",
    "settings": "/settings theme:light new_per_day:15 timezone:America/New_York",
    "serversettings": "/serversettings leaderboard:True reminder_channel:#study",
    "deck list": "/deck list",
    "deck import": "/deck import file:limits.yaml",
    "deck export": "/deck export deck:derivative-rules format:csv",
    "deck remove": "/deck remove deck:limits",
    "tex": r"/tex formula:\frac{d}{dx} \sin x = \cos x",
    "assign create": "/assign create count:5 due:fri skill:chain level:2",
    "assign list": "/assign list",
    "assign status": "/assign status assignment:1",
    "assign close": "/assign close assignment:1",
    "deck enable": "/deck enable deck:ml-derivatives",
    "deck disable": "/deck disable deck:ml-derivatives",
    "deck order": "/deck order deck:calc-class position:1",
    "resources": "/resources",
    "help": "/help",
}


def resources_embed() -> discord.Embed:
    embed = discord.Embed(
        title="📚 Learning resources",
        description="Free and classic ways to learn derivatives; ⭐ marks the recommended pair.",
        colour=0x5865F2,
    )
    for r in RESOURCES:
        star = "⭐ " if r.recommended else ""
        embed.add_field(name=f"{star}{r.name}", value=f"{r.note}\n{r.url}", inline=False)
    return embed


def leaf_commands(tree: app_commands.CommandTree) -> list[app_commands.Command]:
    """Every invocable slash command, subcommands included, in the tree's order."""
    found: list[app_commands.Command] = []
    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Group):
            found.extend(c for c in command.walk_commands() if isinstance(c, app_commands.Command))
        elif isinstance(command, app_commands.Command):
            found.append(command)
    return found


def example(command: app_commands.Command) -> str:
    """The hand-written example while its options still exist; else one built from the
    required options, so /help never shows an example that would fail."""
    name = command.qualified_name
    written = EXAMPLES.get(name)
    options = {p.name for p in command.parameters}
    if written is not None:
        used = {word.split(":", 1)[0] for word in written[len(name) + 1 :].split() if ":" in word}
        if written.startswith(f"/{name}") and used <= options:
            return written
    required = [f"{p.name}:…" for p in command.parameters if p.required]
    return " ".join([f"/{name}", *required])


def help_embed(tree: app_commands.CommandTree) -> discord.Embed:
    embed = discord.Embed(
        title="derivbot: what each command does",
        description="Personal replies are only visible to you. Try one of the examples.",
        colour=0x5865F2,
    )
    found = leaf_commands(tree)
    for command in found[:25]:  # an embed holds 25 fields
        embed.add_field(
            name=f"/{command.qualified_name}",
            value=f"{command.description}\n`{example(command)}`"[:1024],
            inline=False,
        )
    if len(found) > 25:
        embed.set_footer(text="Also: " + ", ".join(f"/{c.qualified_name}" for c in found[25:]))
    return embed


def points_embed() -> discord.Embed:
    """The credit table grading pays from (`bot.study.credit`), so /help states the real rules."""
    rules = [f"**{credit.points_text(rule)}**: {rule.situation}" for rule in credit.RULES]
    return discord.Embed(
        title="What earns points",
        description="\n".join([*rules, "", *credit.NOTES]),
        colour=0x5865F2,
    )


class Info(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="resources", description="Videos, notes and books to learn from")
    async def resources(self, interaction: discord.Interaction) -> None:
        # public: worth sharing with the whole study channel
        await interaction.response.send_message(embed=resources_embed())

    @app_commands.command(name="help", description="What each command does, with examples")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            embeds=[help_embed(self.bot.tree), points_embed()], ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Info(bot))
