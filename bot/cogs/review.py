"""/review: today's due queue, flashcards and problems mixed as the scheduler orders them.

Thin like /quiz: every gesture becomes one service call, every result an embed. The one piece
of state here is each student's session queue (a `StudySession`: an item that scored below 4
comes back later in the session until it scores 4, SM-2 step 7), in memory. Buttons are
`DynamicItem`s whose custom id carries the presentation token and the session's start, so
after a restart a button still grades and the session is rebuilt from the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass, field

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import (
    BUTTONS,
    AnswerModal,
    StudyCog,
    answer_submission,
    attach_steps,
    cog_of,
    image_file,
    persistent_view,
    problem_image,
    reporting,
    send_hint,
    send_then_draw,
    study_button,
    tangent_picture,
    too_fast,
)
from bot.cogs.embeds import (
    ASSIGNMENTS,
    BLURPLE,
    add_assignments,
    assignments_text,
    open_assignments,
    outcome_embed,
    summary_embed,
)
from bot.math import tasks
from bot.srs import Button, StudySession
from bot.study import wording
from bot.study.service import CardView, Outcome, Presented

ANSWER_ID = re.compile(r"dra:(?P<token>[A-Za-z0-9_-]{8,40}):(?P<since>[0-9]{1,12})")
# Buttons counted by the shared rate limit (a grade is not: it is the end of a card, whose
# Show answer counted; a typed answer counts when it is submitted, not when the box opens).
POOL_WORK = frozenset({"show", "hint", "solution", "next"})
GRADES = {"again": Button.AGAIN, "hard": Button.HARD, "good": Button.GOOD, "easy": Button.EASY}
COLOUR = BLURPLE
#: how Discord spells "fresh problems of this skill" (`wording.practise_line`)
QUIZ_SKILL = "`/quiz skill:{skill}`"


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=(
        r"dr:(?P<action>show|again|hard|good|easy|answer|retry|hint|solution|next)"
        r":(?P<token>[A-Za-z0-9_-]{8,40}):(?P<since>[0-9]{1,12})"
    ),
):
    """A review button: the token names the stored presentation, `since` (epoch seconds) the
    session it belongs to, so both survive a restart."""

    def __init__(self, action: str, token: str, since: int) -> None:
        super().__init__(study_button(action, f"dr:{action}:{token}:{since}"))
        self.action = action
        self.token = token
        self.since = since

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: object
    ) -> ReviewButton:
        return cls(match["action"], match["token"], int(match["since"]))  # type: ignore[index]

    async def callback(self, interaction: discord.Interaction) -> None:
        # View.on_error does not cover dynamic items (discord.py only logs their failures),
        # so the student hears about an error here or not at all.
        await reporting(
            interaction,
            lambda: cog_of(interaction, Review).on_button(
                interaction, self.action, self.token, self.since
            ),
        )


def buttons(token: str, since: int, *actions: str) -> discord.ui.View:
    return persistent_view(ReviewButton(action, token, since) for action in actions)


@dataclass
class Run:
    """One student's review session: the re-drill queue and the item on screen."""

    user: int
    server: int | None
    since: int  # epoch seconds: the session's start, also carried in its buttons
    queue: StudySession[str]
    theme: str
    current: Presented | None = None  # the presentation shown for the queue's head
    owed: frozenset[str] = frozenset()  # re-drills carried over a restart
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Review(StudyCog):
    """/review and its buttons; holds each student's session queue, nothing else."""

    def __init__(self, bot: commands.Bot) -> None:
        super().__init__(bot)
        self.runs: dict[int, Run] = {}  # by Discord user id

    async def cog_load(self) -> None:
        self.offer_start("review", self.start_from_reminder)

    async def cog_unload(self) -> None:
        self.withdraw_start("review")

    async def _user_id(self, interaction: discord.Interaction) -> int:
        run = self.runs.get(interaction.user.id)
        return run.user if run is not None else (await self._user(interaction))[0]

    # --- /review ----------------------------------------------------------------------------

    @app_commands.command(name="review", description="Review what is due: flashcards and problems")
    @app_commands.describe(leeches="Focused practice on the items you keep forgetting instead")
    async def review(self, interaction: discord.Interaction, leeches: bool = False) -> None:
        """Start a session: a fresh queue (a second /review starts over), privately."""
        await self._start(interaction, None, leeches=leeches)

    async def start_from_reminder(
        self, interaction: discord.Interaction, server_id: int | None
    ) -> None:
        """ "Start review" under a reminder: /review with the decks of the server the reminder
        was set in (`server_id`, a server row id), even when clicked in a DM."""
        await self._start(interaction, server_id)

    async def _start(
        self, interaction: discord.Interaction, reminded_in: int | None, *, leeches: bool = False
    ) -> None:
        if await too_fast(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, server = await self._user(interaction)
        if reminded_in is not None and reminded_in != server:
            # only the server the student's own reminder names: an id is not a membership
            reminder = await self.service.reminder(user)
            if reminder is not None and reminder.server_id == reminded_in:
                server = reminded_in
        since = int(self.host.clock().timestamp())
        if leeches:
            queue = await self.service.leeches(user, server)
            if not queue:
                await interaction.followup.send(wording.NO_LEECHES, ephemeral=True)
                return
        else:
            queue = await self.service.due_queue(user, server)
        if not queue:
            self.runs.pop(interaction.user.id, None)
            report = await self.service.session_summary(user, _instant(since))
            text = wording.all_caught_up(report.next_due, "/quiz")
            await interaction.followup.send(
                text + await self._assignments_note(user, server), ephemeral=True
            )
            return
        theme = (await self.service.preferences(user)).theme
        run = Run(user, server, since, StudySession(queue), theme)
        self.runs[interaction.user.id] = run
        async with run.lock:
            note = f"{len(queue)} to review. Let's go!"
            if leeches:
                note = f"Focused practice: your {len(queue)} leech(es), most forgotten first."
            note += await self._assignments_note(user, server)
            await self._send_next(interaction, run, note=note)

    async def _run(self, interaction: discord.Interaction, since: int, token: str) -> Run:
        """The student's session; after a restart, rebuilt from the database: what is still
        due, then the re-drills the review log says are owed (in the server the pressed item
        was shown in, which a button pressed in a DM does not tell)."""
        run = self.runs.get(interaction.user.id)
        if run is not None:
            return run
        user, server = await self._user(interaction)
        if server is None:
            server = await self.service.presentation_server(token, user_id=user)
        due = await self.service.due_queue(user, server)
        redrills = await self.service.session_redrills(user, _instant(since))
        keys = due + [key for key in redrills if key not in due]
        theme = (await self.service.preferences(user)).theme
        run = Run(user, server, since, StudySession(keys), theme, owed=frozenset(redrills))
        self.runs[interaction.user.id] = run
        return run

    # --- buttons and the answer modal -------------------------------------------------------

    async def on_button(
        self, interaction: discord.Interaction, action: str, token: str, since: int
    ) -> None:
        """Acknowledge first (the modal, or a deferral), then one service call."""
        if action in POOL_WORK and await too_fast(interaction):
            return
        if action in ("answer", "retry"):
            # a modal must be the first response: nothing slow may come before it
            await interaction.response.send_modal(AnswerModal(f"dra:{token}:{since}"))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if action == "next":
            run = await self._run(interaction, since, token)
            async with run.lock:
                await self._send_next(interaction, run)
            return
        user = await self._user_id(interaction)
        if action == "hint":  # the next rung of the problem's ladder, as in /quiz
            await send_hint(interaction, self.service, self.pool, token, user)
        elif action == "show":
            shown = await self.service.presentation(token, user_id=user)
            await self._send_back(interaction, shown, since)
        elif action in GRADES:
            outcome = await self.service.grade_card(token, GRADES[action], user_id=user)
            if outcome.status == "already":
                await interaction.followup.send(wording.ALREADY_GRADED, ephemeral=True)
                return
            run, again = await self._record(interaction, token, since, outcome)
            note = grade_note(action, outcome, again)
            async with run.lock:
                await self._send_next(interaction, run, note=note)
        else:  # solution
            outcome = await self.service.reveal(token, user_id=user)
            await self._send_verdict(interaction, token, since, outcome, answer=None)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted answer box (`dra:<token>:<since>`), graded from its id: see
        `AnswerModal`."""
        submitted = answer_submission(interaction, ANSWER_ID)
        if submitted is None:
            return
        match, text = submitted
        # listeners' failures are only logged: tell the student
        await reporting(
            interaction,
            lambda: self.on_answer(interaction, match["token"], int(match["since"]), text),
        )

    async def on_answer(
        self, interaction: discord.Interaction, token: str, since: int, text: str
    ) -> None:
        """A typed answer: checking runs in the worker pool, so one student cannot flood it."""
        if await too_fast(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user = await self._user_id(interaction)
        outcome = await self.service.submit_answer(token, text, user_id=user)
        await self._send_verdict(interaction, token, since, outcome, answer=text)

    async def _record(
        self, interaction: discord.Interaction, token: str, since: int, outcome: Outcome
    ) -> tuple[Run, bool]:
        """Feed a graded answer to the session queue; returns the run and whether the item
        comes back later in it."""
        assert outcome.quality is not None
        run = self.runs.get(interaction.user.id)
        if run is None:  # restarted: the grade is in the log, so the rebuilt queue has it
            return await self._run(interaction, since, token), outcome.redrill
        if run.current is not None and run.current.token == token:
            result = run.queue.record(run.current.item_key, outcome.quality)
            run.current = None
            return run, result.will_return
        return run, False  # an older message: graded, but not part of this session's queue

    # --- messages ---------------------------------------------------------------------------

    async def _send_next(
        self,
        interaction: discord.Interaction,
        run: Run,
        *,
        note: str | None = None,
        before: tuple[discord.Embed, ...] = (),
        files: tuple[discord.File, ...] = (),
    ) -> None:
        """The queue's next item, or the summary when the session is over (call under
        `run.lock`, so a double click on Next presents the item once)."""
        head = run.queue.next()
        if head is None:
            if self.runs.get(interaction.user.id) is run:
                del self.runs[interaction.user.id]
            report = await self.service.session_summary(run.user, _instant(run.since))
            summary = summary_embed(report)
            add_assignments(summary, await open_assignments(self.service, run.user, run.server))
            await interaction.followup.send(
                content=note,
                embeds=[*before, summary],
                files=list(files),
                ephemeral=True,
            )
            return
        key, redrill = head
        redrill = redrill or key in run.owed
        if run.current is None or run.current.item_key != key:
            run.current = await self.service.present(run.user, key, run.server)
        embed, file = await self._item_embed(run, run.current, redrill)
        card = run.current.card
        typed_in = card is None or bool(card.typed_answer)  # problems and typed cards
        actions = ("answer", "solution") if typed_in else ("show",)
        if card is None:  # a problem: its hint ladder too
            actions = ("answer", "hint", "solution")
        await interaction.followup.send(
            content=note,
            embeds=[*before, embed],
            files=[*files, *([file] if file else [])],
            view=buttons(run.current.token, run.since, *actions),
            ephemeral=True,
        )

    async def _item_embed(
        self, run: Run, shown: Presented, redrill: bool
    ) -> tuple[discord.Embed, discord.File | None]:
        left = run.queue.summary().remaining
        footer = f"{left} left in this session" + (" · again, from earlier" if redrill else "")
        if shown.card is not None:
            card = shown.card
            title = (
                "🔁 Flashcard, again" if redrill else "Flashcard" + (" · new" if shown.new else "")
            )
            embed = discord.Embed(title=title, description=card.front, colour=COLOUR)
            embed.set_footer(text=f"{card.deck} · {footer}")
            if card.typed_answer:
                embed.add_field(name="Answer", value="Type it with the Answer button.")
            file = await self._latex(embed, card.latex_front, "front.png", run.theme)
            return embed, file
        problem = shown.problem
        assert problem is not None
        first = wording.first_part(problem)
        embed = discord.Embed(
            title=wording.answer_title(problem.answer_kind),
            description=problem.prompt + (f"\n\n**{first}**" if first else ""),
            colour=COLOUR,
        )
        embed.add_field(name="Skill", value=f"{problem.skill} · level {problem.level}")
        embed.set_footer(text=footer)
        if problem.extra.get("graph"):  # backprop: the graph to fill in
            file = image_file(await problem_image(self.pool, problem, theme=run.theme), "graph.png")
            if file is not None:
                embed.set_image(url="attachment://graph.png")
            return embed, file
        file = await self._latex(embed, problem.prompt_latex, "problem.png", run.theme)
        return embed, file

    async def _send_back(
        self, interaction: discord.Interaction, shown: Presented, since: int
    ) -> None:
        card = shown.card
        if card is None:  # a problem has no back: its buttons never offer this
            await interaction.followup.send("That one is a problem; answer it.", ephemeral=True)
            return
        practise = wording.practise_line(card.skill, QUIZ_SKILL)
        back = card.back + (f"\n\n{practise}" if practise else "")
        embed = discord.Embed(title="Answer", description=back, colour=COLOUR)
        embed.add_field(name="Question", value=card.front[:1024], inline=False)
        embed.set_footer(text="How well did you remember it?")
        theme = await self._theme(interaction)
        file = await self._latex(embed, card.latex_back, "back.png", theme)
        await interaction.followup.send(
            embed=embed,
            files=[file] if file else [],
            view=buttons(shown.token, since, "again", "hard", "good", "easy"),
            ephemeral=True,
        )

    async def _send_verdict(
        self,
        interaction: discord.Interaction,
        token: str,
        since: int,
        outcome: Outcome,
        answer: str | None,
    ) -> None:
        """A typed answer's verdict (or the revealed answer), then Try again / Solution while
        it can still be answered, Next once it is graded, the summary when that was the last."""
        embed = outcome_embed(outcome, answer)

        async def draw() -> tuple[list[discord.Embed], list[discord.File]] | None:
            return await self._verdict_pictures(interaction, embed, token, outcome)

        if outcome.can_retry or outcome.next_part is not None:  # or a part is next
            again = "retry" if outcome.can_retry else "answer"
            view = buttons(token, since, again, "solution")
            await send_then_draw(interaction, [embed], draw, view=view)
            return
        note = None
        if outcome.status != "already":
            run, again = await self._record(interaction, token, since, outcome)
            note = wording.AGAIN_LATER if again else None
            if run.queue.finished:  # nothing to press Next for: the summary right away
                embeds, files = await draw() or ([embed], [])
                async with run.lock:
                    await self._send_next(
                        interaction, run, note=note, before=tuple(embeds), files=tuple(files)
                    )
                return
        view = buttons(token, since, "next")
        await send_then_draw(interaction, [embed], draw, view=view, content=note)

    async def _verdict_pictures(
        self,
        interaction: discord.Interaction,
        embed: discord.Embed,
        token: str,
        outcome: Outcome,
    ) -> tuple[list[discord.Embed], list[discord.File]] | None:
        """The pictures under a verdict: the worked solution (and the tangent, for a problem at
        a point), a typed card's back, or how a wrong answer was read; None when there are
        none."""
        theme = await self._theme(interaction)
        reading = outcome.verdict.reading if outcome.verdict is not None else None
        embeds, files = [embed], []
        if outcome.steps:
            file = await attach_steps(self.pool, embed, outcome.steps, theme=theme, reading=reading)
            files += [file] if file else []
            problem = await self.service.problem_for(token)
            picture = await tangent_picture(self.pool, problem, theme=theme)
            if picture is not None:  # a problem at a point: f and its tangent there
                embeds.append(picture[0])
                files.append(picture[1])
        elif outcome.status in ("correct", "revealed", "already"):
            user = await self._user_id(interaction)
            shown = await self.service.presentation(token, user_id=user)
            if shown.card is None:
                return None
            # a typed card: its back is the worked answer
            embed.add_field(name="Answer", value=_card_answer(shown.card), inline=False)
            file = await self._latex(embed, shown.card.latex_back, "back.png", theme)
            files += [file] if file else []
        elif reading is not None:  # a wrong answer: how it was read, as a formula
            file = await attach_steps(self.pool, embed, (), theme=theme, reading=reading)
            files += [file] if file else []
        else:
            return None
        return embeds, files

    async def _assignments_note(self, user: int, server: int | None) -> str:
        """The student's open assignments under a message ("" when there are none)."""
        text = assignments_text(await open_assignments(self.service, user, server))
        return f"\n{ASSIGNMENTS}\n{text}" if text else ""

    async def _theme(self, interaction: discord.Interaction) -> str:
        run = self.runs.get(interaction.user.id)
        if run is not None:
            return run.theme
        return (await self.service.preferences(await self._user_id(interaction))).theme

    async def _latex(
        self, embed: discord.Embed, latex: str | None, name: str, theme: str
    ) -> discord.File | None:
        """Render LaTeX as the embed's image; when that fails, the plain text as a field."""
        if not latex:
            return None
        rendered = await tasks.arender(self.pool, latex, theme=theme)
        file = image_file(rendered, name)
        if file is not None:
            embed.set_image(url=f"attachment://{name}")
        elif rendered.text:
            embed.add_field(name="Formula", value=rendered.text[:1024], inline=False)
        return file


def grade_note(action: str, outcome: Outcome, again: bool) -> str:
    """One line after a flashcard grade: the grade, the next review, the points."""
    parts = [f"**{BUTTONS[action][0]}**"]
    if wording.counted(outcome):
        due = wording.next_review(outcome)
        if due is not None:
            parts.append(f"next review {wording.day_text(due)}")
        if outcome.points:
            parts.append(f"+{outcome.points} points")
        if outcome.new_leech:
            parts.append(wording.LEECH_NOTE)
    elif (note := wording.practice_note(outcome)) is not None:
        parts.append(note)
    line = " · ".join(parts)
    return f"{line}\n{wording.AGAIN_LATER}" if again else line


def _card_answer(card: CardView) -> str:
    """A typed card's back for an embed field (1024 characters at most), with its "Practise
    it" line kept whole when the back is cut."""
    practise = wording.practise_line(card.skill, QUIZ_SKILL)
    if not practise:
        return card.back[:1024]
    return f"{card.back[: 1024 - len(practise) - 2]}\n\n{practise}"


def _instant(since: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(since, dt.UTC)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(ReviewButton)
    await bot.add_cog(Review(bot))
