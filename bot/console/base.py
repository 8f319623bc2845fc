"""What every part of the console shares: `Screen`, the state each command mixin reads
(the service, the user, the terminal, the images), and the few helpers they all use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from bot.console.images import Images
from bot.console.terminal import Lines
from bot.math.workers import MathPool
from bot.study.items import parse_key, skill_key
from bot.study.service import Presented, StudyService

SESSION_LENGTH = 10  # problems in a quiz unless --count says otherwise (as on Discord)
CHART_TIMEOUT = 10.0


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


@dataclass(eq=False)
class Screen:
    """The console's shared state. `ConsoleApp` is this plus one mixin per group of commands
    (quiz, review, pages, settings, reminders); each mixin uses only what is declared here."""

    service: StudyService
    pool: MathPool
    user: int
    name: str
    out: Console
    lines: Lines
    images: Images
    seed: int | None = field(default=None, kw_only=True)
    seeded: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.lines.before = self.before_prompt

    async def before_prompt(self) -> None:
        """Runs before every prompt (see `Lines.ask`); a mixin may extend it."""

    def error(self, message: str) -> None:
        self.out.print(Text(message[:1].upper() + message[1:], style="yellow"))

    async def theme(self) -> str:
        return (await self.service.preferences(self.user)).theme

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

    def print_summary(self, title: str, rows: list[tuple[str, str]]) -> None:
        """A session's summary: one table row under its labels."""
        table = Table(title=title, title_style="bold")
        for label, _ in rows:
            table.add_column(label, justify="center")
        table.add_row(*(value for _, value in rows))
        self.out.print(table)
