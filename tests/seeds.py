"""Seeded problem draws for tests: every run presents the same problems.

`StudyService` draws each new problem's seed from an unpredictable source in production (a
student must not be able to look answers up); tests pass one of these instead, so that
`make test` is the same suite every time.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def seeded(seed: int = 2026) -> Callable[[], int]:
    """A fresh, reproducible source of problem seeds."""
    rng = random.Random(seed)
    return lambda: rng.randrange(2**31)
