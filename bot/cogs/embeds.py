"""Embeds more than one cog sends: a verdict (/quiz and /review), a session summary, and the
student's open assignments (/quiz, /review, /stats, /assign, reminders).

A helper module, not an extension (no `setup`): cogs import it instead of each other. The
words come from `bot.study.wording`, which the console shares.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.cogs.common import echo, engine_text
from bot.study import wording
from bot.study.service import AssignmentProgress, Outcome, SessionReport, StudyService

#: Embed colours by `wording.shown_status`.
COLOURS = {"correct": 0x3BA55C, "incorrect": 0xED4245, "invalid": 0xFAA61A, "revealed": 0x5865F2}
BLURPLE = 0x5865F2


def outcome_embed(outcome: Outcome, answer: str | None) -> discord.Embed:
    """The verdict as students see it: the reading first, then the verdict and the named
    mistake, the next review and the points."""
    verdict = outcome.verdict
    status = wording.shown_status(outcome)
    lines = []
    if verdict is not None and verdict.reading is not None:
        lines.append(f"I read your answer as {echo(verdict.reading.text)}")
        lines.extend(f"*{engine_text(note)}*" for note in verdict.reading.notes)
    elif answer is not None and verdict is not None:
        lines.append(f"You typed {echo(answer)}")
    if verdict is not None and wording.says_more(status, verdict):
        lines.append(engine_text(verdict.message))
    if verdict is not None and verdict.diagnosis:
        lines.append(f"**Mistake ({verdict.mistake}):** {verdict.diagnosis}")
    if outcome.status == "already":
        lines.append(wording.ALREADY_GRADED)
    embed = discord.Embed(
        title=wording.outcome_title(status),
        description="\n".join(lines) or None,
        colour=COLOURS.get(status, BLURPLE),
    )
    if wording.counted(outcome):
        due = wording.next_review(outcome)
        if due is not None:
            embed.add_field(name="Next review", value=wording.day_text(due))
        embed.add_field(name="Points", value=f"+{outcome.points}")
        if outcome.new_leech:
            embed.add_field(name="Leech", value=wording.LEECH_NOTE, inline=False)
    elif (note := wording.practice_note(outcome)) is not None:
        embed.set_footer(text=note)
    return embed


def summary_embed(report: SessionReport) -> discord.Embed:
    """What a review session achieved, from the review log (re-drills included)."""
    embed = discord.Embed(title="🎉 Session complete", colour=COLOURS["correct"])
    for name, value in wording.summary_rows(report):
        embed.add_field(name=name, value=value)
    return embed


#: The field (or heading) under which a student's open assignments are listed.
ASSIGNMENTS = "📌 Assignments"


def assignments_text(progress: Sequence[AssignmentProgress]) -> str:
    """One line per open assignment ("Chain rule L2: 3/5 done, due Fri"), "" when none; a
    server deck's title is the teacher's text, so markdown and mentions are escaped."""
    lines = [wording.assignment_line(p) for p in progress]
    text = "\n".join(
        discord.utils.escape_mentions(discord.utils.escape_markdown(line)) for line in lines
    )
    return text[:1000]


def add_assignments(embed: discord.Embed, progress: Sequence[AssignmentProgress]) -> None:
    """The student's open assignments as a field of `embed` (nothing when there are none)."""
    if progress:
        embed.add_field(name=ASSIGNMENTS, value=assignments_text(progress), inline=False)


async def open_assignments(
    service: StudyService, user: int, server: int | None
) -> list[AssignmentProgress]:
    """The student's open assignments in a server (none outside one: a DM has no class)."""
    return [] if server is None else await service.open_assignments(user, server)
