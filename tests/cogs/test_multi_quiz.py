"""/quiz with problems of several variables, offline on the real discord.py stack: a gradient
answered as a vector; a backprop problem answered part by part, a wrong part's feedback (and
its right value) shown before the next part is asked, the graph drawn with the problem and,
solved, with the solution."""

from __future__ import annotations

import sympy as sp


def _custom_ids(message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


def _actions(message) -> list[str]:
    return [c.split(":")[1] for c in _custom_ids(message)]


async def _quiz(member, channel, bot, **options):
    result = await member.slash(channel, "quiz", **options)
    message = result.response
    token = _custom_ids(message)[0].split(":")[2]
    return message, await bot.service.problem_for(token)


async def _answer(member, message, text, label="Answer"):
    shown = await member.click(message, label=label)
    return (await member.submit_modal(shown, {"answer": text})).response


async def test_a_gradient_is_answered_as_a_vector(env, place, simcord_bot) -> None:
    guild, channel = place
    gus = guild.add_member(env.create_user("gus"))
    message, problem = await _quiz(gus, channel, simcord_bot, skill="gradient", level=1)
    assert message.embeds[0].title == "Find the gradient"
    assert "∇f" in message.embeds[0].description
    fx, fy = problem.answer
    wrong = await _answer(gus, message, f"({sp.sstr(fy)}, {sp.sstr(fx)})")
    assert wrong.embeds[0].title == "❌ Not quite"
    assert "Mistake (wrong_variable)" in wrong.embeds[0].description  # swapped components
    right = await _answer(gus, wrong, f"∇f = ({sp.sstr(fx)}, {sp.sstr(fy)})", label="Try again")
    assert right.embeds[0].title == "✅ Correct!"
    assert "I read your answer as `(" in right.embeds[0].description


async def test_backprop_part_by_part(env, place, simcord_bot) -> None:
    guild, channel = place
    bea = guild.add_member(env.create_user("bea"))
    message, problem = await _quiz(bea, channel, simcord_bot, skill="backprop", level=2)
    embed = message.embeds[0]
    assert embed.title == "Backpropagate"
    parts = problem.parts
    assert f"Part 1 of {len(parts)}: {parts[0].prompt}" in embed.description
    assert any(a.filename == "problem.png" for a in message.attachments)  # the graph to fill
    reply = await _answer(bea, message, sp.sstr(parts[0].answer))
    assert reply.embeds[0].title == "✅ Correct!"
    assert f"Next, part 2 of {len(parts)}: {parts[1].prompt}" in reply.embeds[0].description
    assert _actions(reply) == ["answer", "solution"]
    # a wrong part: its feedback and right value first, then the next part
    wrong = await _answer(bea, reply, sp.sstr(parts[1].answer + 3))
    text = wrong.embeds[0].description
    assert wrong.embeds[0].title == "❌ Not quite"
    assert f"The right value: {sp.sstr(parts[1].answer)}" in text
    assert text.index("The right value") < text.index("Next, part 3")
    assert _actions(wrong) == ["answer", "solution"]
    last = wrong
    for part in parts[2:]:
        last = await _answer(bea, last, sp.sstr(part.answer))
    final = last.embeds[0]
    assert f"Part {len(parts)} of {len(parts)}." in final.description
    assert "Next, part" not in final.description
    assert _actions(last) == ["next"]
    # the whole had a wrong part: the solution comes, with the solved graph
    assert any(e.title == "The computation graph" for e in last.embeds)
    assert any(a.filename == "graph.png" for a in last.attachments)
