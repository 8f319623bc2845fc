"""The terminal front-end: `derivbot console`, and `derivbot run` when there is no Discord token.

A thin adapter like the cogs: every gesture is one `StudyService` call on the same database, so
what a student does here counts on Discord too (and the other way round). Problems are shown as
sympy's unicode pretty print; the rendered PNGs are saved to a folder whose path is printed.

Input is one line per prompt: typed at a terminal, or read from a pipe, so a session can be
scripted (`printf '2x\\nquit\\n' | derivbot console --quiz power`). EOF and Ctrl-C end a session
with its summary; every grade is one service transaction, so nothing is left half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import difflib
import getpass
import io
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sympy
from rich.console import Console
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from bot import srs
from bot.math import charts, tasks
from bot.math.generator import SKILLS, Problem
from bot.math.render import Rendered
from bot.math.workers import MathPool
from bot.study import stats as stats_module
from bot.study.items import parse_key, skill_key
from bot.study.reminders import parse_time
from bot.study.service import (
    LEECH_NOTE,
    PRACTICE_NOTES,
    PREFERENCE_LIMITS,
    Outcome,
    Presented,
    StudyError,
    StudyService,
)
from bot.study.text import clean_text

SESSION_LENGTH = 10  # problems in a quiz unless --count says otherwise (as on Discord)
DEFAULT_IMAGES = Path("derivbot-images")
CHART_TIMEOUT = 10.0
RENDER_PAD = 24  # pixels of background around a formula saved for an image viewer
BACKGROUNDS = {"dark": (0x2B, 0x2D, 0x31), "light": (0xFF, 0xFF, 0xFF)}
GIVE_UP = ("solution", "skip")
GRADES = {
    "1": srs.Button.AGAIN,
    "2": srs.Button.HARD,
    "3": srs.Button.GOOD,
    "4": srs.Button.EASY,
    **{button.value: button for button in srs.Button},
}
GRADE_PROMPT = "How well did you remember it? 1 Again · 2 Hard · 3 Good · 4 Easy"
TITLES = {
    "correct": ("✅ Correct!", "bold green"),
    "incorrect": ("❌ Not quite", "bold red"),
    "invalid": ("⚠️ I couldn't read that", "bold yellow"),
    "revealed": ("📖 Worked solution", "bold blue"),
}
AGAIN_LATER = "🔁 Again later in this session."
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
SETTINGS = {  # name: (aliases, what it takes)
    "theme": (("colours",), "dark or light: the colours of the saved images"),
    "scheduler": ((), "sm2 (classic) or fsrs (adaptive)"),
    "new_per_day": (("new",), "new items a day, 0-100"),
    "reviews_per_day": (("reviews",), "reviews a day at most, 0-1000"),
    "timezone": (("tz", "zone"), "IANA time zone, e.g. Europe/Berlin"),
    "day_start_hour": (("daystart",), "local hour a study day starts, 0-23"),
}
LIMITS = PREFERENCE_LIMITS  # the service checks them too; the console says so before asking


@dataclass(frozen=True)
class Options:
    """What `derivbot console` was asked for; the defaults open the menu."""

    user: str | None = None  # default: the login name
    quiz: str | None = None  # None: no quiz; "": the scheduler picks the skill
    level: int | None = None
    count: int = SESSION_LENGTH
    review: bool = False
    open_images: bool = False
    images: Path | None = None
    seed: int | None = None  # hidden: fixed problem seeds for scripts and tests


class Stop(Exception):
    """Ends a session: `leave` (EOF, Ctrl-C) ends the console too; `quit` only the session."""

    def __init__(self, leave: bool) -> None:
        super().__init__("leave" if leave else "quit")
        self.leave = leave


# --- terminal plumbing ----------------------------------------------------------------------


def make_console(file: IO[str] | None = None) -> Console:
    """Colour on a terminal, plain text (no escape codes, whatever FORCE_COLOR says) when
    piped; emoji codes and highlighting off, so user text is shown exactly as typed."""
    stream = file or sys.stdout
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return Console(
        file=stream,
        force_terminal=None if tty else False,
        soft_wrap=not tty,  # piped: one line stays one line, for scripts that grep it
        highlight=False,
        emoji=False,
    )


class Lines:
    """Where answers come from: the terminal (with line editing) or, when stdin is not a
    terminal, the next line of the script. Ctrl-C while waiting ends the session at once;
    while the service works it lets the step finish first (see `on_sigint`)."""

    def __init__(self, out: Console, stream: IO[str] | None = None) -> None:
        self.out = out
        self.stream = stream or sys.stdin
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.before: Callable[[], Awaitable[None]] | None = None
        self.reading = False
        self.interrupted = False
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - line editing and history for input()

    async def ask(self, prompt: str) -> str:
        """The next line, cleaned (`clean_text`: what the service would store) and stripped;
        raises Stop(leave=True) at EOF or Ctrl-C."""
        if self.before is not None and not self.interrupted:
            await self.before()
        if self.interrupted:
            raise Stop(leave=True)
        label = Text(f"{prompt} › ", style="bold cyan")
        try:
            self.reading = True
            if self.interactive:
                line = clean_text(self.out.input(label))
            else:
                self.out.print(label, end="")
                line = self.stream.readline()
                if not line:
                    raise EOFError
                line = clean_text(line)
                self.out.print(Text(line.rstrip("\r\n")))  # the transcript shows the answer
        except (EOFError, KeyboardInterrupt):
            self.interrupted = True
            self.out.print()
            raise Stop(leave=True) from None
        finally:
            self.reading = False
        return line.strip()

    def on_sigint(self, signum: int, frame: object) -> None:
        """Ctrl-C: while waiting for a line, stop now; while a grade is being written, stop
        at the next prompt (the grade is one transaction, but why interrupt it); twice, now."""
        if self.reading or self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True


def tolerant_stdin() -> None:
    """Bytes on stdin that are not text (a pipe, a terminal in another encoding) become U+FFFD
    instead of raising UnicodeDecodeError (strict locales) or turning into lone surrogates
    (the C locale); the parser then says the answer could not be read as text."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")


class Images:
    """Rendered PNGs, saved where the user can open them (and opened for them on --open)."""

    def __init__(self, folder: Path, out: Console, *, open_them: bool = False) -> None:
        self.folder = folder
        self.out = out
        self.open_them = open_them
        self.broken = False

    def save(self, name: str, png: bytes | None, theme: str, label: str) -> Path | None:
        if png is None or self.broken:
            return None
        path = self.folder / name
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(opaque(png, theme))
        except OSError as exc:  # the text above says it all; the pictures are a bonus
            self.broken = True
            self.out.print(Text(f"(images are off: cannot write {self.folder}: {exc})", "dim"))
            return None
        self.out.print(Text(f"🖼  {label}: {shown_path(path)}", style="dim"))
        if self.open_them:
            open_in_viewer(path)
        return path


def opaque(png: bytes, theme: str) -> bytes:
    """Formula images are transparent (for Discord's chat); an image viewer shows them on
    white or a checkerboard, where dark-theme text vanishes. Put them on the theme's
    background, with a margin. Opaque images (charts) are returned as they are."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return png
    image = image.convert("RGBA")
    if image.getextrema()[3][0] == 255:
        return png
    background = Image.new(
        "RGBA",
        (image.width + 2 * RENDER_PAD, image.height + 2 * RENDER_PAD),
        (*BACKGROUNDS.get(theme, BACKGROUNDS["dark"]), 255),
    )
    background.alpha_composite(image, (RENDER_PAD, RENDER_PAD))
    out = io.BytesIO()
    background.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def open_in_viewer(path: Path) -> None:
    """The system's image viewer, best effort: a missing viewer is not the student's problem."""
    try:
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]
            return
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen(
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        pass


def shown_path(path: Path) -> str:
    """Relative to the working directory when inside it: shorter, and still clickable."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def pretty(expr: sympy.Expr) -> str:
    """A formula as sympy's 2-D pretty print; ASCII art when the output cannot take unicode."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return sympy.pretty(expr, use_unicode=encoding in ("utf8", "utf8sig"))


def day_text(day: dt.date) -> str:
    return day.strftime("%a %d %b %Y")


def days_text(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def default_user() -> str:
    try:
        return getpass.getuser() or "me"
    except (OSError, KeyError):  # no login name in some containers
        return "me"


# --- the console ----------------------------------------------------------------------------


@dataclass
class Tally:
    """A quiz's own count: the review log counts items, and a quiz repeats one item."""

    answered: int = 0
    solved: int = 0
    first_try: int = 0


@dataclass(frozen=True)
class Command:
    usage: str
    about: str
    run: Callable[[list[str]], Awaitable[None]]
    aliases: tuple[str, ...] = field(default=())


class ConsoleApp:
    """One user's console: the menu, the study sessions, and the pages (stats, settings...)."""

    def __init__(
        self,
        service: StudyService,
        pool: MathPool,
        user_id: int,
        name: str,
        out: Console,
        lines: Lines,
        images: Images,
        *,
        seed: int | None = None,
    ) -> None:
        self.service = service
        self.pool = pool
        self.user = user_id
        self.name = name
        self.out = out
        self.lines = lines
        self.images = images
        self.seed = seed
        self.seeded = 0
        lines.before = self.check_reminders
        self.commands: dict[str, Command] = {
            "quiz": Command(
                "quiz [SKILL] [LEVEL] [COUNT]",
                "fresh problems; no skill: what is most due",
                self.cmd_quiz,
            ),
            "review": Command(
                "review [leeches]",
                "today's due queue: problems and flashcards (or focused practice of your leeches)",
                self.cmd_review,
            ),
            "stats": Command("stats", "your progress, and a dashboard image", self.cmd_stats),
            "leaderboard": Command(
                "leaderboard [week|month|all]", "everyone who studies here", self.cmd_leaderboard
            ),
            "decks": Command(
                "decks [validate FILE]",
                "the decks, or check a deck file",
                self.cmd_decks,
                ("deck",),
            ),
            "skills": Command("skills", "what `quiz SKILL` can practise", self.cmd_skills),
            "settings": Command(
                "settings [NAME VALUE]…", "show or change your settings", self.cmd_settings
            ),
            "remind": Command(
                "remind [set HH:MM [ZONE] | show | off]",
                "a daily reminder, shown here when due",
                self.cmd_remind,
                ("reminders", "reminder"),
            ),
            "resources": Command("resources", "videos, notes and books", self.cmd_resources),
            "help": Command("help", "this list", self.cmd_help, ("?",)),
        }

    # --- running ------------------------------------------------------------------------

    async def run(self, options: Options) -> int:
        notice = await self.service.pending_notice(self.user)
        if notice:
            self.out.print(
                Text(f"⚠️ Your study reminder was paused ({notice}); `remind set` restarts it.")
            )
        try:
            if options.quiz is None and not options.review:
                await self.menu()
            if options.quiz is not None:
                await self.quiz(options.quiz or None, options.level, options.count)
            if options.review:
                await self.review()
        except Stop:
            pass
        self.out.print("Bye! Your progress is saved.")
        return 0

    async def menu(self) -> None:
        self.out.print(
            Text("Type a command: ", style="dim")
            + Text(" · ".join([*self.commands, "quit"]), style="bold")
            + Text("  (help explains each)", style="dim")
        )
        while True:
            line = await self.lines.ask("derivbot")
            if not line:
                continue
            word, *args = line.split()
            word = word.lower().lstrip("/")
            if word in ("quit", "exit", "q"):
                return
            command = self._command(word)
            if command is None:
                self._unknown(word)
                continue
            try:
                await command.run(args)
            except Stop as stop:
                if stop.leave:
                    raise
            except (StudyError, ValueError) as exc:
                self.error(str(exc))

    def _command(self, word: str) -> Command | None:
        for name, command in self.commands.items():
            if word == name or word in command.aliases:
                return command
        return None

    def _unknown(self, word: str) -> None:
        close = difflib.get_close_matches(word, [*self.commands, "quit"], n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        self.error(f"I don't know the command {word!r}.{hint} `help` lists them.")

    def error(self, message: str) -> None:
        self.out.print(Text(message[:1].upper() + message[1:], style="yellow"))

    # --- quiz -----------------------------------------------------------------------------

    async def cmd_quiz(self, args: list[str]) -> None:
        skill, numbers = None, []
        for arg in args:
            if arg.isdigit():
                numbers.append(int(arg))
            elif skill is None and arg.lower() in SKILLS:
                skill = arg.lower()
            else:
                close = difflib.get_close_matches(arg.lower(), SKILLS, n=1)
                hint = f" Did you mean {close[0]}?" if close else ""
                self.error(f"I don't know the skill {arg!r}.{hint} `skills` lists them.")
                return
        level = count = None
        if skill is not None and numbers:
            level = numbers.pop(0)
        if numbers:
            count = numbers.pop(0)
        if skill is not None and level is not None and not 1 <= level <= SKILLS[skill].levels:
            self.error(f"{skill} has levels 1-{SKILLS[skill].levels}.")
            return
        await self.quiz(skill, level, count or SESSION_LENGTH)

    async def quiz(self, skill: str | None, level: int | None, count: int) -> None:
        """`count` fresh problems, of one skill or each time the most due one; wrong answers
        can be tried again, `hint` and `solution` work as the buttons do on Discord."""
        since = self.service.clock()
        tally = Tally()
        try:
            for number in range(1, count + 1):
                key = skill_key(skill, level or 1) if skill else await self._most_due_skill()
                shown = await self._present(key)
                problem = shown.problem
                assert problem is not None
                head = f"Problem {number}/{count} · {problem.skill} · level {problem.level}"
                self.out.print(Rule(Text(head, style="bold")))
                self.progress(number - 1, count)
                await self.show_problem(problem, shown.new, shown.locked)
                outcome, tries = await self.answer(shown)
                tally.answered += 1
                if outcome.status == "correct":
                    tally.solved += 1
                    tally.first_try += tries == 1
        except Stop:
            await self.quiz_summary(tally, since, stopped=True)
            raise
        await self.quiz_summary(tally, since)

    async def _most_due_skill(self) -> str:
        for key in await self.service.due_queue(self.user):
            if parse_key(key).kind == "skill":
                return key
        return skill_key("power", 1)

    async def _present(self, key: str) -> Presented:
        if self.seed is not None and parse_key(key).kind == "skill":
            seed, self.seeded = self.seed + self.seeded, self.seeded + 1
            return await self.service.present_seeded(self.user, key, seed)
        return await self.service.present(self.user, key)

    async def show_problem(self, problem: Problem, new: bool, locked: bool = False) -> None:
        self.out.print(Text(problem.prompt, style="bold"))
        self.out.print()
        for row in pretty(problem.function).splitlines():
            self.out.print(Text("    " + row))
        self.out.print()
        if locked:
            self.out.print(Text(PRACTICE_NOTES["locked"], style="dim"))
        elif new:
            self.out.print(Text("New: this skill joins your reviews once you answer.", style="dim"))
        theme = await self.theme()
        image = await tasks.arender(
            self.pool, problem.prompt_latex, theme=theme, fallback_text=problem.prompt
        )
        self.images.save(_problem_name(problem, "problem"), image.png, theme, "problem image")

    async def answer(self, shown: Presented) -> tuple[Outcome, int]:
        """Typed answers until one is graded (right, or the solution shown); returns the
        outcome and how many answers were typed."""
        tries = 0
        prompt = "Your answer (hint · solution · quit)"
        while True:
            text = await self.lines.ask(prompt)
            word = text.lower()
            if not text:
                continue
            if word in ("quit", "exit"):
                raise Stop(leave=False)
            if word == "hint":
                await self.hint(shown)
                continue
            if word in GIVE_UP:
                outcome = await self.service.reveal(shown.token, user_id=self.user)
                await self.show_outcome(shown, outcome, None)
                return outcome, tries
            tries += 1
            outcome = await self.service.submit_answer(shown.token, text, user_id=self.user)
            await self.show_outcome(shown, outcome, text)
            if not outcome.can_retry:
                return outcome, tries
            prompt = "Try again (hint · solution · quit)"

    async def hint(self, shown: Presented) -> None:
        if shown.kind != "skill":
            self.out.print("No hint for a flashcard; `solution` shows its answer.")
            return
        step = await self.service.hint(shown.token, user_id=self.user)
        if step is None:
            self.out.print("No hint for this one.")
            return
        self.out.print(Text("💡 Hint: ", style="bold yellow") + Text(step.text))
        theme = await self.theme()
        image = await tasks.arender(self.pool, step.latex, theme=theme, fallback_text=step.text)
        assert shown.problem is not None
        self.images.save(_problem_name(shown.problem, "hint"), image.png, theme, "hint image")

    async def show_outcome(self, shown: Presented, outcome: Outcome, answer: str | None) -> None:
        """The verdict as on Discord: the reading first, the verdict and the named mistake,
        the worked steps, the next review and the points."""
        verdict = outcome.verdict
        status = outcome.status
        if status == "already":
            status = "correct" if verdict is not None and verdict.correct else "revealed"
        title, style = TITLES.get(status, ("Done", "bold"))
        self.out.print(Text(title, style=style))
        if verdict is not None and verdict.reading is not None:
            self.out.print(Text("I read your answer as ") + Text(verdict.reading.text, "bold"))
            for note in verdict.reading.notes:
                self.out.print(Text(f"  ({note})", style="italic dim"))
        elif answer is not None and verdict is not None:
            self.out.print(Text("You typed ") + Text(answer, "bold"))
        if verdict is not None and status == "invalid":
            self.out.print(Text(verdict.message))
        if verdict is not None and verdict.diagnosis:
            self.out.print(
                Text(f"Mistake ({verdict.mistake}): ", style="bold red") + Text(verdict.diagnosis)
            )
        if outcome.status == "already":
            self.out.print("This one was already graded; it counts once.")
        if outcome.steps:
            await self.show_steps(shown, outcome)
        elif shown.card is not None and outcome.status in ("correct", "revealed"):
            await self.show_back(shown)
        if not outcome.can_retry:
            self.out.print(self.grade_line(outcome))

    async def show_steps(self, shown: Presented, outcome: Outcome) -> None:
        self.out.print(Text("Worked solution:", style="bold"))
        for number, step in enumerate(outcome.steps, start=1):
            self.out.print(Text(f"  {number}. ") + Text(step.text))
        problem = shown.problem
        if problem is None:
            return
        theme = await self.theme()
        lines = [f"{s.title}:  ${s.latex}$" for s in outcome.steps]
        image = await tasks.arender(
            self.pool, lines, theme=theme, fallback_text="\n".join(s.text for s in outcome.steps)
        )
        self.images.save(_problem_name(problem, "solution"), image.png, theme, "solution image")
        if problem.answer_kind == "line" and problem.point is not None:
            picture = await self._tangent(problem, theme)
            self.images.save(_problem_name(problem, "tangent"), picture.png, theme, "tangent")

    async def _tangent(self, problem: Problem, theme: str) -> Rendered:
        from bot.math.render import render_tangent

        try:
            return await self.pool.arun(
                render_tangent,
                problem.function,
                float(problem.point),
                var=sympy.Symbol(problem.var),
                theme=theme,
                timeout=CHART_TIMEOUT,
            )
        except Exception:  # a picture is a bonus: the steps above already say it all
            return Rendered(None, "", "could not draw the tangent")

    def grade_line(self, outcome: Outcome) -> Text:
        """Next review and points, or why the schedule did not move."""
        schedule = outcome.schedule
        if outcome.graded and schedule is not None:
            due = schedule.due_day or (schedule.due_at.date() if schedule.due_at else None)
            parts = [f"Next review {day_text(due)}"] if due is not None else []
            parts.append(f"+{outcome.points} points")
            if outcome.new_leech:
                parts.append(LEECH_NOTE + " (`review leeches`)")
            return Text(" · ".join(parts), style="cyan")
        if outcome.status == "already" or outcome.practice is None:
            return Text("")
        return Text(PRACTICE_NOTES[outcome.practice], style="dim")

    async def quiz_summary(
        self, tally: Tally, since: dt.datetime, *, stopped: bool = False
    ) -> None:
        report = await self.service.session_summary(self.user, since)
        table = Table(title="Quiz stopped" if stopped else "🎉 Quiz complete", title_style="bold")
        for column in ("Problems", "Solved", "First try", "Points", "Streak", "Next due"):
            table.add_column(column, justify="center")
        table.add_row(
            str(tally.answered),
            str(tally.solved),
            str(tally.first_try),
            f"+{report.points}",
            days_text(report.streak),
            day_text(report.next_due) if report.next_due else "nothing scheduled",
        )
        self.out.print(table)

    # --- review ---------------------------------------------------------------------------

    async def cmd_review(self, args: list[str]) -> None:
        if args and args[0].lower() in ("leeches", "leech"):
            await self.review(leeches=True)
        elif args:
            self.error("`review`, or `review leeches` for the items you keep forgetting.")
        else:
            await self.review()

    async def review(self, *, leeches: bool = False) -> None:
        """Today's queue as /review orders it; anything graded below Good comes back later in
        the session (SM-2's same-day re-drill) until it is remembered well. ``leeches``:
        focused practice of the items failed again and again instead (due ones still count)."""
        since = self.service.clock()
        if leeches:
            queue = await self.service.leeches(self.user)
            if not queue:
                self.out.print("No leeches: nothing you keep forgetting. 🎉")
                return
            self.out.print(Text("Focused practice on your leeches.", style="bold"))
        else:
            queue = await self.service.due_queue(self.user)
        if not queue:
            report = await self.service.session_summary(self.user, since)
            if report.next_due is None:
                self.out.print("Nothing to review yet! Try `quiz` for a fresh problem.")
            else:
                self.out.print(
                    f"🎉 All caught up: your next review is due {day_text(report.next_due)}."
                )
            return
        session: srs.StudySession[str] = srs.StudySession(queue)
        self.out.print(Text(f"{len(queue)} to review. Let's go!", style="bold"))
        done = 0
        try:
            while (head := session.next()) is not None:
                key, redrill = head
                shown = await self._present(key)
                left = session.summary().remaining
                self.out.print(Rule(Text(_item_title(shown, redrill), style="bold")))
                self.progress(done, done + left)
                if shown.card is not None and not shown.card.typed_answer:
                    outcome = await self.flashcard(shown)
                else:
                    if shown.card is not None:
                        await self.show_front(shown)
                    else:
                        assert shown.problem is not None
                        await self.show_problem(shown.problem, shown.new, shown.locked)
                    outcome, _ = await self.answer(shown)
                done += 1
                quality = outcome.quality if outcome.quality is not None else 4
                if session.record(key, quality).will_return:
                    self.out.print(Text(AGAIN_LATER, style="yellow"))
        except Stop:
            await self.review_summary(since, stopped=True)
            raise
        await self.review_summary(since)

    async def flashcard(self, shown: Presented) -> Outcome:
        """Front, then the back on Enter, then the four grades (a grade typed straight away
        also shows the back first, so a script can answer a card in one line)."""
        await self.show_front(shown)
        line = await self.lines.ask("Enter shows the answer (or 1-4 to grade, quit)")
        while line and line.lower() not in GRADES:
            if line.lower() in ("quit", "exit"):
                raise Stop(leave=False)
            line = await self.lines.ask("Press Enter to see the answer")
        await self.show_back(shown)
        while line.lower() not in GRADES:
            line = await self.lines.ask(GRADE_PROMPT)
            if line.lower() in ("quit", "exit"):
                raise Stop(leave=False)
        button = GRADES[line.lower()]
        outcome = await self.service.grade_card(shown.token, button, user_id=self.user)
        if outcome.status == "already":
            self.out.print("This one was already graded; it counts once.")
        else:
            self.out.print(
                Text(f"{button.value.capitalize()} · ", style="bold") + self.grade_line(outcome)
            )
        return outcome

    async def show_front(self, shown: Presented) -> None:
        card = shown.card
        assert card is not None
        self.out.print(Text(card.front, style="bold"))
        if card.latex_front:
            await self._card_latex(card.latex_front, f"card-{card.id}-front.png", "card image")
        if card.typed_answer:
            self.out.print(Text("Type the answer; it is checked like a problem.", style="dim"))

    async def show_back(self, shown: Presented) -> None:
        card = shown.card
        assert card is not None
        self.out.print(Text("Answer: ", style="bold green") + Text(card.back))
        if card.latex_back:
            await self._card_latex(card.latex_back, f"card-{card.id}-back.png", "answer image")

    async def _card_latex(self, latex: str, name: str, label: str) -> None:
        theme = await self.theme()
        image = await tasks.arender(self.pool, latex, theme=theme)  # the card's text says it too
        self.images.save(name, image.png, theme, label)

    async def review_summary(self, since: dt.datetime, *, stopped: bool = False) -> None:
        report = await self.service.session_summary(self.user, since)
        title = "Session stopped" if stopped else "🎉 Session complete"
        table = Table(title=title, title_style="bold")
        for column in ("Reviewed", "Correct", "New learned", "Points", "Streak", "Next due"):
            table.add_column(column, justify="center")
        table.add_row(
            str(report.reviewed),
            str(report.correct),
            str(report.new_learned),
            f"+{report.points}",
            days_text(report.streak),
            day_text(report.next_due) if report.next_due else "nothing scheduled",
        )
        self.out.print(table)

    def progress(self, done: int, total: int) -> None:
        """How far through the session: a bar in colour on a terminal, `[###---]` in text."""
        label = Text(f" {done}/{total} done", style="dim")
        if self.out.is_terminal:
            grid = Table.grid(padding=(0, 1))
            grid.add_row(ProgressBar(total=max(total, 1), completed=done, width=30), label)
            self.out.print(grid)
        else:
            width = 20
            filled = round(width * done / total) if total else 0
            self.out.print(Text(f"[{'#' * filled}{'-' * (width - filled)}]") + label)

    async def theme(self) -> str:
        return (await self.service.preferences(self.user)).theme

    # --- progress pages -------------------------------------------------------------------

    async def cmd_stats(self, args: list[str]) -> None:
        progress = await self.service.stats(self.user)
        data = stats_module.chart_data(progress, self.name)
        self.out.print(Rule(Text(f"📈 {self.name}'s progress", style="bold")))
        correct = sum(a.correct for a in data.accuracy)
        attempts = sum(a.attempts for a in data.accuracy)
        head = Table()
        for column in ("Streak", "Reviews", "Due today", "Learning", "Accuracy"):
            head.add_column(column, justify="center")
        head.add_row(
            f"🔥 {days_text(data.streak)}",
            f"{data.total_reviews:,}",
            f"{progress.forecast[0][1] if progress.forecast else 0:,}",
            f"{data.items_learning:,} items",
            f"{100 * correct // attempts}% ({correct}/{attempts})" if attempts else "—",
        )
        self.out.print(head)
        if not data.total_reviews:
            self.out.print("Nothing reviewed yet: `quiz` starts the first problem.")
        skills = Table(title="Accuracy per skill", title_style="bold")
        skills.add_column("Skill")
        skills.add_column("Correct", justify="right")
        skills.add_column("Answers", justify="right")
        skills.add_column("Accuracy", justify="right")
        for a in data.accuracy:
            if a.attempts:
                share = 100 * a.correct // a.attempts
                style = "green" if share >= 80 else "yellow" if share >= 50 else "red"
                skills.add_row(
                    a.skill.replace("_", " "),
                    str(a.correct),
                    str(a.attempts),
                    Text(f"{share}%", style=style),
                )
        if skills.row_count:
            self.out.print(skills)
        days = [progress.today - dt.timedelta(days=k) for k in range(6, -1, -1)]
        week = Table(title="Reviews, last 7 days", title_style="bold")
        week.add_column("")
        for day in days:
            week.add_column(day.strftime("%a %d"), justify="right")
        week.add_row("Reviewed", *(str(progress.reviews_per_day.get(d, 0)) for d in days))
        self.out.print(week)
        ahead = progress.forecast[:7]  # its own dates: today and the six days after
        coming = Table(title="Due, next 7 days", title_style="bold")
        coming.add_column("")
        for day, _ in ahead:
            coming.add_column(day.strftime("%a %d"), justify="right")
        coming.add_row("Due", *(str(n) for _, n in ahead))
        self.out.print(coming)
        if data.leeches:
            self.out.print(
                Text("Leeches (failed again and again): ", style="bold red")
                + Text(", ".join(data.leeches[:10]))
            )
        theme = await self.theme()
        png = await self._chart(charts.stats_png, data, theme)
        self.images.save(f"stats-{_slug(self.name)}.png", png, theme, "dashboard image")

    async def _chart(self, fn: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes | None:
        try:
            return await self.pool.arun(fn, *args, timeout=CHART_TIMEOUT, **kwargs)
        except Exception:  # the tables already say it in words
            self.out.print(Text("(the picture could not be drawn this time)", style="dim"))
            return None

    async def cmd_leaderboard(self, args: list[str]) -> None:
        period = (args[0].lower() if args else "week").replace("alltime", "all")
        if period not in stats_module.PERIOD_DAYS:
            self.error("Periods: week, month, all.")
            return
        board = await self.service.console_leaderboard(period, user_id=self.user)  # type: ignore[arg-type]
        label = charts.PERIOD_LABELS.get(period, period)
        table = Table(title=f"🏆 Leaderboard · {label}", title_style="bold", min_width=40)
        table.add_column("#", justify="right")
        table.add_column("Name")
        table.add_column("Points", justify="right")
        me = board.me.rank if board.me else None
        for s in board.top:
            style = "bold cyan" if s.rank == me else ""
            name = Text(charts.plain_name(s.name), style=style)
            if s.rank == me:
                name.append(" ← you")
            table.add_row(MEDALS.get(s.rank, str(s.rank)), name, f"{s.points:,}")
        if board.me is not None and me not in {s.rank for s in board.top}:
            table.add_row(
                str(board.me.rank),
                Text(f"{board.me.name} ← you", "bold cyan"),
                f"{board.me.points:,}",
            )
        if not board.top:
            self.out.print(f"No points yet ({label}). Correct answers to due reviews earn points.")
            return
        self.out.print(table)
        if board.me is None:
            self.out.print("You: not on this board yet (no points in this period).")
        self.out.print(
            Text(
                "Everyone who studies in a console on this database; `--user NAME` adds people.",
                style="dim",
            )
        )
        rows = [(s.rank, s.name, s.points) for s in board.top]
        mine = (board.me.rank, board.me.name, board.me.points) if board.me else None
        theme = await self.theme()
        png = await self._chart(
            charts.leaderboard_png, rows, mine, period, theme, server="this computer"
        )
        self.images.save(f"leaderboard-{period}.png", png, theme, "leaderboard image")

    # --- decks, skills, settings, reminders, resources, help -------------------------------

    async def cmd_decks(self, args: list[str]) -> None:
        if args and args[0].lower() == "validate":
            if len(args) < 2:
                self.error("Give a deck file: `decks validate my-deck.yaml`.")
                return
            await self.validate(Path(" ".join(args[1:])).expanduser())
            return
        table = Table(title="Decks", title_style="bold")
        table.add_column("Deck")
        table.add_column("Title")
        table.add_column("Cards", justify="right")
        for slug, title, count, _shipped in await self.service.list_decks(None):
            table.add_row(slug, title, str(count))
        self.out.print(table)
        self.out.print(
            Text(
                "Their cards come up in `review`. Check a deck you wrote: `decks validate FILE`; "
                "a teacher imports it on Discord with /deck import.",
                style="dim",
            )
        )

    async def validate(self, path: Path) -> None:
        """Check a deck file as an import would (schema, ids, LaTeX, typed answers); importing
        into a class is a Discord teacher command, so nothing is stored here."""
        from bot.study import decks

        self.out.print(f"Checking {path} …")
        problems = await asyncio.to_thread(decks.validate_path, path)
        if not problems:
            self.out.print(Text(f"✅ {path} is a valid deck.", style="green"))
            return
        for problem in problems:
            self.out.print(Text(f"  {problem}", style="red"))
        self.out.print(Text(f"{len(problems)} problem(s) in {path}.", style="bold red"))

    async def cmd_skills(self, args: list[str]) -> None:
        table = Table(title="Skills", title_style="bold")
        table.add_column("Skill")
        table.add_column("Levels", justify="center")
        table.add_column("What it practises")
        for skill in SKILLS.values():
            table.add_row(skill.name, f"1-{skill.levels}", skill.description)
        self.out.print(table)
        self.out.print(
            Text("Example: `quiz chain 2` (level 2), `quiz chain 2 5` (5 problems).", "dim")
        )

    async def cmd_settings(self, args: list[str]) -> None:
        if len(args) % 2:
            self.error("Settings come in pairs: `settings theme light new_per_day 15`.")
            return
        changes: dict[str, object] = {}
        scheduler = None
        for raw, value in zip(args[::2], args[1::2], strict=True):
            name = _setting_name(raw.lower())
            if name is None:
                self.error(f"No setting {raw!r}; they are: {', '.join(SETTINGS)}.")
                return
            if name == "scheduler":
                if value.lower() not in ("sm2", "fsrs"):
                    self.error("The scheduler is sm2 or fsrs.")
                    return
                scheduler = value.lower()
            elif name == "theme":
                if value.lower() not in ("dark", "light"):
                    self.error("The theme is dark or light.")
                    return
                changes[name] = value.lower()
            elif name == "timezone":
                try:
                    srs.days.zone(value)
                except ValueError:
                    self.error(f"I don't know the time zone {value!r} (try e.g. Europe/Berlin).")
                    return
                changes[name] = value
            else:
                low, high = LIMITS[name]
                if not value.isdigit() or not low <= int(value) <= high:
                    self.error(f"{name} takes a whole number from {low} to {high}.")
                    return
                changes[name] = int(value)
        if changes:
            await self.service.set_user_preferences(self.user, **changes)
        if scheduler is not None:
            updated = await self.service.set_scheduler(self.user, scheduler)  # type: ignore[arg-type]
            self.out.print(
                f"Scheduler is now {scheduler}; {updated} items rescheduled from history."
            )
        prefs = await self.service.preferences(self.user)
        table = Table(
            title="Saved ✅" if changes or scheduler else "Your settings", title_style="bold"
        )
        table.add_column("Setting")
        table.add_column("Value")
        table.add_column("What it is", style="dim")
        values = {
            "theme": prefs.theme,
            "scheduler": prefs.scheduler,
            "new_per_day": str(prefs.new_per_day),
            "reviews_per_day": str(prefs.reviews_per_day),
            "timezone": prefs.timezone,
            "day_start_hour": f"{prefs.day_start_hour:02d}:00",
        }
        for name, (_, about) in SETTINGS.items():
            table.add_row(name, values[name], about)
        self.out.print(table)
        if not args:
            self.out.print(Text("Change one: `settings theme light`, `settings new 15`.", "dim"))

    async def cmd_remind(self, args: list[str]) -> None:
        action = args[0].lower() if args else "show"
        if action == "set":
            if len(args) < 2:
                self.error("When? `remind set 07:30` (and a time zone if not your own).")
                return
            try:
                parse_time(args[1])
            except ValueError:
                self.error(f"I need a 24-hour time like 07:30; you typed {args[1]!r}.")
                return
            zone = (
                args[2] if len(args) > 2 else (await self.service.preferences(self.user)).timezone
            )
            try:
                srs.days.zone(zone)
            except ValueError:
                self.error(f"I don't know the time zone {zone!r} (try e.g. Europe/Berlin).")
                return
            fire_at = await self.service.set_reminder(self.user, args[1], zone)
            self.out.print(
                f"⏰ Every day at {args[1]} ({zone}); next {_local(fire_at, zone)}. "
                "It shows here when it is due while the console is open."
            )
        elif action == "off":
            removed = await self.service.clear_reminder(self.user)
            self.out.print("Reminder off." if removed else "You had no reminder.")
        elif action == "show":
            info = await self.service.reminder(self.user)
            if info is None:
                self.out.print("No reminder. `remind set 07:30` sets a daily one.")
            elif info.paused:
                self.out.print(
                    f"Your {info.local_time} reminder is paused; `remind set` restarts it."
                )
            else:
                self.out.print(
                    f"⏰ Every day at {info.local_time} ({info.timezone}); "
                    f"next {_local(info.next_fire_at, info.timezone)}."
                )
        else:
            self.error("`remind set HH:MM [ZONE]`, `remind show` or `remind off`.")

    async def check_reminders(self) -> None:
        """Called before every prompt: this user's reminder, if it is due, printed once."""
        for due in await self.service.reminders_due(user_id=self.user):
            count = len(await self.service.due_queue(self.user))
            what = (
                f"{count} item{'s' if count != 1 else ''} to review" if count else "time to study"
            )
            self.out.print(
                Text(f"⏰ Study reminder: {what}. Type `review` to start.", style="bold magenta")
            )
            await self.service.reminder_sent(due.reminder_id)

    async def cmd_resources(self, args: list[str]) -> None:
        # the list lives with /resources for now; it is plain data (no Discord in it)
        from bot.study.resources import RESOURCES

        self.out.print(Rule(Text("📚 Learning resources", style="bold")))
        for r in RESOURCES:
            star = "⭐ " if r.recommended else ""
            self.out.print(Text(f"{star}{r.name}", style="bold"))
            self.out.print(Text(f"   {r.note}"))
            self.out.print(Text(f"   {r.url}", style="blue underline"))
        self.out.print(Text("⭐ marks the recommended pair.", style="dim"))

    async def cmd_help(self, args: list[str]) -> None:
        table = Table(title="derivbot console: commands", title_style="bold")
        table.add_column("Command", style="bold")
        table.add_column("What it does")
        for command in self.commands.values():
            table.add_row(escape(command.usage), command.about)
        table.add_row("quit", "leave (Ctrl-D and Ctrl-C too); progress is saved as you go")
        self.out.print(table)
        self.out.print(
            "While answering: type the derivative as you would write it (2x cos(x^2), "
            "sqrt(x), e^x, ln x); `hint` shows the first step, `solution` (or `skip`) the "
            "worked solution, `quit` ends the session with its summary. Flashcards: Enter "
            "shows the answer, then 1 Again · 2 Hard · 3 Good · 4 Easy."
        )


def _problem_name(problem: Problem, what: str) -> str:
    return f"{problem.skill}-L{problem.level}-{problem.seed}-{what}.png"


def _item_title(shown: Presented, redrill: bool) -> str:
    if shown.card is not None:
        if redrill:
            return f"🔁 Flashcard, again · {shown.card.deck}"
        return f"Flashcard{' · new' if shown.new else ''} · {shown.card.deck}"
    problem = shown.problem
    assert problem is not None
    again = "🔁 again · " if redrill else ""
    return f"{again}{problem.skill} · level {problem.level}"


def _setting_name(raw: str) -> str | None:
    for name, (aliases, _) in SETTINGS.items():
        if raw == name or raw in aliases or raw.replace("-", "_") == name:
            return name
    return None


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "me"


def _local(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(srs.days.zone(zone)).strftime("%a %d %b %H:%M")


# --- start and stop -------------------------------------------------------------------------


def main(options: Options, *, note: str | None = None) -> int:
    """Run the console until the user leaves; the worker pool and the database engine are
    closed however it ends."""
    out = make_console()
    tolerant_stdin()
    lines = Lines(out)
    previous = signal.getsignal(signal.SIGINT)
    with contextlib.suppress(ValueError):  # not the main thread: keep the default
        signal.signal(signal.SIGINT, lines.on_sigint)
    try:
        return asyncio.run(_main(options, out, lines, note))
    except KeyboardInterrupt:  # Ctrl-C twice: stop at once
        out.print("\nStopped.")
        return 130
    finally:
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signal.SIGINT, previous)


async def _main(options: Options, out: Console, lines: Lines, note: str | None) -> int:
    from bot.config import get_settings
    from bot.db import migrate
    from bot.db.engine import create_engine, session_factory

    settings = get_settings()
    if note:
        out.print(Text(note, style="dim"))
    engine = create_engine(settings.database_url)
    pool = MathPool(workers=settings.math_workers or 2, timeout=settings.math_timeout)
    try:
        service = StudyService(session_factory(engine), pool, settings=settings)
        await migrate.prepare_database(settings.database_url, then=service.sync_shipped_decks)
        name = clean_text(options.user or default_user())  # as the service stores it
        user = await service.user_for_console(name)
        folder = (options.images or DEFAULT_IMAGES).expanduser()
        images = Images(folder, out, open_them=options.open_images)
        app = ConsoleApp(service, pool, user, name, out, lines, images, seed=options.seed)
        out.print(
            Text("derivbot", style="bold magenta")
            + Text(f" · studying as {name} (--user NAME for someone else)")
        )
        out.print(Text(f"Database: {_database(settings.database_url)}", style="dim"))
        out.print(Text(f"Images are saved in {folder.resolve()}", style="dim"))
        return await app.run(options)
    finally:
        await asyncio.to_thread(pool.close)
        await engine.dispose()


def _database(url: str) -> str:
    from sqlalchemy import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return str(Path(parsed.database).resolve())
    return parsed.render_as_string(hide_password=True)
