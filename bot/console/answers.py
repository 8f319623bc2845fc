"""Showing an item and taking its answer: problems, typed and plain flashcards, verdicts.
Shared by `quiz` and `review`, in the words Discord uses (`bot.study.wording`)."""

from __future__ import annotations

import sympy
from rich.text import Text

from bot import srs
from bot.console.base import CHART_TIMEOUT, Screen
from bot.console.terminal import Stop, pretty
from bot.math import tasks
from bot.math.generator import Problem
from bot.math.render import Rendered
from bot.math.skills import kind_of
from bot.study import wording
from bot.study.service import Outcome, Presented

GIVE_UP = ("solution", "skip")
GRADES = {
    "1": srs.Button.AGAIN,
    "2": srs.Button.HARD,
    "3": srs.Button.GOOD,
    "4": srs.Button.EASY,
    **{button.value: button for button in srs.Button},
}
GRADE_PROMPT = "How well did you remember it? 1 Again · 2 Hard · 3 Good · 4 Easy"
#: rich styles of the verdict titles, by `wording.shown_status`
TITLE_STYLES = {
    "correct": "bold green",
    "incorrect": "bold red",
    "invalid": "bold yellow",
    "revealed": "bold blue",
}


class Answering(Screen):
    """Items on screen and the answers typed to them."""

    async def show_problem(self, problem: Problem, new: bool, locked: bool = False) -> None:
        self.out.print(Text(problem.prompt, style="bold"))
        self.out.print()
        for row in pretty(problem.function).splitlines():
            self.out.print(Text("    " + row))
        self.out.print()
        if locked:
            self.out.print(Text(wording.PRACTICE_NOTES["locked"], style="dim"))
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
        rung = await self.service.hint(shown.token, user_id=self.user)
        if rung is None:
            self.out.print(wording.NO_HINT)
            return
        self.out.print(Text(f"💡 {rung.title}: ", style="bold yellow") + Text(rung.text))
        self.out.print(Text(wording.hint_footer(rung.number, rung.total), style="dim"))
        theme = await self.theme()
        image = await tasks.arender(self.pool, [rung.latex], theme=theme, fallback_text=rung.text)
        assert shown.problem is not None
        name = _problem_name(shown.problem, f"hint{rung.number}")
        self.images.save(name, image.png, theme, "hint image")

    async def show_outcome(self, shown: Presented, outcome: Outcome, answer: str | None) -> None:
        """The verdict as on Discord: the reading first, the verdict and the named mistake,
        the worked steps, the next review and the points."""
        verdict = outcome.verdict
        status = wording.shown_status(outcome)
        self.out.print(Text(wording.outcome_title(status), style=TITLE_STYLES.get(status, "bold")))
        if verdict is not None and verdict.reading is not None:
            self.out.print(Text("I read your answer as ") + Text(verdict.reading.text, "bold"))
            for note in verdict.reading.notes:
                self.out.print(Text(f"  ({note})", style="italic dim"))
        elif answer is not None and verdict is not None:
            self.out.print(Text("You typed ") + Text(answer, "bold"))
        if verdict is not None and wording.says_more(status, verdict):
            self.out.print(Text(verdict.message))
        if verdict is not None and verdict.diagnosis:
            self.out.print(
                Text(f"Mistake ({verdict.mistake}): ", style="bold red") + Text(verdict.diagnosis)
            )
        if outcome.status == "already":
            self.out.print(wording.ALREADY_GRADED)
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
        image = await tasks.arender(
            self.pool,
            wording.solution_lines(outcome.steps),
            theme=theme,
            fallback_text=wording.solution_text(outcome.steps),
        )
        self.images.save(_problem_name(problem, "solution"), image.png, theme, "solution image")
        if kind_of(problem).shows_tangent and problem.point is not None:
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
        if wording.counted(outcome):
            due = wording.next_review(outcome)
            parts = [f"Next review {wording.day_text(due)}"] if due is not None else []
            parts.append(f"+{outcome.points} points")
            if outcome.new_leech:
                parts.append(wording.LEECH_NOTE + " (`review leeches`)")
            return Text(" · ".join(parts), style="cyan")
        note = wording.practice_note(outcome)
        return Text(note, style="dim") if note is not None else Text("")

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
            self.out.print(wording.ALREADY_GRADED)
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


def _problem_name(problem: Problem, what: str) -> str:
    return f"{problem.skill}-L{problem.level}-{problem.seed}-{what}.png"
