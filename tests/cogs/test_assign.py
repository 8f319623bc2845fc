"""/assign end to end on simcord (issue 12 §2): teachers set, list, check and close
assignments; students are refused those, and see their progress in /quiz, /review, /stats and
their reminder. Virtual time starts on Thursday 2026-01-01 00:00 UTC, so "fri" is tomorrow."""

from __future__ import annotations

import datetime as dt

import discord
import pytest
import sympy as sp
from discord import app_commands

from tests.cogs.helpers import deck_card_ids, make_due

ASSIGNMENTS = "📌 Assignments"


def _ids(message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


def _fields(embed) -> dict[str, str]:
    return {f.name: f.value for f in embed.fields}


def _refusals(env) -> int:
    """Failed teacher checks reach the error handler (then the student, calmly): count them."""
    errors = env.errors
    assert all(isinstance(e, app_commands.CheckFailure) for e in errors), errors
    return len(errors)


@pytest.fixture
def people(env, place):
    """Two students and a teacher with Manage Server."""
    guild, _ = place
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    ada = guild.add_member(env.create_user("ada"))
    bo = guild.add_member(env.create_user("bo"))
    teacher = guild.add_member(env.create_user("teacher"), roles=[admins])
    return ada, bo, teacher


async def _quiz_answer(member, channel, bot, *, right: bool = True, **options):
    """A /quiz problem answered (right, or wrong then the solution): the problem and the last
    private reply."""
    message = (await member.slash(channel, "quiz", **options)).response
    problem = await bot.service.problem_for(_ids(message)[0].split(":")[2])
    text = sp.sstr(problem.answer if right else problem.function)
    shown = await member.click(message, label="Answer")
    reply = (await member.submit_modal(shown, {"answer": text})).response
    if not right:
        reply = (await member.click(reply, label="Solution")).response
    return problem, reply


async def test_students_are_refused_what_teachers_do(env, place, people) -> None:
    _, channel = place
    ada, *_ = people
    made = await ada.slash(channel, "assign create", skill="chain", count=3, due="fri")
    assert made.ephemeral and made.response.content.startswith("Only teachers can do that")
    status = await ada.slash(channel, "assign status", assignment=1)
    assert status.response.content.startswith("Only teachers can do that")
    closed = await ada.slash(channel, "assign close", assignment=1)
    assert closed.response.content.startswith("Only teachers can do that")
    assert _refusals(env) == 3
    listed = await ada.slash(channel, "assign list")  # a student may list: their own progress
    assert listed.response.embeds[0].description == "No open assignments here. 🎉"


async def test_create_list_status_and_close(env, place, people, simcord_bot) -> None:
    _, channel = place
    ada, bo, teacher = people
    made = await teacher.slash(channel, "assign create", skill="chain", level=1, count=3, due="fri")
    assert not made.ephemeral  # announced to the class
    embed = made.response.embeds[0]
    assert embed.title == "📌 New assignment"
    assert embed.description == "#1 Chain rule L1 · 3 problems · due Fri 02 Jan 2026 (UTC)"

    # /quiz with no skill gives the assigned one (a new student's queue would open on power)
    problem, reply = await _quiz_answer(ada, channel, simcord_bot)
    assert (problem.skill, problem.level) == ("chain", 1)
    assert reply.embeds[0].title == "✅ Correct!"
    assert _fields(reply.embeds[0])[ASSIGNMENTS] == "Chain rule L1: 1/3 done, due Fri"
    await _quiz_answer(ada, channel, simcord_bot, right=False, skill="chain", level=1)
    mine = await ada.slash(channel, "assign list")
    assert mine.response.embeds[0].description == "Chain rule L1: 1/3 done, due Fri"
    await bo.slash(channel, "assign list")  # bo has been here, but did nothing

    listed = await teacher.slash(channel, "assign list")
    assert listed.ephemeral
    assert listed.response.embeds[0].description == (
        "#1 Chain rule L1 · 3 problems · due Fri 02 Jan 2026 (UTC)"
    )
    status = await teacher.slash(channel, "assign status", assignment=1)
    assert status.ephemeral
    embed = status.response.embeds[0]
    assert embed.title == "📌 Chain rule L1: 0/2 students done"
    assert embed.description.splitlines() == [
        "**ada** — 1/3 done · 50% accuracy (2 tried) · "
        "not_differentiated (answered the function itself) ×1",
        "**bo** — 0/3 done · not started",
    ]
    assert embed.footer.text == "#1 · 3 problems · due Fri (UTC)"

    closed = await teacher.slash(channel, "assign close", assignment=1)
    assert closed.response.content.startswith("Closed #1 Chain rule L1")
    mine = await ada.slash(channel, "assign list")
    assert mine.response.embeds[0].description == "No open assignments here. 🎉"
    again = await teacher.slash(channel, "assign close", assignment=1)
    assert "already closed" in again.response.content
    assert _refusals(env) == 0


async def test_a_bad_due_day_is_told_privately(env, place, people) -> None:
    _, channel = place
    *_, teacher = people
    made = await teacher.slash(channel, "assign create", skill="chain", count=3, due="someday")
    assert made.response is None  # the public "thinking…" is gone: nothing was announced
    [told] = made.followups
    assert told.ephemeral
    assert told.content.startswith("I couldn't set that: a due day is a date like 2026-12-04")
    listed = await teacher.slash(channel, "assign list")
    assert listed.response.embeds[0].description.startswith("No open assignments.")


async def test_review_stats_and_the_reminder_show_the_line(env, place, people, simcord_bot):
    _, channel = place
    ada, _, teacher = people
    await teacher.slash(channel, "assign create", skill="power", level=1, count=5, due="today")
    reminders = simcord_bot.get_cog("Reminders")
    reminders.reminder_loop.cancel()  # the test plays the loop's passes
    await ada.slash(channel, "remind set", time="07:00", timezone="UTC")

    started = await ada.slash(channel, "review")
    content = started.response.content
    assert content.endswith(f"{ASSIGNMENTS}\nPower rule L1: 0/5 done, due today")
    first = started.response
    assert _ids(first)[0].startswith("dr:answer:")  # a new student's queue opens on power L1
    token = _ids(first)[0].split(":")[2]
    problem = await simcord_bot.service.problem_for(token)
    assert problem.skill == "power" and problem.level == 1
    shown = await ada.click(first, label="Answer")
    verdict = (await ada.submit_modal(shown, {"answer": sp.sstr(problem.answer)})).response
    assert verdict.embeds[0].title == "✅ Correct!"

    stats = await ada.slash(channel, "stats")
    assert _fields(stats.response.embeds[0])[ASSIGNMENTS] == "Power rule L1: 1/5 done, due today"

    await env.advance_time((dt.timedelta(hours=7)).total_seconds())
    assert await reminders.send_due() == 1
    dm = ada.user.dm_channel.last_message
    assert dm.content.endswith(f"{ASSIGNMENTS} due soon:\nPower rule L1: 1/5 done, due today")


async def test_a_deck_assignment_counts_cards_graded_in_review(
    env, place, people, simcord_bot
) -> None:
    _, channel = place
    ada, _, teacher = people
    made = await teacher.slash(
        channel, "assign create", deck="derivative-rules", count=2, due="2026-01-20"
    )
    assert made.response.embeds[0].description == (
        "#1 Derivative rules · 2 cards · due Tue 20 Jan 2026 (UTC)"
    )
    user = await simcord_bot.service.user_for_discord(ada.id, "ada")
    card = (await deck_card_ids(simcord_bot, "derivative-rules"))[0]
    await make_due(simcord_bot, user, [card], env.now())
    started = (await ada.slash(channel, "review")).response
    assert started.content.endswith(f"{ASSIGNMENTS}\nDerivative rules: 0/2 done, due Tue 20 Jan")
    back = (await ada.click(started, label="Show answer")).response
    await ada.click(back, label="Good")
    mine = await ada.slash(channel, "assign list")
    assert mine.response.embeds[0].description == "Derivative rules: 1/2 done, due Tue 20 Jan"
