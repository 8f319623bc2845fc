"""A NUL or a lone surrogate typed on Discord gets the normal reply, on every database backend.

PostgreSQL refused the NUL (`DBAPIError`) and every driver the surrogate (`UnicodeEncodeError`),
so the student saw "something went wrong". Here the bot runs on each configured backend.
"""

from __future__ import annotations

import pytest
import sympy as sp
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import QuizAttempt, Server, User

from .test_quiz import _answer, _quiz


@pytest.fixture
def bot_settings(db_url: str) -> Settings:
    """As in conftest, but on `db_url`: SQLite, and PostgreSQL when configured."""
    return Settings(database_url=db_url, math_workers=2, math_timeout=5.0, _env_file=None)


async def _attempts(bot, token: str) -> list[tuple[str, str]]:
    async with bot.service.sessions() as session:
        rows = await session.execute(
            select(QuizAttempt.answer_text, QuizAttempt.verdict)
            .where(QuizAttempt.presentation_token == token)
            .order_by(QuizAttempt.id)
        )
        return [tuple(row) for row in rows]


async def test_an_answer_with_a_nul_gets_a_normal_reply(env, place, simcord_bot) -> None:
    guild, channel = place
    ana = guild.add_member(env.create_user("ana"))
    message, token, problem = await _quiz(ana, channel, simcord_bot, skill="power", level=1)
    right = sp.sstr(problem.answer)
    reply = await _answer(ana, message, right + "\x00")
    assert reply.embeds[0].title == "✅ Correct!", reply.content
    assert await _attempts(simcord_bot, token) == [(right, "correct")]


async def test_an_answer_with_a_lone_surrogate_says_it_could_not_be_read(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    ben = guild.add_member(env.create_user("ben"))
    message, token, problem = await _quiz(ben, channel, simcord_bot, skill="power", level=1)
    right = sp.sstr(problem.answer)
    reply = await _answer(ben, message, right + "\ud800")
    embed = reply.embeds[0]
    assert embed.title == "⚠️ I couldn't read that", reply.content
    assert "could not be read as text" in embed.description
    assert f"You typed `{right}\ufffd`" in embed.description  # what was read, and stored
    assert await _attempts(simcord_bot, token) == [(right + "\ufffd", "invalid")]
    again = await _answer(ben, reply, right, label="Try again")
    assert again.embeds[0].title == "✅ Correct!"


async def test_names_with_a_nul_are_stored_cleaned(env, simcord_bot) -> None:
    guild = env.create_guild("Calculus\x00 class")
    channel = guild.create_text_channel("study")
    cat = guild.add_member(env.create_user("cat\x00"))
    result = await cat.slash(channel, "quiz", skill="sum", level=1)
    assert result.response.embeds[0].title == "Differentiate"
    async with simcord_bot.service.sessions() as session:
        assert list(await session.scalars(select(User.display_name))) == ["cat"]
        assert list(await session.scalars(select(Server.name))) == ["Calculus class"]
