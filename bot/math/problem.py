"""A generated exercise: what a skill and its answer kind make of (skill, level, seed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from bot.math.forms import teacher_form
from bot.math.hints import Hint
from bot.math.rules import RuleNode, Step, expr_text

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """One exercise with its answer, worked solution and hint ladder; `derivative` is always
    sympy.diff. `hints` are shown one rung per press of Hint; none of them states the answer."""

    skill: str
    level: int
    seed: int
    var: str
    function: sympy.Expr
    derivative: sympy.Expr
    answer: sympy.Expr
    answer_kind: str
    point: sympy.Expr | None
    prompt: str
    prompt_latex: str
    rule_tree: RuleNode
    steps: tuple[Step, ...]
    hints: tuple[Hint, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able dict; expressions in the plain text a teacher writes (`e^(2x)`,
        `ln(x)`, `sec^2(x)`, `5x^3`), which `bot.math.parser` (and so `derivbot check`) reads
        back to the same expression."""
        return {
            "skill": self.skill,
            "level": self.level,
            "seed": self.seed,
            "var": self.var,
            "function": expr_text(self.function),
            "derivative": expr_text(teacher_form(self.derivative)),
            "answer": expr_text(self.answer),
            "answer_kind": self.answer_kind,
            "point": None if self.point is None else expr_text(self.point),
            "prompt": self.prompt,
            "latex": self.prompt_latex,
            "steps": [
                {"rule": s.rule, "title": s.title, "latex": s.latex, "text": s.text}
                for s in self.steps
            ],
            "hints": [h.to_json() for h in self.hints],
        }
