"""`review`: today's due queue (or the leeches), re-drilled until remembered, then a summary."""

from __future__ import annotations

import datetime as dt

from rich.rule import Rule
from rich.text import Text

from bot import srs
from bot.console.answers import Answering
from bot.console.terminal import Stop
from bot.study import wording
from bot.study.service import Presented


class ReviewCommands(Answering):
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
                self.out.print(wording.NO_LEECHES)
                return
            self.out.print(Text("Focused practice on your leeches.", style="bold"))
        else:
            queue = await self.service.due_queue(self.user)
        if not queue:
            report = await self.service.session_summary(self.user, since)
            self.out.print(wording.all_caught_up(report.next_due, "quiz"))
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
                    self.out.print(Text(wording.AGAIN_LATER, style="yellow"))
        except Stop:
            await self.review_summary(since, stopped=True)
            raise
        await self.review_summary(since)

    async def review_summary(self, since: dt.datetime, *, stopped: bool = False) -> None:
        report = await self.service.session_summary(self.user, since)
        title = "Session stopped" if stopped else "🎉 Session complete"
        self.print_summary(title, wording.summary_rows(report))


def _item_title(shown: Presented, redrill: bool) -> str:
    if shown.card is not None:
        if redrill:
            return f"🔁 Flashcard, again · {shown.card.deck}"
        return f"Flashcard{' · new' if shown.new else ''} · {shown.card.deck}"
    problem = shown.problem
    assert problem is not None
    again = "🔁 again · " if redrill else ""
    return f"{again}{problem.skill} · level {problem.level}"
