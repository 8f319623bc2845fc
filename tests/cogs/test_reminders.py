"""/remind end to end on simcord's virtual clock: DST, downtime, closed DMs, show and off.

Long stretches of virtual time are crossed with the reminder loop stopped (a minute-by-minute
loop over weeks would take minutes of real time); `send_due()` is then exactly what one pass of
the loop does. One test runs the real loop.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import discord
import pytest
from sqlalchemy import select

from bot.db.models import Reminder
from bot.study.reminders import Delivery, OutgoingReminder
from tests.cogs.helpers import advance_to, at, custom_ids, deck_card_ids, make_due


async def _next_fire(bot) -> dt.datetime:
    async with bot.service.sessions() as session:
        return (await session.execute(select(Reminder.next_fire_at))).scalar_one()


def _close_dms(env, user) -> None:
    env.inject_error(
        "POST",
        f"/channels/{user.dm_channel.id}/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
        times=None,
    )


async def test_reminder_keeps_local_time_across_dst(env, place, simcord_bot, reminders) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    await advance_to(env, at("2026-03-06T13:00"))
    result = await ada.slash(
        channel, "remind set", time="07:00", timezone="America/New_York", where="dm"
    )
    assert result.ephemeral and "**07:00** (America/New_York)" in result.response.content
    assert await _next_fire(simcord_bot) == at("2026-03-07T12:00")  # 07:00 EST
    dms = ada.user.dm_channel

    await advance_to(env, at("2026-03-07T11:59"))
    assert await reminders.send_due() == 0
    await advance_to(env, at("2026-03-07T12:00"))
    assert await reminders.send_due() == 1
    assert await reminders.send_due() == 0  # once a day
    message = dms.last_message
    assert message.content.startswith("⏰ Study time!")
    assert custom_ids(message)[0].startswith("dn:review:")

    # clocks spring forward on 2026-03-08: 07:00 EDT is 11:00 UTC, an hour earlier
    assert await _next_fire(simcord_bot) == at("2026-03-08T11:00")
    await advance_to(env, at("2026-03-08T10:59"))
    assert await reminders.send_due() == 0
    await advance_to(env, at("2026-03-08T11:00"))
    assert await reminders.send_due() == 1
    assert len(dms.history()) == 2


async def test_the_loop_sends_on_time_and_the_button_starts_studying(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    assert env.now() < at("2026-01-01T00:01")
    await bo.slash(channel, "remind set", time="00:05", timezone="UTC")
    await env.advance_time(4 * 60 + 30)  # the loop wakes every minute
    assert bo.user.dm_channel.last_message is None
    await env.advance_time(60)
    reminder = bo.user.dm_channel.last_message
    assert reminder is not None and "waiting for you today" in reminder.content
    await env.advance_time(10 * 60)
    assert len(bo.user.dm_channel.history()) == 1

    clicked = await bo.user.click(reminder, label="Start review")
    # a /review session when that cog is there, else a /quiz problem: its first item either way
    prefix = "dr:" if simcord_bot.get_cog("Review") is not None else "dq:"
    first = clicked.response
    assert first.embeds and custom_ids(first)[0].startswith(prefix)


async def test_after_an_outage_late_is_sent_once_too_late_is_skipped(
    env, place, simcord_bot, reminders
) -> None:
    guild, channel = place
    cy = guild.add_member(env.create_user("cy"))
    await cy.slash(channel, "remind set", time="06:00", timezone="UTC")
    dms = cy.user.dm_channel
    # the bot is down from 05:00 to 09:00: three hours late is still worth sending
    await advance_to(env, at("2026-01-01T09:00"))
    assert await reminders.send_due() == 1
    assert await reminders.send_due() == 0
    assert len(dms.history()) == 1
    # down again until 13:00 the next day: seven hours late, nobody wants that reminder
    await advance_to(env, at("2026-01-02T13:00"))
    assert await reminders.send_due() == 0
    assert len(dms.history()) == 1
    assert await _next_fire(simcord_bot) == at("2026-01-03T06:00")
    await advance_to(env, at("2026-01-03T06:00"))
    assert await reminders.send_due() == 1


async def test_closed_dms_fall_back_to_the_reminder_channel(env, place, reminders) -> None:
    guild, channel = place
    hall = guild.create_text_channel("reminders")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    boss = guild.add_member(env.create_user("boss"), roles=[admins])
    saved = await boss.slash(channel, "serversettings", reminder_channel=hall)
    assert "Saved" in saved.response.embeds[0].title

    di = guild.add_member(env.create_user("di"))
    await di.slash(channel, "remind set", time="06:00", timezone="UTC")
    _close_dms(env, di.user)
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 1
    posted = hall.last_message
    assert posted.content.startswith(f"<@{di.id}> ⏰ your study reminder (I couldn't DM you)")
    assert [m.id for m in posted.mentions] == [di.id]
    request = [r for r in env.http_requests if r.path == f"/channels/{hall.id}/messages"][-1]
    assert request.json["allowed_mentions"] == {"users": [di.id], "parse": []}  # only di
    assert custom_ids(posted)[0].startswith("dn:review")


async def test_closed_dms_without_a_channel_pause_and_tell_once(
    env, place, simcord_bot, reminders
) -> None:
    guild, channel = place
    ed = guild.add_member(env.create_user("ed"))
    await ed.slash(channel, "remind set", time="06:00", timezone="UTC")
    _close_dms(env, ed.user)
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 0
    await advance_to(env, at("2026-01-02T06:00"))
    assert await reminders.send_due() == 0  # paused: not retried every day
    shown = await ed.slash(channel, "remind show")
    assert "**paused**" in shown.response.content
    [notice] = shown.followups  # after the command's own reply, privately
    assert notice.ephemeral and notice.content.startswith("⚠️ I couldn't DM your study reminder")
    again = await ed.slash(channel, "remind show")
    assert again.followups == [] and "**paused**" in again.response.content
    # setting it again (here, in the channel) starts it again
    await ed.slash(channel, "remind set", time="06:00", timezone="UTC", where="here")
    await advance_to(env, at("2026-01-03T06:00"))
    assert await reminders.send_due() == 1
    assert channel.last_message.content.startswith(f"<@{ed.id}> ⏰ your study reminder:")


async def test_show_off_and_bad_input(env, place) -> None:
    guild, channel = place
    flo = guild.add_member(env.create_user("flo"))
    none = await flo.slash(channel, "remind show")
    assert none.ephemeral and "You have no reminder" in none.response.content
    bad_time = await flo.slash(channel, "remind set", time="7am", timezone="UTC")
    assert "24-hour time" in bad_time.response.content and "`7am`" in bad_time.response.content
    bad_zone = await flo.slash(channel, "remind set", time="07:00", timezone="Mars/@everyone")
    assert "don't know the time zone `Mars/@everyone`" in bad_zone.response.content
    assert not bad_zone.response.message.mention_everyone

    await flo.slash(channel, "remind set", time="21:15", timezone="Asia/Tokyo")
    shown = await flo.slash(channel, "remind show")
    assert "**21:15** (Asia/Tokyo), in your DMs" in shown.response.content
    assert "Next one <t:" in shown.response.content
    off = await flo.slash(channel, "remind off")
    assert off.ephemeral and off.response.content == "Your daily reminder is off."
    assert "no reminder" in (await flo.slash(channel, "remind off")).response.content
    assert "You have no reminder" in (await flo.slash(channel, "remind show")).response.content


async def test_timezone_autocomplete(env, place) -> None:
    guild, channel = place
    gil = guild.add_member(env.create_user("gil"))
    typed = await gil.autocomplete(channel, "remind set", "timezone", "new york")
    assert typed[0]["value"] == "America/New_York"
    many = await gil.autocomplete(channel, "remind set", "timezone", "america")
    assert len(many) == 25 and all("America" in c["value"] for c in many)
    empty = await gil.autocomplete(channel, "remind set", "timezone", "")
    assert empty[0]["value"] == "UTC" and len(empty) <= 25


async def test_a_channel_that_refuses_the_reminder_pauses_it(env, place, reminders) -> None:
    guild, channel = place
    jo = guild.add_member(env.create_user("jo"))
    await jo.slash(channel, "remind set", time="06:00", timezone="UTC", where="here")
    env.inject_error("POST", f"/channels/{channel.id}/messages", status=403, code=50013, times=None)
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 0
    shown = await jo.slash(channel, "remind show")
    [notice] = shown.followups
    assert notice.content.startswith("⚠️ I couldn't post your study reminder in its")


async def test_a_whole_class_at_seven_is_sent_in_one_pass(env, place, reminders) -> None:
    guild, channel = place
    students = [guild.add_member(env.create_user(f"s{k}")) for k in range(20)]
    for student in students:
        await student.slash(channel, "remind set", time="07:00", timezone="UTC")
    _close_dms(env, students[3].user)  # one closed inbox stops nobody else
    await advance_to(env, at("2026-01-01T07:00"))
    assert await reminders.send_due() == 19
    for k, student in enumerate(students):
        got = student.user.dm_channel.history()
        assert len(got) == (0 if k == 3 else 1)
    assert await reminders.send_due() == 0


async def test_console_reminders_in_a_shared_database_are_left_to_the_console(
    env, place, simcord_bot, reminders
) -> None:
    """The bot and a console on one database: the bot neither sends nor pauses the console
    user's reminder; the console still gets it."""
    service = simcord_bot.service
    guild, channel = place
    kim = guild.add_member(env.create_user("kim"))
    await kim.slash(channel, "remind set", time="06:00", timezone="UTC")
    lou = await service.user_for_console("lou")
    await service.set_reminder(lou, "06:00", "UTC")
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 1  # kim's
    assert await reminders.send_due() == 0
    console_side = await service.reminders_due(user_id=lou)
    assert [d.user_id for d in console_side] == [lou]
    info = await service.reminder(lou)
    assert info is not None and not info.paused
    assert await service.pending_notice(lou) is None


CLASS_DECK = """\
id: class-deck
title: Our class deck
version: 1
cards:
  - id: cube
    front: What is d/dx x³ in our class?
    back: 3x²
"""


async def test_start_review_from_a_dm_includes_the_servers_decks(
    env, place, simcord_bot, reminders
) -> None:
    service = simcord_bot.service
    guild, channel = place
    uma = guild.add_member(env.create_user("uma"))
    await uma.slash(channel, "remind set", time="06:00", timezone="UTC")  # set in the server
    user = await service.user_for_discord(uma.id, "uma")
    server = (await service.server_settings_for_guild(guild.id)).server_id
    await service.import_deck(server, CLASS_DECK, "yaml")
    await service.set_user_preferences(user, new_per_day=0)
    # the class card is due today
    await make_due(simcord_bot, user, await deck_card_ids(simcord_bot, "class-deck"), env.now())
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 1
    reminder = uma.user.dm_channel.last_message
    clicked = await uma.user.click(reminder, label="Start review")  # in the DM
    first = clicked.response
    assert first.ephemeral and first.content.startswith("1 to review")
    assert first.embeds[0].description == "What is d/dx x³ in our class?"


async def test_the_paused_notice_comes_with_any_command_once(
    env, place, simcord_bot, reminders
) -> None:
    guild, channel = place
    vi = guild.add_member(env.create_user("vi"))
    await vi.slash(channel, "remind set", time="06:00", timezone="UTC")
    _close_dms(env, vi.user)
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 0  # paused
    stats = await vi.slash(channel, "stats")
    assert stats.response.embeds[0].title == "📈 vi's progress"  # the command's own reply
    [notice] = stats.followups
    assert notice.ephemeral and notice.content.startswith("⚠️ I couldn't DM your study reminder")
    decks = await vi.slash(channel, "deck list")
    assert decks.response.embeds[0].title == "Decks" and decks.followups == []  # told once


TWO_CARD_DECK = """\
id: two-cards
title: Two class cards
version: 1
cards:
  - id: one
    front: First class card?
    back: one
  - id: two
    front: Second class card?
    back: two
"""


async def test_a_dm_review_rebuilt_after_a_restart_keeps_the_servers_decks(
    env, place, simcord_bot, reminders, new_bot
) -> None:

    service = simcord_bot.service
    guild, channel = place
    wes = guild.add_member(env.create_user("wes"))
    await wes.slash(channel, "remind set", time="06:00", timezone="UTC")
    user = await service.user_for_discord(wes.id, "wes")
    server = (await service.server_settings_for_guild(guild.id)).server_id
    await service.import_deck(server, TWO_CARD_DECK, "yaml")
    await service.set_user_preferences(user, new_per_day=0)
    ids = await deck_card_ids(simcord_bot, "two-cards")  # both due today, the first more overdue
    await make_due(simcord_bot, user, ids, env.now())
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 1
    clicked = await wes.user.click(wes.user.dm_channel.last_message, label="Start review")
    first = clicked.response
    assert first.content.startswith("2 to review")
    assert first.embeds[0].description == "First class card?"
    fresh = new_bot()
    await env.restart_bot(fresh)
    fresh.clock = env.now
    back = (await wes.user.click(first, label="Show answer")).response  # in the DM
    graded = (await wes.user.click(back, label="Good")).response
    assert graded.embeds[-1].description == "Second class card?"


async def test_the_discord_sink_delivers_or_says_why_not_and_its_caller_marks_it(
    env, place, simcord_bot, reminders
) -> None:
    """`DiscordSink.deliver`: sent, or paused with the reason; it marks nothing itself (the
    service's `deliver_due_reminders` does), so one service loop can drive any sink."""
    from bot.cogs.reminders import DM_CLOSED

    service = simcord_bot.service
    guild, channel = place
    ivy = guild.add_member(env.create_user("ivy"))
    await ivy.slash(channel, "remind set", time="06:00", timezone="UTC")
    user = await service.user_for_discord(ivy.id, "ivy")
    await advance_to(env, at("2026-01-01T06:00"))
    [due] = await service.reminders_due(discord_only=True)
    out = OutgoingReminder(**dataclasses.asdict(due), due_count=3)
    assert await reminders.sink.deliver(out) == Delivery.sent()
    assert ivy.user.dm_channel.last_message.content.startswith("⏰ Study time!")
    assert "3 items are waiting" in ivy.user.dm_channel.last_message.content
    assert [d.reminder_id for d in await service.reminders_due()] == [due.reminder_id]
    _close_dms(env, ivy.user)
    assert await reminders.sink.deliver(out) == Delivery.paused(DM_CLOSED)
    assert not (await service.reminder(user)).paused
    # a console user's reminder is not this sink's to deliver
    lou = await service.user_for_console("lou")
    await service.set_reminder(lou, "06:30", "UTC")
    await advance_to(env, at("2026-01-01T06:30"))
    [theirs] = await service.reminders_due(user_id=lou)
    with pytest.raises(ValueError):
        await reminders.sink.deliver(OutgoingReminder(**dataclasses.asdict(theirs)))


async def test_start_review_without_the_review_cog_gives_a_problem_then_says_offline(
    env, place, simcord_bot, reminders
) -> None:
    """The reminder's button starts whatever session a loaded cog offers (`bot.starters`):
    /review first, else a /quiz problem, else a calm message."""
    guild, channel = place
    hal = guild.add_member(env.create_user("hal"))
    await hal.slash(channel, "remind set", time="06:00", timezone="UTC")
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 1
    message = hal.user.dm_channel.last_message
    await simcord_bot.unload_extension("bot.cogs.review")
    assert "review" not in simcord_bot.starters
    problem = (await hal.user.click(message, label="Start review")).response
    assert problem.embeds and custom_ids(problem)[0].startswith("dq:")
    await simcord_bot.unload_extension("bot.cogs.quiz")
    offline = (await hal.user.click(message, label="Start review")).response
    assert offline.ephemeral and "Studying is offline" in offline.content
