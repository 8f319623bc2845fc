"""Problem generation: deterministic, varied, never-degenerate derivative exercises per skill.

A problem is fully determined by (skill, level, seed) so a stored attempt can be regenerated
instead of saved, and two students with the same seed see the same exercise.  Level 1 practises
one rule, level 2 adds a power or chain of a simple inner function, level 3 composes two or
three rules.

What a skill draws and what its question asks live on the skill and its answer kind
(`bot.math.skills`); this module only draws until a function is worth asking about.
"""

from __future__ import annotations

import itertools
import random

import sympy

from bot.math.equivalence import compare, roughly
from bot.math.forms import teacher_form
from bot.math.problem import Problem
from bot.math.rules import RuleNode, derive, shown_pieces
from bot.math.skills import SKILLS, Question, Skill
from bot.math.skills.kinds import finite_real
from bot.math.skills.pieces import R, Rng, W, X

__all__ = ["SKILLS", "Problem", "Skill", "generate"]

MAX_ATTEMPTS = 200


def generate(skill: str, level: int, seed: int) -> Problem:
    """The problem for (skill, level, seed); ValueError for an unknown skill or level."""
    if skill not in SKILLS:
        raise ValueError(f"unknown skill {skill!r}; choose one of {', '.join(SKILLS)}")
    s = SKILLS[skill]
    if not isinstance(level, int) or not 1 <= level <= s.levels:
        raise ValueError(f"level must be 1..{s.levels}, got {level!r}")
    r = random.Random(f"{skill}:{level}:{seed}")
    for _ in range(MAX_ATTEMPTS):
        problem = _attempt(s, level, seed, r)
        if problem is not None:
            return problem
    raise RuntimeError(f"could not build a {skill} level {level} problem for seed {seed}")


def _attempt(s: Skill, level: int, seed: int, r: Rng) -> Problem | None:
    """One draw: None when f is degenerate, hides the practised rule, or makes a poor question."""
    f = teacher_form(s.candidate(level, r))  # shown as a teacher writes it: cot(u), not 1/tan(u)
    var = W if f.has(W) else X
    d = _worth_asking(f, var)
    if d is None:
        return None
    tree = derive(f, var)
    if not s.fits(level, tree) or _piece_is_whole(tree, d, var):
        return None
    question = Question(f, teacher_form(d), var, tree)
    posed = s.kind.pose(question, r)
    if posed is None:
        return None
    return Problem(
        skill=s.name,
        level=level,
        seed=seed,
        var=str(var),
        function=f,
        derivative=d,
        answer=posed.answer,
        answer_kind=s.kind.name,
        point=posed.point,
        prompt=posed.prompt,
        prompt_latex=posed.prompt_latex,
        rule_tree=tree,
        steps=posed.steps,
        hints=s.kind.hints(question, posed),
    )


def _worth_asking(f: sympy.Expr, var: sympy.Symbol) -> sympy.Expr | None:
    """f' when f is a real, non-degenerate function worth differentiating, else None."""
    if not _well_formed(f, var):
        return None
    d = sympy.diff(f, var)
    if d == 0 or (d - f) == 0:
        return None
    # identities sympy keeps apart (cosh(x)·sech(x) is 4, tanh·coth is 1): compare as functions
    if compare(d, sympy.Integer(0), var).equal is not False:
        return None
    if compare(d, f, var).equal is not False:
        return None
    if _terms_cancel(f, var):
        return None
    return d


def _well_formed(f: sympy.Expr, var: sympy.Symbol) -> bool:
    """No stray constants like ln(-2), sqrt(-3), 1/0, and a non-empty real domain."""
    if not f.has(var) or f.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I):
        return False
    for node in sympy.preorder_traversal(f):
        if node.is_number and not node.is_Number and not finite_real(node):
            return False
    return any(finite_real(f.subs(var, p)) for p in (R(7, 10), R(13, 10), R(-3, 5), 2))


def _piece_is_whole(tree: RuleNode, d: sympy.Expr, var: sympy.Symbol) -> bool:
    """A piece of the worked solution is already f′ (cos 2x·csc²x is csc²x − 2 in disguise:
    d/dx[csc²x] is the whole answer), so the solution and the hints would give it away early."""
    for node in shown_pieces(tree, var):
        if node.derivative.is_number or not roughly(d, node.derivative, var, rtol=1e-9):
            continue
        if compare(d, node.derivative, var).equal:
            return True
    return False


_MAX_CANCEL_TERMS = 6  # subsets of more terms than this are not searched (none are drawn)


def _terms_cancel(f: sympy.Expr, var: sympy.Symbol) -> bool:
    """Some terms' derivatives add up to 0 (``acos x + asin x``): a hidden constant.

    Such a sum keeps the practised rule in its rule tree, yet the student needs none of it:
    the derivative of ``5x + acos(x) + asin(x)`` is just 5.
    """
    if not f.is_Add:
        return False
    parts = [sympy.diff(t, var) for t in f.args if t.has(var)]
    if not 2 <= len(parts) <= _MAX_CANCEL_TERMS:
        return False
    for size in range(2, len(parts) + 1):
        for group in itertools.combinations(parts, size):
            total = sympy.Add(*group)
            if total == 0 or compare(total, sympy.Integer(0), var).equal is not False:
                return True
    return False
