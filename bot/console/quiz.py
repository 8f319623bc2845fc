"""`quiz`: fresh problems, of one skill or the most due one, with a summary at the end."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from rich.rule import Rule
from rich.text import Text

from bot.console.answers import Answering
from bot.console.base import SESSION_LENGTH
from bot.console.terminal import Stop
from bot.math.generator import SKILLS
from bot.study import wording
from bot.study.credit import Credit
from bot.study.items import skill_key


@dataclass
class Tally:
    """A quiz's own count: the review log counts items, and a quiz repeats one item.
    ``first_try``: right at the first try with no hint (`Credit.FIRST_TRY`), practice too."""

    answered: int = 0
    solved: int = 0
    first_try: int = 0


class QuizCommands(Answering):
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
                outcome, _ = await self.answer(shown)
                tally.answered += 1
                if outcome.status == "correct":
                    tally.solved += 1
                    tally.first_try += outcome.credit == Credit.FIRST_TRY
        except Stop:
            await self.quiz_summary(tally, since, stopped=True)
            raise
        await self.quiz_summary(tally, since)

    async def quiz_summary(
        self, tally: Tally, since: dt.datetime, *, stopped: bool = False
    ) -> None:
        report = await self.service.session_summary(self.user, since)
        rows = [
            ("Problems", str(tally.answered)),
            ("Solved", str(tally.solved)),
            ("First try", str(tally.first_try)),
            *wording.standing_rows(report),
        ]
        self.print_summary("Quiz stopped" if stopped else "🎉 Quiz complete", rows)
