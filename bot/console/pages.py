"""The pages: stats and leaderboard (tables, and a chart saved as an image), decks, skills,
resources."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from bot.console.base import CHART_TIMEOUT, Screen
from bot.math import charts
from bot.math.generator import SKILLS
from bot.study import stats as stats_module
from bot.study import wording

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


class ProgressPages(Screen):
    """stats and leaderboard."""

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
            f"🔥 {wording.days_text(data.streak)}",
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


class InfoPages(Screen):
    """decks, skills and resources."""

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


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "me"
