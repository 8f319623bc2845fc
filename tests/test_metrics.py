"""The Prometheus metrics (METRICS_PORT): each number moves when the thing it counts happens,
and the endpoint serves them."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

from prometheus_client import generate_latest
from sqlalchemy import text

from bot.cogs.gate import Passage
from bot.db.engine import create_engine
from bot.math import tasks
from bot.math.workers import MathPool
from bot.metrics import Metrics


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_checks_are_counted_by_verdict() -> None:
    metrics = Metrics()
    with MathPool(workers=1, timeout=10) as pool:
        metrics.watch_pool(pool)
        assert tasks.check(pool, "2*x", "2x").verdict == "correct"
        assert tasks.check(pool, "2*x", "3x").verdict == "incorrect"
        assert tasks.check(pool, "2*x", "2x +").verdict == "invalid"
    assert _value(metrics, "derivbot_checks_total", verdict="correct") == 1
    assert _value(metrics, "derivbot_checks_total", verdict="incorrect") == 1
    assert _value(metrics, "derivbot_checks_total", verdict="invalid") == 1
    restarts = generate_latest(metrics.registry).decode()
    assert 'derivbot_worker_restarts_total{reason="task_retried"} 0.0' in restarts


def test_interactions_and_reminders_are_measured() -> None:
    metrics = Metrics()
    metrics.observe_interaction(Passage("quiz", "application_command", 0.3, "ok", 1, 2))
    metrics.observe_interaction(Passage("quiz", "application_command", 4.0, "error", 1, 2))
    assert _value(metrics, "derivbot_interaction_seconds_count", command="quiz", outcome="ok") == 1
    slow = {"command": "quiz", "outcome": "error", "le": "3.0"}
    assert _value(metrics, "derivbot_interaction_seconds_bucket", **slow) == 0
    metrics.reminder_pass(sent=5, paused=1, failed=2)
    assert _value(metrics, "derivbot_reminders_total", result="sent") == 5
    assert _value(metrics, "derivbot_reminders_total", result="failed") == 2


async def test_database_time_is_measured(tmp_path: Path) -> None:
    metrics = Metrics()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    metrics.watch_engine(engine)
    try:
        async with engine.connect() as conn:
            for _ in range(3):
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert _value(metrics, "derivbot_database_seconds_count") >= 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_endpoint_serves_the_metrics() -> None:
    metrics = Metrics()
    metrics.reminder_pass(sent=1, paused=0, failed=0)
    port = _free_port()
    metrics.serve(port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            body = response.read().decode()
    finally:
        metrics.close()
    assert 'derivbot_reminders_total{result="sent"} 1.0' in body
