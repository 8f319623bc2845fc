"""Garbage collection that never stops the bot's event loop for long.

A full (generation 2) collection holds the GIL while it walks every tracked container that is
not frozen, about 0.5 µs each, so it pauses the event loop, Discord's heartbeat and every
interaction with it. Left alone, CPython walks the whole heap (sympy's caches, discord.py's
state, every view) each time: 50-120 ms with 200 students answering at once
(`bench/load_bench.py`). Three rules keep every pause short:

1. Start-up objects live as long as the bot: they are frozen once (`after_startup`).
2. A full collection comes after every `FULL_EVERY` young collections (CPython: 10), so it has
   fewer new objects to walk, and it freezes what it leaves behind, so the next one walks only
   what came after. (It freezes them all: counting survivors with `gc.get_objects` would hold
   references to tuples other threads are still building, which CPython then refuses to
   resize.) Frozen objects are still freed by reference counting; what freezing costs is that
   a reference *cycle* alive at a freeze and dropped later is not collected until:
3. `Sweeper`: when the bot has been idle a while (and at the latest every few hours) it unfreezes
   everything, collects the lot and freezes what is left. That pause is the whole heap, taken
   when nobody is waiting for an answer.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

__all__ = [
    "FULL_EVERY",
    "Sweeper",
    "after_startup",
    "sweep",
    "undo",
]

#: Young (generation 1) collections per full collection; CPython's default is 10. Measured with
#: 200 students answering at once: the longest pause fell from about 50 ms to 13-23 ms.
FULL_EVERY = 3


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


#: The thresholds before `after_startup`, for `undo`.
_saved_threshold: tuple[int, int, int] | None = None


def after_startup() -> None:
    """Freeze what start-up built and install rule 2; call once, when everything is loaded."""
    global _saved_threshold
    gc.collect()
    gc.freeze()
    if _saved_threshold is None:
        _saved_threshold = gc.get_threshold()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)
    # resets CPython's full-collection trigger (a quarter of the last survivors) from the
    # frozen start-up heap to what will actually be walked
    gc.collect()


def undo() -> None:
    """Leave the process as `after_startup` found it (a stopped bot; tests start many): the
    thresholds and the callback back, everything unfrozen. Frozen objects are invisible to
    `gc.get_referrers`, which some libraries (Hypothesis) rely on."""
    global _saved_threshold
    with contextlib.suppress(ValueError):
        gc.callbacks.remove(_freeze_survivors)
    if _saved_threshold is not None:
        gc.set_threshold(*_saved_threshold)
        _saved_threshold = None
    gc.unfreeze()


def sweep() -> float:
    """Collect everything, frozen cycles included, then freeze the survivors again; returns
    the pause in seconds. For quiet moments only: it walks the whole heap."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


class Sweeper:
    """Decides when to `sweep`: after `idle` seconds without activity, at most every `gap`
    seconds, and at the latest every `overdue` seconds even if the bot is never idle."""

    def __init__(
        self,
        *,
        idle: float = 60.0,
        gap: float = 30 * 60.0,
        overdue: float = 6 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle, self.gap, self.overdue, self.clock = idle, gap, overdue, clock
        self.last_activity = self.last_sweep = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def activity(self) -> None:
        """Someone is using the bot (an interaction arrived)."""
        self.last_activity = self.clock()

    def due(self) -> bool:
        now = self.clock()
        since_sweep = now - self.last_sweep
        if since_sweep >= self.overdue:
            return True
        return since_sweep >= self.gap and now - self.last_activity >= self.idle

    def maybe_sweep(self) -> float | None:
        """Sweep if it is time; the pause in seconds, or None."""
        if not self.due():
            return None
        self.last_sweep = self.clock()
        return sweep()

    def start(self, every: float = 60.0) -> None:
        """Check every `every` seconds of real time, in a daemon thread: a thread, not an
        asyncio task, so a test's virtual clock racing through weeks does not run it thousands
        of times. A sweep holds the GIL like any collection, so it pauses the loop all the
        same; it only ever runs when the bot is idle (or overdue)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(every):
                pause = self.maybe_sweep()
                if pause is not None:
                    log.info("idle garbage sweep took %.0f ms", pause * 1000)

        self._thread = threading.Thread(target=run, name="gc-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread = None
