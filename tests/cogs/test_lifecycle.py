"""The bot's life on Discord beyond one process (issue 14): a graceful stop that finishes the
answers in flight and turns new ones away, a log line per interaction, and shards."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import sympy as sp
from sqlalchemy import func, select

from bot.app import ShardedDerivBot
from bot.cogs.gate import STOPPING
from bot.config import Settings
from bot.db.engine import create_engine
from bot.db.models import ReviewLog


def _ids(message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


async def _quiz(member, channel, bot, **options):
    message = (await member.slash(channel, "quiz", **options)).response
    token = _ids(message)[0].split(":")[2]
    return message, await bot.service.problem_for(token)


async def _answer(member, message, text):
    shown = await member.click(message, label="Answer")
    return (await member.submit_modal(shown, {"answer": text})).response


async def test_a_stopping_bot_turns_new_interactions_away(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    message, _problem = await _quiz(ada, channel, simcord_bot, skill="power", level=1)
    simcord_bot.gate.open = False  # what stop_gracefully does first
    refused = await ada.slash(channel, "quiz", skill="power", level=1)
    assert refused.ephemeral and refused.response.content == STOPPING
    hint = await ada.click(message, label="Hint")
    assert hint.ephemeral and hint.response.content == STOPPING


async def test_an_answer_in_flight_is_graded_and_written_before_the_stop(
    env, place, simcord_bot, bot_settings: Settings
) -> None:
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    message, problem = await _quiz(bo, channel, simcord_bot, skill="sum", level=1)
    stopped: list[asyncio.Task[None]] = []
    submit = simcord_bot.service.submit_answer

    async def submit_while_stopping(*args, **kwargs):
        # SIGTERM arrives while this answer is being checked
        stopped.append(asyncio.create_task(simcord_bot.stop_gracefully(grace=30)))
        await asyncio.sleep(0.2)
        assert not simcord_bot.gate.open
        return await submit(*args, **kwargs)

    simcord_bot.service.submit_answer = submit_while_stopping
    reply = await _answer(bo, message, sp.sstr(problem.answer))
    assert reply.embeds[0].title == "✅ Correct!"  # the student heard back
    await asyncio.wait_for(stopped[0], 30)
    assert simcord_bot.is_closed()
    engine = create_engine(bot_settings.database_url)  # the bot's own engine is closed
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(ReviewLog)) == 1
    finally:
        await engine.dispose()


async def test_one_log_line_per_interaction_without_the_answer(
    env, place, simcord_bot, caplog: pytest.LogCaptureFixture
) -> None:
    guild, channel = place
    cy = guild.add_member(env.create_user("cy"))
    caplog.set_level(logging.INFO, logger="derivbot.interactions")
    message, _problem = await _quiz(cy, channel, simcord_bot, skill="power", level=1)
    await _answer(cy, message, "secret-answer-7x")
    lines = [r.getMessage() for r in caplog.records if r.name == "derivbot.interactions"]
    assert any(
        line.startswith("interaction command=quiz kind=application_command")
        and "outcome=ok" in line
        for line in lines
    ), lines
    assert any("kind=modal_submit" in line and "outcome=ok" in line for line in lines), lines
    assert all("latency_ms=" in line for line in lines)
    assert not any("secret-answer" in line for line in lines)
    # one line per interaction: the slash command, the Answer button, the answer box
    assert len(lines) == 3, lines


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        math_workers=2,
        math_timeout=5.0,
        shard_count=2,
        _env_file=None,
    )


async def test_a_sharded_bot_serves_servers_on_every_shard(env, simcord_bot) -> None:
    assert isinstance(simcord_bot, ShardedDerivBot)
    assert simcord_bot.shard_count == 2
    for shard in (0, 1):
        guild = env.create_guild(f"class {shard}", shard_id=shard)
        channel = guild.create_text_channel("study")
        student = guild.add_member(env.create_user(f"student{shard}"))
        message, problem = await _quiz(student, channel, simcord_bot, skill="sum", level=1)
        reply = await _answer(student, message, sp.sstr(problem.answer))
        assert reply.embeds[0].title == "✅ Correct!"
