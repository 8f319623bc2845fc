"""A flashcard that names a skill says, with its answer, how to practise that skill with
`/quiz` (issue 13: the ML deck's cards link to the matching skills)."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Card, Deck
from tests.cogs.helpers import make_due

PRACTISE_BACKPROP = "Practise it: `/quiz skill:backprop`"


def _fields(embed) -> dict[str, str]:
    return {f.name: f.value for f in embed.fields}


async def _student(env, guild, bot, name: str) -> tuple[object, int]:
    member = guild.add_member(env.create_user(name))
    user = await bot.service.user_for_discord(member.id, name)
    await bot.service.set_user_preferences(user, new_per_day=0)  # only the due cards
    return member, user


async def _due(env, bot, user: int, deck: str, card: str) -> None:
    async with bot.service.sessions() as session:
        card_id = await session.scalar(
            select(Card.id)
            .join(Deck, Card.deck_id == Deck.id)
            .where(Deck.slug == deck, Card.card_key == card)
        )
    await make_due(bot, user, [card_id], env.now())


async def test_revealing_a_linked_card_offers_its_skill(env, place, simcord_bot) -> None:
    guild, channel = place
    ada, user = await _student(env, guild, simcord_bot, "ada")
    await _due(env, simcord_bot, user, "ml-derivatives", "backprop-chain-rule")
    card = (await ada.slash(channel, "review")).response
    assert card.embeds[0].title == "Flashcard"
    assert "Practise it" not in card.embeds[0].description  # the front gives nothing away
    back = (await ada.click(card, label="Show answer")).response
    assert back.embeds[0].title == "Answer"
    description = back.embeds[0].description
    assert description.startswith("Multiply the local derivatives")  # the back, then the link
    assert description.endswith("\n\n" + PRACTISE_BACKPROP)


async def test_a_typed_linked_card_offers_its_skill_with_the_answer(
    env, place, simcord_bot
) -> None:
    guild, channel = place
    bo, user = await _student(env, guild, simcord_bot, "bo")
    await _due(env, simcord_bot, user, "ml-derivatives", "mse-one-weight-typed")
    shown = (await bo.slash(channel, "review")).response
    box = await bo.click(shown, label="Answer")
    right = (await bo.submit_modal(box, {"answer": "18w - 12"})).response
    assert right.embeds[0].title == "✅ Correct!"
    assert _fields(right.embeds[0])["Answer"].endswith("\n\nPractise it: `/quiz skill:ml`")


async def test_an_unlinked_card_shows_only_its_answer(env, place, simcord_bot) -> None:
    guild, channel = place
    cy, user = await _student(env, guild, simcord_bot, "cy")
    await _due(env, simcord_bot, user, "derivative-rules", "derivative-slope-meaning")
    card = (await cy.slash(channel, "review")).response
    back = (await cy.click(card, label="Show answer")).response
    assert back.embeds[0].title == "Answer"
    assert "Practise it" not in back.embeds[0].description
