"""Text at the service boundary: NUL, other control characters and lone surrogates.

PostgreSQL cannot store a NUL in text and no UTF-8 database or driver takes a lone surrogate, so
before cleaning these crashed with `DBAPIError` / `UnicodeEncodeError`. Every test runs on each
configured backend (SQLite always, PostgreSQL with DERIVBOT_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import QuizAttempt, Reminder, Server, User
from bot.math.workers import MathPool
from bot.study.decks import DeckError
from bot.study.service import StudyError, StudyService
from bot.study.text import clean_text
from tests.seeds import seeded

# --- clean_text, the one rule --------------------------------------------------------------


def test_nul_and_other_control_characters_are_removed() -> None:
    assert clean_text("2x\x00") == "2x"
    assert clean_text("\x00a\x01b\x08c\x0bd\x0ce\x1bf\x7fg\x85h\x9f") == "abcdefgh"


def test_tab_newline_and_carriage_return_stay() -> None:
    assert clean_text("a\tb\nc\r\nd") == "a\tb\nc\r\nd"


def test_lone_surrogates_become_the_replacement_character() -> None:
    assert clean_text("2x\udcff") == "2x\ufffd"  # a byte that was not UTF-8 (surrogateescape)
    assert clean_text("\ud800") == "\ufffd"
    assert clean_text("a\udced\udca0\udc80b") == "a\ufffd\ufffd\ufffdb"  # one per unit


def test_a_split_surrogate_pair_is_joined() -> None:
    assert clean_text("\ud83d\ude00!") == "😀!"


def test_ordinary_text_is_returned_unchanged() -> None:
    for text in ("", "2x cos(x²)", "√(x+1) · e^{2x}", "Zoë 李 😀", "f'(x) = 1/2x", "\u200b"):
        assert clean_text(text) is text  # no copy when there is nothing to clean


@given(st.text(alphabet=st.characters(codec=None)))
def test_the_result_is_storable_and_cleaning_twice_changes_nothing(text: str) -> None:
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # no lone surrogate left
    assert "\x00" not in cleaned
    assert clean_text(cleaned) == cleaned


# --- every boundary of the service ---------------------------------------------------------


@pytest.fixture(scope="module")
def pool():
    with MathPool(workers=2, timeout=10.0) as p:
        yield p


@pytest.fixture
def service(session_factory, pool) -> StudyService:
    settings = Settings(database_url="sqlite+aiosqlite://", _env_file=None)
    now = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    return StudyService(session_factory, pool, settings=settings, clock=lambda: now, seeds=seeded())


async def _attempts(service: StudyService, token: str) -> list[tuple[str, str]]:
    async with service.sessions() as session:
        rows = await session.execute(
            select(QuizAttempt.answer_text, QuizAttempt.verdict)
            .where(QuizAttempt.presentation_token == token)
            .order_by(QuizAttempt.id)
        )
        return [tuple(row) for row in rows]


async def test_an_answer_with_a_nul_is_graded_and_stored_without_it(service) -> None:
    user = await service.user_for_console("ada")
    shown = await service.present(user, "skill:power:1")
    right = sp.sstr(shown.problem.answer)
    outcome = await service.submit_answer(shown.token, f"\x00{right}\x00", seconds=5)
    assert outcome.status == "correct" and outcome.graded
    assert await _attempts(service, shown.token) == [(right, "correct")]


async def test_an_answer_with_a_lone_surrogate_is_refused_clearly_and_stored_as_read(
    service,
) -> None:
    user = await service.user_for_console("bo")
    shown = await service.present(user, "skill:chain:1")
    right = sp.sstr(shown.problem.answer)
    outcome = await service.submit_answer(shown.token, right + "\udcff")
    assert outcome.status == "invalid" and outcome.can_retry
    assert "could not be read as text" in outcome.verdict.message
    # the parser read U+FFFD where the bad byte was, and that is what the log keeps
    assert await _attempts(service, shown.token) == [(right + "\ufffd", "invalid")]
    retyped = await service.submit_answer(shown.token, right)
    assert retyped.status == "correct" and retyped.quality >= 4  # an unreadable try is free


async def test_a_typed_card_answer_with_a_nul_is_checked_without_it(service) -> None:
    user = await service.user_for_discord(3, "cy")
    server = await service.join_server(user, 33, "C")
    deck = "id: nul-card\ntitle: T\nversion: 1\ncards:\n  - id: d\n    front: d/dx x^2?\n"
    deck += "    back: 2x\n    typed:\n      answer: 2*x\n"
    await service.import_deck(server, deck, "yaml")
    (key,) = [k for k in await service.due_queue(user, server) if k.startswith("card:")][-1:]
    shown = await service.present(user, key, server)
    assert shown.card is not None and shown.card.deck == "nul-card"
    assert (await service.submit_answer(shown.token, "2\x00x")).status == "correct"


async def _user_row(service: StudyService, user_id: int) -> User:
    async with service.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


async def test_names_are_stored_cleaned(service) -> None:
    console = await service.user_for_console("dee\x00")
    assert await service.user_for_console("dee") == console  # the same person, as read
    row = await _user_row(service, console)
    assert (row.console_name, row.display_name) == ("dee", "dee")

    discord = await service.user_for_discord(4, "Zoë\x00\udcff")
    assert (await _user_row(service, discord)).display_name == "Zoë\ufffd"
    server = await service.join_server(discord, 44, "Calculus\x00 \ud800class")
    async with service.sessions() as session:
        assert (await session.get(Server, server)).name == "Calculus \ufffdclass"
    board = await service.leaderboard(server, "all", user_id=discord)
    assert board.me is None  # read back fine, nothing earned yet


async def test_setting_values_are_stored_cleaned(service) -> None:
    user = await service.user_for_console("eve")
    await service.set_user_preferences(user, timezone="Europe/Berlin\x00", theme="light\x00")
    prefs = await service.preferences(user)
    assert (prefs.timezone, prefs.theme) == ("Europe/Berlin", "light")
    with pytest.raises(ValueError, match="unknown time zone"):
        await service.set_user_preferences(user, timezone="Europe/Berlin\udcff")
    assert (await service.preferences(user)).timezone == "Europe/Berlin"


async def test_reminder_fields_are_stored_cleaned(service) -> None:
    user = await service.user_for_console("fay")
    await service.set_reminder(user, "07:30\x00", "\x00Europe/Berlin")
    async with service.sessions() as session:
        row = (await session.execute(select(Reminder).where(Reminder.user_id == user))).scalar_one()
        assert (row.local_time, row.timezone) == ("07:30", "Europe/Berlin")
    with pytest.raises(ValueError):
        await service.set_reminder(user, "07:30\udcff", "UTC")


async def test_deck_names_to_look_up_are_cleaned(service) -> None:
    await service.sync_shipped_decks()
    user = await service.user_for_discord(5, "gus")
    server = await service.join_server(user, 55, "G")
    exported = await service.export_deck(server, "derivative-rules\x00", "yaml")
    assert "id: derivative-rules" in exported
    for slug in ("nothing\x00", "nothing\udcff"):
        with pytest.raises(StudyError):
            await service.export_deck(server, slug)
        with pytest.raises(StudyError):
            await service.remove_deck(server, slug)


DECK = "id: {slug}\ntitle: T\nversion: 1\ncards:\n  - id: a\n    front: {front}\n    back: b\n"


@pytest.mark.parametrize(
    ("fmt", "text", "line", "says"),
    [
        ("yaml", DECK.format(slug="d", front="x\x00y"), 6, "control character U+0000"),
        ("yaml", DECK.format(slug="d", front="x\udcffy"), 6, "could not be read as text"),
        ("yaml", DECK.format(slug="d\x1b", front="x"), 1, "control character U+001B"),
        ("csv", "id,front,back\na,x\x00y,b\n", 2, "control character U+0000"),
        ("csv", "id,front,back\n\na,x\ud800y,b\n", 3, "could not be read as text"),
    ],
    ids=["yaml-nul", "yaml-surrogate", "yaml-escape", "csv-nul", "csv-surrogate"],
)
async def test_deck_files_with_bad_characters_are_refused_naming_the_line(
    service, fmt: str, text: str, line: int, says: str
) -> None:
    """A teacher can fix a file: it is refused with the line, not silently changed."""
    user = await service.user_for_discord(6, "hal")
    server = await service.join_server(user, 66, "H")
    with pytest.raises(DeckError) as info:
        await service.import_deck(server, text, fmt, deck_id="d")  # type: ignore[arg-type]
    assert info.value.line == line and says in str(info.value)
    assert await service.list_decks(server) == []


async def test_a_deck_id_given_with_a_nul_is_cleaned_like_a_name(service) -> None:
    user = await service.user_for_discord(7, "ida")
    server = await service.join_server(user, 77, "I")
    slug = await service.import_deck(server, "id,front,back\na,x,b\n", "csv", deck_id="d\x00")
    assert slug == "d" and ("d", "D", 1, False) in await service.list_decks(server)
