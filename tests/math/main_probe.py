"""A program for `test_workers`: run as ``python -m tests.math.main_probe``, it prints the pids
of the workers that ran its tasks (a new worker for each, as ``max_tasks=1`` recycles them).

Its dependency `main_probe_import` notes each process that imports it, so the test can tell
whether workers imported the main module's dependencies again or found them in the fork server.
"""

from __future__ import annotations

import json
import os

from bot.math.workers import MathPool
from tests.math import main_probe_import  # noqa: F401 - imported for its note


def pid() -> int:
    """Defined in the main module: workers must still be able to unpickle it."""
    return os.getpid()


if __name__ == "__main__":
    with MathPool(workers=1, max_tasks=1, timeout=30.0) as pool:
        print(json.dumps(sorted({pool.run(pid) for _ in range(3)})))
