"""The console itself: the menu, the commands table, start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.console.base import Options
from bot.console.images import Images
from bot.console.pages import InfoPages, ProgressPages
from bot.console.quiz import QuizCommands
from bot.console.reminders import RemindCommands
from bot.console.review import ReviewCommands
from bot.console.settings import SettingsCommands
from bot.console.terminal import Lines, Stop, default_user, make_console, tolerant_stdin
from bot.math.workers import MathPool
from bot.study import credit
from bot.study.service import StudyError, StudyService
from bot.study.text import clean_text

DEFAULT_IMAGES = Path("derivbot-images")


@dataclass(frozen=True)
class Command:
    usage: str
    about: str
    run: Callable[[list[str]], Awaitable[None]]
    aliases: tuple[str, ...] = field(default=())


class ConsoleApp(
    QuizCommands, ReviewCommands, ProgressPages, InfoPages, SettingsCommands, RemindCommands
):
    """One user's console: the menu, the study sessions, and the pages (stats, settings...)."""

    @cached_property
    def commands(self) -> dict[str, Command]:
        """The menu: each command's usage, what it does and the method that runs it."""
        return {
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
            "sqrt(x), e^x, ln x); `hint` shows the next hint (1/3, 2/3, ...), `solution` "
            "(or `skip`) the worked solution, `quit` ends the session with its summary. "
            "Flashcards: Enter shows the answer, then 1 Again · 2 Hard · 3 Good · 4 Easy."
        )
        self.out.print(Text("What earns points", style="bold"))
        for line in credit.help_lines():
            self.out.print(Text(f"  {line}"))


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
