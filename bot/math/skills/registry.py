"""The one registry of skills and answer kinds.

A skill is one `Skill` object: how its functions are drawn per level (or which base skills
lend it their functions), which answer kind it asks for, which rule must show in the rule tree,
and its description. `SKILLS` is the live, ordered table every layer reads (its order is the
order of `derivbot skills` and of a new student's queue).

Workers of the math pool come from a fork server that imported `catalog` once: a skill
registered anywhere else is known to them only through `MathPool(setup=...)`, a function each
worker runs as it starts (see tests/study/test_new_skill.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import sympy

from bot.math.rules import RuleNode, rules_used
from bot.math.skills.kinds import AnswerKind, Derivative
from bot.math.skills.pieces import Builder, Rng

__all__ = [
    "KINDS",
    "SKILLS",
    "Skill",
    "answer_kind",
    "register",
    "register_kind",
    "registered",
    "skill",
    "unregister",
]

#: A pool: per level, the (base skill, base level) pairs whose functions a skill asks about.
Pools = Mapping[int, tuple[tuple[str, int], ...]]


@dataclass(frozen=True)
class Skill:
    """A practisable topic; `target_seconds` is a good answer time at level 1 (for 'fast').

    `builder(level)` draws f; a skill with `pools` instead borrows a base skill's builder.
    `required`: rule codes of which at least one must survive sympy's auto-simplification in
    f's rule tree; `fits(level, tree)`: any further condition on the tree (the default accepts).
    """

    name: str
    levels: int
    description: str
    target_seconds: int
    builder: Callable[[int], Builder] | None = field(default=None, compare=False, repr=False)
    kind: AnswerKind = field(default_factory=Derivative, compare=False)
    required: tuple[str, ...] = field(default=(), compare=False)
    pools: Pools | None = field(default=None, compare=False, repr=False)
    fits_tree: Callable[[int, RuleNode], bool] | None = field(
        default=None, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if (self.builder is None) == (self.pools is None):
            raise ValueError(f"skill {self.name!r} needs exactly one of builder and pools")
        if self.pools is not None and set(self.pools) != set(range(1, self.levels + 1)):
            raise ValueError(f"skill {self.name!r} needs a pool for each level")

    def candidate(self, level: int, r: Rng) -> sympy.Expr:
        """One draw of f at `level` (not yet checked for degeneracy)."""
        if self.pools is not None:
            base, base_level = r.choice(self.pools[level])
            return skill(base).candidate(base_level, r)
        assert self.builder is not None
        return self.builder(level)(r)

    def fits(self, level: int, tree: RuleNode) -> bool:
        """The practised rule survived sympy's auto-simplification, and any extra condition."""
        if self.required and not rules_used(tree).intersection(self.required):
            return False
        return self.fits_tree is None or self.fits_tree(level, tree)


SKILLS: dict[str, Skill] = {}
KINDS: dict[str, AnswerKind] = {}


def skill(name: str) -> Skill:
    """The registered skill `name`; KeyError if there is none."""
    return SKILLS[name]


def answer_kind(name: str) -> AnswerKind:
    """The answer kind whose word is `name` (`Problem.answer_kind`): its `title`, its checks."""
    return KINDS[name]


def register(new: Skill) -> Skill:
    """Add a skill at the end of `SKILLS`; its answer kind is registered with it if new."""
    if new.name in SKILLS:
        raise ValueError(f"skill {new.name!r} is already registered")
    if not new.name.isidentifier() or ":" in new.name:
        raise ValueError(f"skill names are identifiers (they go into item keys): {new.name!r}")
    KINDS.setdefault(new.kind.name, new.kind)
    SKILLS[new.name] = new
    return new


def unregister(name: str) -> None:
    """Remove a skill (a throwaway one in a test, say)."""
    SKILLS.pop(name)


def register_kind(kind: AnswerKind) -> AnswerKind:
    """Make an answer kind known by its word even before a skill uses it."""
    KINDS.setdefault(kind.name, kind)
    return kind


@contextmanager
def registered(new: Skill) -> Iterator[Skill]:
    """A skill registered for the duration of a `with` block, then removed again (with its
    answer kind, if that kind came with it)."""
    new_kind = new.kind.name not in KINDS
    register(new)
    try:
        yield new
    finally:
        unregister(new.name)
        if new_kind:
            KINDS.pop(new.kind.name, None)
