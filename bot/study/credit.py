"""What earns points: the one table that grading pays from and that /help, the console's help
and the README show, so the rules a student reads are the rules that score them.

Credit reflects help. Only a checked answer right at the first try with no hint earns full
points; fixing your own mistake earns most of them, a hint halves them, and seeing the worked
solution earns none (it is graded as a lapse, see `bot.srs.grades`). A flashcard is graded by
its student, not checked, so even Easy earns less than any problem solved unaided: the
leaderboard rewards solving. Points come only from reviews (the first graded answer of the
study day on an item that is new or due); practice earns none.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from bot.srs import Button

__all__ = [
    "FIRST_TRY_QUALITY",
    "NOTES",
    "RULES",
    "Credit",
    "Rule",
    "card_credit",
    "help_lines",
    "markdown_table",
    "points",
    "points_text",
    "problem_credit",
]


class Credit(StrEnum):
    """How an item ended, as far as points are concerned."""

    FIRST_TRY = "first_try"
    RETRY = "retry"
    HINT = "hint"
    SOLUTION = "solution"
    EASY = "easy"
    GOOD = "good"
    HARD = "hard"
    AGAIN = "again"


@dataclass(frozen=True)
class Rule:
    credit: Credit
    situation: str
    points: int
    #: times the skill level (a typed flashcard is checked as a level-1 problem)
    per_level: bool


RULES: tuple[Rule, ...] = (
    Rule(Credit.FIRST_TRY, "A problem right at the first try, no hint", 10, per_level=True),
    Rule(Credit.RETRY, "A problem right after a wrong try, no hint", 7, per_level=True),
    Rule(Credit.HINT, "A problem right after a hint", 5, per_level=True),
    Rule(
        Credit.SOLUTION,
        "The worked solution shown, and anything typed after it",
        0,
        per_level=True,
    ),
    Rule(Credit.EASY, "A flashcard you grade Easy", 5, per_level=False),
    Rule(Credit.GOOD, "A flashcard you grade Good", 5, per_level=False),
    Rule(Credit.HARD, "A flashcard you grade Hard", 3, per_level=False),
    Rule(Credit.AGAIN, "A flashcard you grade Again", 0, per_level=False),
)
_BY_CREDIT = MappingProxyType({rule.credit: rule for rule in RULES})

#: A problem is graded at least this (`srs.problem_quality`) exactly when its credit is
#: FIRST_TRY, so the review log's quality alone says "solved at the first try" (stats, summaries).
FIRST_TRY_QUALITY = 4

NOTES = (
    "A typed flashcard is checked like a level-1 problem.",
    "Only reviews score: the first graded answer of your study day on an item that is new or "
    "due. Practice (a re-drill, a second go the same day, an item not due yet, a locked level) "
    "earns nothing.",
)


def points(credit: Credit, level: int = 1) -> int:
    """The points a review with this credit earns (per level for a checked answer)."""
    rule = _BY_CREDIT[credit]
    return rule.points * (level if rule.per_level else 1)


def problem_credit(*, correct: bool, first_try: bool, hinted: bool) -> Credit:
    """A checked answer's credit: the most help it took wins (the solution, a hint, a retry)."""
    if not correct:
        return Credit.SOLUTION
    if hinted:
        return Credit.HINT
    return Credit.FIRST_TRY if first_try else Credit.RETRY


def card_credit(button: Button) -> Credit:
    return Credit(button.value)


def points_text(rule: Rule) -> str:
    """How many points a rule earns, as shown: "10 × level" (checked) or "5" (a card)."""
    return f"{rule.points} × level" if rule.per_level and rule.points else str(rule.points)


def markdown_table() -> str:
    """The rules as the README shows them (a test keeps the README's copy in step)."""
    lines = ["| What you did | Points |", "| --- | --- |"]
    lines += [f"| {rule.situation} | {points_text(rule)} |" for rule in RULES]
    return "\n".join(lines)


def help_lines() -> list[str]:
    """The rules as plain lines, for /help and the console's help."""
    return [f"{points_text(rule)}: {rule.situation}" for rule in RULES] + list(NOTES)
