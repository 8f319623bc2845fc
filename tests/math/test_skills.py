"""The skill registry: a skill is one object, an answer kind one class, both found by name."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from bot.math import skills
from bot.math.answers import Verdict, check_answer
from bot.math.check import check_problem
from bot.math.generator import SKILLS, generate
from bot.math.problem import Problem
from bot.math.rules import steps
from bot.math.skills import AnswerKind, Posed, Question, Skill, answer_kind, registered

X = sp.Symbol("x")


def cubic(level: int):
    """A throwaway builder: a*x^3 + b*x^level, drawn from the generator it is given."""

    def build(r: random.Random) -> sp.Expr:
        return r.randint(2, 9) * X**3 + r.randint(2, 9) * X ** (level + 3)

    return build


THROWAWAY = Skill("throwaway", 2, "A test-only skill", 40, cubic, required=("power",))


def test_every_skill_and_kind_is_one_registered_object() -> None:
    assert list(SKILLS) == list(skills.SKILLS)  # the generator's table is the registry
    for s in SKILLS.values():
        assert skills.skill(s.name) is s
        assert answer_kind(s.kind.name).title == s.kind.title
    titles = {w: answer_kind(w).title for w in ("expression", "number", "line")}
    assert titles == {
        "expression": "Differentiate",
        "number": "Evaluate the derivative",
        "line": "Find the tangent line",
    }


def test_the_kind_of_a_problem_says_how_it_is_checked() -> None:
    second = generate("higher_order", 1, 3)
    assert skills.kind_of(second).order == 2  # the word is "expression", checked at order 2
    first_derivative = sp.sstr(second.derivative)
    verdict = check_problem(second, first_derivative)
    assert verdict.mistake == "order"


def test_a_throwaway_skill_is_one_registry_entry() -> None:
    with registered(THROWAWAY):
        assert "throwaway" in SKILLS
        problem = generate("throwaway", 2, 11)
        assert problem == generate("throwaway", 2, 11)  # deterministic
        assert problem.answer_kind == "expression" and problem.prompt.startswith("Differentiate")
        assert sp.simplify(problem.answer - sp.diff(problem.function, X)) == 0
        assert check_problem(problem, sp.sstr(problem.answer)).correct
        wrong = check_problem(problem, sp.sstr(problem.function))
        assert wrong.mistake == "not_differentiated"
    assert "throwaway" not in SKILLS
    with pytest.raises(ValueError, match="unknown skill"):
        generate("throwaway", 1, 11)


def test_a_skill_is_registered_once_and_needs_a_builder_or_pools() -> None:
    with registered(THROWAWAY), pytest.raises(ValueError, match="already registered"):
        skills.register(THROWAWAY)
    with pytest.raises(ValueError, match="exactly one of builder and pools"):
        Skill("nothing", 1, "no way to draw f", 30)
    with pytest.raises(ValueError, match="item keys"):
        skills.register(Skill("a:b", 1, "a colon would break skill:<name>:<level>", 30, cubic))


def test_the_required_rule_must_survive_simplification() -> None:
    """A builder whose f never shows the required rule cannot make a problem."""
    hopeless = Skill(
        "hopeless",
        1,
        "exp never uses the power rule",
        30,
        lambda lv: _exp_only,
        required=("power",),
    )
    with registered(hopeless), pytest.raises(RuntimeError, match="could not build"):
        generate("hopeless", 1, 1)


def _exp_only(r: random.Random) -> sp.Expr:
    return r.randint(2, 5) * sp.exp(X)


class PlusDerivative(AnswerKind):
    """A throwaway kind of answer: f(x) + f'(x)."""

    name = "plus_derivative"
    title = "Add f and its derivative"

    def pose(self, q: Question, r: random.Random) -> Posed | None:
        answer = q.f + q.d
        return Posed(answer, f"Find f + f' for f = {q.text}", q.latex, tuple(steps(q.tree, q.var)))

    def check(self, problem: Problem, answer: str) -> Verdict:
        return check_answer(problem.answer, answer, var=problem.var)


def test_a_new_answer_kind_is_one_class() -> None:
    plus = Skill("plus", 1, "f + f'", 60, cubic, kind=PlusDerivative())
    with registered(plus):
        assert answer_kind("plus_derivative").title == "Add f and its derivative"
        problem = generate("plus", 1, 5)
        assert problem.answer_kind == "plus_derivative"
        assert sp.simplify(problem.answer - problem.function - problem.derivative) == 0
        assert check_problem(problem, sp.sstr(problem.answer)).correct
        assert not check_problem(problem, sp.sstr(problem.derivative)).correct
    assert "plus_derivative" not in skills.KINDS
