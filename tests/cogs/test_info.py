"""/resources and /help end to end."""

from __future__ import annotations

from discord import app_commands

from bot.cogs.info import example
from bot.study import credit

LINKS = (
    "https://youtube.com/playlist?list=PLZHQObOWTQDMsr9K-rj53DwVRMYO3t5Yr",
    "https://khanacademy.org/math/calculus-1",
    "https://ocw.mit.edu/courses/18-01-single-variable-calculus-fall-2006/",
    "https://tutorial.math.lamar.edu/Classes/CalcI/CalcI.aspx",
    "https://tutorial.math.lamar.edu/pdf/calculus_cheat_sheet_derivatives.pdf",
    "https://youtube.com/playlist?list=PLF797E961509B4EB5",
    "https://a.co/d/5bpuEcg",
)


async def test_resources_lists_every_link_with_a_note(env, place) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    result = await ada.slash(channel, "resources")
    assert not result.ephemeral  # worth sharing with the channel
    embed = result.response.embeds[0]
    values = [f.value for f in embed.fields]
    for link in LINKS:
        assert any(link in v for v in values), link
    assert all(len(v.split("\n")[0]) > 20 for v in values)  # a note before each link
    recommended = [f.name for f in embed.fields if f.name.startswith("⭐")]
    assert len(recommended) == 2
    assert any("Leonard" in n for n in recommended) and any("textbook" in n for n in recommended)


async def test_help_lists_every_command_with_an_example(env, place, simcord_bot) -> None:
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    result = await bo.slash(channel, "help")
    assert result.ephemeral
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    invocable = set(bo.available_commands(channel))
    assert {name.removeprefix("/") for name in fields} == invocable
    assert {"quiz", "remind set", "deck import", "settings", "resources", "help"} <= invocable
    assert "`/remind set time:07:30 timezone:Europe/Berlin where:dm`" in fields["/remind set"]
    assert "`/deck import file:limits.yaml`" in fields["/deck import"]
    for name, value in fields.items():
        assert f"`{name}" in value  # every command has an example line


def test_an_outdated_example_is_replaced_by_a_generated_one() -> None:
    async def cb(interaction, skill: str, level: int | None = None) -> None: ...

    command = app_commands.Command(name="quiz", description="d", callback=cb)
    assert example(command) == "/quiz skill:chain level:2"  # written; its options exist

    async def other(interaction, topic: str) -> None: ...

    renamed = app_commands.Command(name="quiz", description="d", callback=other)
    assert example(renamed) == "/quiz topic:…"


async def test_help_says_what_earns_points(env, place, simcord_bot) -> None:
    guild, channel = place
    cy = guild.add_member(env.create_user("cy"))
    result = await cy.slash(channel, "help")
    points = next(e for e in result.response.embeds if e.title == "What earns points")
    for rule in credit.RULES:  # the table grading pays from, with its numbers
        assert f"**{credit.points_text(rule)}**: {rule.situation}" in points.description
    assert "**10 × level**: A problem right at the first try, no hint" in points.description
    assert "**5 × level**: A problem right after a hint" in points.description
    assert "**5**: A flashcard you grade Good" in points.description
