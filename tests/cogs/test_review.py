"""/review end to end on the real discord.py stack, offline: the due queue with its same-day
re-drills, typed answers, the summary, double clicks and restarts."""

from __future__ import annotations

import sympy as sp
from sqlalchemy import select

from bot.db.engine import transaction
from bot.db.models import Card, Deck, ItemState, ReviewLog
from bot.study.items import card_key
from tests.cogs.helpers import make_due, spy_on_messages


def _ids(message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


def _actions(message) -> list[str]:
    return [i.split(":")[1] for i in _ids(message)]


def _token(message) -> str:
    return _ids(message)[0].split(":")[2]


def _fields(embed) -> dict[str, str]:
    return {f.name: f.value for f in embed.fields}


async def _student(env, guild, bot, name: str, *, new_per_day: int) -> tuple[object, int]:
    """A member and their user id, with a short daily allowance of new items."""
    member = guild.add_member(env.create_user(name))
    user = await bot.service.user_for_discord(member.id, name)
    await bot.service.set_user_preferences(user, new_per_day=new_per_day)
    return member, user


async def _card_id(bot, slug: str) -> int:
    async with bot.service.sessions() as session:
        return await session.scalar(
            select(Card.id)
            .join(Deck, Card.deck_id == Deck.id)
            .where(Deck.slug == "derivative-rules", Card.card_key == slug)
        )


async def _make_due(env, bot, user: int, slugs: list[str]) -> list[str]:
    """Cards of the shipped rules deck learned earlier and due now, the first most overdue."""
    return await make_due(bot, user, [await _card_id(bot, slug) for slug in slugs], env.now())


async def _logs(bot, key: str | None = None) -> list[ReviewLog]:
    async with bot.service.sessions() as session:
        query = select(ReviewLog).order_by(ReviewLog.id)
        if key is not None:
            query = query.where(ReviewLog.item_key == key)
        return list((await session.execute(query)).scalars())


async def _state(bot, user: int, key: str) -> ItemState:
    async with bot.service.sessions() as session:
        return await session.scalar(
            select(ItemState).where(ItemState.user_id == user, ItemState.item_key == key)
        )


async def _answer(member, message, text: str, label: str = "Answer"):
    shown = await member.click(message, label=label)
    assert shown.modal is not None  # the modal is the first response: nothing came before it
    return (await member.submit_modal(shown, {"answer": text})).response


async def _solve(member, message, bot, label: str = "Answer"):
    """Answer the problem on `message` correctly."""
    problem = await bot.service.problem_for(_token(message))
    return await _answer(member, message, sp.sstr(problem.answer), label)


async def _grade(member, message, grade: str):
    back = (await member.click(message, label="Show answer")).response
    assert back.ephemeral and back.embeds[0].title == "Answer"
    assert _actions(back) == ["again", "hard", "good", "easy"]
    return back, (await member.click(back, label=grade)).response


async def test_a_mixed_session_through_all_four_grades_with_a_redrill(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    ada, user = await _student(env, guild, simcord_bot, "ada", new_per_day=4)
    first = await ada.slash(channel, "review")
    assert first.acknowledged and first.ephemeral  # a review is personal
    skill = first.response
    # skills and cards taking turns, as the scheduler orders new items
    assert skill.embeds[0].fields[0].value == "power · level 1"
    assert _actions(skill) == ["answer", "hint", "solution"]  # a problem has its hint ladder
    assert any(a.filename == "problem.png" for a in skill.attachments)
    assert "4 left in this session" in skill.embeds[0].footer.text
    verdict = await _solve(ada, skill, simcord_bot)
    assert verdict.embeds[0].title == "✅ Correct!" and _actions(verdict) == ["next"]

    card = (await ada.click(verdict, label="Next")).response
    assert card.embeds[0].title == "Flashcard · new" and _actions(card) == ["show"]
    key = card_key(await _card_id(simcord_bot, "derivative-definition"))
    back, after_again = await _grade(ada, card, "Again")
    assert any(a.filename == "back.png" for a in back.attachments)  # latex_back rendered
    assert (
        "**Again**" in after_again.content and "Again later in this session" in after_again.content
    )
    schedule = await _state(simcord_bot, user, key)
    first_due, first_interval = schedule.due_day, schedule.interval

    # the next item arrives with the grade
    assert after_again.embeds[0].fields[0].value == "sum · level 1"
    verdict = await _solve(ada, after_again, simcord_bot)
    card2 = (await ada.click(verdict, label="Next")).response
    _, after_easy = await _grade(ada, card2, "Easy")
    assert "**Easy**" in after_easy.content and "+5 points" in after_easy.content
    assert "Again later" not in after_easy.content

    # the card failed with Again comes back in the same session, and Hard sends it back again
    redrill = after_easy
    assert redrill.embeds[0].title == "🔁 Flashcard, again"
    assert redrill.embeds[0].description == card.embeds[0].description
    _, after_hard = await _grade(ada, redrill, "Hard")
    assert "Practice only" in after_hard.content and "Again later" in after_hard.content
    assert after_hard.embeds[0].title == "🔁 Flashcard, again"
    _, done = await _grade(ada, after_hard, "Good")

    # the repeats were logged but did not move the schedule
    logs = await _logs(simcord_bot, key)
    assert [(log.quality, log.counted) for log in logs] == [(2, True), (3, False), (4, False)]
    schedule = await _state(simcord_bot, user, key)
    assert (schedule.due_day, schedule.interval) == (first_due, first_interval)

    summary = done.embeds[-1]
    assert summary.title == "🎉 Session complete"
    fields = _fields(summary)
    assert set(fields) == {"Reviewed", "Correct", "New learned", "Points", "Streak", "Next due"}
    assert fields["Points"] == "+25"  # two skills (10 each), the Easy card (5); repeats: 0
    assert fields["Next due"] != "nothing scheduled"
    assert _ids(done) == []  # the end: nothing left to press


async def test_a_typed_card_through_the_modal(env, place, simcord_bot) -> None:
    guild, channel = place
    bo, user = await _student(env, guild, simcord_bot, "bo", new_per_day=0)
    (key,) = await _make_due(env, simcord_bot, user, ["power-rule-example"])
    shown = (await bo.slash(channel, "review")).response
    assert shown.embeds[0].title == "Flashcard" and _actions(shown) == ["answer", "solution"]

    wrong = await _answer(bo, shown, "7x^7")
    assert wrong.embeds[0].title == "❌ Not quite" and _actions(wrong) == ["retry", "solution"]
    right = await _answer(bo, wrong, "7 x^6", label="Try again")
    assert right.embeds[0].title == "✅ Correct!"
    assert "Answer" in _fields(right.embeds[0])  # the card's back
    assert "Again later in this session" in right.content  # right after a retry: quality 3

    redrill = (await bo.click(right, label="Next")).response
    assert redrill.embeds[0].title == "🔁 Flashcard, again"
    revealed = (await bo.click(redrill, label="Solution")).response
    assert revealed.embeds[0].title == "📖 Worked solution"
    assert "Again later in this session" in revealed.content

    last = (await bo.click(revealed, label="Next")).response
    finished = await _answer(bo, last, "7*x**6")
    assert [e.title for e in finished.embeds] == ["✅ Correct!", "🎉 Session complete"]
    assert _ids(finished) == []
    logs = await _logs(simcord_bot, key)
    assert [log.quality for log in logs][:2] == [3, 0] and logs[2].quality >= 4
    assert [log.counted for log in logs] == [True, False, False]  # repeats: practice only


async def test_double_click_grades_once(env, place, simcord_bot) -> None:
    guild, channel = place
    cy, user = await _student(env, guild, simcord_bot, "cy", new_per_day=0)
    await _make_due(env, simcord_bot, user, ["derivative-definition"])
    card = (await cy.slash(channel, "review")).response
    back, done = await _grade(cy, card, "Good")
    assert done.embeds[-1].title == "🎉 Session complete"
    again = await cy.click(back, label="Good")
    assert "already graded" in again.response.content
    assert len(await _logs(simcord_bot)) == 1


async def test_a_restart_in_the_middle_keeps_the_session(env, place, simcord_bot, new_bot) -> None:
    guild, channel = place
    di, user = await _student(env, guild, simcord_bot, "di", new_per_day=0)
    first, second = await _make_due(
        env, simcord_bot, user, ["derivative-definition", "derivative-slope-meaning"]
    )
    card = (await di.slash(channel, "review")).response
    _, after_again = await _grade(di, card, "Again")  # the first card is owed a re-drill
    fresh = new_bot()
    await env.restart_bot(fresh)
    fresh.clock = env.now

    # the buttons of a message sent before the restart still work, and the re-drill is kept
    _, after_good = await _grade(di, after_again, "Good")
    assert "**Good**" in after_good.content
    assert after_good.embeds[0].title == "🔁 Flashcard, again"
    assert after_good.embeds[0].description == card.embeds[0].description
    _, done = await _grade(di, after_good, "Good")
    fields = _fields(done.embeds[-1])
    assert fields["Points"] == "+5"  # the session since its start (a Good card), across the restart
    assert [log.item_key for log in await _logs(simcord_bot)] == [first, second, first]


async def test_an_answer_box_open_across_a_restart_still_counts(
    env, place, simcord_bot, new_bot
) -> None:
    guild, channel = place
    gus, user = await _student(env, guild, simcord_bot, "gus", new_per_day=0)
    (key,) = await _make_due(env, simcord_bot, user, ["power-rule-example"])
    shown = (await gus.slash(channel, "review")).response
    box = await gus.click(shown, label="Answer")  # typing while the bot restarts
    fresh = new_bot()
    await env.restart_bot(fresh)
    fresh.clock = env.now
    finished = (await gus.submit_modal(box, {"answer": "7x^6"})).response
    assert [e.title for e in finished.embeds] == ["✅ Correct!", "🎉 Session complete"]
    assert [log.item_key for log in await _logs(simcord_bot)] == [key]


async def test_nothing_due(env, place, simcord_bot) -> None:
    guild, channel = place
    ed, user = await _student(env, guild, simcord_bot, "ed", new_per_day=0)
    nothing = await ed.slash(channel, "review")
    assert nothing.ephemeral and "Nothing to review yet" in nothing.response.content
    await _make_due(env, simcord_bot, user, ["notation-leibniz"])
    card = (await ed.slash(channel, "review")).response
    await _grade(ed, card, "Easy")
    caught_up = (await ed.slash(channel, "review")).response
    assert "All caught up" in caught_up.content and "next review is due" in caught_up.content


async def test_a_failure_still_answers_the_student(env, place, simcord_bot, monkeypatch) -> None:
    guild, channel = place
    flo, user = await _student(env, guild, simcord_bot, "flo", new_per_day=0)
    await _make_due(env, simcord_bot, user, ["derivative-definition"])
    card = (await flo.slash(channel, "review")).response

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(simcord_bot.service, "presentation", broken)
    reply = await flo.click(card, label="Show answer")
    assert reply.ephemeral and "something went wrong" in reply.response.content


async def test_leeches_get_focused_practice_that_leaves_their_schedule_alone(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    lu, user = await _student(env, guild, simcord_bot, "lu", new_per_day=0)
    none = await lu.slash(channel, "review", leeches=True)
    assert none.ephemeral and "No leeches" in none.response.content
    (key,) = await _make_due(env, simcord_bot, user, ["derivative-definition"])
    card = (await lu.slash(channel, "review")).response
    await _grade(lu, card, "Good")  # today's review moves it to a later day
    before = await _state(simcord_bot, user, key)
    async with transaction(simcord_bot.service.sessions) as session:
        state = await session.get(ItemState, before.id)
        state.leech_flagged, state.lapses = True, 8  # as eight lapses would have flagged it
    drill = (await lu.slash(channel, "review", leeches=True)).response
    assert drill.ephemeral and "Focused practice: your 1 leech(es)" in drill.content
    _, done = await _grade(lu, drill, "Easy")
    assert "Practice only: this item's schedule already moved today." in done.content
    after = await _state(simcord_bot, user, key)
    assert (after.due_day, after.interval, after.ease) == (
        before.due_day,
        before.interval,
        before.ease,
    )


async def test_a_reviewed_problem_has_its_hint_ladder(env, place, simcord_bot) -> None:
    guild, channel = place
    hal, _ = await _student(env, guild, simcord_bot, "hal", new_per_day=1)
    skill = (await hal.slash(channel, "review")).response
    problem = await simcord_bot.service.problem_for(_token(skill))
    titles = []
    for _ in range(len(problem.hints)):
        await env.advance_time(2)
        hint = await hal.click(skill, label="Hint")
        assert hint.ephemeral
        titles.append(hint.response.embeds[0].title)
    total = len(problem.hints)
    assert titles == [f"💡 Hint {n}/{total}" for n in range(1, total + 1)]
    verdict = await _solve(hal, skill, simcord_bot)
    assert verdict.embeds[0].title == "✅ Correct!"
    fields = {f.name: f.value for f in verdict.embeds[0].fields}
    assert fields["Points"] == "+5"  # after a hint: the hint credit, not a first try


async def test_a_typed_cards_verdict_comes_before_its_drawn_back(
    env, place, simcord_bot, monkeypatch
) -> None:
    guild, channel = place
    cy, user = await _student(env, guild, simcord_bot, "cy", new_per_day=0)
    await _make_due(env, simcord_bot, user, ["power-rule-example", "derivative-definition"])
    shown = (await cy.slash(channel, "review")).response
    events = spy_on_messages(monkeypatch)
    right = await _answer(cy, shown, "7 x^6")
    # the verdict first, without the card's back; the back is drawn, then attached by an edit
    assert events[0] == ("send", ["✅ Correct!"], [])
    assert events[1][0] == "render"
    assert events[-1] == ("edit", ["✅ Correct!"], ["back.png"])
    assert right.embeds[0].title == "✅ Correct!" and "Answer" in _fields(right.embeds[0])
    assert [a.filename for a in right.attachments] == ["back.png"]
    assert _actions(right) == ["next"]
