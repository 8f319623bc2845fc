"""A card's skill through the service: stored when a deck is synced or imported, shown with
the card (`CardView.skill`), kept by export, and cleared when the deck drops it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import Card, Deck
from bot.math.workers import MathPool
from bot.study.decks import load_deck_csv, load_deck_yaml
from bot.study.items import card_key
from bot.study.service import StudyService

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

#: issue 13: the ML deck's cards and the skills that practise them
ML_SKILLS = {
    "gradient-vector-definition": "gradient",
    "gradient-direction": "gradient",
    "backprop-chain-rule": "backprop",
    "backprop-chain-rule-numbers": "backprop",
    "backprop-chain-rule-typed": "backprop",
    "gradient-descent-update-rule": "gradient_step",
    "gradient-descent-minus-sign": "gradient_step",
    "gradient-descent-step": "gradient_step",
    "learning-rate-contraction": "gradient_step",
    "learning-rate-divergence": "gradient_step",
    "softmax-diagonal": "partial",
    "softmax-off-diagonal": "partial",
    "softmax-cross-entropy-gradient": "partial",
    "derivative-as-sensitivity": "ml",
    "sigmoid-formula": "ml",
    "sigmoid-range": "ml",
    "sigmoid-at-zero": "ml",
    "sigmoid-derivative": "ml",
    "sigmoid-derivative-typed": "ml",
    "sigmoid-derivative-value-at-zero": "ml",
    "sigmoid-vanishing-gradient": "ml",
    "tanh-derivative": "ml",
    "relu-derivative-positive": "ml",
    "relu-derivative-negative": "ml",
    "relu-not-differentiable-at-zero": "ml",
    "relu-derivative-convention": "ml",
    "softplus-derivative": "ml",
    "mse-one-weight": "ml",
    "mse-one-weight-typed": "ml",
    "log-loss-one-weight": "ml",
    "log-loss-one-weight-typed": "ml",
}

LINKED = """\
id: linked
title: Linked
version: 1
cards:
  - id: chain-card
    front: What is d/dx sin(x^2)?
    back: 2x cos(x^2)
    skill: chain
  - id: plain-card
    front: What does f'(a) mean?
    back: The slope of f at a.
"""


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=1, timeout=20.0) as p:
        yield p


@pytest.fixture
def service(session_factory, pool) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    return StudyService(session_factory, pool, settings=settings, clock=lambda: NOW)


async def _card_ids(service: StudyService, deck: str) -> dict[str, int]:
    async with service.sessions() as session:
        rows = await session.execute(
            select(Card.card_key, Card.id)
            .join(Deck, Card.deck_id == Deck.id)
            .where(Deck.slug == deck)
        )
        return {key: card_id for key, card_id in rows}


async def test_every_ml_card_has_its_skill_after_a_sync(service) -> None:
    await service.sync_shipped_decks()
    user = await service.user_for_console("ida")
    ids = await _card_ids(service, "ml-derivatives")
    assert set(ML_SKILLS) <= set(ids)  # every card the issue names is in the deck
    shown = {}
    for key in ML_SKILLS:
        presented = await service.present(user, card_key(ids[key]))
        shown[key] = presented.card.skill
    assert shown == ML_SKILLS
    exported = load_deck_yaml(await service.export_deck(None, "ml-derivatives"))
    assert {c.id: c.skill for c in exported.cards if c.id in ML_SKILLS} == ML_SKILLS


async def test_an_imported_deck_keeps_its_skills_and_a_new_version_can_drop_them(
    service,
) -> None:
    user = await service.user_for_discord(8, "kim")
    server = await service.join_server(user, 88, "K")
    await service.import_deck(server, LINKED, "yaml")
    ids = await _card_ids(service, "linked")
    chain = await service.present(user, card_key(ids["chain-card"]), server)
    plain = await service.present(user, card_key(ids["plain-card"]), server)
    assert (chain.card.skill, plain.card.skill) == ("chain", None)
    csv_text = await service.export_deck(server, "linked", "csv")
    assert csv_text.splitlines()[0].endswith(",skill")
    assert [c.skill for c in load_deck_csv(csv_text, deck_id="linked").cards] == ["chain", None]

    await service.import_deck(server, LINKED.replace("    skill: chain\n", ""), "yaml")
    again = await service.present(user, card_key(ids["chain-card"]), server)
    assert again.card.skill is None
