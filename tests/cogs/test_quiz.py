"""/quiz end to end on the real discord.py stack, offline."""

from __future__ import annotations

import io
import re

import sympy as sp

from tests.cogs.helpers import custom_ids, spy_on_messages


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
    ids = custom_ids(message)
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


async def _quiz(member, channel, bot, **options):
    result = await member.slash(channel, "quiz", **options)
    message = result.response
    token = custom_ids(message)[0].split(":")[2]
    return message, token, await bot.service.problem_for(token)


async def _answer(member, message, text, label="Answer"):
    shown = await member.click(message, label=label)
    return (await member.submit_modal(shown, {"answer": text})).response


async def test_unusual_notation_is_accepted(env, place, simcord_bot) -> None:
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    message, _, problem = await _quiz(bo, channel, simcord_bot, skill="power", level=1)
    # the answer typed with unicode superscripts, a middle dot and a leading "f'(x) ="
    text = "f'(x) = " + sp.sstr(problem.answer).replace("**", "^").replace("*", "·")
    text = text.replace("^2", "²").replace("^3", "³")
    reply = await _answer(bo, message, text)
    assert reply.embeds[0].title == "✅ Correct!", reply.embeds[0].description


async def test_wrong_answer_names_the_mistake_then_retry(env, place, simcord_bot) -> None:
    guild, channel = place
    cy = guild.add_member(env.create_user("cy"))
    message, _, problem = await _quiz(cy, channel, simcord_bot, skill="chain", level=1)
    reply = await _answer(cy, message, sp.sstr(problem.function))
    embed = reply.embeds[0]
    assert embed.title == "❌ Not quite"
    assert "Mistake (not_differentiated)" in embed.description
    # the reading is rendered as a formula too, though no worked solution is shown yet
    assert [a.filename for a in reply.attachments] == ["steps.png"]
    assert embed.image.url == "attachment://steps.png"
    assert [c.split(":")[1] for c in custom_ids(reply)] == ["retry", "solution", "next"]
    again = await _answer(cy, reply, sp.sstr(problem.answer), label="Try again")
    assert again.embeds[0].title == "✅ Correct!"
    fields = {f.name: f.value for f in again.embeds[0].fields}
    assert fields["Points"] == "+7"  # correct after a retry: quality 3, 7 of the full 10


async def test_hint_and_solution(env, place, simcord_bot) -> None:
    guild, channel = place
    di = guild.add_member(env.create_user("di"))
    message, _, problem = await _quiz(di, channel, simcord_bot, skill="product", level=2)
    hint = await di.click(message, label="Hint")
    assert hint.ephemeral and hint.response.embeds[0].title == f"💡 Hint 1/{len(problem.hints)}"
    solution = await di.click(message, label="Solution")
    embed = solution.response.embeds[0]
    assert embed.title == "📖 Worked solution"
    assert any(a.filename == "steps.png" for a in solution.response.attachments)
    # answering after giving up counts for nothing
    late = await _answer(di, message, sp.sstr(problem.answer))
    assert "already graded" in late.embeds[0].description


async def test_three_hints_then_the_answer_is_credited_as_after_a_hint(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    gil = guild.add_member(env.create_user("gil"))
    message, _, problem = await _quiz(gil, channel, simcord_bot, skill="product", level=1)
    assert len(problem.hints) == 3
    shown = []
    for _ in range(3):
        await env.advance_time(2)
        hint = await gil.click(message, label="Hint")
        assert hint.ephemeral
        shown.append(hint.response.embeds[0])
        assert any(a.filename == "hint.png" for a in hint.response.attachments)
    assert [e.title for e in shown] == ["💡 Hint 1/3", "💡 Hint 2/3", "💡 Hint 3/3"]
    assert [e.description for e in shown] == [h.text for h in problem.hints]
    assert "hint 2/3" in shown[0].footer.text and "last hint" in shown[2].footer.text
    reply = await _answer(gil, message, sp.sstr(problem.answer))
    assert reply.embeds[0].title == "✅ Correct!"
    fields = {f.name: f.value for f in reply.embeds[0].fields}
    assert fields["Points"] == "+5"  # after a hint: half of an unaided first try's 10


async def test_buttons_work_after_a_restart(env, place, simcord_bot, new_bot) -> None:
    guild, channel = place
    ed = guild.add_member(env.create_user("ed"))
    message, _, problem = await _quiz(ed, channel, simcord_bot, skill="trig", level=1)
    fresh = new_bot()
    await env.restart_bot(fresh)
    fresh.clock = env.now
    reply = await _answer(ed, message, sp.sstr(problem.answer))
    assert reply.embeds[0].title == "✅ Correct!"


async def test_double_submit_grades_once(env, place, simcord_bot) -> None:
    from sqlalchemy import func, select

    from bot.db.models import ReviewLog

    guild, channel = place
    flo = guild.add_member(env.create_user("flo"))
    message, _, problem = await _quiz(flo, channel, simcord_bot, skill="sum", level=1)
    first = await _answer(flo, message, sp.sstr(problem.answer))
    second = await _answer(flo, message, sp.sstr(problem.answer))
    assert first.embeds[0].title == "✅ Correct!"
    assert "already graded" in second.embeds[0].description
    async with simcord_bot.service.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReviewLog)) == 1


async def test_hostile_answers_are_calm_and_ping_no_one(env, place, simcord_bot) -> None:
    guild, channel = place
    gil = guild.add_member(env.create_user("gil"))
    message, _, _ = await _quiz(gil, channel, simcord_bot, skill="power", level=1)
    payloads = ("@everyone", "__import__('os').system('ls')", "9^9^9", "<@123> `x`")
    for payload in (*payloads, "`", "x``y", "||", "*", "~~x~~"):
        await env.advance_time(10)  # a calm pace: the cooldown is not what this tests
        reply = await _answer(gil, message, payload)
        embed = reply.embeds[0]
        assert embed.title == "⚠️ I couldn't read that", payload
        assert reply.message.mentions == [] and not reply.message.mention_everyone
        assert "@everyone" not in (reply.content or "")
        # what the student typed stays inside inline code: nothing else is markdown
        outside_code = re.sub(r"`[^`]*`", "", embed.description)
        assert not re.search(r"(?<!\\)[`*_~|]", outside_code), (payload, embed.description)
    await env.advance_time(10)
    reply = await _answer(gil, message, "`")
    assert "I don't understand the character `ˋ` (at position 1)" in reply.embeds[0].description


async def test_someone_elses_problem_is_refused_politely(env, place, simcord_bot) -> None:
    guild, channel = place
    hal = guild.add_member(env.create_user("hal"))
    ivy = guild.add_member(env.create_user("ivy"))
    message, _, problem = await _quiz(hal, channel, simcord_bot, skill="power", level=1)
    pressed = await ivy.click(message, label="Answer")
    assert pressed.modal is None  # refused before typing a whole answer
    assert pressed.ephemeral and "someone else's" in pressed.response.content
    # the owner still answers, through the same button
    assert (await _answer(hal, message, sp.sstr(problem.answer))).embeds[0].title == "✅ Correct!"


async def test_flooding_new_problem_gets_a_friendly_wait(env, place, simcord_bot) -> None:
    guild, channel = place
    jan = guild.add_member(env.create_user("jan"))
    message, _, _ = await _quiz(jan, channel, simcord_bot, skill="power", level=1)
    clicks = [(await jan.click(message, label="New problem")).response for _ in range(40)]
    refused = [c for c in clicks if not c.embeds]
    assert 0 < len(refused) < 40 and all(c.ephemeral for c in refused)
    assert re.fullmatch(r"Easy there! .*; try again in [1-9][0-9]* s\.", refused[0].content)
    # one limit for every action: answers are refused too, until the minute has passed
    assert (await _answer(jan, message, "x")).content.startswith("Easy there!")
    await env.advance_time(60)
    assert (await _answer(jan, message, "x")).embeds


async def test_a_brisk_study_pace_is_never_refused(env, place, simcord_bot) -> None:
    guild, channel = place
    kai = guild.add_member(env.create_user("kai"))
    message, _, problem = await _quiz(kai, channel, simcord_bot, skill="power", level=1)
    for _ in range(12):  # a problem every 6 s: hint, an answer, the next problem
        await env.advance_time(2)
        assert (await kai.click(message, label="Hint")).response.embeds
        await env.advance_time(2)
        assert (await _answer(kai, message, sp.sstr(problem.answer))).embeds
        await env.advance_time(2)
        message = (await kai.click(message, label="New problem")).response
        assert message.embeds
        problem = await simcord_bot.service.problem_for(custom_ids(message)[0].split(":")[2])


async def test_unknown_skill_and_no_arguments(env, place, simcord_bot) -> None:
    guild, channel = place
    kit = guild.add_member(env.create_user("kit"))
    refused = await kit.slash(channel, "quiz", skill="nonsense")
    assert refused.ephemeral and "don't know the skill" in refused.response.content
    default = await kit.slash(channel, "quiz")
    assert default.response.embeds[0].fields[0].value == "power · level 1"
    choices = await kit.autocomplete(channel, "quiz", "skill", "trig")
    assert {c["value"] for c in choices} >= {"trig", "inverse_trig"}


async def test_wrong_answers_without_a_named_mistake_say_why(env, place, simcord_bot) -> None:
    guild, channel = place
    lu = guild.add_member(env.create_user("lu"))
    message, _, problem = await _quiz(lu, channel, simcord_bot, skill="at_point", level=1)
    rounded = f"{float(problem.answer) * 1.001 + 0.0001:.6f}"  # close, but a decimal
    reply = await _answer(lu, message, rounded)
    assert reply.embeds[0].title == "❌ Not quite"
    assert "I need the exact value" in reply.embeds[0].description
    still_x = await _answer(lu, reply, "x + 1", label="Try again")
    assert "A number is expected here" in still_x.embeds[0].description

    message, _, _ = await _quiz(lu, channel, simcord_bot, skill="trig", level=1)
    quotient = await _answer(lu, message, "(sin(x + 0.0000001) - sin(x))/0.0000001")
    assert "difference quotient" in quotient.embeds[0].description


async def test_a_failure_after_the_public_thinking_message_stays_private(
    env, place, simcord_bot, monkeypatch
) -> None:
    guild, channel = place
    mo = guild.add_member(env.create_user("mo"))
    classmate = guild.add_member(env.create_user("classmate"))

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(simcord_bot.service, "present", broken)
    result = await mo.slash(channel, "quiz", skill="power", level=1)
    told = [m for m in [result.response, *result.followups] if m and "went wrong" in m.content]
    assert len(told) == 1 and told[0].ephemeral
    assert re.search(r"\(ref `[0-9A-F]{6}`\)", told[0].content)
    seen = [m.content for m in channel.history(viewer=classmate)]
    assert not any("went wrong" in text or text == "…" for text in seen), seen
    assert ["database on fire" in str(e) for e in env.errors] == [True]  # and it was logged


async def _ink(message, filename: str) -> tuple[int, int, int]:
    """The colour a rendered formula image is drawn in (one colour, many opacities)."""
    from PIL import Image

    (attachment,) = [a for a in message.attachments if a.filename == filename]
    image = Image.open(io.BytesIO(await attachment.read()))
    return tuple(image.convert("RGBA").getpixel(_inked_pixel(image))[:3])


def _inked_pixel(image) -> tuple[int, int]:
    rgba = image.convert("RGBA")
    width, height = rgba.size
    return next(
        (x, y) for y in range(height) for x in range(width) if rgba.getpixel((x, y))[3] == 255
    )


async def test_light_theme_for_the_problem_hint_and_solution(env, place, simcord_bot) -> None:
    from bot.math.render import THEMES

    guild, channel = place
    nia = guild.add_member(env.create_user("nia"))
    await nia.slash(channel, "settings", theme="light")
    light = tuple(bytes.fromhex(THEMES["light"].text.lstrip("#")))
    message, _, _ = await _quiz(nia, channel, simcord_bot, skill="product", level=2)
    assert await _ink(message, "problem.png") == light
    hint = (await nia.click(message, label="Hint")).response
    assert await _ink(hint, "hint.png") == light
    solution = (await nia.click(message, label="Solution")).response
    assert await _ink(solution, "steps.png") == light


async def test_an_answer_box_open_across_a_restart_still_counts(
    env, place, simcord_bot, new_bot
) -> None:

    guild, channel = place
    oz = guild.add_member(env.create_user("oz"))
    message, _, problem = await _quiz(oz, channel, simcord_bot, skill="sum", level=1)
    box = await oz.click(message, label="Answer")  # typing while the bot restarts
    fresh = new_bot()
    await env.restart_bot(fresh)
    fresh.clock = env.now
    reply = (await oz.submit_modal(box, {"answer": sp.sstr(problem.answer)})).response
    assert reply.ephemeral and reply.embeds[0].title == "✅ Correct!"


async def test_a_locked_level_is_practice_and_says_so(env, place, simcord_bot) -> None:
    guild, channel = place
    ola = guild.add_member(env.create_user("ola"))
    message, _, problem = await _quiz(ola, channel, simcord_bot, skill="chain", level=3)
    assert "this level unlocks once you pass the level below" in message.embeds[0].footer.text
    reply = await _answer(ola, message, sp.sstr(problem.answer))
    embed = reply.embeds[0]
    assert embed.title == "✅ Correct!"
    assert "Points" not in {f.name for f in embed.fields}  # nothing scheduled, no points
    assert "Practice only: this level unlocks" in embed.footer.text


async def test_the_text_verdict_comes_before_the_worked_solution_image(
    env, place, simcord_bot, monkeypatch
) -> None:
    guild, channel = place
    eve = guild.add_member(env.create_user("eve"))
    message, _, problem = await _quiz(eve, channel, simcord_bot, skill="chain", level=1)
    events = spy_on_messages(monkeypatch)
    reply = await _answer(eve, message, sp.sstr(problem.answer))
    # the verdict goes out before anything is drawn, without pictures; the worked solution
    # is rendered afterwards and attached by editing that same message
    assert events[0] == ("send", ["✅ Correct!"], [])
    assert events[1][0] == "render"
    assert events[-1] == ("edit", ["✅ Correct!"], ["steps.png"])
    assert [e[0] for e in events].count("send") == 1
    assert reply.embeds[0].title == "✅ Correct!"
    assert reply.embeds[0].image.url == "attachment://steps.png"
    assert [a.filename for a in reply.attachments] == ["steps.png"]
    assert [c.split(":")[1] for c in custom_ids(reply)] == ["next"]


async def test_a_verdict_with_nothing_to_draw_is_sent_once(
    env, place, simcord_bot, monkeypatch
) -> None:
    guild, channel = place
    fay = guild.add_member(env.create_user("fay"))
    message, _, _ = await _quiz(fay, channel, simcord_bot, skill="power", level=1)
    events = spy_on_messages(monkeypatch)
    reply = await _answer(fay, message, "((((")  # unreadable: no reading, no solution
    assert [e[0] for e in events] == ["send"]
    assert reply.embeds[0].title != "✅ Correct!" and not reply.attachments
