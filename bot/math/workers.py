"""Worker processes for CPU-heavy sympy work, with a hard time limit per task.

Checking, generating and rendering maths can take unbounded time or memory on hostile or
merely unlucky input (``sympify("9**9**9**9")``, a simplify that never converges, ...).
Running it in the bot process would freeze the Discord event loop, and a Python thread
cannot be interrupted, so every such task runs in a pebble ``ProcessPool`` worker instead:
when a task outlives its limit the worker is killed and replaced, and the caller gets
:class:`WorkTimeout` (which front-ends report as ``invalid: too complex to check``).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import gc
import importlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool
from pebble.common.types import RemoteTraceback

try:  # POSIX only; without it workers simply run without a memory cap.
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

__all__ = ["MathPool", "WorkTimeout", "WorkerCrashed", "default_pool"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Imported by every worker before it takes tasks, and by the parent before it forks them so
#: that workers forked later, e.g. replacements for killed ones, start with them loaded.
_REQUIRED_MODULES = ("sympy", "mpmath")
_OPTIONAL_MODULES = ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg")

_WORKER_NICENESS = 5  # keep the bot process (event loop) ahead of a busy worker
_MAX_DEFAULT_WORKERS = 4  # each worker may use up to memory_limit_mb; be frugal on big hosts


class WorkTimeout(Exception):
    """The task exceeded its time limit; its worker was killed and replaced."""


class WorkerCrashed(Exception):
    """The worker died under the task (OS kill, hard crash, SystemExit) or the pool broke."""


def _default_workers() -> int:
    return max(2, min(os.cpu_count() or 2, _MAX_DEFAULT_WORKERS))


def _mp_context() -> Any:
    # fork: the parent has usually imported sympy already, so a new worker (including each
    # replacement for a killed one) is ready in milliseconds instead of re-importing it.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _import_modules() -> None:
    for name in _REQUIRED_MODULES:
        importlib.import_module(name)
    for name in _OPTIONAL_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _address_space_bytes() -> int | None:
    """Current virtual size of this process, or None where /proc is unavailable."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(memory_limit_mb: int) -> None:
    """Cap the worker's address space at what it inherited plus ``memory_limit_mb``.

    Relative rather than absolute because a forked worker inherits the parent's whole
    (mostly shared, untouched) address space, which for a bot with many threads can
    itself exceed any sensible absolute cap.
    """
    if resource is None:
        return
    limit = memory_limit_mb * 1024 * 1024 + (_address_space_bytes() or 0)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _init_worker(memory_limit_mb: int | None) -> None:
    """Prepare a fresh worker; never raises, because pebble breaks the pool if it does."""
    # pebble's SIGTERM handler is Python-level and so cannot run while a task is stuck in C
    # code (a huge integer power, say); the default action ends the worker immediately.
    # Safe: pebble only kills a worker while holding the channel lock, so no lock is lost.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(_WORKER_NICENESS)
    try:
        _import_modules()
    except Exception:  # pragma: no cover - broken install; tasks will report it themselves
        log.exception("math worker could not preload modules")
    # sympy's long-lived heap makes full collections cost ~10-100 ms; freezing what is loaded
    # now keeps them off every check's critical path (see docs/PERFORMANCE.md).
    gc.collect()
    gc.freeze()
    if memory_limit_mb is not None:
        try:
            _limit_memory(memory_limit_mb)
        except (OSError, ValueError):  # pragma: no cover - e.g. forbidden in a sandbox
            log.warning("math worker could not set a memory limit", exc_info=True)


def _warm_task() -> bool:
    """Touch sympy's lazily built machinery so the first real task does not pay for it."""
    import sympy

    x = sympy.Symbol("x")
    sympy.simplify(sympy.diff(sympy.sin(x) * sympy.exp(x), x))
    return True


def _translate(exc: BaseException, label: str) -> BaseException:
    """Map pebble's failure signals onto this module's exceptions; pass task errors through."""
    remote = isinstance(exc.__cause__, RemoteTraceback)
    if type(exc) is TimeoutError and not remote and exc.args[:1] == ("Task timeout",):
        limit = exc.args[1] if len(exc.args) > 1 else "?"
        return WorkTimeout(f"{label} exceeded its {limit}s time limit")
    if isinstance(exc, ProcessExpired):
        return WorkerCrashed(f"worker running {label} died (exit code {exc.exitcode})")
    if isinstance(exc, BrokenProcessPool):
        return WorkerCrashed(f"worker pool broke while running {label}: {exc}")
    if remote and not isinstance(exc, Exception):
        # SystemExit / KeyboardInterrupt from a worker must not shut down the bot.
        return WorkerCrashed(f"{label} raised {type(exc).__name__} in its worker")
    return exc


def _link(inner: concurrent.futures.Future, outer: concurrent.futures.Future, label: str) -> None:
    """Complete ``outer`` from pebble's ``inner`` and pass cancellation the other way."""

    def on_inner_done(fut: concurrent.futures.Future) -> None:
        if fut.cancelled():
            outer.cancel()
            return
        exc = fut.exception()
        with contextlib.suppress(concurrent.futures.InvalidStateError):  # outer cancelled
            if exc is None:
                outer.set_result(fut.result())
            else:
                outer.set_exception(_translate(exc, label))

    def on_outer_done(fut: concurrent.futures.Future) -> None:
        if fut.cancelled():
            inner.cancel()  # pebble kills the worker if the task already started

    outer.add_done_callback(on_outer_done)
    inner.add_done_callback(on_inner_done)


class MathPool:
    """Process pool for CPU-heavy math; each task gets a hard time limit.

    A task that overruns is killed together with its worker (which pebble replaces) and the
    caller gets :class:`WorkTimeout`; a worker that dies gives :class:`WorkerCrashed`; any
    other exception from the task is re-raised as is. The time limit starts when a worker
    picks the task up, so waiting in the queue behind other tasks does not count.

    Functions sent to the pool must be picklable (module-level). Keyword arguments named
    ``timeout`` are consumed by the pool, not passed to the task.
    """

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = 2.0,
        memory_limit_mb: int | None = 1536,
        max_tasks: int = 500,
    ) -> None:
        """``memory_limit_mb`` is the address space each worker may add on top of what it
        inherits at start-up (None: no cap); ``max_tasks`` recycles workers so sympy's
        caches cannot grow without bound."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.workers = workers if workers is not None else _default_workers()
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.max_tasks = max_tasks
        self._lock = threading.Lock()  # guards starting/replacing/closing the pebble pool
        self._pool: ProcessPool | None = None  # started lazily: creating it forks
        self._closed = False
        # pebble leaves unfinished futures pending forever when stopped; close() cancels them
        # (own lock: pebble threads touch it from callbacks while _lock may be joining them)
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._pending_lock = threading.Lock()

    # -- pool lifecycle -------------------------------------------------------------------

    def _live_pool(self) -> ProcessPool | None:
        pool = self._pool
        return pool if pool is not None and pool.active else None

    def _ensure_pool(self) -> ProcessPool:
        """Return a running pebble pool, starting it or replacing a broken one."""
        with self._lock:
            if self._closed:
                raise RuntimeError("MathPool is closed")
            pool = self._live_pool()
            if pool is not None:
                return pool
            if self._pool is not None:
                # pebble marks the whole pool broken in rare cases (e.g. an idle worker
                # killed by the OS); rebuild it rather than failing every later task.
                log.warning("math worker pool broke; starting a new one")
                self._shutdown(self._pool)
                self._abandon(BrokenProcessPool("worker pool broke"))
            # Load the heavy modules here first so every forked worker starts with them.
            _import_modules()
            pool = ProcessPool(
                max_workers=self.workers,
                max_tasks=self.max_tasks,
                initializer=_init_worker,
                initargs=(self.memory_limit_mb,),
                context=_mp_context(),
            )
            pool.active  # noqa: B018 - starts the workers now, under the lock
            self._pool = pool
            return pool

    @staticmethod
    def _shutdown(pool: ProcessPool) -> None:
        pool.stop()
        try:
            pool.join()
        except Exception:  # pragma: no cover - best effort during shutdown
            log.warning("math worker pool did not shut down cleanly", exc_info=True)

    def warm_up(self) -> None:
        """Start all workers with sympy/mpmath (and matplotlib if installed) loaded.

        Starting the pool imports them in the parent first, so workers forked later -
        replacements for killed ones - start warm too. Best effort: failures are only logged.
        """
        futures = [
            self.submit(_warm_task, timeout=max(self.timeout, 10.0)) for _ in range(self.workers)
        ]
        for future in futures:
            try:
                future.result()
            except Exception:
                log.warning("math worker warm-up task failed", exc_info=True)

    def close(self) -> None:
        """Kill the workers; tasks still queued or running are cancelled."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        # cancel first: once pebble stops, it may fail a running task as "broken" instead
        self._abandon(None)
        if pool is not None:
            self._shutdown(pool)
        self._abandon(None)

    def _abandon(self, error: BaseException | None) -> None:
        """Resolve futures a stopped pebble pool left pending: fail them, or cancel if None."""
        with self._pending_lock:
            pending, self._pending = self._pending, set()
        for inner in pending:
            if error is None:
                inner.cancel()
            else:
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    inner.set_exception(error)

    def __enter__(self) -> MathPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- running tasks --------------------------------------------------------------------

    def _submit_to(
        self,
        pool: ProcessPool,
        fn: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout: float | None,
    ) -> concurrent.futures.Future[T]:
        limit = self.timeout if timeout is None else timeout
        if limit <= 0:
            raise ValueError("timeout must be positive")
        label = getattr(fn, "__qualname__", repr(fn))
        try:
            inner = pool.schedule(fn, args=args, kwargs=kwargs, timeout=limit)
        except RuntimeError:  # pool broke between the liveness check and scheduling
            inner = self._ensure_pool().schedule(fn, args=args, kwargs=kwargs, timeout=limit)
        with self._pending_lock:
            self._pending.add(inner)
        inner.add_done_callback(self._forget)
        outer: concurrent.futures.Future[T] = concurrent.futures.Future()
        _link(inner, outer, label)
        return outer

    def _forget(self, inner: concurrent.futures.Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(inner)

    def submit(
        self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Schedule ``fn(*args, **kwargs)`` in a worker; ``timeout`` defaults to the pool's.

        The future fails with :class:`WorkTimeout` / :class:`WorkerCrashed` / the task's own
        exception; cancelling it kills the worker if the task is already running.
        """
        return self._submit_to(self._ensure_pool(), fn, args, kwargs, timeout)

    def run(
        self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> T:
        """Run ``fn`` in a worker and block for its result (for threads and the CLI)."""
        future = self.submit(fn, *args, timeout=timeout, **kwargs)
        try:
            return future.result()
        finally:
            future.cancel()  # no-op once done; frees the worker if we were interrupted

    async def arun(
        self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> T:
        """Run ``fn`` in a worker without blocking the event loop.

        Cancelling the awaiting task cancels the work and kills its worker if it started.
        """
        pool = self._live_pool() if not self._closed else None
        if pool is None:  # starting (forking) or rebuilding the pool blocks: do it off-loop
            pool = await asyncio.to_thread(self._ensure_pool)
        future = self._submit_to(pool, fn, args, kwargs, timeout)
        return await asyncio.wrap_future(future)


_default: MathPool | None = None
_default_lock = threading.Lock()


def default_pool() -> MathPool:
    """The process-wide pool, created on first use and closed at interpreter exit."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = MathPool()
            atexit.register(_default.close)
        return _default
