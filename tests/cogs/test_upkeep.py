"""Pruned presentations on Discord: their buttons and answer boxes say, privately and calmly,
that the problem has expired; never "something went wrong"."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from bot.config import Settings
from bot.db.models import Presentation
from tests.cogs.helpers import custom_ids


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    """The upkeep loop on, every 3 minutes of the virtual clock. (Not shorter: simcord lets a
    sleep that ends within its settle timeout run on the real clock.)"""
    return bot_settings.model_copy(update={"upkeep_hours": 0.05})


async def _presentations(bot) -> int:
    async with bot.service.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Presentation)))


async def test_buttons_of_a_pruned_problem_say_it_expired(env, place, simcord_bot) -> None:
    upkeep = simcord_bot.get_cog("Upkeep")
    assert upkeep is not None  # loaded like every cog, its hourly loop started
    upkeep.upkeep_loop.cancel()
    await env.settle()
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    message = (await ada.slash(channel, "quiz", skill="chain", level=1)).response
    assert await _presentations(simcord_bot) == 1
    assert await upkeep.run_once() == 0  # a fresh problem is kept by the hourly pass
    await env.advance_time(2)
    zero = dt.timedelta(0)
    pruned = await simcord_bot.service.prune_presentations(answered_keep=zero, unanswered_keep=zero)
    assert pruned.presentations == 1

    for label in ("Hint", "Solution"):
        reply = await ada.click(message, label=label)
        assert reply.ephemeral
        assert "This problem has expired" in reply.response.content
        assert "went wrong" not in reply.response.content
        await env.advance_time(10)
    shown = await ada.click(message, label="Answer")  # the box still opens (no database)...
    answered = (await ada.submit_modal(shown, {"answer": "2*x"})).response
    assert answered.ephemeral  # ...and what was typed gets the same calm answer
    assert "This problem has expired" in answered.content
    assert "went wrong" not in answered.content


async def test_the_upkeep_loop_prunes_what_expired(env, place, simcord_bot) -> None:
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    old = (await bo.slash(channel, "quiz", skill="power", level=1)).response
    await env.advance_time(10)
    fresh = (await bo.slash(channel, "quiz", skill="sum", level=1)).response
    async with simcord_bot.service.sessions() as session, session.begin():
        token = custom_ids(old)[0].split(":")[2]
        await session.execute(  # shown fifteen days ago and never answered
            update(Presentation)
            .where(Presentation.token == token)
            .values(created_at=env.now() - dt.timedelta(days=15))
        )
    await env.advance_time(200)  # one pass of the loop
    assert await _presentations(simcord_bot) == 1
    reply = await bo.click(old, label="Hint")
    assert "This problem has expired" in reply.response.content
    await env.advance_time(10)
    hint = await bo.click(fresh, label="Hint")  # the fresh one is untouched
    assert hint.response.embeds[0].title.startswith("💡 Hint 1/")
