"""/settings, /serversettings and /deck end to end: who may change a server's decks, imports
with line-numbered errors, exports as files."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from simcord import SetupError

GOOD_DECK = """\
id: limit-basics
title: Limit basics
version: 1
cards:
  - id: power-cube
    front: What is d/dx x³?
    back: 3x²
    typed:
      answer: 3x^2
      function: x^3
"""

BAD_DECK = """\
id: limit-basics
title: Limit basics
version: 1
cards:
  - id: power-cube
    front: What is d/dx x³?
    back: 3x²
    answr: 3x^2
"""


def refusals(env) -> int:
    """Acknowledge the refusals simcord saw reach the error handler (a failed check is an
    error to discord.py, a calm private message to the student) and count them."""
    errors = env.errors
    assert all(isinstance(e, app_commands.CheckFailure) for e in errors), errors
    return len(errors)


@pytest.fixture
def people(env, place):
    """A student, an admin (Manage Server) and a teacher (the teacher role, no permissions)."""
    guild, _ = place
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    teachers = guild.create_role("Teachers")
    student = guild.add_member(env.create_user("student"))
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    teacher = guild.add_member(env.create_user("teacher"), roles=[teachers])
    return student, admin, teacher, teachers


async def _deck_slugs(member, channel) -> str:
    listed = await member.slash(channel, "deck list")
    return listed.response.embeds[0].description


async def test_a_student_cannot_change_decks(env, place, people) -> None:
    _, channel = place
    student, *_ = people
    result = await student.slash(channel, "deck import", file=("deck.yaml", GOOD_DECK.encode()))
    assert result.ephemeral
    assert result.response.content.startswith("Only teachers can do that")
    removed = await student.slash(channel, "deck remove", deck="derivative-rules")
    assert removed.response.content.startswith("Only teachers can do that")
    settings = await student.slash(channel, "serversettings", leaderboard=False)
    assert settings.response.content.startswith("Only teachers can do that")
    assert "limit-basics" not in await _deck_slugs(student, channel)
    assert refusals(env) == 3


async def test_manage_server_imports_exports_and_removes(env, place, people) -> None:
    _, channel = place
    student, admin, *_ = people
    result = await admin.slash(channel, "deck import", file=("limits.yaml", GOOD_DECK.encode()))
    assert result.ephemeral
    assert result.response.content.startswith("📚 Imported `limit-basics`: `Limit basics`, 1 cards")
    listed = await _deck_slugs(student, channel)
    assert "`limit-basics`: `Limit basics`, 1 cards (this server's)" in listed
    assert "`derivative-rules`" in listed  # the built-in decks are there too

    offered = await student.autocomplete(channel, "deck export", "deck", "limit")
    assert [c["value"] for c in offered] == ["limit-basics"]
    exported = await student.slash(channel, "deck export", deck="limit-basics")
    attachment = exported.response.attachments[0]
    assert attachment.filename == "limit-basics.yaml"
    text = (await attachment.read()).decode()
    assert "id: power-cube" in text and "answer: 3x^2" in text

    asked = await admin.slash(channel, "deck remove", deck="limit-basics")
    removed = await admin.click(asked.response, label="Remove deck")
    assert removed.response.content.startswith("🗑️ Removed `limit-basics`.")
    assert "limit-basics" not in await _deck_slugs(student, channel)
    builtin = await admin.slash(channel, "deck remove", deck="derivative-rules")
    assert "no deck `derivative-rules` of its own" in builtin.response.content


async def test_the_teacher_role_can_import_and_a_bad_file_names_its_line(
    env, place, people
) -> None:
    _, channel = place
    _, admin, teacher, teachers = people
    refused = await teacher.slash(channel, "deck import", file=("d.yaml", GOOD_DECK.encode()))
    assert refused.response.content.startswith("Only teachers")
    assert refusals(env) == 1
    await admin.slash(channel, "serversettings", teacher_role=teachers)

    bad = await teacher.slash(channel, "deck import", file=("limits.yaml", BAD_DECK.encode()))
    text = bad.response.content
    assert text.startswith("That deck has a problem, so I imported nothing:")
    assert "`line 8: cards[0].answr: unknown key" in text
    assert "limit-basics" not in await _deck_slugs(teacher, channel)

    good = await teacher.slash(channel, "deck import", file=("limits.yaml", GOOD_DECK.encode()))
    assert good.response.content.startswith("📚 Imported `limit-basics`")
    csv = b"id,front,back,tags,latex_front,latex_back,typed_answer,typed_var\n"
    csv += b"sq,d/dx x^2?,2x,,,,2x,x\n"
    sheet = await teacher.slash(channel, "deck import", file=("My Sheet.csv", csv))
    assert sheet.response.content.startswith("📚 Imported `my-sheet`: `My sheet`, 1 cards")
    other = await teacher.slash(channel, "deck import", file=("deck.txt", b"id: x"))
    assert "Decks are .yaml or .csv files; `deck.txt` is neither." in other.response.content
    # a teacher runs the server's study settings, but only Manage Server picks the teacher role
    role = await teacher.slash(channel, "serversettings", clear="teacher role")
    assert role.response.content == "Only members with Manage Server can choose the teacher role."
    off = await teacher.slash(channel, "serversettings", leaderboard=False)
    fields = {f.name: f.value for f in off.response.embeds[0].fields}
    assert fields["Leaderboard"] == "off" and fields["Teacher role"] == f"<@&{teachers.id}>"


async def test_server_settings_change_the_default_scheduler(env, place, people, simcord_bot):
    _, channel = place
    student, admin, *_ = people
    shown = await admin.slash(channel, "serversettings")
    assert shown.response.embeds[0].title == "Server settings"
    saved = await admin.slash(channel, "serversettings", default_scheduler="fsrs")
    assert {f.name: f.value for f in saved.response.embeds[0].fields}["Default scheduler"] == (
        "fsrs"
    )
    mine = await student.slash(channel, "settings")
    assert mine.response.embeds[0].title == "Your settings"
    cleared = await admin.slash(channel, "serversettings", clear="default scheduler")
    fields = {f.name: f.value for f in cleared.response.embeds[0].fields}
    assert fields["Default scheduler"] == "bot default"


async def test_settings_change_theme_scheduler_limits_and_zone(env, place, simcord_bot) -> None:
    guild, channel = place
    ivy = guild.add_member(env.create_user("ivy"))
    shown = await ivy.slash(channel, "settings")
    assert shown.ephemeral
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["Theme"] == "dark" and fields["Leaderboard here"] == "shown"

    result = await ivy.slash(
        channel,
        "settings",
        theme="light",
        scheduler="fsrs",
        new_per_day=15,
        reviews_per_day=120,
        timezone="Europe/Berlin",
        leaderboard_opt_out=True,
    )
    embed = result.response.embeds[0]
    assert embed.title == "Saved ✅"
    fields = {f.name: f.value for f in embed.fields}
    assert fields == {
        "Theme": "light",
        "Scheduler": "fsrs",
        "Time zone": "Europe/Berlin",
        "New per day": "15",
        "Reviews per day": "120",
        "Leaderboard here": "hidden",
    }
    assert "Scheduler is now fsrs" in result.response.content
    user = await simcord_bot.service.user_for_discord(ivy.id)
    prefs = await simcord_bot.service.preferences(user)
    assert (prefs.theme, prefs.scheduler, prefs.timezone) == ("light", "fsrs", "Europe/Berlin")

    bad = await ivy.slash(channel, "settings", timezone="Berlin")
    assert "don't know the time zone `Berlin`" in bad.response.content
    choices = await ivy.autocomplete(channel, "settings", "timezone", "berl")
    assert choices[0]["value"] == "Europe/Berlin"


async def test_deck_commands_in_dms(env) -> None:
    kim = env.create_user("kim")
    refused = await kim.slash("deck import", file=("d.yaml", GOOD_DECK.encode()))
    assert "belongs to a server" in refused.response.content
    assert refusals(env) == 1
    listed = await kim.slash("deck list")
    assert "`derivative-rules`" in listed.response.embeds[0].description


async def test_removing_a_deck_asks_first_and_keeps_progress(env, place, people, simcord_bot):
    from bot.study.service import StudyService
    from tests.cogs.helpers import deck_card_ids, make_due

    guild, channel = place
    student, admin, *_ = people
    await admin.slash(channel, "deck import", file=("limits.yaml", GOOD_DECK.encode()))
    service: StudyService = simcord_bot.service
    user = await service.user_for_discord(student.id)
    server = (await service.server_settings_for_guild(guild.id)).server_id
    [card] = await deck_card_ids(simcord_bot, "limit-basics")
    [key] = await make_due(simcord_bot, user, [card], env.now())
    assert key in await service.due_queue(user, server)

    asked = await admin.slash(channel, "deck remove", deck="limit-basics")
    question = asked.response
    assert question.ephemeral
    assert question.content == (
        "Remove `limit-basics` (`Limit basics`, 1 cards)? Students stop seeing its cards. "
        "Their progress is kept: importing a deck with this id again brings it back."
    )
    assert "limit-basics" in await _deck_slugs(student, channel)  # nothing happened yet
    kept = await admin.click(question, label="Keep it")
    assert kept.response.content == "Kept `limit-basics`; nothing changed."
    assert kept.response.components == []
    assert "limit-basics" in await _deck_slugs(student, channel)

    asked = await admin.slash(channel, "deck remove", deck="limit-basics")
    with pytest.raises(SetupError):  # the question is the asking teacher's alone
        await student.click(asked.response, label="Remove deck")
    removed = await admin.click(asked.response, label="Remove deck")
    assert removed.response.content == (
        "🗑️ Removed `limit-basics`. Its students' progress is kept: import the deck again to "
        "bring it back."
    )
    assert "limit-basics" not in await _deck_slugs(student, channel)
    assert key not in await service.due_queue(user, server)

    # imported again: the same card, still due for the student who had learned it
    again = await admin.slash(channel, "deck import", file=("limits.yaml", GOOD_DECK.encode()))
    assert again.response.content.startswith("📚 Imported `limit-basics`")
    assert await deck_card_ids(simcord_bot, "limit-basics") == [card]
    assert key in await service.due_queue(user, server)
    shown = await service.present(user, key, server)
    assert not shown.new


async def test_an_unanswered_remove_question_keeps_the_deck(env, place, people) -> None:
    from bot.cogs.admin import CONFIRM_SECONDS

    _, channel = place
    student, admin, *_ = people
    await admin.slash(channel, "deck import", file=("limits.yaml", GOOD_DECK.encode()))
    asked = await admin.slash(channel, "deck remove", deck="limit-basics")
    await env.advance_time(CONFIRM_SECONDS + 1)
    assert asked.response.content == "No answer, so I kept `limit-basics`; nothing changed."
    assert asked.response.components == []
    assert "limit-basics" in await _deck_slugs(student, channel)


async def test_deck_import_is_charged_to_the_rate_limit(env, place, people, simcord_bot):
    from bot.cogs.common import RateLimit

    _, channel = place
    _, admin, *_ = people
    simcord_bot.limiter = RateLimit(limit=1, per=60.0)  # one action of pool work a minute
    csv = b"id,front,back\nsq,d/dx x^2?,2x\n"
    first = await admin.slash(channel, "deck import", file=("sheet.csv", csv))
    assert first.response.content.startswith("📚 Imported `sheet`")
    refused = await admin.slash(channel, "deck import", file=("limits.yaml", GOOD_DECK.encode()))
    assert refused.response.content.startswith("Easy there!")
    assert "limit-basics" not in await _deck_slugs(admin, channel)
    await env.advance_time(61)
    done = await admin.slash(channel, "deck import", file=("limits.yaml", GOOD_DECK.encode()))
    assert done.response.content.startswith("📚 Imported `limit-basics`")


async def test_deck_import_failures_say_what_went_wrong(env, place, people, simcord_bot):
    _, channel = place
    _, admin, *_ = people
    big = GOOD_DECK.encode() + b"#" * 1_000_000
    refused = await admin.slash(channel, "deck import", file=("big.yaml", big))
    assert refused.response.content == (
        f"That file is {len(big):,} bytes, too big for a deck: a deck may be at most 1,000,000 "
        "bytes (1 MB) and 2,000 cards; a card's front at most 1,000 characters, its back 2,000, "
        "its LaTeX 1,000, a typed answer 500, and 16 tags. Split it into smaller decks."
    )
    # one import at a time: a second one while the first runs is told so, and imports nothing
    async with simcord_bot.service._deck_import:
        busy = await admin.slash(channel, "deck import", file=("d.yaml", GOOD_DECK.encode()))
    assert busy.response.content.startswith("Another deck import is running right now")
    assert "limit-basics" not in await _deck_slugs(admin, channel)
