"""How long a teacher's big deck takes to validate: 2,000 cards, about 600 KB of YAML.

`big_deck()` writes a deterministic deck at the format's limit: every card has a formula in its
front (inline `$...$`), a worked answer as `latex_back`, and a typed answer with the function it
differentiates, so validation renders and checks everything it can. The formulas are all
different (no cache can help across cards).
"""

from __future__ import annotations

import itertools
import os
import time

import sympy as sp

N_CARDS = 2000

_X = sp.Symbol("x")


def _functions() -> list[sp.Expr]:
    """Distinct functions of x, shaped like textbook exercises."""
    x = _X
    outers = [sp.sin, sp.cos, sp.tan, sp.exp, sp.log, sp.sqrt, sp.atan, sp.sinh, sp.cosh]
    inners = [x**2, 3 * x + 1, x**3 - 2 * x, 1 / x, x / (x + 1), 2 * x - 5, x**2 + 1]
    shapes = [
        lambda f, u, k: f(u) * k,
        lambda f, u, k: x**k * f(u),
        lambda f, u, k: f(u) / (x**2 + k),
        lambda f, u, k: f(u) ** 2 + k * x,
        lambda f, u, k: f(k * u),
        lambda f, u, k: f(u) * sp.exp(k * x),
    ]
    seen: dict[sp.Expr, None] = {}
    for k, shape, inner, outer in itertools.product(range(2, 9), shapes, inners, outers):
        seen.setdefault(shape(outer, inner, k))
    return list(seen)


_RULES = ("Chain rule.", "Product rule, then the chain rule.", "Quotient rule.", "Sum rule.")


def big_deck(n: int = N_CARDS) -> str:
    """A valid deck of `n` cards as YAML text (about 300 bytes a card)."""
    functions = _functions()
    if len(functions) < n:
        raise ValueError(f"only {len(functions)} distinct functions")
    lines = [
        "id: big-deck",
        "title: Two thousand derivatives",
        "description: A deck at the size limit, for the benchmark.",
        "version: 1",
        "cards:",
    ]
    for i, function in enumerate(functions[:n]):
        derivative = sp.diff(function, _X)
        lines += [
            f"  - id: card-{i:04d}",
            f"    front: 'Differentiate $f(x) = {sp.latex(function)}$.'",
            f"    back: {_RULES[i % len(_RULES)]}",
            f"    latex_back: '{sp.latex(derivative)}'",
            "    typed:",
            f"      answer: {sp.sstr(derivative)}",
            f"      function: {sp.sstr(function)}",
        ]
    return "\n".join(lines) + "\n"


def run(n: int = N_CARDS) -> dict[str, object]:
    """Validate the big deck in this process (what `derivbot deck validate` does)."""
    from bot.study.decks import validate_text

    text = big_deck(n)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    deck, problems = validate_text(text, source="big-deck.yaml")
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    if deck is None:
        raise RuntimeError(f"the benchmark deck is invalid: {problems[:3]}")
    return {
        "cards": len(deck.cards),
        "deck size (KB)": round(len(text.encode()) / 1000),
        "validate 2,000 cards (s)": round(wall, 2),
        "validate CPU (s)": round(cpu, 2),
        "per card (ms)": round(wall / len(deck.cards) * 1000, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    print(run())
