"""/quiz with problems of several variables, offline on the real discord.py stack: a gradient
answered as a vector; a backprop problem answered part by part, a wrong part's feedback (and
its right value) shown before the next part is asked, the graph drawn with the problem and,
solved, with the solution."""

from __future__ import annotations

import sympy as sp

from tests.cogs.helpers import custom_ids


def _actions(message) -> list[str]:
    return [c.split(":")[1] for c in custom_ids(message)]


async def _quiz(member, channel, bot, **options):
    result = await member.slash(channel, "quiz", **options)
    message = result.response
    token = custom_ids(message)[0].split(":")[2]
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


async def _due_problem(env, bot, user: int, skill: str, level: int) -> str:
    """A skill level learned earlier and due for review now (SM-2, interval 1)."""
    import datetime as dt

    from bot.db.engine import transaction
    from bot.db.models import ItemState
    from bot.study.items import skill_key

    now = env.now()
    key = skill_key(skill, level)
    async with transaction(bot.service.sessions) as session:
        session.add(
            ItemState(
                user_id=user,
                item_key=key,
                kind="skill",
                skill=skill,
                level=level,
                scheduler="sm2",
                repetitions=1,
                interval=1,
                introduced_day=now.date() - dt.timedelta(days=3),
                due_day=now.date() - dt.timedelta(days=1),
                last_reviewed_at=now - dt.timedelta(days=2),
            )
        )
    return key


async def test_review_backprop_part_by_part_then_stats(env, place, simcord_bot) -> None:
    guild, channel = place
    rui = guild.add_member(env.create_user("rui"))
    user = await simcord_bot.service.user_for_discord(rui.id, "rui")
    await simcord_bot.service.set_user_preferences(user, new_per_day=0)
    await _due_problem(env, simcord_bot, user, "backprop", 1)
    shown = (await rui.slash(channel, "review")).response
    assert shown.embeds[0].title == "Backpropagate"
    assert "Part 1 of 5" in shown.embeds[0].description
    assert any(a.filename == "graph.png" for a in shown.attachments)
    token = custom_ids(shown)[0].split(":")[2]
    problem = await simcord_bot.service.problem_for(token)
    reply = shown
    for k, part in enumerate(problem.parts):
        text = sp.sstr(part.answer + 1) if k == 0 else sp.sstr(part.answer)
        reply = await _answer(rui, reply, text)
        if k == 0:  # the wrong first part: its verdict, then part 2, answered next
            assert reply.embeds[0].title == "❌ Not quite"
            assert f"The right value: {sp.sstr(part.answer)}" in reply.embeds[0].description
            assert "Next, part 2 of 5" in reply.embeds[0].description
        if k < len(problem.parts) - 1:
            assert _actions(reply) == ["answer", "solution"]
    assert [e.title for e in reply.embeds] == ["❌ Not quite", "The computation graph"]
    assert "Again later in this session" in reply.content  # a wrong part: re-drilled
    assert _actions(reply) == ["next"]
    stats = await rui.slash(channel, "stats")
    assert stats.acknowledged and stats.response.attachments  # the dashboard
    progress = await simcord_bot.service.stats(user)
    assert progress.accuracy_per_skill["backprop"] == (0, 1)  # finished, not at the first try
