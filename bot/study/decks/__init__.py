"""Flashcard decks: a strict YAML/CSV format, loaded all-or-nothing, with line-numbered errors.

Decks are written by people (the shipped ones in `cards/`, later ones uploaded by teachers), so a
file is treated as hostile input: size and count limits come first, YAML is read with a safe
loader that refuses aliases (no "billion laughs"), explicit tags and duplicate keys, and every
plain scalar is read as text (no `yes` -> True, no `0.10` -> 0.1 surprises). A loader either
returns a complete `Deck` or raises `DeckError`: nothing partial is ever imported.

Two levels of checking:
- `load_deck_yaml` / `load_deck_csv`: structure (keys, types, lengths, slugs, unique card ids).
- `validate_deck`: content, using the math engine (every LaTeX renders, every typed answer
  parses and, when the card names the function it differentiates, equals sympy's derivative).
  `validate_text` and `validate_path` do both and put file line numbers on every problem; an
  importer should accept a deck only when they report nothing. A bot importing a big deck
  does the same in steps: `load_text`, then `check_cards` a slice at a time (each a short task
  for the worker pool), then `LoadedDeck.locate` for the lines.

This package knows nothing of Discord or the database: it parses, validates and serialises.
Its parts: `schema` (limits, models, `DeckError`), `structure` (data to a `Deck`, problems
located), `yamlfile` and `csvfile` (the two formats, both ways), `content` (the math checks),
`files` (by path or text, everything checked), `lint` (warnings: a card that seems to ask
several things). Import from here.
"""

from __future__ import annotations

from bot.study.decks.content import (
    check_cards,
    validate_deck,
)
from bot.study.decks.csvfile import (
    dump_deck_csv,
    load_deck_csv,
)
from bot.study.decks.files import (
    LoadedDeck,
    load_path,
    load_text,
    shipped_decks_dir,
    validate_path,
    validate_text,
    warn_path,
)
from bot.study.decks.lint import card_warnings, deck_warnings
from bot.study.decks.schema import (
    CSV_COLUMNS,
    CSV_OPTIONAL_COLUMNS,
    CSV_REPLACES_COLUMN,
    CSV_REQUIRED_COLUMNS,
    DECK_SUFFIXES,
    LIMITS,
    MAX_BACK,
    MAX_CARDS,
    MAX_DESCRIPTION,
    MAX_EXPRESSION,
    MAX_FILE_BYTES,
    MAX_FRONT,
    MAX_ID,
    MAX_LATEX,
    MAX_PROBLEMS,
    MAX_TAG,
    MAX_TAGS,
    MAX_TITLE,
    MAX_YAML_DEPTH,
    MAX_YAML_EVENTS,
    Back,
    Card,
    Deck,
    DeckError,
    Expression,
    Front,
    Latex,
    Loc,
    Slug,
    Tag,
    Title,
    TypedAnswer,
    Var,
)
from bot.study.decks.structure import (
    too_large,
)
from bot.study.decks.yamlfile import (
    dump_deck_yaml,
    load_deck_yaml,
)

__all__ = [
    "CSV_COLUMNS",
    "CSV_OPTIONAL_COLUMNS",
    "CSV_REPLACES_COLUMN",
    "CSV_REQUIRED_COLUMNS",
    "DECK_SUFFIXES",
    "LIMITS",
    "MAX_BACK",
    "MAX_CARDS",
    "MAX_DESCRIPTION",
    "MAX_EXPRESSION",
    "MAX_FILE_BYTES",
    "MAX_FRONT",
    "MAX_ID",
    "MAX_LATEX",
    "MAX_PROBLEMS",
    "MAX_TAG",
    "MAX_TAGS",
    "MAX_TITLE",
    "MAX_YAML_DEPTH",
    "MAX_YAML_EVENTS",
    "Back",
    "Card",
    "Deck",
    "DeckError",
    "Expression",
    "Front",
    "Latex",
    "LoadedDeck",
    "Loc",
    "Slug",
    "Tag",
    "Title",
    "TypedAnswer",
    "Var",
    "card_warnings",
    "check_cards",
    "deck_warnings",
    "dump_deck_csv",
    "dump_deck_yaml",
    "load_deck_csv",
    "load_deck_yaml",
    "load_path",
    "load_text",
    "shipped_decks_dir",
    "too_large",
    "validate_deck",
    "validate_path",
    "validate_text",
    "warn_path",
]
