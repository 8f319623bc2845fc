"""`derivbot class report`: the /class view from the command line, as a CSV gradebook or text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.db.engine import create_engine, session_factory
from bot.math.generator import generate
from bot.math.workers import MathPool
from bot.study.cases.classview import CSV_COLUMNS
from bot.study.service import StudyService
from tests.study.test_classview import GUILD, seed_class
from tests.test_cli import derivbot


@pytest.fixture
async def class_db(sqlite_db_url: str) -> str:
    """A database holding the seeded class of `tests/study/test_classview.py`."""
    engine = create_engine(sqlite_db_url)
    try:
        with MathPool(workers=1) as pool:  # never started: seeding writes rows only
            await seed_class(StudyService(session_factory(engine), pool))
    finally:
        await engine.dispose()
    return sqlite_db_url


def test_class_report_writes_the_csv_gradebook(class_db: str, tmp_path: Path) -> None:
    out = tmp_path / "class.csv"
    result = derivbot(
        "class", "report", "--server", str(GUILD), "--csv", str(out), "--url", class_db
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {out}: 6 rows (3 students x 2 skills)\n"
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(CSV_COLUMNS)
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        ("'=Cleo", "3", "power"),
        ("'=Cleo", "3", "chain"),
        ("Ada", "1", "power"),
        ("Ada", "1", "chain"),
        ("Ben", "2", "power"),
        ("Ben", "2", "chain"),
    ]
    ada_chain = dict(zip(CSV_COLUMNS, rows[4], strict=True))
    assert {k: ada_chain[k] for k in ("level", "reviews", "problems", "first_try", "accuracy")} == {
        "level": "2",
        "reviews": "12",
        "problems": "12",
        "first_try": "10",
        "accuracy": "83",
    }
    assert (ada_chain["points"], ada_chain["top_mistake"]) == (
        "110",
        "chain rule misapplied (inner derivative missing or taken at the wrong part)",
    )
    assert out.read_bytes().count(b"\r\n") == 7  # RFC 4180 line ends, header included


def test_class_report_as_text_and_for_an_unknown_server(class_db: str) -> None:
    result = derivbot("class", "report", "--server", str(GUILD), "--url", class_db)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("Calculus: 3 students x 2 skills, ")
    assert "\n\nstudent  power       chain\n=Cleo    L1 1/1      -\n" in text
    assert "\nAda      L1 1/3      L2 10/10\n" in text  # level reached, recent first tries
    assert (
        "  1. chain rule misapplied (inner derivative missing or taken at the wrong part): "
        "4 wrong answers, 2 students\n"
    ) in text
    assert f"     e.g. Ben on {generate('chain', 1, 11).prompt!r}: answered 'cos(x^2) #14'" in text
    assert "  power · level 1: Ada, =Cleo\n" in text
    missing = derivbot("class", "report", "--server", "404", "--url", class_db)
    assert missing.returncode == 1
    assert missing.stderr == "derivbot class: no server with Discord id 404\n"
