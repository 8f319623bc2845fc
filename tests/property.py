"""How many examples a property test tries: fixed in `make test`, more in `make fuzz`.

`make test` must be the same suite for everyone, every time, so property tests run
derandomised (see ``tests/conftest.py``). `make fuzz` (``DERIVBOT_FUZZ=1``) explores new examples
and raises every test's count to at least ``DERIVBOT_FUZZ_EXAMPLES``.
"""

from __future__ import annotations

import os

FUZZ = os.environ.get("DERIVBOT_FUZZ", "") not in ("", "0")
FUZZ_EXAMPLES = int(os.environ.get("DERIVBOT_FUZZ_EXAMPLES", "500"))


def examples(n: int) -> int:
    """``n`` examples in `make test`; at least ``DERIVBOT_FUZZ_EXAMPLES`` in `make fuzz`."""
    return max(n, FUZZ_EXAMPLES) if FUZZ else n
