"""What the math workers' fork server loads once, so that every worker starts ready.

Workers are forked from a small server process (multiprocessing's ``forkserver``), never from
the bot: the bot runs threads (the event loop's executor, aiosqlite, pebble's own), and a child
forked while one of them holds a lock - stdin's, logging's, an executor's - can block on it for
good. The server imports this module before it forks anything: sympy, mpmath, matplotlib and
the engine are loaded, their lazily built machinery is warmed (first simplify, first mathtext
render), then the heap is frozen so that a worker's garbage collections never touch it and its
pages stay shared with the server instead of being copied into every worker.

Importing it anywhere else only costs time: nothing but the fork server should.
"""

from __future__ import annotations

import gc
import logging
import warnings

import matplotlib.backends.backend_agg
import matplotlib.figure  # noqa: F401
import mpmath  # noqa: F401
import pebble.pool.process  # noqa: F401 - unpickled with every worker
import sympy

from bot.math import charts, check, generator, render, tasks  # noqa: F401

log = logging.getLogger(__name__)

# The server may have imported the program's main module by name (`workers._server_preload`), so
# a worker rerunning it as __mp_main__ finds it loaded already: that is the point, not a fault.
# Workers inherit this filter.
warnings.filterwarnings(
    "ignore", message=r".* found in sys\.modules after import of package", category=RuntimeWarning
)


def _warm() -> None:
    x = sympy.Symbol("x")
    sympy.simplify(sympy.diff(sympy.sin(x) * sympy.exp(x), x))
    check.check_answer("2*x*cos(x**2)", "2x cos(x^2)", function="sin(x^2)")
    render.render_latex(r"\frac{d}{dx}\sin(x^{2}) = 2x\cos(x^{2})")
    render.clear_render_cache()  # warm the machinery, not the caches


try:
    _warm()
except Exception:  # pragma: no cover - a worker then pays for it on its first task
    log.warning("math worker server could not warm up", exc_info=True)
gc.collect()
gc.freeze()
