"""Prometheus metrics (METRICS_PORT): interaction latency, checks per verdict, worker restarts,
reminders sent and failed, database time.

Off unless METRICS_PORT is set. Every number comes from a hook the rest of the bot already has,
so nothing here changes behaviour: the interaction gate's observer (`cogs.gate`), the worker
pool's counters and result observers (`math.workers.MathPool`), SQLAlchemy's cursor events,
and the reminder pass's report. Each bot has its own registry, so tests (and several bots in
one process) never share counters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cogs.gate import Passage
from bot.math.workers import MathPool

__all__ = ["Metrics"]

log = logging.getLogger(__name__)

#: the worker tasks whose result is a verdict (`math.tasks`)
CHECK_TASKS = ("check_task", "check_generated_task")
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
_DB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_STARTED = "derivbot_query_started"


class _PoolCollector(Collector):
    """Reads the pool's own counters at scrape time (they live in the pool, not here)."""

    def __init__(self, pool: MathPool) -> None:
        self.pool = pool

    def collect(self) -> Iterator[CounterMetricFamily]:
        restarts = CounterMetricFamily(
            "derivbot_worker_restarts",
            "Math worker restarts: tasks run again after their worker died, and pools rebuilt",
            labels=["reason"],
        )
        restarts.add_metric(["task_retried"], self.pool.retried)
        restarts.add_metric(["pool_rebuilt"], self.pool.rebuilt)
        yield restarts


class Metrics:
    """The bot's metrics and, once `serve` is called, the `/metrics` endpoint."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.interactions = Histogram(
            "derivbot_interaction_seconds",
            "Time from an interaction entering the bot to its handler's end",
            ["command", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.checks = Counter(
            "derivbot_checks",
            "Answers checked, by verdict (correct, incorrect, invalid)",
            ["verdict"],
            registry=self.registry,
        )
        self.reminders = Counter(
            "derivbot_reminders",
            "Reminders handled by the reminder pass, by result (sent, paused, failed)",
            ["result"],
            registry=self.registry,
        )
        self.database = Histogram(
            "derivbot_database_seconds",
            "Time per database statement",
            buckets=_DB_BUCKETS,
            registry=self.registry,
        )
        self._server: Any = None

    # --- hooks ------------------------------------------------------------------------------

    def observe_interaction(self, passage: Passage) -> None:
        """The gate's observer: one sample per interaction."""
        self.interactions.labels(passage.command, passage.outcome).observe(passage.latency)

    def watch_pool(self, pool: MathPool) -> None:
        """Count verdicts of the checks the pool runs, and expose its restart counters."""
        pool.observers.append(self._pool_result)
        self.registry.register(_PoolCollector(pool))

    def _pool_result(self, label: str, result: object) -> None:
        if label in CHECK_TASKS:
            self.checks.labels(str(getattr(result, "verdict", "unknown"))).inc()

    def watch_engine(self, engine: AsyncEngine) -> None:
        """Time every statement the engine runs."""
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "before_cursor_execute")
        def _before(conn: Any, *_args: object) -> None:
            conn.info.setdefault(_STARTED, []).append(time.perf_counter())

        @event.listens_for(sync_engine, "after_cursor_execute")
        def _after(conn: Any, *_args: object) -> None:
            started = conn.info.get(_STARTED)
            if started:
                self.database.observe(time.perf_counter() - started.pop())

    def reminder_pass(self, sent: int, paused: int, failed: int) -> None:
        """One pass of the reminder loop (`DeliveryReport`: failed = left for a retry)."""
        self.reminders.labels("sent").inc(sent)
        self.reminders.labels("paused").inc(paused)
        self.reminders.labels("failed").inc(failed)

    # --- the endpoint -----------------------------------------------------------------------

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Start the `/metrics` endpoint on a thread of its own."""
        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)
        log.info("metrics on http://%s:%d/metrics", host, port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
