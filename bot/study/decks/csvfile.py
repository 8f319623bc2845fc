"""Decks as CSV: a teacher's spreadsheet of cards (the deck's metadata comes from elsewhere)."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.study.decks.schema import (
    CSV_COLUMNS,
    CSV_OPTIONAL_COLUMNS,
    CSV_REPLACES_COLUMN,
    CSV_REQUIRED_COLUMNS,
    MAX_CARDS,
    Deck,
    DeckError,
    _fail,
)
from bot.study.decks.structure import _build, _check_size, _CsvMap


def _cell(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _read_csv(text: str, source: str | None) -> tuple[list[str], int, list[tuple[int, list[str]]]]:
    """(header, header line, [(first line of row, cells)]); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header, header_line = [c.strip().lower() for c in cells], start
                continue
            if len(rows) >= MAX_CARDS:
                msg = f"too many cards (at most {MAX_CARDS:,}); split it into smaller decks"
                raise DeckError(msg, line=start, source=source)
            rows.append((start, cells))
    except csv.Error as exc:
        raise DeckError(f"invalid CSV: {exc}", line=reader.line_num, source=source) from None
    if header is None:
        raise DeckError("the CSV is empty: a header row is required", line=1, source=source)
    return header, header_line, rows


def _check_header(header: list[str], line: int, source: str | None) -> None:
    known = set(CSV_COLUMNS) | set(CSV_OPTIONAL_COLUMNS) | {CSV_REPLACES_COLUMN}
    problems = []
    unknown = [c for c in header if c not in known]
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        columns = ", ".join(CSV_COLUMNS + CSV_OPTIONAL_COLUMNS)
        problems.append(f"unknown column(s) {names} (columns: {columns})")
    missing = [c for c in CSV_REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        problems.append(f"column(s) listed twice: {', '.join(twice)}")
    if problems:
        raise _fail([DeckError(p, line=line, where="header", source=source) for p in problems])


def _csv_card(row: dict[str, str], line: int) -> tuple[dict[str, Any], list[DeckError]]:
    card: dict[str, Any] = {"id": row["id"], "front": row["front"], "back": row["back"]}
    card["tags"] = [t.strip() for t in row.get("tags", "").split(";") if t.strip()]
    replaces = [r.strip() for r in row.get(CSV_REPLACES_COLUMN, "").split(";") if r.strip()]
    if replaces:
        card["replaces"] = replaces
    for key in ("latex_front", "latex_back"):
        if row.get(key):
            card[key] = row[key]
    typed = {
        "answer": row.get("typed_answer", ""),
        "var": row.get("typed_var", ""),
        "function": row.get("typed_function", ""),
        "order": row.get("typed_order", ""),
    }
    if typed["answer"]:
        card["typed"] = {k: v for k, v in typed.items() if v}
        return card, []
    stray = [f"typed_{k}" for k in ("var", "function", "order") if typed[k]]
    if stray:
        msg = f"{', '.join(stray)} given without typed_answer"
        return card, [DeckError(msg, line=line, where="typed_answer")]
    return card, []


def load_deck_csv(
    text: str,
    *,
    deck_id: str,
    title: str | None = None,
    description: str = "",
    version: int = 1,
    source: str = "<deck>",
) -> Deck:
    """Read a deck from CSV (a header row naming at least `CSV_REQUIRED_COLUMNS`, any of
    `CSV_COLUMNS` and `CSV_OPTIONAL_COLUMNS`; tags separated by `;`). The deck's metadata comes
    from the arguments (the title defaults to the id in words). Raises `DeckError` naming the
    CSV line."""
    return _parse_csv(text, deck_id, title, description, version, source)[0]


def _parse_csv(
    text: str, deck_id: str, title: str | None, description: str, version: int, source: str | None
) -> tuple[Deck, _CsvMap]:
    _check_size(text, source)
    header, header_line, rows = _read_csv(text, source)
    _check_header(header, header_line, source)
    cards: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: list[DeckError] = []
    for line, cells in rows:
        if len(cells) != len(header):
            msg = f"expected {len(header)} fields (as in the header), found {len(cells)}"
            problems.append(DeckError(msg, line=line))
            continue
        card, errors = _csv_card(dict(zip(header, map(_cell, cells), strict=True)), line)
        problems += errors
        cards.append(card)
        lines.append(line)
    if title is None:
        title = deck_id.replace("-", " ").strip().capitalize() or deck_id
    data = {
        "id": deck_id,
        "title": title,
        "description": description,
        "version": version,
        "cards": cards,
    }
    where = _CsvMap(header_line, tuple(lines))
    try:
        deck = _build(data, where, source)
    except DeckError as exc:
        problems += exc.problems
    if problems:
        for p in problems:
            p.source = source
        raise _fail(problems)
    return deck, where


def dump_deck_csv(deck: Deck) -> str:
    """The cards as CSV (deck metadata is not part of the CSV format: pass it to
    `load_deck_csv`). Optional columns appear only when some card needs them."""
    extra = any(c.typed and (c.typed.function or c.typed.order != 1) for c in deck.cards)
    columns = CSV_COLUMNS + (CSV_OPTIONAL_COLUMNS if extra else ())
    if any(c.replaces for c in deck.cards):
        columns += (CSV_REPLACES_COLUMN,)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for card in deck.cards:
        typed = card.typed
        row = {
            "id": card.id,
            "front": card.front,
            "back": card.back,
            "tags": ";".join(card.tags),
            "latex_front": card.latex_front or "",
            "latex_back": card.latex_back or "",
            "typed_answer": typed.answer if typed else "",
            "typed_var": typed.var if typed else "",
            "typed_function": (typed.function or "") if typed else "",
            "typed_order": str(typed.order) if typed else "",
            CSV_REPLACES_COLUMN: ";".join(card.replaces),
        }
        writer.writerow([row[c] for c in columns])
    return out.getvalue()
