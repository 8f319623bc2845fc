"""The console front-end, driven as a user would: a script on stdin, a subprocess per session.

Problems are fixed with the hidden `--seed`, so each test knows the right answers in advance
(`generate(skill, level, seed)`: the console's n-th problem has seed `--seed` + n - 1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from bot.console import ConsoleApp, Images, Lines, make_console
from bot.math.generator import generate
from bot.study import credit
from bot.study.reminders import Delivery, OutgoingReminder
from bot.study.service import StudyService
from tests.seeds import seeded

ANSI = "\x1b["


def console(
    tmp_path: Path, *args: str, stdin: str, env: dict[str, str] | None = None, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """`derivbot ARGS` in tmp_path on its own SQLite file, stdin piped, no Discord token."""
    environ = {
        k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "FORCE_COLOR", "COLUMNS")
    }
    environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=environ,
        umask=umask,
    )


def rows(tmp_path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "console.db") as db:
        return db.execute(query).fetchall()


def answer(skill: str, level: int, seed: int) -> sp.Expr:
    return generate(skill, level, seed).answer


def test_quiz_right_then_wrong_answer_with_the_named_mistake(tmp_path: Path) -> None:
    right = answer("power", 1, 40)
    wrong = answer("power", 1, 41) * sp.Symbol("x")  # forgot to lower the exponent
    script = f"{right}\n{wrong}\nsolution\n"
    result = console(
        tmp_path,
        "console", "--quiz", "power", "--count", "2", "--seed", "40", "--user", "ada",
        stdin=script,
        env={"FORCE_COLOR": "1"},  # piped output stays plain whatever the environment says
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert ANSI not in out and ANSI not in result.stderr
    assert "Problem 1/2 · power · level 1" in out and "Problem 2/2" in out
    first, second = out.split("Problem 2/2")
    assert "✅ Correct!" in first and "I read your answer as" in first
    assert "Next review" in first and "points" in first
    assert "❌ Not quite" in second
    assert "Mistake (power): Power rule" in second
    assert "📖 Worked solution" in second and "Result: f'(x)" in second
    assert "🎉 Quiz complete" in out
    images = {p.name for p in (tmp_path / "derivbot-images").iterdir()}
    assert {"power-L1-40-problem.png", "power-L1-41-solution.png"} <= images
    assert f"Images are saved in {tmp_path.resolve() / 'derivbot-images'}" in out
    # right first time (quality 4-5); wrong, then the solution (quality 1)
    qualities = rows(tmp_path, "SELECT quality FROM review_log ORDER BY id")
    assert qualities[0][0] >= 4 and qualities[1:] == [(1,)]
    attempts = rows(tmp_path, "SELECT verdict, mistake FROM quiz_attempts ORDER BY id")
    assert attempts == [("correct", None), ("incorrect", "power")]


def summary_table(out: str, title: str) -> dict[str, str]:
    """A session summary table printed under `title`, as {label: value}."""
    lines = [line for line in out.split(title, 1)[1].splitlines() if "┃" in line or "│" in line]
    labels = [cell.strip() for cell in lines[0].strip("┃").split("┃")]
    values = [cell.strip() for cell in lines[1].strip("│").split("│")]
    return dict(zip(labels, values, strict=True))


def test_a_hint_or_a_wrong_try_is_not_a_first_try(tmp_path: Path) -> None:
    # problem 1 after a hint, problem 2 unaided, problem 3 after a wrong try (2 and 3 are
    # practice: the same item's schedule moved with problem 1)
    script = (
        f"hint\n{answer('power', 1, 40)}\n{answer('power', 1, 41)}\n0\n{answer('power', 1, 42)}\n"
    )
    result = console(
        tmp_path,
        "console", "--quiz", "power", "--count", "3", "--seed", "40", "--user", "ada",
        stdin=script,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stderr
    first = out.split("Problem 2/3")[0]
    assert "💡 Hint" in first and "✅ Correct!" in first
    assert "+5 points" in first  # half of an unaided first try's 10: a hint was taken
    counts = summary_table(out, "🎉 Quiz complete")
    assert (counts["Solved"], counts["First try"], counts["Points"]) == ("3", "1", "+5")


def test_each_hint_shows_the_next_rung_of_the_ladder(tmp_path: Path) -> None:
    problem = generate("product", 1, 0)
    assert len(problem.hints) == 3
    script = f"hint\nhint\nhint\nhint\n{problem.answer}\n"
    result = console(
        tmp_path,
        "console", "--quiz", "product", "--count", "1", "--seed", "0", "--user", "ada",
        stdin=script,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stderr
    for n in (1, 2, 3):
        assert f"💡 Hint {n}/3" in out
    assert out.count("💡 Hint 3/3") == 2  # a fourth press shows the last rung again
    assert "last hint" in out and "+5 points" in out
    assert out.index("Hint 1/3") < out.index("Hint 2/3") < out.index("✅ Correct!")
    assert "product-L1-0-hint2.png" in out  # each rung drawn to its own picture


def test_review_grades_a_redrill_then_stats_and_leaderboard(tmp_path: Path) -> None:
    # two new items today: the power rule (a problem, seed 7) and the first flashcard
    script = "\n".join(
        [
            "settings new_per_day 2",
            "review",
            str(answer("power", 1, 7)),
            "1",  # the card: Again (shows the back, then grades), so it comes back
            "",  # the card again: Enter shows the back ...
            "4",  # ... and Easy
            "stats",
            "leaderboard all",
            "quit",
        ]
    )
    result = console(tmp_path, "console", "--seed", "7", "--user", "bo", stdin=script + "\n")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert ANSI not in out
    assert "2 to review. Let's go!" in out
    assert "✅ Correct!" in out
    assert out.count("Answer: ") == 2  # the card's back, shown each time
    assert "🔁 Again later in this session." in out
    assert "🔁 Flashcard, again" in out
    assert "Again · Next review" in out
    assert "Easy · Practice only" in out  # a re-drill moves nothing: the first grade did
    summary = out.split("🎉 Session complete")[1]
    assert "Reviewed" in summary and "New learned" in summary
    assert "Accuracy per skill" in out and "power" in out.split("📈 bo's progress")[1]
    assert "🏆 Leaderboard · all time" in out and "bo ← you" in out
    assert (tmp_path / "derivbot-images" / "stats-bo.png").is_file()
    grades = rows(tmp_path, "SELECT item_key, quality, counted FROM review_log ORDER BY id")
    assert [(key, counted) for key, _, counted in grades] == [
        ("skill:power:1", 1),
        ("card:1", 1),
        ("card:1", 0),  # the re-drill is practice: logged, not counted again
    ]
    assert [quality for _, quality, _ in grades[1:]] == [2, 5]
    assert out.rstrip().endswith("Bye! Your progress is saved.")


def test_review_leeches_is_focused_practice_on_the_items_you_keep_failing(tmp_path: Path) -> None:
    none = console(tmp_path, "console", "--user", "cy", stdin="review leeches\nquit\n")
    assert none.returncode == 0, none.stderr
    assert "No leeches" in none.stdout
    # a problem given up on, then (as if failed 8 times) flagged as a leech
    first = console(
        tmp_path,
        "console",
        "--user",
        "cy",
        stdin="settings new_per_day 1\nreview\nsolution\nquit\nquit\n",
    )
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(tmp_path / "console.db") as db:
        db.execute("UPDATE item_states SET leech_flagged = 1, lapses = 8")
    (key,) = [k for (k,) in rows(tmp_path, "SELECT item_key FROM item_states")]
    practice = console(
        tmp_path, "console", "--user", "cy", stdin="review leeches\nsolution\nquit\nquit\n"
    )
    out = practice.stdout
    assert practice.returncode == 0, practice.stderr
    assert "Focused practice on your leeches." in out and "1 to review" in out
    assert "Practice only" in out  # reviewed today already: practice, the schedule stays
    logged = rows(tmp_path, "SELECT item_key, counted FROM review_log ORDER BY id")
    assert logged == [(key, 1), (key, 0)]


def test_eof_mid_review_prints_the_summary_and_leaves_the_database_consistent(
    tmp_path: Path,
) -> None:
    # a new student's queue: the power rule (seed 3), a flashcard, the sum rule (seed 4), ...
    script = f"{answer('power', 1, 3)}\n3\n"  # then EOF while the sum rule is on screen
    result = console(tmp_path, "console", "--review", "--seed", "3", stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "10 to review" in out and "✅ Correct!" in out and "Good · Next review" in out
    assert "sum · level 1" in out
    summary = out.split("Session stopped")[1]
    assert "Reviewed" in summary and "+15" in summary  # 10 for the problem, 5 for a Good card
    # two grades: two log entries, their states, and the third item shown but not graded
    assert rows(tmp_path, "SELECT item_key FROM review_log ORDER BY id") == [
        ("skill:power:1",),
        ("card:1",),
    ]
    assert rows(tmp_path, "SELECT item_key, reviews FROM item_states ORDER BY id") == [
        ("skill:power:1", 1),
        ("card:1", 1),
    ]
    assert rows(
        tmp_path, "SELECT item_key, answered_at IS NOT NULL FROM presentations ORDER BY created_at"
    ) == [("skill:power:1", 1), ("card:1", 1), ("skill:sum:1", 0)]
    assert rows(tmp_path, "PRAGMA integrity_check") == [("ok",)]


def test_make_run_without_a_token_opens_the_console(tmp_path: Path) -> None:
    result = console(tmp_path, "run", "--optional-token", stdin="stats\nquit\n")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert "DISCORD_TOKEN" in first and "Discord bot instead" in first
    assert "studying as" in result.stdout and "progress" in result.stdout


def test_the_console_creates_its_database_owner_only(tmp_path: Path) -> None:
    """It holds names and answers: under the common umask 022 it would come out 0644."""
    result = console(tmp_path, "console", stdin="quit\n", umask=0o022)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "console.db").stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_run_at_a_terminal_without_a_token_opens_the_console(tmp_path: Path) -> None:
    """Plain `derivbot run` (no flag) opens the console when a person is at the terminal;
    piped, it still explains and exits 2 (tests/test_cli.py), as a service should."""
    import pty

    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    os.write(master, b"quit\n")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            stdin=slave, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=environ,
        )  # fmt: skip
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 0, result.stderr
    assert "Discord bot instead" in result.stdout and "studying as" in result.stdout


class NoPool:
    """Reminders never reach the math pool."""


async def test_a_due_reminder_is_printed_once_between_prompts(
    session_factory, tmp_path: Path
) -> None:
    now = [dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)]
    service = StudyService(session_factory, NoPool(), clock=lambda: now[0], seeds=seeded())  # type: ignore[arg-type]
    ada = await service.user_for_console("ada")
    other = await service.user_for_console("bo")
    buffer = io.StringIO()
    out = make_console(buffer)
    lines = Lines(out, io.StringIO("stats\nreview\n"))
    app = ConsoleApp(service, NoPool(), ada, "ada", out, lines, Images(tmp_path, out))  # type: ignore[arg-type]
    await app.cmd_remind(["set", "07:30", "UTC"])
    await service.set_reminder(other, "07:30", "UTC")
    assert await lines.ask("derivbot") == "stats"
    assert "Study reminder" not in buffer.getvalue()

    now[0] = now[0].replace(minute=31)
    assert await lines.ask("derivbot") == "review"  # the reminder is checked before it
    text = buffer.getvalue()
    assert text.count("⏰ Study reminder") == 1 and "Type `review` to start" in text
    assert ANSI not in text
    assert await service.reminder(ada) is not None
    # shown once, and bo's reminder is left for bo's own console
    assert [d.user_id for d in await service.reminders_due()] == [other]


def console_bytes(
    tmp_path: Path, *args: str, stdin: bytes, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`console` with raw bytes on stdin: what a pipe or a broken terminal can send."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "COLUMNS")}
    environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, timeout=120, cwd=tmp_path, env=environ,
    )  # fmt: skip


UNREADABLE = "could not be read as text"
#: Python decodes stdin with surrogateescape under the C locale, strictly under most others
STDIN_ERRORS = {"locale": None, "strict": {"PYTHONIOENCODING": "utf-8:strict"}}


@pytest.mark.parametrize("errors", STDIN_ERRORS)
@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(b"\xff", id="invalid-utf8"),
        pytest.param(b"\xed\xa0\x80", id="lone-surrogate"),  # U+D800 as CESU/WTF-8 bytes
    ],
)
def test_undecodable_bytes_in_an_answer_are_refused_clearly(
    tmp_path: Path, bad: bytes, errors: str
) -> None:
    right = str(answer("power", 1, 40)).encode()
    script = right + bad + b"\n" + right + b"\nquit\n"
    result = console_bytes(
        tmp_path, "console", "--quiz", "power", "--count", "1", "--seed", "40",
        stdin=script, env=STDIN_ERRORS[errors],
    )  # fmt: skip
    out = result.stdout.decode("utf-8")
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, err
    assert "Traceback" not in err
    assert "⚠️ I couldn't read that" in out and UNREADABLE in out
    assert "✅ Correct!" in out.split(UNREADABLE)[1]  # the same answer, retyped, counts
    assert "Bye! Your progress is saved." in out
    # what is stored is what was read: each bad byte became U+FFFD, nothing else changed
    stored = [text for (text,) in rows(tmp_path, "SELECT answer_text FROM quiz_attempts")]
    assert stored[0].startswith(right.decode()) and set(stored[0][len(right) :]) == {"\ufffd"}
    assert stored[1:] == [right.decode()]


def test_a_nul_in_an_answer_is_dropped_and_the_answer_graded(tmp_path: Path) -> None:
    right = str(answer("power", 1, 40)).encode()
    script = right[:1] + b"\x00" + right[1:] + b"\x00\nquit\n"
    result = console_bytes(
        tmp_path, "console", "--quiz", "power", "--count", "1", "--seed", "40", stdin=script
    )
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert "\x00" not in out  # the transcript shows what was read, not the NUL
    assert "✅ Correct!" in out
    assert rows(tmp_path, "SELECT answer_text, verdict FROM quiz_attempts") == [
        (right.decode(), "correct")
    ]


def test_bad_bytes_in_menu_commands_and_the_user_name(tmp_path: Path) -> None:
    script = b"st\xffats\nsettings timezone Europe/Berlin\x00\nquit\n"
    user = os.fsdecode(b"ada\xffb")  # argv cannot hold a NUL; an undecodable byte it can
    result = console_bytes(tmp_path, "console", "--user", user, stdin=script)
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert "studying as ada\ufffdb" in out
    assert "I don't know the command 'st\ufffdats'" in out
    assert "Saved ✅" in out and "Europe/Berlin" in out
    assert rows(tmp_path, "SELECT console_name, display_name, timezone FROM users") == [
        ("ada\ufffdb", "ada\ufffdb", "Europe/Berlin")
    ]


async def test_the_console_sink_prints_a_due_reminder_and_its_caller_marks_it(
    session_factory,
) -> None:
    """`ConsoleSink.deliver` is the console's delivery: printed, and sent; marking it sent is
    the service's job (`deliver_due_reminders`), as for the Discord sink."""
    from bot.console import ConsoleSink

    now = [dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)]
    service = StudyService(session_factory, NoPool(), clock=lambda: now[0], seeds=seeded())  # type: ignore[arg-type]
    ada = await service.user_for_console("ada")
    await service.set_reminder(ada, "07:30", "UTC")
    now[0] = now[0].replace(minute=31)
    [due] = await service.reminders_due(user_id=ada)
    buffer = io.StringIO()
    sink = ConsoleSink(make_console(buffer))
    due_now = len(await service.due_queue(ada))  # the shipped decks' new cards
    assert due_now > 1
    out = OutgoingReminder(**dataclasses.asdict(due), due_count=due_now)
    assert await sink.deliver(out) == Delivery.sent()
    expected = f"⏰ Study reminder: {due_now} items to review. Type `review` to start.\n"
    assert buffer.getvalue() == expected
    assert [d.reminder_id for d in await service.reminders_due(user_id=ada)] == [due.reminder_id]
    report = await service.deliver_due_reminders(sink, user_id=ada)
    assert report.sent == 1 and await service.reminders_due(user_id=ada) == []
    assert buffer.getvalue() == expected * 2


def test_a_tangent_lines_solution_comes_with_its_picture(tmp_path: Path) -> None:
    """The tangent-line kind shows f and its tangent with the solution; other kinds don't."""
    result = console(
        tmp_path,
        "console", "--quiz", "tangent_line", "--count", "1", "--seed", "3", "--user", "tia",
        stdin="solution\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    images = {p.name for p in (tmp_path / "derivbot-images").iterdir()}
    assert "tangent_line-L1-3-tangent.png" in images
    result = console(
        tmp_path,
        "console", "--quiz", "power", "--count", "1", "--seed", "3", "--user", "tia",
        stdin="solution\n",
    )  # fmt: skip
    assert not any("power" in name and "tangent" in name for name in _images(tmp_path))


def _images(tmp_path: Path) -> set[str]:
    return {p.name for p in (tmp_path / "derivbot-images").iterdir()}


def test_help_says_what_earns_points(tmp_path: Path) -> None:
    result = console(tmp_path, "console", "--user", "dot", stdin="help\nquit\n")
    assert result.returncode == 0, result.stderr
    points = result.stdout.split("What earns points")[1]
    for rule in credit.RULES:
        assert f"{credit.points_text(rule)}: {rule.situation}" in " ".join(points.split())
