"""The skills students practise, in the order `derivbot skills` lists them: one entry each.

A one-variable skill is one `register(Skill(...))` here (with its builder in a family module);
everything else (generation, checking, titles, scheduling) reads it from the registry.
"""

from __future__ import annotations

from bot.math.rules import RuleNode, iter_nodes
from bot.math.skills.applied import log_diff_l, ml_l
from bot.math.skills.functions import exp_l, inverse_trig_l, log_l, trig_like
from bot.math.skills.implicit import implicit_l, limit_definition_l, nth_derivative_l
from bot.math.skills.kinds import Derivative, SecondDerivative, TangentLine, Value
from bot.math.skills.kinds_multi import (
    GradientKind,
    ImplicitKind,
    LimitKind,
    MultiPartKind,
    NthDerivativeKind,
    PartialKind,
    StepKind,
)
from bot.math.skills.ml import backprop_l, gradient_step_l
from bot.math.skills.multivariable import gradient_l, partial_l
from bot.math.skills.pieces import HYP, TRIG, Builder
from bot.math.skills.polynomial import chain_l, power_l, product_l, quotient_l, sum_l
from bot.math.skills.registry import Skill, register, register_kind


def _rule_count(tree: RuleNode, rule: str) -> int:
    return sum(1 for n in iter_nodes(tree) if n.rule == rule)


def _rule_on_top(level: int, tree: RuleNode) -> bool:
    """Level 1 product/quotient: the rule itself at the top, not hidden inside a chain."""
    return not (level == 1 and tree.rule == "chain")


def _quotient_fits(level: int, tree: RuleNode) -> bool:
    if level == 2 and _rule_count(tree, "chain") == 0:
        return False  # level 2 puts a chain inside the quotient
    return _rule_on_top(level, tree)


def _chain_fits(level: int, tree: RuleNode) -> bool:
    return level != 3 or _rule_count(tree, "chain") >= 2  # level 3 nests two chains


def _trig(level: int) -> Builder:
    return trig_like(TRIG, level)


def _hyperbolic(level: int) -> Builder:
    return trig_like(HYP, level)


for _kind in (Derivative(), Value(), TangentLine()):
    register_kind(_kind)

register(
    Skill(
        "power", 3, "Power rule: x^n, roots and negative powers", 30, power_l, required=("power",)
    )
)
register(Skill("sum", 3, "Sum and constant-multiple rules", 45, sum_l, required=("sum",)))
register(
    Skill(
        "product", 3, "Product rule", 60, product_l, required=("product",), fits_tree=_rule_on_top
    )
)
register(
    Skill(
        "quotient",
        3,
        "Quotient rule",
        75,
        quotient_l,
        required=("quotient",),
        fits_tree=_quotient_fits,
    )
)
register(Skill("chain", 3, "Chain rule", 60, chain_l, required=("chain",), fits_tree=_chain_fits))
register(Skill("trig", 3, "Derivatives of the six trig functions", 45, _trig, required=("trig",)))
register(Skill("exp", 3, "Exponentials e^(kx) and a^x", 45, exp_l, required=("exp", "exp_base")))
register(
    Skill(
        "log",
        3,
        "Logarithms: ln, log base b, ln of an inner function",
        45,
        log_l,
        required=("log", "log_base"),
    )
)
register(
    Skill(
        "inverse_trig", 3, "Inverse trig functions", 60, inverse_trig_l, required=("inverse_trig",)
    )
)
register(Skill("hyperbolic", 3, "Hyperbolic functions", 60, _hyperbolic, required=("hyperbolic",)))
register(
    Skill(
        "log_diff",
        3,
        "Logarithmic differentiation of f(x)^g(x)",
        120,
        log_diff_l,
        required=("log_diff",),
    )
)
register(
    Skill(
        "higher_order",
        3,
        "Second derivatives",
        120,
        kind=SecondDerivative(),
        pools={
            1: (("power", 1), ("power", 2), ("sum", 1)),
            2: (("chain", 1), ("trig", 1), ("exp", 1), ("log", 1), ("hyperbolic", 1)),
            3: (("product", 1), ("quotient", 1), ("chain", 2), ("ml", 1)),
        },
    )
)
register(
    Skill(
        "at_point",
        3,
        "The derivative's value at a point",
        90,
        kind=Value(),
        pools={
            1: (("power", 1), ("power", 2), ("sum", 1), ("sum", 2)),
            2: (("chain", 1), ("chain", 2), ("trig", 1), ("exp", 1), ("log", 1), ("exp", 2)),
            3: (
                ("product", 1),
                ("quotient", 1),
                ("product", 2),
                ("log_diff", 1),
                ("inverse_trig", 1),
            ),
        },
    )
)
register(
    Skill(
        "tangent_line",
        3,
        "Tangent line at a point",
        150,
        kind=TangentLine(),
        pools={
            1: (("power", 1), ("power", 2), ("sum", 1)),
            2: (("chain", 1), ("trig", 1), ("exp", 1), ("log", 1), ("chain", 2)),
            3: (("product", 1), ("quotient", 1), ("product", 2), ("inverse_trig", 1)),
        },
    )
)
register(Skill("ml", 3, "Machine learning: activations and losses in one weight", 120, ml_l))

# several variables: each kind builds its whole problem (`kinds_multi.MultiKind.attempt`)
register(
    Skill(
        "partial",
        3,
        "Partial derivatives ∂f/∂x, ∂f/∂y of f(x, y)",
        90,
        partial_l,  # type: ignore[arg-type]
        kind=PartialKind(),
    )
)
register(
    Skill(
        "gradient",
        3,
        "The gradient ∇f of f(x, y) (level 3: at a point)",
        150,
        gradient_l,  # type: ignore[arg-type]
        kind=GradientKind(),
    )
)
register(
    Skill(
        "gradient_step",
        3,
        "Machine learning: one gradient descent step on a loss",
        150,
        gradient_step_l,  # type: ignore[arg-type]
        kind=StepKind(),
    )
)
register(
    Skill(
        "backprop",
        3,
        "Machine learning: backpropagation through a neuron, part by part",
        300,
        backprop_l,  # type: ignore[arg-type]
        kind=MultiPartKind(),
    )
)
register(
    Skill(
        "implicit",
        3,
        "Implicit differentiation: dy/dx of a curve F(x, y) = c",
        120,
        implicit_l,  # type: ignore[arg-type]
        kind=ImplicitKind(),
    )
)
register(
    Skill(
        "limit_definition",
        3,
        "The derivative from its limit definition",
        180,
        limit_definition_l,  # type: ignore[arg-type]
        kind=LimitKind(),
    )
)
register(
    Skill(
        "nth_derivative",
        3,
        "Third and fourth derivatives",
        150,
        nth_derivative_l,  # type: ignore[arg-type]
        kind=NthDerivativeKind(),
    )
)
