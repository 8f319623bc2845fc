"""/class end to end: the class at a glance for teachers only, privately; its CSV export."""

from __future__ import annotations

import csv
import io

import discord
import pytest
import sympy as sp
from discord import app_commands

from bot.study.cases.classview import CSV_COLUMNS


@pytest.fixture
def people(env, place):
    """Two students and an admin (Manage Server)."""
    guild, _ = place
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    ada = guild.add_member(env.create_user("ada"))
    ben = guild.add_member(env.create_user("ben"))
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    return ada, ben, admin


async def _study(bot, member, guild, key: str, *, wrong: bool) -> None:
    """One problem in `guild`: answered with the function itself first when `wrong`."""
    service = bot.service
    user = await service.user_for_discord(member.id, member.name)
    server = await service.join_server(user, guild.id, guild.name)
    shown = await service.present(user, key, server)
    if wrong:
        outcome = await service.submit_answer(shown.token, sp.sstr(shown.problem.function))
        assert outcome.verdict.mistake == "not_differentiated"
    assert (await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))).graded


async def test_a_teacher_sees_the_class_privately(env, place, people, simcord_bot) -> None:
    guild, channel = place
    ada, ben, admin = people
    await _study(simcord_bot, ada, guild, "skill:power:1", wrong=True)
    await _study(simcord_bot, ada, guild, "skill:chain:1", wrong=False)
    await _study(simcord_bot, ben, guild, "skill:power:1", wrong=True)
    result = await admin.slash(channel, "class")
    assert result.acknowledged and result.ephemeral
    assert [a.filename for a in result.response.attachments] == ["class.png"]
    png = await result.response.attachments[0].read()
    assert png.startswith(b"\x89PNG")
    embed = result.response.embeds[0]
    assert embed.title == "🏫 Calculus class: the class at a glance"
    assert embed.description.startswith("2 students × 2 skills.")
    fields = {f.name: f.value for f in embed.fields}
    mistakes = fields["Mistakes made most"]
    assert mistakes.startswith("**1. answered the function itself**: 2 wrong answers, 2 students")
    # the latest such answer (ben's) as the example: the problem, then what was typed
    assert "\n  e.g. ben on `Differentiate f(x) = " in mistakes
    assert mistakes.count("answered `") == 1
    assert fields["Leeches (failed again and again)"] == "None: nothing keeps slipping."
    assert not env.errors


async def test_a_student_is_refused(env, place, people, simcord_bot) -> None:
    guild, channel = place
    ada, *_ = people
    await _study(simcord_bot, ada, guild, "skill:power:1", wrong=False)
    for options in ({}, {"export": True}):
        result = await ada.slash(channel, "class", **options)
        assert result.ephemeral
        assert result.response.content.startswith("Only teachers can do that")
        assert not result.response.attachments
    assert all(isinstance(e, app_commands.CheckFailure) for e in env.errors)
    assert len(env.errors) == 2


async def test_export_gives_the_gradebook_as_csv(env, place, people, simcord_bot) -> None:
    guild, channel = place
    ada, ben, admin = people
    await _study(simcord_bot, ada, guild, "skill:power:1", wrong=True)
    await _study(simcord_bot, ben, guild, "skill:chain:1", wrong=False)
    result = await admin.slash(channel, "class", export=True)
    assert result.ephemeral
    assert result.response.content.startswith("📋 The gradebook: 4 rows")
    (attachment,) = result.response.attachments
    assert attachment.filename == "class.csv"
    rows = list(csv.reader(io.StringIO((await attachment.read()).decode("utf-8"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        ("ada", str(ada.id), "power"),
        ("ada", str(ada.id), "chain"),
        ("ben", str(ben.id), "power"),
        ("ben", str(ben.id), "chain"),
    ]
    ada_power = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert ada_power["problems"] == "1" and ada_power["first_try"] == "0"
    assert ada_power["top_mistake"] == "answered the function itself"
    ben_chain = dict(zip(CSV_COLUMNS, rows[4], strict=True))
    assert (ben_chain["level"], ben_chain["accuracy"], ben_chain["points"]) == ("1", "100", "10")


async def test_an_empty_class_says_so(env, place, people) -> None:
    _, channel = place
    *_, admin = people
    for options in ({}, {"export": True}):
        result = await admin.slash(channel, "class", **options)
        assert result.ephemeral and not result.response.attachments
        assert result.response.content.startswith("Nobody has answered anything")


async def test_the_teacher_role_may_look_too(env, place, people, simcord_bot) -> None:
    guild, channel = place
    ada, _, admin = people
    teachers = guild.create_role("Teachers")
    teacher = guild.add_member(env.create_user("teacher"), roles=[teachers])
    await _study(simcord_bot, ada, guild, "skill:power:1", wrong=False)
    refused = await teacher.slash(channel, "class")
    assert refused.response.content.startswith("Only teachers can do that")
    await admin.slash(channel, "serversettings", teacher_role=teachers)
    result = await teacher.slash(channel, "class")
    assert result.ephemeral
    assert [a.filename for a in result.response.attachments] == ["class.png"]
    assert result.response.embeds[0].description.startswith(
        "1 student × 1 skill. Each cell: the level reached"
    )
    assert len(env.errors) == 1  # the refusal before the role was set
