"""/stats, /leaderboard and /privacy end to end on the real discord.py stack, offline."""

from __future__ import annotations

import discord
import pytest
import sympy as sp
from sqlalchemy import select

from bot.db.models import ItemState, Server, User
from bot.math.workers import WorkTimeout
from bot.study.items import parse_key


async def _earn(bot, member, guild, key: str = "skill:power:1") -> int:
    """One correct review of `key` by `member` in `guild`, through the service."""
    service = bot.service
    user = await service.user_for_discord(member.id, member.name)
    server = await service.join_server(user, guild.id, guild.name)
    item = parse_key(key)
    if item.level and item.level > 1:  # as if the level below had been passed: unlocked
        async with service.sessions() as session, session.begin():
            session.add(
                ItemState(
                    user_id=user,
                    item_key=key,
                    kind="skill",
                    skill=item.skill,
                    level=item.level,
                    scheduler="sm2",
                    unlocked=True,
                )
            )
    shown = await service.present(user, key, server)
    outcome = await service.submit_answer(shown.token, sp.sstr(shown.problem.answer))
    assert outcome.status == "correct"
    return outcome.points


def _files(result) -> list[str]:
    return [a.filename for a in result.response.attachments]


def _fields(embed) -> dict[str, str]:
    return {f.name: f.value for f in embed.fields}


# --- /stats ------------------------------------------------------------------------------------


async def test_stats_image_for_a_user_with_reviews(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    await _earn(simcord_bot, ada, guild, "skill:power:1")
    await _earn(simcord_bot, ada, guild, "skill:chain:1")
    result = await ada.slash(channel, "stats")
    assert result.acknowledged and result.ephemeral  # personal by default
    assert _files(result) == ["stats.png"]
    embed = result.response.embeds[0]
    assert embed.title == "📈 ada's progress"
    assert embed.image.url == "attachment://stats.png"
    assert "**2** reviews" in embed.description
    assert _fields(embed)["Accuracy"] == "100% (2/2)"


async def test_stats_for_a_brand_new_user(env, place) -> None:
    guild, channel = place
    newbie = guild.add_member(env.create_user("newbie"))
    result = await newbie.slash(channel, "stats")
    assert result.ephemeral and _files(result) == ["stats.png"]
    embed = result.response.embeds[0]
    assert "Nothing reviewed yet" in embed.description
    assert _fields(embed)["Accuracy"] == "—"


async def test_stats_of_another_member_and_sharing(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    bo = guild.add_member(env.create_user("bo"))
    await _earn(simcord_bot, ada, guild)
    await ada.slash(channel, "privacy", stats="on")  # others see a member's stats only so
    peek = await bo.slash(channel, "stats", member=ada)
    assert peek.ephemeral and peek.response.embeds[0].title == "📈 ada's progress"
    assert "**1** reviews" in peek.response.embeds[0].description
    shared = await ada.slash(channel, "stats", share=True)
    assert not shared.ephemeral and _files(shared) == ["stats.png"]
    assert shared.response.embeds[0].footer.text is None  # no "only you can see this"


def _said(result) -> list:
    """Every message an interaction left (the first response and the followups)."""
    return [m for m in [result.response, *result.followups] if m is not None]


def _public_progress(channel, viewer) -> list[str]:
    """Titles of the progress embeds `viewer` can read in `channel`."""
    return [
        e.title for m in channel.history(viewer=viewer) for e in m.embeds if "progress" in e.title
    ]


async def _discord_users(bot) -> set[int]:
    async with bot.service.sessions() as session:
        return set(await session.scalars(select(User.discord_id)))


@pytest.fixture
def teacher(env, place, simcord_bot):
    """A member with the server's teacher role (and no permissions)."""
    guild, _ = place
    role = guild.create_role("Teachers")
    member = guild.add_member(env.create_user("tea"), roles=[role])

    async def configure() -> None:
        service = simcord_bot.service
        user = await service.user_for_discord(member.id, member.name)
        server = await service.join_server(user, guild.id, guild.name)
        await service.update_server_settings(server, teacher_role_id=role.id)

    return member, configure


async def test_a_members_stats_are_private_by_default(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    bo = guild.add_member(env.create_user("bo"))
    await _earn(simcord_bot, ada, guild)
    peek = await bo.slash(channel, "stats", member=ada)
    assert peek.ephemeral and not peek.response.embeds and not peek.response.attachments
    assert "ada" in peek.response.content and "private" in peek.response.content
    posted = await bo.slash(channel, "stats", member=ada, share=True)
    said = _said(posted)
    assert [m.ephemeral for m in said] == [True] and "private" in said[0].content
    assert not any(m.embeds for m in said)
    assert _public_progress(channel, ada) == []  # nothing of ada's reached the channel
    mine = await ada.slash(channel, "stats", share=True)  # her own: hers to post
    assert not mine.ephemeral and mine.response.embeds[0].title == "📈 ada's progress"


async def test_looking_up_someone_who_never_studied_creates_nothing(
    env, place, simcord_bot, teacher
) -> None:
    guild, channel = place
    bo = guild.add_member(env.create_user("bo"))
    cy = guild.add_member(env.create_user("cy"))  # in the server, never used the bot
    tea, make_teacher = teacher
    await make_teacher()
    refused = await bo.slash(channel, "stats", member=cy)
    assert refused.ephemeral and "private" in refused.response.content
    told = await tea.slash(channel, "stats", member=cy)
    assert told.ephemeral and told.response.content == "cy hasn't studied here yet."
    assert cy.id not in await _discord_users(simcord_bot)
    assert await simcord_bot.service.user_id_for_discord(cy.id) is None


async def test_a_member_who_shares_can_be_seen_and_posted(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    bo = guild.add_member(env.create_user("bo"))
    await _earn(simcord_bot, ada, guild)
    shared = await ada.slash(channel, "privacy", stats="on")
    assert shared.ephemeral and "can see your stats" in shared.response.content.lower()
    peek = await bo.slash(channel, "stats", member=ada)
    assert peek.ephemeral and peek.response.embeds[0].title == "📈 ada's progress"
    posted = await bo.slash(channel, "stats", member=ada, share=True)
    assert not posted.ephemeral and _files(posted) == ["stats.png"]
    assert _public_progress(channel, ada) == ["📈 ada's progress"]
    await ada.slash(channel, "privacy", stats="off")
    again = await bo.slash(channel, "stats", member=ada)
    assert again.ephemeral and not again.response.embeds and "private" in again.response.content


async def test_teachers_see_members_stats_privately(env, place, simcord_bot, teacher) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    tea, make_teacher = teacher
    await make_teacher()
    await _earn(simcord_bot, ada, guild)
    for viewer in (tea, admin):
        seen = await viewer.slash(channel, "stats", member=ada)
        assert seen.ephemeral and seen.response.embeds[0].title == "📈 ada's progress"
        assert "**1** reviews" in seen.response.embeds[0].description
        posted = await viewer.slash(channel, "stats", member=ada, share=True)
        said = _said(posted)
        assert [m.ephemeral for m in said] == [True] and not said[0].embeds
        assert "ada" in said[0].content and "share" in said[0].content
    assert _public_progress(channel, ada) == []


async def test_a_leaderboard_opt_out_is_not_undone_by_stats(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    bo = guild.add_member(env.create_user("bo"))
    await _earn(simcord_bot, ada, guild)
    await ada.slash(channel, "privacy", leaderboard="off")
    posted = await bo.slash(channel, "stats", member=ada, share=True)
    said = _said(posted)
    assert [m.ephemeral for m in said] == [True] and not said[0].embeds
    assert _public_progress(channel, bo) == []
    assert "ada" not in (await bo.slash(channel, "leaderboard")).response.embeds[0].description


async def test_privacy_without_options_shows_both_settings(env, place) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    shown = await ada.slash(channel, "privacy")
    assert shown.ephemeral
    text = shown.response.content.lower()
    assert "on this server's leaderboard" in text
    assert "only you (and teachers) see your stats" in text
    both = await ada.slash(channel, "privacy", leaderboard="off", stats="on")
    text = both.response.content.lower()
    assert "hidden from this server's leaderboard" in text
    assert "members of this server can see your stats" in text


async def test_stats_of_a_bot_or_a_stranger_is_refused(env, place) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    robot = guild.add_member(env.create_user("robot", bot=True))
    refused = await ada.slash(channel, "stats", member=robot)
    assert refused.ephemeral and "Bots don't study" in refused.response.content
    stranger = env.create_user("stranger")  # in no server with ada
    refused = await ada.slash(channel, "stats", member=stranger)
    assert refused.ephemeral and "members of this server only" in refused.response.content


async def test_stats_in_direct_messages(env) -> None:
    eve = env.create_user("eve")
    result = await eve.slash("stats")
    assert result.ephemeral and _files(result) == ["stats.png"]
    assert "leaderboard" not in eve.available_commands()  # guild-only


async def test_stats_falls_back_to_text_when_the_chart_fails(
    env, place, simcord_bot, monkeypatch
) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    await _earn(simcord_bot, ada, guild)
    pool = simcord_bot.pool
    real = pool.arun

    async def no_charts(fn, *args, **kwargs):
        if fn.__module__ == "bot.math.charts":
            raise WorkTimeout("stats_png exceeded its 10s time limit")
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(pool, "arun", no_charts)
    result = await ada.slash(channel, "stats")
    assert result.response.attachments == []
    fields = _fields(result.response.embeds[0])
    assert fields["Per skill"] == "power: 1/1"
    assert fields["Reviews, last 7 days"].endswith("· 1")


# --- /leaderboard ------------------------------------------------------------------------------


async def test_leaderboard_lists_names_and_the_callers_rank(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    bo = guild.add_member(env.create_user("bo"))
    await _earn(simcord_bot, ada, guild, "skill:power:2")  # 20 points
    await _earn(simcord_bot, bo, guild, "skill:power:1")  # 10 points
    result = await bo.slash(channel, "leaderboard")
    assert result.ephemeral and _files(result) == ["leaderboard.png"]
    embed = result.response.embeds[0]
    assert embed.title == "🏆 Leaderboard · last 7 days"
    assert embed.description.splitlines() == ["🥇 ada — 20 pts", "**🥈 bo — 10 pts** ← you"]
    assert _fields(embed)["You"] == "#2 with 10 pts"
    assert embed.image.url == "attachment://leaderboard.png"
    all_time = await bo.slash(channel, "leaderboard", period="all", share=True)
    assert not all_time.ephemeral and all_time.response.embeds[0].title.endswith("all time")


async def test_leaderboards_of_two_servers_never_mix(env, simcord_bot) -> None:
    class_a = env.create_guild("Class A")
    class_b = env.create_guild("Class B")
    room_a = class_a.create_text_channel("study")
    room_b = class_b.create_text_channel("study")
    ada_user = env.create_user("ada")
    ada_a, ada_b = class_a.add_member(ada_user), class_b.add_member(ada_user)
    bo = class_a.add_member(env.create_user("bo"))
    cy = class_b.add_member(env.create_user("cy"))
    await _earn(simcord_bot, bo, class_a)
    await _earn(simcord_bot, ada_b, class_b, "skill:power:3")  # 30 points, earned in B
    await _earn(simcord_bot, cy, class_b)

    in_a = (await ada_a.slash(room_a, "leaderboard")).response.embeds[0]
    assert in_a.description == "🥇 bo — 10 pts"  # ada's points from B are not A's
    assert _fields(in_a)["You"].startswith("Not on this board")
    in_b = (await ada_b.slash(room_b, "leaderboard")).response.embeds[0]
    assert in_b.description.splitlines() == ["**🥇 ada — 30 pts** ← you", "🥈 cy — 10 pts"]


async def test_opted_out_members_are_hidden(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    di = guild.add_member(env.create_user("di"))
    await _earn(simcord_bot, ada, guild)
    await _earn(simcord_bot, di, guild, "skill:power:2")
    hidden = await di.slash(channel, "privacy", leaderboard="off")
    assert hidden.ephemeral and "hidden" in hidden.response.content
    board = (await ada.slash(channel, "leaderboard")).response.embeds[0]
    assert board.description == "**🥇 ada — 10 pts** ← you"
    mine = (await di.slash(channel, "leaderboard")).response.embeds[0]
    assert "di" not in mine.description
    assert _fields(mine)["You"].startswith("Hidden from this leaderboard")
    await di.slash(channel, "privacy", leaderboard="on")
    back = (await ada.slash(channel, "leaderboard")).response.embeds[0]
    assert back.description.splitlines()[0] == "🥇 di — 20 pts"


async def test_hostile_names_are_shown_literally_and_ping_no_one(env, place, simcord_bot) -> None:
    guild, channel = place
    tex = guild.add_member(env.create_user(r"$\frac{1}{0}$"))
    everyone = guild.add_member(env.create_user("@everyone"))
    await _earn(simcord_bot, tex, guild, "skill:power:2")
    await _earn(simcord_bot, everyone, guild)
    result = await everyone.slash(channel, "leaderboard", share=True)
    assert _files(result) == ["leaderboard.png"]  # the picture drew both names
    message = result.response.message
    assert message.mentions == [] and not message.mention_everyone
    lines = message.embeds[0].description.splitlines()
    assert lines[0] == "🥇 $\\\\frac{1}{0}$ — 20 pts"  # backslash escaped: shows as typed
    assert lines[1] == "**🥈 @\u200beveryone — 10 pts** ← you"  # cannot ping, even if allowed


async def test_a_server_with_leaderboards_off_says_so(env, place, simcord_bot) -> None:
    guild, channel = place
    ada = guild.add_member(env.create_user("ada"))
    await _earn(simcord_bot, ada, guild)
    async with simcord_bot.service.sessions() as session:
        server = (await session.execute(Server.__table__.select())).first()
        await session.execute(
            Server.__table__.update()
            .where(Server.__table__.c.id == server.id)
            .values(leaderboard_enabled=False)
        )
        await session.commit()
    result = await ada.slash(channel, "leaderboard")
    assert result.ephemeral
    assert result.response.content == "Leaderboards are turned off in this server."
    bo = guild.add_member(env.create_user("bo"))
    shared = await ada.slash(channel, "leaderboard", share=True)
    said = [m for m in [shared.response, *shared.followups] if m and "turned off" in m.content]
    assert len(said) == 1 and said[0].ephemeral  # only ada learns it, not the channel
    assert not any("turned off" in m.content for m in channel.history(viewer=bo))
