"""The verdict on an answer to a generated problem: its answer kind knows what is asked.

`check_answer`, `Verdict` and friends live in `bot.math.answers` and are re-exported here, the
import path every caller has used.
"""

from __future__ import annotations

from bot.math.answers import TOO_COMPLEX, Verdict, VerdictKind, check_answer, invalid
from bot.math.problem import Problem
from bot.math.skills import kind_of

__all__ = ["TOO_COMPLEX", "Verdict", "VerdictKind", "check_answer", "check_problem", "invalid"]


def check_problem(problem: Problem, answer: str) -> Verdict:
    """Check an answer to a generated problem, with what its kind of question asks for."""
    return kind_of(problem).check(problem, answer)
