"""Deck files and texts as the importers and `derivbot deck validate` see them: loaded by
suffix, structure and content checked, every problem with its line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.study.decks.content import validate_deck
from bot.study.decks.csvfile import _parse_csv, load_deck_csv
from bot.study.decks.lint import deck_warnings
from bot.study.decks.schema import DECK_SUFFIXES, MAX_FILE_BYTES, Deck, DeckError
from bot.study.decks.structure import _CsvMap, _LineMap, too_large
from bot.study.decks.yamlfile import _parse_yaml, load_deck_yaml


def shipped_decks_dir() -> Path:
    """The repository's `cards/` folder (next to the `bot/` package)."""
    return Path(__file__).resolve().parents[3] / "cards"


def _read(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise DeckError(too_large(None), source=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeckError("the file is not UTF-8 text", line=line, source=str(path)) from None


def _format(path: Path) -> Literal["yaml", "csv"]:
    suffix = path.suffix.lower()
    if suffix not in DECK_SUFFIXES:
        raise DeckError(
            f"unknown deck file type {suffix or '(none)'!r}: use .yaml, .yml or .csv",
            source=str(path),
        )
    return "csv" if suffix == ".csv" else "yaml"


def load_path(path: Path) -> Deck:
    """Load a deck file by its suffix (.yaml/.yml/.csv; a CSV deck's id is the file name)."""
    path = Path(path)
    fmt = _format(path)
    text = _read(path)
    if fmt == "csv":
        return load_deck_csv(text, deck_id=path.stem, source=str(path))
    return load_deck_yaml(text, source=str(path))


@dataclass(frozen=True)
class LoadedDeck:
    """A deck read from its text, structure checked, with where each card is in the text: what
    the content checks (`check_cards`, a slice at a time) need to put line numbers on their
    problems. Plain data, so it can cross from a worker process to the bot."""

    deck: Deck
    where: _CsvMap | _LineMap
    source: str | None

    def locate(self, problems: Iterable[DeckError]) -> list[DeckError]:
        """`problems` (from `check_cards`) with their lines, in file order."""
        located = []
        for p in problems:
            line, label = self.where.locate(p.loc)
            located.append(p._at(line, label, self.source))
        located.sort(key=lambda p: (p.line is None, p.line or 0))
        return located

    def line_of(self, index: int) -> int | None:
        """The line card `index` starts on."""
        return self.where.locate(("cards", index))[0]


def load_text(
    text: str,
    *,
    fmt: Literal["yaml", "csv"] = "yaml",
    source: str = "<deck>",
    deck_id: str | None = None,
    title: str | None = None,
) -> LoadedDeck:
    """Read a deck (structure only) and where its parts are; raise `DeckError` with every
    structural problem. `deck_id` is needed for CSV."""
    if fmt == "csv":
        if deck_id is None:
            raise TypeError("a CSV deck needs deck_id")
        deck, csv_map = _parse_csv(text, deck_id, title, "", 1, source)
        return LoadedDeck(deck, csv_map, source)
    deck, yaml_map = _parse_yaml(text, source)
    return LoadedDeck(deck, _LineMap.of(yaml_map), source)


def _check(
    text: str,
    fmt: Literal["yaml", "csv"],
    source: str | None,
    deck_id: str | None,
    title: str | None,
    render: bool,
) -> tuple[LoadedDeck | None, list[DeckError]]:
    try:
        loaded = load_text(text, fmt=fmt, source=source or "<deck>", deck_id=deck_id, title=title)
    except DeckError as exc:
        return None, list(exc.problems)
    return loaded, loaded.locate(validate_deck(loaded.deck, render=render))


def validate_text(
    text: str,
    *,
    fmt: Literal["yaml", "csv"] = "yaml",
    source: str = "<deck>",
    deck_id: str | None = None,
    title: str | None = None,
    render: bool = True,
) -> tuple[Deck | None, list[DeckError]]:
    """Load and validate in one go, every problem with its line: `(deck, [])` when the deck
    may be imported, `(None, problems)` otherwise. For uploads (`deck_id` is needed for CSV)."""
    loaded, problems = _check(text, fmt, source, deck_id, title, render)
    return (loaded.deck, []) if loaded is not None and not problems else (None, problems)


def _deck_files(path: Path) -> list[Path] | DeckError:
    if not path.exists():
        return DeckError("no such file or folder", source=str(path))
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in DECK_SUFFIXES)
        if not files:
            return DeckError("no deck files (.yaml, .yml, .csv) in this folder", source=str(path))
        return files
    return [path]


def warn_path(path: Path | None = None) -> list[DeckError]:
    """Warnings (not problems: the deck is still valid) for the cards of a deck file or folder
    (default: the shipped decks) that seem to ask several things at once (`lint`), each with
    its line. Files that do not load are skipped: `validate_path` reports them."""
    files = _deck_files(shipped_decks_dir() if path is None else Path(path))
    if isinstance(files, DeckError):
        return []
    warnings: list[DeckError] = []
    for file in files:
        try:
            text = _read(file)
            loaded = load_text(text, fmt=_format(file), source=str(file), deck_id=file.stem)
        except (DeckError, OSError):
            continue
        warnings += loaded.locate(deck_warnings(loaded.deck))
    return warnings


def validate_path(path: Path | None = None, *, render: bool = True) -> list[DeckError]:
    """Every problem in a deck file, or in every deck file of a folder (default: the shipped
    decks), including cross-checks: a YAML deck's id is its file name, deck ids are unique."""
    path = shipped_decks_dir() if path is None else Path(path)
    files = _deck_files(path)
    if isinstance(files, DeckError):
        return [files]
    problems: list[DeckError] = []
    owners: dict[str, Path] = {}
    for file in files:
        source = str(file)
        try:
            fmt = _format(file)
            text = _read(file)
        except DeckError as exc:
            problems.append(exc)
            continue
        except OSError as exc:
            problems.append(DeckError(f"cannot read: {exc.strerror or exc}", source=source))
            continue
        loaded, found = _check(text, fmt, source, file.stem, None, render)
        problems += found
        if loaded is None:
            continue
        deck = loaded.deck
        line, label = loaded.where.locate(("id",))
        if deck.id != file.stem:
            msg = f"deck id {deck.id!r} differs from the file name {file.stem!r}"
            problems.append(DeckError(msg, line=line, loc=("id",), where=label, source=source))
        if deck.id in owners:
            msg = f"deck id {deck.id!r} is also used by {owners[deck.id]}"
            problems.append(DeckError(msg, line=line, loc=("id",), where=label, source=source))
        owners.setdefault(deck.id, file)
    return problems
