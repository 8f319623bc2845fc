"""Machine learning in several weights: a gradient descent step, and backpropagation through a
small computation graph (a neuron and its loss), asked part by part.

Every value is exact: steps use rational learning rates and integer starts; the sigmoid
neuron is drawn with wx + b = 0, so σ = 1/2 and σ' = 1/4 whatever the weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

from bot.math.problem import Part
from bot.math.rules import Step, expr_latex, expr_text
from bot.math.skills.kinds_multi import LADDERS, Drawn
from bot.math.skills.pieces import R, Rng, W, nonzero

__all__ = ["backprop_l", "gradient_step_l", "ladder_backprop", "ladder_step"]

B = sympy.Symbol("b")
_RATES = (R(1, 10), R(1, 4), R(1, 2), R(1, 5), R(1, 20))


# --------------------------------------------------------------------------- gradient step


@dataclass(frozen=True)
class _Loss:
    expr: sympy.Expr
    params: tuple[sympy.Symbol, ...]
    text: str  # how the prompt names it, e.g. "L(w) = (w - 3)^2"
    latex: str
    data: tuple[tuple[int, int], ...] = ()


def _one_weight(r: Rng) -> _Loss:
    c, k = nonzero(r, -4, 4), r.randint(1, 3)
    expr = r.choice(
        (
            k * (W - c) ** 2 + r.randint(0, 5),
            W**2 + nonzero(r, -6, 6) * W,
            W**4 / 4 - c * W,
            k * W**2 + nonzero(r, -5, 5) * W + r.randint(-3, 3),
        )
    )
    return _Loss(expr, (W,), f"L(w) = {expr_text(expr)}", f"L(w) = {expr_latex(expr)}")


def _two_weights(r: Rng) -> _Loss:
    x, y = nonzero(r, -3, 3), nonzero(r, -5, 5)
    if r.random() < 0.5:
        expr = (W * x + B - y) ** 2
        text = f"L(w, b) = (w·{x} + b − ({y}))², the squared error on the example x = {x}, y = {y}"
        latex = f"L(w, b) = {expr_latex(expr)}"
        return _Loss(expr, (W, B), text, latex, ((x, y),))
    c, d = nonzero(r, -3, 3), nonzero(r, -3, 3)
    expr = r.randint(1, 3) * (W - c) ** 2 + (B - d) ** 2 + nonzero(r, -2, 2) * W * B
    return _Loss(expr, (W, B), f"L(w, b) = {expr_text(expr)}", f"L(w, b) = {expr_latex(expr)}")


def _mse(r: Rng) -> _Loss:
    """The mean squared error of the line wx + b on two or three points."""
    n = r.choice((2, 3))
    xs = r.sample(range(-2, 4), n)
    data = tuple((x, r.randint(-4, 5)) for x in xs)
    expr = sympy.Rational(1, n) * sympy.Add(*[(W * x + B - y) ** 2 for x, y in data])
    points = ", ".join(f"({x}, {y})" for x, y in data)
    text = f"L(w, b) = the mean squared error of ŷ = wx + b on the points (x, y) = {points}"
    latex = r"L(w, b) = \frac{1}{" + str(n) + r"} \sum_i (w x_i + b - y_i)^{2}"
    return _Loss(expr, (W, B), text, latex, data)


def _step_once(
    loss: _Loss, grad: tuple[sympy.Expr, ...], at: tuple[sympy.Expr, ...], rate: sympy.Expr
) -> tuple[tuple[sympy.Expr, ...], tuple[sympy.Expr, ...]]:
    values = dict(zip(loss.params, at, strict=True))
    g0 = tuple(sympy.nsimplify(g.subs(values)) for g in grad)
    return g0, tuple(p - rate * g for p, g in zip(at, g0, strict=True))


def _vec_text(values: tuple[sympy.Expr, ...]) -> str:
    inner = ", ".join(expr_text(v) for v in values)
    return inner if len(values) == 1 else f"({inner})"


def _vec_latex(values: tuple[sympy.Expr, ...]) -> str:
    inner = ", ".join(expr_latex(v) for v in values)
    return inner if len(values) == 1 else r"\left(" + inner + r"\right)"


def _step_lines(
    loss: _Loss,
    grad: tuple[sympy.Expr, ...],
    start: tuple[sympy.Expr, ...],
    rate: sympy.Expr,
    count: int,
) -> tuple[list[Step], tuple[sympy.Expr, ...]] | None:
    names = ", ".join(str(p) for p in loss.params)
    steps = [
        Step(
            "gradient",
            "The gradient of the loss",
            r"\nabla L = " + _vec_latex(grad),
            f"∇L({names}) = {_vec_text(grad)}",
        )
    ]
    at = start
    for k in range(1, count + 1):
        g0, nxt = _step_once(loss, grad, at, rate)
        if all(g == 0 for g in g0):
            return None
        steps.append(
            Step(
                "step",
                f"Step {k}: new = old − η·∇L(old)",
                _vec_latex(at)
                + " - "
                + expr_latex(rate)
                + r" \cdot "
                + _vec_latex(g0)
                + " = "
                + _vec_latex(nxt),
                f"At {_vec_text(at)} the gradient is {_vec_text(g0)}; "
                f"{_vec_text(at)} − {expr_text(rate)}·{_vec_text(g0)} = {_vec_text(nxt)}",
            )
        )
        at = nxt
    return steps, at


def gradient_step_l(level: int) -> Callable[[Rng], Drawn | None]:
    def build(r: Rng) -> Drawn | None:
        count = 1
        if level == 1:
            loss = _one_weight(r)
        elif level == 2:
            loss = _two_weights(r)
        elif r.random() < 0.5:
            loss, count = _one_weight(r), 2
        else:
            loss = _mse(r)
        rate = r.choice(_RATES)
        start = tuple(sympy.Integer(nonzero(r, -3, 4)) for _ in loss.params)
        grad = tuple(sympy.expand(sympy.diff(loss.expr, p)) for p in loss.params)
        made = _step_lines(loss, grad, start, rate, count)
        if made is None:
            return None
        steps, end = made
        if all(v == 0 for v in end):
            return None  # "0" is what a student guesses: never the answer
        vars_ = tuple(str(p) for p in loss.params)
        start_text = ", ".join(f"{p} = {expr_text(v)}" for p, v in zip(vars_, start, strict=True))
        times = "two steps" if count == 2 else "one step"
        ask = "the point after them" if count == 2 else "the next point"
        return Drawn(
            function=loss.expr,
            answer=sympy.Tuple(*end) if len(end) > 1 else end[0],
            vars=vars_,
            prompt=f"Gradient descent on {loss.text}: start at {start_text} with learning rate "
            f"η = {expr_text(rate)} and take {times}. Give {ask} "
            f"{_vec_text(tuple(sympy.Symbol(v) for v in vars_))}, exactly.",
            prompt_latex=loss.latex
            + r",\ "
            + _vec_latex(start)
            + r"\ \mathrm{start},\ \eta = "
            + expr_latex(rate),
            steps=tuple(steps),
            tree_var=loss.params[0],
            extra=(
                ("start", [str(v) for v in start]),
                ("learning_rate", str(rate)),
                ("steps_taken", count),
            ),
        )

    return build


def ladder_step(problem: object) -> list[tuple[str, str]]:
    """The update rule, then the gradient, then where to evaluate it."""
    from bot.math.problem import Problem

    assert isinstance(problem, Problem)
    return [
        (
            "Gradient descent moves against the gradient: new = old − η·∇L(old).",
            r"\theta_{new} = \theta - \eta \nabla L(\theta)",
        ),
        (
            "First differentiate the loss with respect to each parameter.",
            r"\frac{\partial L}{\partial " + problem.vars[0] + "}",
        ),
        (
            "Evaluate the gradient at the start point, not at the new one.",
            r"\nabla L(\mathrm{start})",
        ),
    ]


# --------------------------------------------------------------------------- backprop


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


@dataclass(frozen=True)
class _Neuron:
    """One neuron with its loss: parameters, inputs, target, and how it is built."""

    weights: tuple[sympy.Symbol, ...]
    xs: tuple[int, ...]
    y: int
    activation: str  # "none" or "sigmoid"
    loss: str  # "square" or "cross_entropy"

    @property
    def params(self) -> tuple[sympy.Symbol, ...]:
        return (*self.weights, B)

    def z(self) -> sympy.Expr:
        return sympy.Add(*[w * x for w, x in zip(self.weights, self.xs, strict=True)]) + B

    def a_of(self, z: sympy.Expr) -> sympy.Expr:
        return z if self.activation == "none" else _sigmoid(z)

    def loss_of(self, a: sympy.Expr) -> sympy.Expr:
        if self.loss == "square":
            return (a - self.y) ** 2
        return -sympy.log(a) if self.y == 1 else -sympy.log(1 - a)

    def function(self) -> sympy.Expr:
        return self.loss_of(self.a_of(self.z()))


def _draw_neuron(level: int, r: Rng) -> tuple[_Neuron, dict[sympy.Symbol, sympy.Expr]]:
    if level == 1:
        n = _Neuron((W,), (nonzero(r, -3, 4),), nonzero(r, -5, 6), "none", "square")
        values = {W: sympy.Integer(nonzero(r, -3, 3)), B: sympy.Integer(nonzero(r, -4, 4))}
        return n, values
    k = 1 if level == 2 else 2
    weights = (W,) if k == 1 else (sympy.Symbol("w1"), sympy.Symbol("w2"))
    xs = tuple(nonzero(r, -3, 4) for _ in weights)
    loss = "square" if level == 2 else "cross_entropy"
    n = _Neuron(weights, xs, r.choice((0, 1)), "sigmoid", loss)
    values = {w: sympy.Integer(nonzero(r, -3, 3)) for w in weights}
    values[B] = -sympy.Add(*[values[w] * x for w, x in zip(weights, xs, strict=True)])
    return n, values  # wx + b = 0: σ = 1/2 exactly


@dataclass(frozen=True)
class _Forward:
    z: sympy.Expr
    a: sympy.Expr
    loss: sympy.Expr
    dl_da: sympy.Expr
    da_dz: sympy.Expr
    grads: tuple[sympy.Expr, ...]


def _forward(n: _Neuron, values: dict[sympy.Symbol, sympy.Expr]) -> _Forward:
    za, zs = sympy.symbols("a z")
    z = n.z().subs(values)
    a = n.a_of(z)
    dl_da = sympy.diff(n.loss_of(za), za).subs(za, a)
    da_dz = sympy.diff(n.a_of(zs), zs).subs(zs, z)
    dl_dz = sympy.simplify(dl_da * da_dz)
    grads = (*(sympy.simplify(dl_dz * x) for x in n.xs), dl_dz)
    return _Forward(
        z,
        sympy.simplify(a),
        sympy.simplify(n.loss_of(a)),
        sympy.simplify(dl_da),
        sympy.simplify(da_dz),
        grads,
    )


def _names(n: _Neuron) -> tuple[str, str, str]:
    """The z, a and loss formulas as text."""
    z = " + ".join(f"{w}·x{k + 1 if len(n.xs) > 1 else ''}" for k, w in enumerate(n.weights))
    z += " + b"
    a = "z" if n.activation == "none" else "σ(z)"
    loss = "(a − y)²" if n.loss == "square" else "−(y·ln a + (1 − y)·ln(1 − a))"
    return z, a, loss


def _parts(n: _Neuron, f: _Forward) -> tuple[Part, ...]:
    vars_ = tuple(str(p) for p in n.params)
    z_t, a_t, loss_t = _names(n)
    sigmoid = n.activation == "sigmoid"
    rows: list[tuple[str, str, sympy.Expr]] = [(f"Forward: z = {z_t}", "z", f.z)]
    if sigmoid:
        rows.append((f"Forward: a = {a_t}", "a", f.a))
    rows.append((f"Forward: L = {loss_t if sigmoid else '(z − y)²'}", "L", f.loss))
    if sigmoid:
        rows.append(("Local derivative: ∂L/∂a", r"\frac{\partial L}{\partial a}", f.dl_da))
        rows.append(("Local derivative: ∂a/∂z", r"\frac{\partial a}{\partial z}", f.da_dz))
    else:
        rows.append(("Local derivative: ∂L/∂z", r"\frac{\partial L}{\partial z}", f.dl_da))
    for p, g in zip(n.params, f.grads, strict=True):
        rows.append((f"Backward: ∂L/∂{p}", r"\frac{\partial L}{\partial " + _tex(p) + "}", g))
    return tuple(Part(text, latex, value, vars_) for text, latex, value in rows)


def _tex(p: sympy.Symbol) -> str:
    name = str(p)
    return f"{name[0]}_{{{name[1:]}}}" if len(name) > 1 else name


def _graph(n: _Neuron, values: dict[sympy.Symbol, sympy.Expr], f: _Forward) -> dict[str, list]:
    """Nodes with their forward values, edges with their local derivatives (as text)."""
    nodes = []
    edges = []
    for k, (w, x) in enumerate(zip(n.weights, n.xs, strict=True)):
        xname = f"x{k + 1}" if len(n.xs) > 1 else "x"
        nodes += [{"id": str(w), "value": str(values[w])}, {"id": xname, "value": str(x)}]
        edges += [
            {"from": str(w), "to": "z", "local": str(x)},
            {"from": xname, "to": "z", "local": ""},
        ]
    nodes.append({"id": "b", "value": str(values[B])})
    edges.append({"from": "b", "to": "z", "local": "1"})
    nodes.append({"id": "z", "value": str(f.z)})
    last = "z"
    if n.activation == "sigmoid":
        nodes.append({"id": "a", "value": str(f.a)})
        edges.append({"from": "z", "to": "a", "local": str(f.da_dz)})
        last = "a"
    nodes.append({"id": "L", "value": str(f.loss)})
    edges.append({"from": last, "to": "L", "local": str(f.dl_da)})
    return {"nodes": nodes, "edges": edges}


def _wrapped(shown: str, value: sympy.Expr, *, tex: bool = False) -> str:
    """A negative factor in brackets, so a product reads unambiguously."""
    if not value.could_extract_minus_sign():
        return shown
    return r"\left(" + shown + r"\right)" if tex else f"({shown})"


def _backprop_steps(n: _Neuron, f: _Forward, parts: tuple[Part, ...]) -> tuple[Step, ...]:
    """One line per part; a gradient's line multiplies the local derivatives on its path."""
    sigmoid = n.activation == "sigmoid"
    dl_dz = (f.dl_da, f.da_dz) if sigmoid else (f.dl_da,)
    path_t = "∂L/∂a · ∂a/∂z" if sigmoid else "∂L/∂z"
    out = []
    inputs = (*n.xs, 1)
    backward = parts[len(parts) - len(n.params) :]
    for p in parts[: len(parts) - len(n.params)]:
        out.append(
            Step("backprop", p.prompt.split(":")[0], p.prompt_latex + " = " + expr_latex(p.answer),
                 f"{p.prompt} = {expr_text(p.answer)}")
        )  # fmt: skip
    for param, x, p in zip(n.params, inputs, backward, strict=True):
        factors = [*dl_dz, sympy.Integer(x)]
        product_t = " · ".join(_wrapped(expr_text(v), v) for v in factors)
        product_l = r" \cdot ".join(_wrapped(expr_latex(v), v, tex=True) for v in factors)
        out.append(
            Step(
                "backprop",
                f"Backward: ∂L/∂{param}",
                p.prompt_latex + " = " + product_l + " = " + expr_latex(p.answer),
                f"∂L/∂{param} = {path_t} · ∂z/∂{param} = {product_t} = {expr_text(p.answer)}",
            )
        )
    return tuple(out)


def backprop_l(level: int) -> Callable[[Rng], Drawn | None]:
    def build(r: Rng) -> Drawn | None:
        n, values = _draw_neuron(level, r)
        f = _forward(n, values)
        if any(g == 0 for g in f.grads):
            return None
        parts = _parts(n, f)
        given = ", ".join(
            [f"{p} = {values[p]}" for p in n.params]
            + [f"x{k + 1 if len(n.xs) > 1 else ''} = {x}" for k, x in enumerate(n.xs)]
            + [f"y = {n.y}"]
        )
        z_t, a_t, loss_t = _names(n)
        chain = f"z = {z_t}" + (f", a = {a_t}" if n.activation == "sigmoid" else "")
        chain += f", L = {loss_t if n.activation == 'sigmoid' else '(z − y)²'}"
        steps = _backprop_steps(n, f, parts)
        grad_names = ", ".join(f"∂L/∂{p}" for p in n.params)
        function = n.function()
        return Drawn(
            function=function,
            answer=sympy.Tuple(*f.grads),
            vars=tuple(str(p) for p in n.params),
            prompt=f"Backpropagate through {chain} with {given}: the forward values, the local "
            f"derivatives, then {grad_names}.",
            prompt_latex=r"\mathrm{Backprop:}\ "
            + expr_latex(sympy.Symbol("L"))
            + " = "
            + expr_latex(function),
            steps=steps,
            tree_var=n.params[0],
            parts=parts,
            extra=(("graph", _graph(n, values, f)),),
        )

    return build


def ladder_backprop(problem: object) -> list[tuple[str, str]]:
    """Forward first, then each edge's local derivative, then multiply along the paths."""
    return [
        (
            "Go forward first: compute each node's value from its inputs.",
            r"z \rightarrow a \rightarrow L",
        ),
        (
            "Each edge's local derivative is the derivative of its node with respect to that "
            "input alone.",
            r"\frac{\partial a}{\partial z}",
        ),
        (
            "Chain rule: a parameter's gradient is the product of the local derivatives along "
            "its path to L.",
            r"\frac{\partial L}{\partial w} = \frac{\partial L}{\partial z} "
            r"\frac{\partial z}{\partial w}",
        ),
    ]


LADDERS["gradient_step"] = ladder_step
LADDERS["backprop"] = ladder_backprop
