"""Worker processes for CPU-heavy sympy work, with a hard time limit per task.

Checking, generating and rendering maths can take unbounded time or memory on hostile or
merely unlucky input (``sympify("9**9**9**9")``, a simplify that never converges, ...).
Running it in the bot process would freeze the Discord event loop, and a Python thread
cannot be interrupted, so every such task runs in a pebble ``ProcessPool`` worker instead:
when a task outlives its limit the worker is killed and replaced, and the caller gets
:class:`WorkTimeout` (which front-ends report as ``invalid: too complex to check``).

Workers are started by a fork server that has the engine preloaded (:mod:`bot.math.preload`),
never forked from the bot itself, whose threads may hold locks at the moment of a fork. A
worker that dies under a task, or a pool that breaks, is the pool's fault rather than the
task's: the task is run once more on a fresh worker before the caller hears of it
(:class:`WorkerCrashed`, "the checker is restarting").
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import contextvars
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
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pebble import ProcessExpired, ProcessPool
from pebble.common.types import RemoteTraceback

try:  # POSIX only; without it workers simply run without a memory cap.
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

__all__ = ["MathPool", "WorkTimeout", "WorkerCrashed", "default_pool"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Imported by every worker before it takes tasks; already loaded when the fork server has
#: preloaded :func:`_server_preload`, so this only matters where there is no fork server.
_REQUIRED_MODULES = ("sympy", "mpmath")
_OPTIONAL_MODULES = ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg")

_WORKER_NICENESS = 5  # keep the bot process (event loop) ahead of a busy worker
_MAX_DEFAULT_WORKERS = 4  # each worker may use up to memory_limit_mb; be frugal on big hosts


class WorkTimeout(Exception):
    """The task exceeded its time limit; its worker was killed and replaced."""


class WorkerCrashed(Exception):
    """The pool failed under the task twice (its worker died, the pool broke) or could not
    start; or the task raised SystemExit. Not the task's input's fault as far as we know."""


def _default_workers() -> int:
    return max(2, min(os.cpu_count() or 2, _MAX_DEFAULT_WORKERS))


def _server_preload() -> list[str]:
    """What the fork server imports once before forking any worker: the engine
    (`bot.math.preload`, whose final ``gc.freeze()`` covers what came before it) and the
    program's main module, by name when it was started as ``python -m NAME``.

    Every worker runs the main module again (as ``__mp_main__``) before its first task, so
    that functions defined there unpickle. The fork server was meant to load it once for all
    (``"__main__"`` in the preload list), but before CPython's fix of gh-126631 (3.14, and a
    late 3.13 release) it never does: a worker started while the bot ran as ``python -m
    bench.verdict_bench`` on 3.11 spent 0.65-1.0 s importing the study layer again, and a
    recycled worker left the queue unserved that long. Importing the module by name in the
    server puts everything it imports there once; a worker's rerun then finds it loaded (on a
    fixed Python the server merely runs the module twice). ``NAME.__main__`` modules are never
    rerun, and a script run by path (the ``derivbot`` entry point) imports only the light
    ``bot.cli``. The module runs in the server as it runs in every worker anyway: what a
    program does at import, outside its ``__name__ == "__main__"`` guard, must be cheap and
    safe there (a failure other than ImportError stops the server, as it would each worker).
    """
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(spec, "name", None)
    rerun = bool(name) and name != "__main__" and not name.endswith(".__main__")
    return ["__main__", *([name] if rerun else []), "bot.math.preload"]


def _mp_context() -> Any:
    """The fork server where there is one (POSIX), else the platform's default.

    Not plain fork: the bot forks from a process whose other threads (the event loop's
    executor, aiosqlite's, pebble's, the CLI's stdin reader) may hold a lock at that moment,
    and the child then blocks on it for good, or runs their exit hooks and dies as it retires.
    The fork server is a fresh single-threaded process with the engine preloaded, so a new
    worker (including each replacement) is still ready in milliseconds.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_server_preload())  # no effect once the server runs
        return context
    return multiprocessing.get_context()  # pragma: no cover - Windows: spawn


def _start_server(context: Any) -> None:
    """Spawn the fork server now, without waiting for it: it preloads the engine (about a
    second) while the caller goes on, instead of when the first task needs a worker."""
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    try:
        _in_clean_context(forkserver.ensure_running)
    except OSError:  # the first task will try again, and say so if it cannot
        log.warning("could not start the math workers' fork server", exc_info=True)


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

    Relative rather than absolute because a worker inherits the fork server's whole (mostly
    shared, untouched) address space: sympy, matplotlib and numpy's reservations come to a
    few hundred MB of virtual memory before a worker has done anything.
    """
    if resource is None:
        return
    limit = memory_limit_mb * 1024 * 1024 + (_address_space_bytes() or 0)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _init_worker(memory_limit_mb: int | None, setup: Callable[[], object] | None = None) -> None:
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
    if setup is not None:
        try:
            setup()
        except Exception:  # tasks that need what it makes will report it themselves
            log.exception("math worker setup %r failed", setup)
    # sympy's long-lived heap makes full collections cost ~10-100 ms; freezing what is loaded
    # now keeps them off every check's critical path (see docs/PERFORMANCE.md). The fork
    # server froze its heap already, so this only walks what the worker built since.
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


def _in_clean_context(fn: Callable[[], T]) -> T:
    """Run process starts and joins outside the caller's context variables.

    The pool is process-wide machinery, and a caller's context can change what it sees: the
    simulated Discord of the tests gives the bot's code a virtual ``time.monotonic`` that
    stands still, and multiprocessing's ``wait(timeout=0)`` on a fork-server child then never
    returns.
    """
    return contextvars.Context().run(fn)


def _pool_failure(exc: BaseException) -> bool:
    """True for failures of the pool rather than of the task: a worker died under it, or the
    pool broke (pebble then fails every task it holds, queued ones included)."""
    return isinstance(exc, (ProcessExpired, BrokenProcessPool))


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


@dataclass
class _Call(Generic[T]):
    """One task as the caller sees it, across the attempts that may run it."""

    fn: Callable[..., T]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    limit: float
    outer: concurrent.futures.Future[T]
    retries: int = 1
    inner: concurrent.futures.Future[Any] | None = None

    @property
    def label(self) -> str:
        return getattr(self.fn, "__qualname__", repr(self.fn))


class MathPool:
    """Process pool for CPU-heavy math; each task gets a hard time limit.

    A task that overruns is killed together with its worker (which pebble replaces) and the
    caller gets :class:`WorkTimeout`. A task whose worker dies under it, or that the pool
    drops when it breaks, runs once more (on a rebuilt pool if need be); failing again gives
    :class:`WorkerCrashed`. Any other exception from the task is re-raised as is. Tasks must
    therefore be safe to run twice (ours are pure). The time limit starts when a worker
    picks the task up, so waiting in the queue behind other tasks does not count.

    Workers are recycled after ``max_tasks`` tasks, invisibly: a retiring worker finishes its
    last task and a fresh one takes the queue over.

    Functions sent to the pool must be picklable (module-level). Keyword arguments named
    ``timeout`` are consumed by the pool, not passed to the task.
    """

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = 2.0,
        memory_limit_mb: int | None = 1536,
        max_tasks: int = 500,
        setup: Callable[[], object] | None = None,
    ) -> None:
        """``memory_limit_mb`` is the address space each worker may add on top of what it
        inherits at start-up (None: no cap); ``max_tasks`` recycles workers so sympy's
        caches cannot grow without bound. Workers start on first use, but the fork server
        they come from starts loading the engine now.

        ``setup`` (a module-level function, so it pickles) runs in every worker before it
        takes tasks: workers come from a fork server that loaded the engine when the first
        pool was made, so a skill registered later (a plugin's, a test's) is known to them
        only if ``setup`` registers it there too."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.workers = workers if workers is not None else _default_workers()
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if max_tasks < 0:
            raise ValueError("max_tasks must be 0 (never recycle) or more")
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.max_tasks = max_tasks
        self.setup = setup
        self._context = _mp_context()
        _start_server(self._context)
        self._lock = threading.Lock()  # guards starting/replacing/closing the pebble pool
        self._pool: ProcessPool | None = None  # started lazily: creating it starts workers
        self._closed = False
        # pebble leaves unfinished futures pending forever when stopped; they are failed (so
        # retried) when their pool is retired, cancelled on close. Own lock: pebble threads
        # touch it from callbacks.
        self._pending: dict[concurrent.futures.Future[Any], ProcessPool] = {}
        self._pending_lock = threading.Lock()
        #: for monitoring (`bot.metrics`): tasks run again after their worker died, pools
        #: rebuilt after breaking, and functions called with each finished task's
        #: ``(label, result)`` (from pebble's thread: they must be quick and thread-safe)
        self.retried = 0
        self.rebuilt = 0
        self.observers: list[Callable[[str, Any], None]] = []

    # -- pool lifecycle -------------------------------------------------------------------

    def _live_pool(self) -> ProcessPool | None:
        pool = self._pool
        return pool if pool is not None and pool.active else None

    def _ensure_pool(self) -> ProcessPool:
        """Return a running pebble pool, starting it or replacing a broken one.

        Safe from any thread, pebble's callbacks included: it never waits for a pool's threads
        (a broken pool is retired by a thread of its own) and never runs callbacks itself.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("MathPool is closed")
            pool = self._live_pool()
            if pool is not None:
                return pool
            broken, self._pool = self._pool, None
            if broken is not None:
                # pebble marks the whole pool broken when a worker dies while none is
                # running a task (e.g. an idle worker killed by the OS); rebuild it rather
                # than failing every later task.
                log.warning("math worker pool broke; starting a new one")
                self.rebuilt += 1
            try:
                pool = ProcessPool(
                    max_workers=self.workers,
                    max_tasks=self.max_tasks,
                    initializer=_init_worker,
                    initargs=(self.memory_limit_mb, self.setup),
                    context=self._context,
                )
                _in_clean_context(lambda: pool.active)  # starts the workers now, under the lock
            except (OSError, BrokenProcessPool) as exc:
                raise WorkerCrashed(f"math workers could not start: {exc}") from exc
            finally:
                if broken is not None:
                    threading.Thread(
                        target=self._retire, args=(broken,), name="math-pool-retire", daemon=True
                    ).start()
            self._pool = pool
            return pool

    def _retire(self, pool: ProcessPool) -> None:
        """Stop a broken pool, then fail what it left pending: those tasks run again."""
        self._shutdown(pool)
        self._abandon(BrokenProcessPool("worker pool broke"), pool)

    @staticmethod
    def _shutdown(pool: ProcessPool) -> None:
        pool.stop()
        try:
            _in_clean_context(pool.join)
        except Exception:  # pragma: no cover - best effort during shutdown
            log.warning("math worker pool did not shut down cleanly", exc_info=True)

    def warm_up(self) -> None:
        """Start the fork server (it preloads the engine) and every worker, now rather than on
        the first task. Best effort: failures are only logged."""
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

    def _abandon(self, error: BaseException | None, pool: ProcessPool | None = None) -> None:
        """Resolve futures a stopped pebble pool (or every pool, if None) left pending: fail
        them with ``error``, or cancel them if it is None. Never call it holding ``_lock``:
        a failure runs callbacks that retry on a new pool."""
        with self._pending_lock:
            if pool is None:
                pending, self._pending = list(self._pending), {}
            else:
                pending = [inner for inner, owner in self._pending.items() if owner is pool]
                for inner in pending:
                    del self._pending[inner]
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

    def _call(
        self,
        fn: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout: float | None,
    ) -> _Call[T]:
        limit = self.timeout if timeout is None else timeout
        if limit <= 0:
            raise ValueError("timeout must be positive")
        call = _Call(fn, args, kwargs, limit, concurrent.futures.Future())
        call.outer.add_done_callback(lambda outer: self._on_outer_done(call, outer))
        return call

    def _attempt(self, call: _Call[Any], pool: ProcessPool | None = None) -> None:
        """Hand ``call`` to pebble; its outcome completes ``call.outer`` or tries again."""
        pool = pool or self._ensure_pool()
        try:
            inner = pool.schedule(call.fn, args=call.args, kwargs=call.kwargs, timeout=call.limit)
        except RuntimeError:  # pool broke between the liveness check and scheduling
            pool = self._ensure_pool()
            inner = pool.schedule(call.fn, args=call.args, kwargs=call.kwargs, timeout=call.limit)
        with self._pending_lock:
            self._pending[inner] = pool
        call.inner = inner
        if call.outer.cancelled():  # cancelled while this attempt was being scheduled
            inner.cancel()
        inner.add_done_callback(lambda done: self._on_inner_done(call, done))

    def _on_inner_done(self, call: _Call[Any], inner: concurrent.futures.Future[Any]) -> None:
        with self._pending_lock:
            self._pending.pop(inner, None)
        outer = call.outer
        if inner.cancelled():
            outer.cancel()
            return
        exc = inner.exception()
        if exc is not None and call.retries > 0 and _pool_failure(exc) and not outer.done():
            call.retries -= 1
            self.retried += 1
            log.warning("retrying %s once: %s", call.label, _translate(exc, call.label))
            try:
                self._attempt(call)
            except Exception as again:
                if self._closed:
                    outer.cancel()
                    return
                if not isinstance(again, WorkerCrashed):
                    again = WorkerCrashed(f"could not run {call.label} again: {again!r}")
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    outer.set_exception(again)
            return
        with contextlib.suppress(concurrent.futures.InvalidStateError):  # outer cancelled
            if exc is None:
                result = inner.result()
                self._observe(call.label, result)
                outer.set_result(result)
            else:
                outer.set_exception(_translate(exc, call.label))

    def _observe(self, label: str, result: Any) -> None:
        for observer in self.observers:
            try:
                observer(label, result)
            except Exception:  # monitoring never breaks a task
                log.exception("pool observer failed")

    @staticmethod
    def _on_outer_done(call: _Call[Any], outer: concurrent.futures.Future[Any]) -> None:
        if outer.cancelled() and call.inner is not None:
            call.inner.cancel()  # pebble kills the worker if the task already started

    def submit(
        self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """Schedule ``fn(*args, **kwargs)`` in a worker; ``timeout`` defaults to the pool's.

        The future fails with :class:`WorkTimeout` / :class:`WorkerCrashed` / the task's own
        exception; cancelling it kills the worker if the task is already running.
        """
        call = self._call(fn, args, kwargs, timeout)
        self._attempt(call)
        return call.outer

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
        call = self._call(fn, args, kwargs, timeout)
        pool = self._live_pool() if not self._closed else None
        if pool is None:  # starting or rebuilding the pool blocks: do it off-loop
            pool = await asyncio.to_thread(self._ensure_pool)
        self._attempt(call, pool)
        return await asyncio.wrap_future(call.outer)


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
