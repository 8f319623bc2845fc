"""How long a teacher's big deck takes to validate and import: 2,000 cards, about 640 KB of YAML.

`big_deck()` writes a deterministic deck at the format's card limit: every card has a formula in
its front (inline `$...$`), its derivative as `latex_back`, and a typed answer with the function
it differentiates, so validation checks everything it can. No two formulas are the same (only
their pieces repeat, as in real decks).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _import_while_students_answer(text: str) -> dict[str, object]:
    """The bot's path: `StudyService.import_deck` on a 2-worker pool and a SQLite file, while a
    student's answer is checked every 100 ms in the same pool."""
    from bot.config import Settings
    from bot.db import migrate
    from bot.db.engine import create_engine, session_factory
    from bot.math import tasks
    from bot.math.workers import MathPool
    from bot.study.service import StudyService

    with tempfile.TemporaryDirectory() as folder, MathPool(workers=2, timeout=2.0) as pool:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await migrate.upgrade_async(url)
        engine = create_engine(url)
        try:
            settings = Settings(database_url=url, _env_file=None)
            service = StudyService(session_factory(engine), pool, settings=settings)
            user = await service.user_for_discord(1, "teacher")
            server = await service.join_server(user, 1, "class")
            await asyncio.to_thread(pool.warm_up)
            start = time.perf_counter()
            importing = asyncio.create_task(service.import_deck(server, text, "yaml"))
            waits: list[float] = []
            while not importing.done():
                asked = time.perf_counter()
                verdict = await tasks.acheck(pool, "2*x*cos(x**2)", "2x cos x²")
                waits.append(time.perf_counter() - asked)
                assert verdict.correct
                await asyncio.sleep(0.1)
            await importing
            took = time.perf_counter() - start
        finally:
            await engine.dispose()
    return {
        "import through the bot, 2 workers (s)": round(took, 2),
        "student checks during the import": len(waits),
        "student check during import p50 (ms)": round(_percentile(waits, 50) * 1000),
        "student check during import max (ms)": round(max(waits) * 1000),
    }


def _validate_command(text: str) -> tuple[float, float]:
    """`derivbot deck validate` on the deck, in a process of its own: (wall, CPU) seconds."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big-deck.yaml"
        path.write_text(text, encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "deck", "validate", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"the benchmark deck is invalid: {done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def run(n: int = N_CARDS) -> dict[str, object]:
    """`derivbot deck validate` on the big deck, then its import through the bot while a
    student answers."""
    text = big_deck(n)
    wall, cpu = _validate_command(text)
    result: dict[str, object] = {
        "cards": n,
        "deck size (KB)": round(len(text.encode()) / 1000),
        "validate 2,000 cards (s)": round(wall, 2),
        "validate CPU (s)": round(cpu, 2),
        "per card (ms)": round(wall / n * 1000, 2),
    }
    result.update(asyncio.run(_import_while_students_answer(text)))
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return result


if __name__ == "__main__":
    print(run())
