"""Cards ask one thing and say it exactly: the fixed wordings, the split cards, and the
warning `derivbot deck validate` gives about a card that asks several things."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.study.decks import (
    Card,
    Deck,
    card_warnings,
    deck_warnings,
    load_deck_csv,
    load_deck_yaml,
    load_path,
    shipped_decks_dir,
    validate_text,
    warn_path,
)
from bot.study.decks import DeckError as _DeckError

SHIPPED = ("derivative-rules", "ml-derivatives")
#: the cards that asked several things, by deck: each is now retired and split into parts
SPLIT = {
    "derivative-rules": (
        "derivative-rate-meaning",
        "derivative-sign-meaning",
        "differentiable-implies-continuous",
        "notation",
        "notation-at-a-point",
        "chain-rule",
        "hyperbolic-definitions",
        "logarithmic-differentiation",
        "higher-derivatives",
        "lhopital-other-forms",
    ),
    "ml-derivatives": (
        "gradient-vector",
        "sigmoid-definition",
        "sigmoid-derivative-at-zero",
        "relu-derivative",
        "relu-at-zero",
        "gradient-descent-update",
        "learning-rate-too-large",
    ),
}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Deck]:
    return {name: load_path(shipped_decks_dir() / f"{name}.yaml") for name in SHIPPED}


def _card(shipped: dict[str, Deck], deck: str, card_id: str) -> Card:
    return next(c for c in shipped[deck].cards if c.id == card_id)


# --------------------------------------------------------------------------- exact wording


def test_increasing_needs_a_positive_derivative_on_an_interval(shipped) -> None:
    up = _card(shipped, "derivative-rules", "derivative-positive-on-interval")
    down = _card(shipped, "derivative-rules", "derivative-negative-on-interval")
    for card, word in ((up, "increasing"), (down, "decreasing")):
        assert "for every x in an interval I" in card.front
        assert card.back.startswith(f"f is strictly {word} on I")
        assert "single point" in card.back  # and says why a point is not enough
    flat = _card(shipped, "derivative-rules", "derivative-zero-at-point")
    assert "horizontal" in flat.back and "neither" in flat.back
    # nothing in the shipped decks says a derivative at one point makes f increasing there
    for deck in shipped.values():
        for card in deck.cards:
            assert "f is increasing there" not in card.back


def test_lhopital_states_every_hypothesis(shipped) -> None:
    back = _card(shipped, "derivative-rules", "lhopital-rule").back
    assert "g'(x) ≠ 0 for\nx near a".replace("\n", " ") in back
    assert "differentiable near a" in back
    assert "0/0" in back and "∞/∞" in back
    assert "exists or is ±∞" in back


@pytest.mark.parametrize(
    ("card_id", "definition", "values", "sign"),
    [
        ("inverse-trig-arcsec", "arcsec x = arccos(1/x)", "[0, π/2) ∪ (π/2, π]", ""),
        ("inverse-trig-arccsc", "arccsc x = arcsin(1/x)", "[−π/2, 0) ∪ (0, π/2]", "−"),
    ],
)
def test_inverse_secant_cards_state_their_range_convention(
    shipped, card_id: str, definition: str, values: str, sign: str
) -> None:
    card = _card(shipped, "derivative-rules", card_id)
    assert definition in card.front and values in card.front and "|x| > 1" in card.front
    assert card.back.startswith(f"{sign}1/(|x|·√(x² − 1)), for |x| > 1.")
    assert "range convention" in card.back


# --------------------------------------------------------------------------- the split


@pytest.mark.parametrize(("deck", "old"), [(d, c) for d, ids in SPLIT.items() for c in ids])
def test_a_card_that_asked_several_things_is_split_into_parts(shipped, deck: str, old: str):
    cards = shipped[deck].cards
    assert old not in {c.id for c in cards}  # gone from the active cards
    parts = [c for c in cards if old in c.replaces]
    assert len(parts) >= 2, [c.id for c in parts]
    for part in parts:
        assert card_warnings(part) == [], (part.id, card_warnings(part))
        assert part.front.count("?") <= 1


def test_only_split_cards_replace_anything(shipped) -> None:
    replaced = {
        (name, old) for name, deck in shipped.items() for c in deck.cards for old in c.replaces
    }
    assert replaced == {(d, c) for d, ids in SPLIT.items() for c in ids}


# --------------------------------------------------------------------------- the warning


def test_shipped_decks_give_no_warnings(shipped) -> None:
    assert warn_path() == []
    for deck in shipped.values():
        assert deck_warnings(deck) == []


MULTI = """\
id: multi
title: Multi
version: 1
cards:
  - id: fine
    front: What is d/dx (sin x)?
    back: cos x
  - id: two-questions
    front: What is the derivative of eˣ? Why is it special?
    back: eˣ. It is its own derivative.
  - id: listed
    front: List the derivatives of sin, cos and tan.
    back: >-
      1. cos x
      2. −sin x
      3. sec² x
  - id: semicolons
    front: What are the trig derivatives?
    back: sin → cos; cos → −sin; tan → sec²
  - id: labelled
    front: What does the sign of f' say?
    back: "Positive: f increases. Negative: f decreases."
  - id: bullets
    front: Which functions are their own derivative?
    back: |-
      - eˣ
      - the zero function
"""


def test_validate_warns_about_a_card_with_several_items(tmp_path: Path) -> None:
    deck = load_deck_yaml(MULTI)
    by_id = {c.id: card_warnings(c) for c in deck.cards}
    assert by_id["fine"] == []
    assert by_id["two-questions"] == ["its front asks 2 things"]
    assert "its front asks for a list" in by_id["listed"]
    assert "its back is a numbered or bulleted list" in by_id["listed"]
    assert by_id["semicolons"] == ["its back has 3 parts separated by semicolons"]
    assert by_id["labelled"] == ["its back answers several labelled items"]
    assert by_id["bullets"] == ["its back is a numbered or bulleted list"]
    # a warning, not a problem: the deck is valid and imports
    assert validate_text(MULTI, source="multi.yaml")[1] == []
    path = tmp_path / "multi.yaml"
    path.write_text(MULTI, "utf-8")
    warnings = warn_path(path)
    assert [w.line for w in warnings] == [8, 11, 17, 20, 23]
    assert all(isinstance(w, _DeckError) and "may ask several things" in str(w) for w in warnings)
    assert "'two-questions'" in str(warnings[0])


def test_replaces_is_checked_and_round_trips() -> None:
    text = MULTI.replace("  - id: fine\n", "  - id: fine\n    replaces: [old-one, old-two]\n")
    deck = load_deck_yaml(text)
    assert deck.cards[0].replaces == ("old-one", "old-two")
    from bot.study.decks import dump_deck_csv, dump_deck_yaml

    assert load_deck_yaml(dump_deck_yaml(deck)) == deck
    csv = dump_deck_csv(deck)
    assert csv.splitlines()[0].endswith(",replaces")
    assert load_deck_csv(csv, deck_id="multi", title="Multi") == deck
    with pytest.raises(_DeckError, match="still a card of this deck"):
        load_deck_yaml(MULTI.replace("  - id: fine\n", "  - id: fine\n    replaces: [listed]\n"))
    with pytest.raises(_DeckError, match="slug"):
        load_deck_yaml(
            MULTI.replace("  - id: fine\n", "  - id: fine\n    replaces: [Not A Slug]\n")
        )
