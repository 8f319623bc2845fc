"""The CPU time a diagnosis has spent on itself, for its budget.

The budget is CPU time, not wall time, so a busy machine does not change which mistake is
named. Two kinds of CPU time in a process are not the diagnosis's own work, and both were seen
to push a quick diagnosis past its budget: other threads (`time.process_time` counts every
thread) and a full garbage collection that happens to start during the search, which walks the
whole heap (a second and more in a process holding millions of objects, as a long test run
does). This clock counts the calling thread only, less the collections run in that thread.
"""

from __future__ import annotations

import gc
import threading
import time

__all__ = ["own_cpu"]


class _Collections(threading.local):
    """Per thread: CPU seconds spent in garbage collection, and when the current one began."""

    spent: float = 0.0
    began: float | None = None


_collections = _Collections()


def _count(phase: str, info: dict[str, int]) -> None:
    # runs in the thread that triggered the collection, which holds the GIL throughout
    if phase == "start":
        _collections.began = time.thread_time()
    elif _collections.began is not None:
        _collections.spent += time.thread_time() - _collections.began
        _collections.began = None


def own_cpu() -> float:
    """This thread's CPU seconds so far, without its garbage collections (only differences
    between two readings mean anything)."""
    return time.thread_time() - _collections.spent


if _count not in gc.callbacks:
    gc.callbacks.append(_count)
