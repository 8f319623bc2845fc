"""A generated exercise: what a skill and its answer kind make of (skill, level, seed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from bot.math.rules import RuleNode, Step

__all__ = ["Part", "Problem"]


@dataclass(frozen=True)
class Part:
    """One part of a multi-part problem (a backprop graph): asked, answered and checked in
    turn, in the part's declared variables."""

    prompt: str
    prompt_latex: str
    answer: sympy.Expr
    vars: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "answer": str(self.answer), "vars": list(self.vars)}


@dataclass(frozen=True)
class Problem:
    """One exercise with its answer and worked solution; `derivative` is always sympy.diff."""

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
    #: the variables the problem declares (several for a partial, a gradient, a loss in w, b);
    #: empty for a one-variable problem, whose variable is `var`
    vars: tuple[str, ...] = ()
    #: the parts of a multi-part problem, in the order they are asked
    parts: tuple[Part, ...] = ()
    #: what a kind adds to `derivbot generate --jsonl` (`respect_to`, `gradient`, `start`...)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def variables(self) -> tuple[str, ...]:
        """The declared variables; a one-variable problem declares its `var`."""
        return self.vars or (self.var,)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able dict; expressions as sympy str() so they can be rebuilt by a parser."""
        return {
            "skill": self.skill,
            "level": self.level,
            "seed": self.seed,
            "var": self.var,
            "function": str(self.function),
            "derivative": str(self.derivative),
            "answer": str(self.answer),
            "answer_kind": self.answer_kind,
            "point": None if self.point is None else str(self.point),
            "prompt": self.prompt,
            "latex": self.prompt_latex,
            "steps": [
                {"rule": s.rule, "title": s.title, "latex": s.latex, "text": s.text}
                for s in self.steps
            ],
            "vars": list(self.variables),
            **self.extra,
            **({"parts": [p.to_json() for p in self.parts]} if self.parts else {}),
        }
