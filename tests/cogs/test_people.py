"""Names and time zones that stay right, end to end (issue 12 §4): a server nickname survives a
button pressed in a DM, and a student has one time zone for their reminder and their study day.
"""

from __future__ import annotations

import datetime as dt

import sympy as sp

from bot.db.engine import transaction
from bot.db.models import ItemState
from bot.study.items import card_key
from tests.cogs.helpers import advance_to, at, deck_card_ids


async def _earn(bot, discord_id: int, guild_id: int, key: str) -> None:
    """A right answer in the server, through the service (which changes no name)."""
    service = bot.service
    user = await service.user_id_for_discord(discord_id)
    server = (await service.server_settings_for_guild(guild_id)).server_id
    shown = await service.present(user, key, server)
    outcome = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    assert outcome.status == "correct"


def _board(result) -> list[str]:
    return result.response.embeds[0].description.splitlines()


async def test_a_nickname_survives_a_button_pressed_in_a_dm(
    env, place, simcord_bot, reminders
) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    bo = guild.add_member(env.create_user("bo"), nick="Bo K.")
    # in the server Bo sets a reminder (the server learns his name) and earns points
    await bo.slash(channel, "remind set", time="06:00", timezone="UTC")
    await _earn(simcord_bot, bo.id, guild.id, "skill:power:1")
    assert _board(await ada.slash(channel, "leaderboard"))[0].startswith("🥇 Bo K. — ")

    # his reminder comes by DM, and he presses "Start review" there
    await advance_to(env, at("2026-01-01T06:00"))
    assert await reminders.send_due() == 1
    clicked = await bo.user.click(bo.user.dm_channel.last_message, label="Start review")
    assert clicked.response.embeds  # studying, in the DM
    board = _board(await ada.slash(channel, "leaderboard"))
    assert board[0].startswith("🥇 Bo K. — "), board  # not "bo"


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


async def _due_on(bot, user: int, card_id: int, day: dt.date) -> None:
    """A card learned earlier (SM-2, interval 1), due on `day` of the student's calendar."""
    async with transaction(bot.service.sessions) as session:
        session.add(
            ItemState(
                user_id=user,
                item_key=card_key(card_id),
                kind="card",
                card_id=card_id,
                scheduler="sm2",
                repetitions=1,
                interval=1,
                introduced_day=day - dt.timedelta(days=2),
                due_day=day,
                last_reviewed_at=at("2025-12-30T12:00"),
            )
        )


def _settings(result) -> dict[str, str]:
    return {f.name: f.value for f in result.response.embeds[0].fields}


async def test_a_reminders_zone_is_the_students_and_due_today_is_counted_by_it(
    env, place, simcord_bot, reminders
) -> None:
    service = simcord_bot.service
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    # 05:00 in Tokyo is 20:00 UTC the day before
    set_ = await bo.slash(channel, "remind set", time="05:00", timezone="Asia/Tokyo")
    assert "Your time zone is now **Asia/Tokyo** (it was UTC)" in set_.response.content
    shown = await bo.slash(channel, "settings")
    assert _settings(shown)["Time zone"] == "Asia/Tokyo"

    user = await service.user_id_for_discord(bo.id)
    server = (await service.server_settings_for_guild(guild.id)).server_id
    await service.import_deck(server, TWO_CARD_DECK, "yaml")
    await service.set_user_preferences(user, new_per_day=0)
    one, two = await deck_card_ids(simcord_bot, "two-cards")
    await _due_on(simcord_bot, user, one, dt.date(2026, 1, 1))
    await _due_on(simcord_bot, user, two, dt.date(2026, 1, 2))  # due on Tokyo's 2 January

    # 20:00 UTC on 1 January: in Tokyo it is 05:00 on the 2nd, past the 04:00 day start, so
    # both cards are due today (on UTC's day only the first would be)
    await advance_to(env, at("2026-01-01T19:59"))
    assert await reminders.send_due() == 0
    await advance_to(env, at("2026-01-01T20:00"))
    assert await reminders.send_due() == 1
    assert "2 items are waiting for you today" in bo.user.dm_channel.last_message.content


async def test_a_new_zone_in_settings_moves_the_reminder(env, place, simcord_bot) -> None:
    guild, channel = place
    cy = guild.add_member(env.create_user("cy"))
    first = await cy.slash(channel, "remind set", time="07:00", timezone="UTC")
    assert "Your time zone is now" not in first.response.content  # it already was UTC
    saved = await cy.slash(channel, "settings", timezone="Asia/Tokyo")
    assert "Your daily reminder follows: 07:00 (Asia/Tokyo)." in saved.response.content
    assert _settings(saved)["Time zone"] == "Asia/Tokyo"
    shown = (await cy.slash(channel, "remind show")).response.content
    assert "**07:00** (Asia/Tokyo)" in shown
    info = await simcord_bot.service.reminder(await simcord_bot.service.user_id_for_discord(cy.id))
    assert info.next_fire_at == at("2026-01-01T22:00")  # 07:00 on 2 January in Tokyo


async def test_a_reminder_without_a_zone_uses_the_students(env, place) -> None:
    guild, channel = place
    di = guild.add_member(env.create_user("di"))
    await di.slash(channel, "settings", timezone="Europe/Berlin")
    set_ = await di.slash(channel, "remind set", time="07:30")
    assert "**07:30** (Europe/Berlin)" in set_.response.content
    assert "Your time zone is now" not in set_.response.content
