"""Tutor-style differentiation: a tree of the rules applied, and a worked solution from it.

`sympy.diff` gives the answer but not the reasoning; a student learns from seeing which rule fired
where (chain rule with inner g, product rule, ...).  `derive` rebuilds the derivative rule by rule
so the tree can be turned into steps, and its root derivative always equals `sympy.diff`.
The pieces live in `derivation` (the rule tree), `solution` (the worked lines) and `printing`
(LaTeX and text); this module is the one import path the rest of the engine uses.
"""

from __future__ import annotations

from bot.math.derivation import RULES, RuleNode, derive, iter_nodes, rules_used
from bot.math.printing import bracket, expr_latex, expr_text, frac, paren
from bot.math.solution import (
    MAX_STEPS,
    TITLES,
    Step,
    result_step,
    rule_steps,
    shown_pieces,
    steps,
)

__all__ = [
    "MAX_STEPS",
    "RULES",
    "TITLES",
    "RuleNode",
    "Step",
    "bracket",
    "derive",
    "expr_latex",
    "expr_text",
    "frac",
    "iter_nodes",
    "paren",
    "result_step",
    "rule_steps",
    "rules_used",
    "shown_pieces",
    "steps",
]
