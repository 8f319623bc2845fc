"""Pruned presentations on Discord: their buttons and answer boxes say, privately and calmly,
that the problem has expired; never "something went wrong"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.db.models import Presentation


def _custom_ids(message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


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
