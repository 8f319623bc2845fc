"""/quiz end to end on the real discord.py stack, offline."""

from __future__ import annotations

import sympy as sp


def _custom_ids(message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


async def test_quiz_round_with_a_right_answer(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    result = await ada.slash(channel, "quiz", skill="chain", level=1)
    assert result.acknowledged and not result.ephemeral  # the quiz itself is public
    message = result.response
    embed = message.embeds[0]
    assert embed.title == "Differentiate"
    assert "Differentiate f(x)" in embed.description  # plain text for screen readers
    assert any(a.filename == "problem.png" for a in message.attachments)
    ids = _custom_ids(message)
    assert [i.split(":")[1] for i in ids] == ["answer", "hint", "solution", "new"]
    token = ids[0].split(":")[2]
    problem = await simcord_bot.service.problem_for(token)
    shown = await ada.click(message, label="Answer")
    assert shown.modal is not None
    answered = await ada.submit_modal(shown, {"answer": sp.sstr(problem.answer)})
    reply = answered.response
    assert reply.ephemeral
    assert reply.embeds[0].title == "✅ Correct!"
    assert "I read your answer as" in reply.embeds[0].description
    assert any(a.filename == "steps.png" for a in reply.attachments)
    fields = {f.name: f.value for f in reply.embeds[0].fields}
    assert fields["Points"] == "+10" and "Next review" in fields
