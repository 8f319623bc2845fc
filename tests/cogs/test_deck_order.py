"""A teacher's own deck reaches the students (issue 12 §1): the server's decks come first, and
a teacher turns decks on and off and orders them with /deck enable|disable|order."""

from __future__ import annotations

import discord
import pytest
import sympy as sp
from discord import app_commands

from bot.study.service import StudyService

CALC_CLASS = """\
id: calc-class
title: Calculus class
version: 1
cards:
  - id: class-one
    front: Our class card one
    back: one
  - id: class-two
    front: Our class card two
    back: two
  - id: class-three
    front: Our class card three
    back: three
"""


def _actions(message) -> list[str]:
    ids = [c["custom_id"] for row in message.components for c in row.get("components", [])]
    return [i.split(":")[1] for i in ids]


def _token(message) -> str:
    ids = [c["custom_id"] for row in message.components for c in row.get("components", [])]
    return ids[0].split(":")[2]


@pytest.fixture
def people(env, place):
    guild, _ = place
    teachers = guild.create_role("Teachers", permissions=discord.Permissions(manage_guild=True))
    teacher = guild.add_member(env.create_user("teacher"), roles=[teachers])
    student = guild.add_member(env.create_user("student"))
    return teacher, student


async def _next(member, message, service: StudyService):
    """Finish the item on `message` (solve a problem, grade a card Good); the next one."""
    if message.embeds[0].title.startswith("Flashcard"):
        back = (await member.click(message, label="Show answer")).response
        return (await member.click(back, label="Good")).response
    problem = await service.problem_for(_token(message))
    shown = await member.click(message, label="Answer")
    verdict = (await member.submit_modal(shown, {"answer": sp.sstr(problem.answer)})).response
    return (await member.click(verdict, label="Next")).response


async def test_an_imported_deck_is_what_review_shows_first(env, place, people, simcord_bot):
    """The reported scenario: a teacher imports calc-class.yaml (3 cards), a student with
    new_per_day 20 runs /review on day 0: the teacher's three cards are the first cards."""
    _, channel = place
    teacher, student = people
    imported = await teacher.slash(
        channel, "deck import", file=("calc-class.yaml", CALC_CLASS.encode())
    )
    assert imported.response.content.startswith("📚 Imported `calc-class`")
    service = simcord_bot.service
    user = await service.user_for_discord(student.id, "student")
    await service.set_user_preferences(user, new_per_day=20)

    message = (await student.slash(channel, "review")).response
    cards = []
    while len(cards) < 3:
        if message.embeds[0].title.startswith("Flashcard"):
            cards.append(message.embeds[0].description)
        message = await _next(student, message, service)
    assert [c.splitlines()[0] for c in cards] == [
        "Our class card one",
        "Our class card two",
        "Our class card three",
    ]


async def test_a_teacher_turns_decks_off_and_orders_them(env, place, people, simcord_bot):
    _, channel = place
    teacher, student = people
    await teacher.slash(channel, "deck import", file=("calc-class.yaml", CALC_CLASS.encode()))
    listed = (await student.slash(channel, "deck list")).response.embeds[0].description
    assert listed.splitlines()[0].startswith("1. `calc-class`: `Calculus class`, 3 cards")
    assert listed.splitlines()[1].startswith("2. `derivative-rules`")
    assert "inactive" not in listed

    refused = await student.slash(channel, "deck disable", deck="ml-derivatives")
    assert refused.response.content.startswith("Only teachers can do that")
    refused = await student.slash(channel, "deck order", deck="ml-derivatives", position=1)
    assert refused.response.content.startswith("Only teachers can do that")
    # the refusals reach the error handler as failed checks
    assert len(env.errors) == 2
    assert all(isinstance(e, app_commands.CheckFailure) for e in env.errors)

    off = await teacher.slash(channel, "deck disable", deck="derivative-rules")
    assert off.ephemeral
    assert "`derivative-rules` is inactive" in off.response.content
    moved = await teacher.slash(channel, "deck order", deck="ml-derivatives", position=1)
    assert "1. `ml-derivatives`\n2. `calc-class`\n3. `derivative-rules` (inactive)" in (
        moved.response.content
    )
    listed = (await student.slash(channel, "deck list")).response.embeds[0].description
    lines = listed.splitlines()
    assert lines[0].startswith("1. `ml-derivatives`") and lines[0].endswith("active")
    assert lines[2].startswith("3. `derivative-rules`") and lines[2].endswith("**inactive**")

    # the student's new cards follow: the ML deck's first, none from the inactive deck
    service = simcord_bot.service
    server = (await service.server_settings_for_guild(place[0].id)).server_id
    rules = {e.slug: e for e in await service.deck_overview(server)}
    assert not rules["derivative-rules"].enabled
    message = (await student.slash(channel, "review")).response
    while not message.embeds[0].title.startswith("Flashcard"):
        message = await _next(student, message, service)
    assert message.embeds[0].description.startswith("Why does training a model need derivatives?")

    on = await teacher.slash(channel, "deck enable", deck="derivative-rules")
    assert "`derivative-rules` is active again" in on.response.content
    unknown = await teacher.slash(channel, "deck enable", deck="nope")
    assert "There's no deck `nope` here" in unknown.response.content
