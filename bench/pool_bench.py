"""The math worker pool: how fast a worker starts, what a check costs through it, whether
recycling loses work, and what a worker holds in memory.

The bench process first builds a heap like the bot's (a few hundred MB of small Python
objects: the bot itself is 180-260 MB), because how a worker is started from such a process
is what is measured. Every check is the tiny `2x` for `2*x`, so the figures are the pool's
overhead, not sympy's.

- worker start: from asking the start method for a process to the worker's initializer done
  (the same initializer `MathPool` runs), one worker at a time;
- check latency: one check at a time through `MathPool.run` with warm workers;
- fresh worker: one check at a time with `max_tasks=1`, so each check waits for a replacement
  (pebble replaces retired workers on a 0.1 s tick, which this includes);
- after a time-limit kill: the next check's latency;
- recycling: 2,000 checks submitted at once from an event loop (as the bot does) and 2,000 one
  at a time, with workers recycled every 50 checks; a check with no answer after 10 s counts as
  lost, and after the first loss the run stops;
- memory: one worker's RSS, PSS (its share of pages shared with others) and USS (its own pages)
  after 500 varied tasks (generate, check a right and a wrong answer, render: what a worker
  does before `max_tasks` recycles it), and the fork server's, when there is one.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import statistics
import time
from typing import Any

import sympy as sp

from bot.math import render, tasks, workers
from bot.math.generator import SKILLS
from bot.math.workers import MathPool

BALLAST_OBJECTS = 1_500_000
CHECK = ("2*x", "2x", None, "x")
LOST_AFTER = 10.0  # seconds without an answer


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _memory(pid: int) -> dict[str, int]:
    """RSS, PSS and USS of a process in MB (Linux /proc)."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                fields[key] = int(value.split()[0]) // 1024
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
    }


def _signal_ready(conn: Any, memory_limit_mb: int) -> None:
    workers._init_worker(memory_limit_mb)
    conn.send(time.perf_counter())
    conn.close()


def worker_start_ms(samples: int = 10) -> list[float]:
    """Start ``samples`` processes with the pool's start method and initializer, one at a time."""
    context = workers._mp_context()
    times = []
    for _ in range(samples):
        reader, writer = context.Pipe(duplex=False)
        started = time.perf_counter()
        process = context.Process(target=_signal_ready, args=(writer, 1536))
        process.start()
        writer.close()
        if reader.poll(30):
            reader.recv()
            times.append((time.perf_counter() - started) * 1000)
        process.join(10)
        reader.close()
    return times


def _lockstep_ms(pool: MathPool, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        pool.run(tasks.check_task, *CHECK)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _recycling(pool: MathPool, n: int, at_once: bool) -> tuple[int, int, float]:
    """(answered, lost, seconds) for ``n`` checks through ``arun``, all at once or one by one."""
    started = time.perf_counter()
    if at_once:
        calls = [asyncio.ensure_future(pool.arun(tasks.check_task, *CHECK)) for _ in range(n)]
        done, pending = await asyncio.wait(calls, timeout=LOST_AFTER + n / 100)
        for call in pending:
            call.cancel()
        answered = sum(1 for c in done if not c.exception() and c.result().verdict == "correct")
        return answered, n - answered, time.perf_counter() - started
    answered = 0
    for _ in range(n):
        try:
            verdict = await asyncio.wait_for(pool.arun(tasks.check_task, *CHECK), LOST_AFTER)
        except Exception:
            break
        if verdict.verdict != "correct":
            break
        answered += 1
    return answered, n - answered, time.perf_counter() - started


def _varied(pool: MathPool, n: int) -> None:
    count, seed = 0, 0
    while count < n:
        for skill in SKILLS:
            for level in range(1, SKILLS[skill].levels + 1):
                p = pool.run(tasks._generated, skill, level, seed, timeout=20)
                for answer in (sp.sstr(p.answer), sp.sstr(p.function)):
                    pool.run(tasks.check_generated_task, skill, level, seed, answer, timeout=20)
                pool.run(render.render_latex, p.prompt_latex, timeout=20)
                count += 4
        seed += 1


def _fork_server_pid() -> int | None:
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None)


def _recycled(pool_answers: tuple[int, int, float]) -> str:
    answered, lost, seconds = pool_answers
    return f"{answered} answered, {lost} lost, {seconds:.1f} s"


def run() -> dict[str, object]:
    ballast = [[i] for i in range(BALLAST_OBJECTS)]  # a heap like the bot's
    result: dict[str, object] = {
        "start method": workers._mp_context().get_start_method(),
        "bench process heap (MB RSS)": _memory(os.getpid())["rss"],
    }
    with MathPool(workers=2, timeout=5.0) as pool:
        started = time.perf_counter()
        pool.run(tasks.check_task, *CHECK)
        result["new pool's first answer (ms)"] = round((time.perf_counter() - started) * 1000)
        pool.warm_up()
        steady = _lockstep_ms(pool, 1000)
        result["check through the pool p50 (ms)"] = round(_percentile(steady, 50), 2)
        result["check through the pool p99 (ms)"] = round(_percentile(steady, 99), 2)
        after_kill = []
        for _ in range(5):
            with contextlib.suppress(workers.WorkTimeout):
                pool.run(time.sleep, 60, timeout=0.2)
            after_kill += _lockstep_ms(pool, 1)
        result["next check after a time-limit kill p50 (ms)"] = round(
            statistics.median(after_kill), 1
        )
    starts = worker_start_ms()
    result["worker start p50 (ms)"] = round(_percentile(starts, 50), 1)
    result["worker start max (ms)"] = round(max(starts), 1)
    with MathPool(workers=1, timeout=5.0, max_tasks=1) as pool:
        fresh = _lockstep_ms(pool, 20)
    result["check on a fresh worker p50 (ms)"] = round(_percentile(fresh, 50), 1)
    for at_once, name in ((True, "2,000 checks at once"), (False, "2,000 checks one by one")):
        with MathPool(workers=2, timeout=5.0, max_tasks=50) as pool:
            outcome = asyncio.run(_recycling(pool, 2000, at_once))
        result[f"{name}, recycled every 50"] = _recycled(outcome)
    with MathPool(workers=1, timeout=20.0, max_tasks=0) as pool:
        pid = pool.run(os.getpid)
        result["worker memory at start (MB RSS / PSS / USS)"] = "{rss} / {pss} / {uss}".format(
            **_memory(pid)
        )
        _varied(pool, 500)
        result["worker memory after 500 varied tasks (MB RSS / PSS / USS)"] = (
            "{rss} / {pss} / {uss}".format(**_memory(pid))
        )
    server = _fork_server_pid()
    if result["start method"] == "forkserver" and server is not None:
        result["fork server memory (MB RSS / PSS / USS)"] = "{rss} / {pss} / {uss}".format(
            **_memory(server)
        )
    del ballast
    return result


if __name__ == "__main__":
    multiprocessing.freeze_support()
    for key, value in run().items():
        print(f"{key}: {value}")
