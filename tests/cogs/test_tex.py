"""/tex and the tangent picture on Discord (issue 12 §5), end to end on simcord."""

from __future__ import annotations

import datetime as dt

import sympy as sp

from bot.db.engine import transaction
from bot.db.models import ItemState
from bot.math.usertex import MAX_FORMULA_CHARS
from tests.cogs.helpers import custom_ids


def _files(message) -> list[str]:
    return [a.filename for a in message.attachments]


async def _quiz(member, channel, bot, **options):
    message = (await member.slash(channel, "quiz", **options)).response
    token = custom_ids(message)[0].split(":")[2]
    return message, await bot.service.problem_for(token)


# --- the tangent picture ------------------------------------------------------------------------


async def test_a_tangent_problems_solution_carries_the_tangent_picture(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    message, problem = await _quiz(ada, channel, simcord_bot, skill="tangent_line", level=1)
    solution = (await ada.click(message, label="Solution")).response
    assert solution.ephemeral
    assert _files(solution) == ["steps.png", "tangent.png"]
    steps, picture = solution.embeds
    assert steps.title == "📖 Worked solution" and steps.image.url == "attachment://steps.png"
    assert picture.image.url == "attachment://tangent.png"
    assert picture.title == f"The tangent at {problem.var} = {problem.point}"
    assert "slope of the tangent" in picture.description
    png = await solution.attachments[1].read()
    assert png.startswith(b"\x89PNG")


async def test_a_value_at_a_point_shows_the_tangent_once_solved(env, place, simcord_bot) -> None:
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    message, problem = await _quiz(bo, channel, simcord_bot, skill="at_point", level=1)
    shown = await bo.click(message, label="Answer")
    right = (await bo.submit_modal(shown, {"answer": sp.sstr(problem.answer)})).response
    assert right.embeds[0].title == "✅ Correct!"
    assert "tangent.png" in _files(right)


async def test_other_problems_show_no_tangent(env, place, simcord_bot) -> None:
    guild, channel = place
    cy = guild.add_member(env.create_user("cy"))
    message, _ = await _quiz(cy, channel, simcord_bot, skill="chain", level=1)
    solution = (await cy.click(message, label="Solution")).response
    assert _files(solution) == ["steps.png"] and len(solution.embeds) == 1


# --- /tex ---------------------------------------------------------------------------------------


async def test_tex_draws_a_formula_for_the_channel(env, place) -> None:
    guild, channel = place
    di = guild.add_member(env.create_user("di"), nick="Di")
    result = await di.slash(channel, "tex", formula=r"\frac{d}{dx} \sin x = \cos x")
    assert result.acknowledged and not result.ephemeral  # for everyone to discuss
    message = result.response
    assert _files(message) == ["formula.png"]
    assert (await message.attachments[0].read()).startswith(b"\x89PNG")
    embed = message.embeds[0]
    assert embed.image.url == "attachment://formula.png"
    assert embed.author.name == "Di"
    assert embed.description == r"`\frac{d}{dx} \sin x = \cos x`"


async def test_tex_pings_no_one(env, place) -> None:
    guild, channel = place
    ed = guild.add_member(env.create_user("ed"))
    result = await ed.slash(channel, "tex", formula=r"x^2 @everyone <@&123> @here")
    message = result.response.message
    assert _files(result.response) == ["formula.png"]
    assert message.mentions == [] and message.role_mentions == []
    assert not message.mention_everyone
    assert "@everyone" not in (message.content or "")


async def test_tex_refuses_an_over_long_formula_privately(env, place) -> None:
    guild, channel = place
    fi = guild.add_member(env.create_user("fi"))
    result = await fi.slash(channel, "tex", formula="x+" * MAX_FORMULA_CHARS)
    assert result.ephemeral and not result.response.attachments
    assert result.response.content.startswith("I couldn't draw that formula: it is 800 characters")
    assert f"the limit is {MAX_FORMULA_CHARS}" in result.response.content
    assert channel.last_message is None  # nothing was posted for the channel


async def test_tex_refuses_what_is_not_math(env, place) -> None:
    guild, channel = place
    gus = guild.add_member(env.create_user("gus"))
    for formula, why in [
        (r"\input{/etc/passwd}", "`\\input` is not something I draw"),
        (r"\def\x{\x}\x", "`\\def` is not something I draw"),
        ("{" * 30 + "x" + "}" * 30, "nests more than"),
        (r"\frac{1}{2", "is never closed"),
    ]:
        await env.advance_time(5)
        result = await gus.slash(channel, "tex", formula=formula)
        assert result.ephemeral and not result.response.attachments, formula
        assert why in result.response.content, result.response.content


async def test_tex_says_privately_when_the_renderer_cannot_draw_it(env, place) -> None:
    guild, channel = place
    hal = guild.add_member(env.create_user("hal"))
    result = await hal.slash(channel, "tex", formula=r"\notacommand{x} + 1")
    # the thinking message was public: the refusal is private, and nothing is left in public
    said = [m for m in [result.response, *result.followups] if m is not None]
    assert said and all(m.ephemeral for m in said)
    assert "Unknown symbol" in said[-1].content
    assert not any(m.attachments for m in said)


async def test_tex_is_rate_limited_like_every_command(env, place, simcord_bot) -> None:
    guild, channel = place
    ivy = guild.add_member(env.create_user("ivy"))
    simcord_bot.limiter.limit = 2
    for _ in range(2):
        drawn = await ivy.slash(channel, "tex", formula="x^2")
        assert _files(drawn.response) == ["formula.png"]
    refused = await ivy.slash(channel, "tex", formula="x^2")
    assert refused.ephemeral and refused.response.content.startswith("Easy there!")


async def test_a_tangent_problem_in_review_shows_the_picture_with_its_solution(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    jo = guild.add_member(env.create_user("jo"))
    service = simcord_bot.service
    user = await service.user_for_discord(jo.id, "jo")
    await service.set_user_preferences(user, new_per_day=0)
    today = env.now().date()
    async with transaction(service.sessions) as session:
        session.add(
            ItemState(
                user_id=user,
                item_key="skill:tangent_line:1",
                kind="skill",
                skill="tangent_line",
                level=1,
                scheduler="sm2",
                repetitions=1,
                interval=1,
                introduced_day=today - dt.timedelta(days=3),
                due_day=today - dt.timedelta(days=1),
                last_reviewed_at=env.now() - dt.timedelta(days=2),
            )
        )
    shown = (await jo.slash(channel, "review")).response
    assert "tangent line" in shown.embeds[0].description
    revealed = (await jo.click(shown, label="Solution")).response
    assert _files(revealed) == ["steps.png", "tangent.png"]
    assert revealed.embeds[1].image.url == "attachment://tangent.png"


async def test_tex_runs_in_the_pool_within_its_time_limit(
    env, place, simcord_bot, monkeypatch
) -> None:
    """A formula that runs past the limit is told privately; nothing is posted for the channel."""
    from bot.cogs.tex import TEX_TIMEOUT
    from bot.math.workers import WorkTimeout

    asked = []

    async def slow(fn, *args, timeout=None, **kwargs):
        asked.append((fn.__name__, timeout))
        raise WorkTimeout("too slow")

    monkeypatch.setattr(simcord_bot.pool, "arun", slow)
    guild, channel = place
    kim = guild.add_member(env.create_user("kim"))
    result = await kim.slash(channel, "tex", formula=r"\sum_{n=1}^{\infty} \frac{1}{n^2}")
    assert asked == [("render_formula", TEX_TIMEOUT)]
    said = [m for m in [result.response, *result.followups] if m is not None]
    assert said and all(m.ephemeral for m in said)
    assert "it took too long to draw" in said[-1].content
    assert channel.last_message is None or not channel.last_message.attachments
