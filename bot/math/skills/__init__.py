"""Skills and answer kinds: one object each, in one registry.

Front-ends and the service ask here instead of keeping their own maps::

    skill("chain").description          # the registered Skill
    answer_kind(problem.answer_kind).title   # "Differentiate", "Find the tangent line", ...
    kind_of(problem)                    # the kind that checks and shows this problem

Importing the package registers the catalogue (`catalog.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.math.skills import catalog as _catalog  # noqa: F401  (registers the skills)
from bot.math.skills.kinds import (
    AnswerKind,
    Derivative,
    Posed,
    Question,
    SecondDerivative,
    TangentLine,
    Value,
)
from bot.math.skills.registry import (
    KINDS,
    SKILLS,
    Skill,
    answer_kind,
    register,
    register_kind,
    registered,
    skill,
    unregister,
)

if TYPE_CHECKING:
    from bot.math.problem import Problem

__all__ = [
    "KINDS",
    "SKILLS",
    "AnswerKind",
    "Derivative",
    "Posed",
    "Question",
    "SecondDerivative",
    "Skill",
    "TangentLine",
    "Value",
    "answer_kind",
    "kind_of",
    "register",
    "register_kind",
    "registered",
    "skill",
    "unregister",
]


def kind_of(problem: Problem) -> AnswerKind:
    """The answer kind of a generated problem: its skill's (which knows, say, that a second
    derivative is checked at order 2), or the kind its word names if the skill is gone."""
    owner = SKILLS.get(problem.skill)
    return owner.kind if owner is not None else KINDS[problem.answer_kind]
