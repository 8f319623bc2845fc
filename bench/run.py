"""`make bench`: run every benchmark and write the results to docs/PERFORMANCE.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench import db_bench, load_bench

DOC = Path(__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"
TARGETS = {
    "check p99 (ms)": "≤ 10",
    "generate mean (ms)": "≤ 100",
    "uncached_p50_ms": "≤ 15",
    "cached_p50_ms": "≤ 1",
    "due_queue p99 (ms)": "≤ 10",
    "grade_card p99 (ms)": "≤ 10",
    "ack p99 (ms)": "≤ 250",
    "bot's longest loop step (ms)": "≤ 50",
    "missed 3 s deadlines": "0",
    "validate 2,000 cards (s)": "≤ 10",
    "import through the bot, 2 workers (s)": "≤ 10",
}


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _table(result: dict[str, object]) -> str:
    rows = ["| metric | value | target |", "| --- | --- | --- |"]
    rows += [f"| {k} | {v} | {TARGETS.get(k, '')} |" for k, v in result.items()]
    return "\n".join(rows)


def _fresh(module: str) -> dict[str, object]:
    """`bench.<module>.run()` in a new interpreter: one bench's heap and caches (400 sympy
    checks, say) must not slow the next, which in the bot would run in another process."""
    code = f"import json; from bench import {module}; print(json.dumps({module}.run()))"
    done = subprocess.run(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def deck_section(deck: dict[str, object]) -> str:
    """The deck-validation section of docs/PERFORMANCE.md."""
    return f"""## A teacher's 2,000-card deck (`bench/deck_bench.py`)

A generated deck at the format's card limit ({deck.get("cards")} cards,
{deck.get("deck size (KB)")} KB of YAML): every card has a formula in its front, its derivative
as LaTeX in the back and a typed answer with the function it differentiates. "Validate" is
`derivbot deck validate` on it (a process of its own, start-up included): LaTeX is checked by
parsing, not drawn, each distinct piece of a formula once (`bot.math.texcheck`); typed answers
are read once and compared with sympy's derivative of their function. It took 65 s of CPU when
every formula was drawn. "Import" is `/deck import` through the real `StudyService` on a
2-worker pool (50 cards per task, one task at a time) while a student's answer is checked every
100 ms in the same pool; before, the whole deck was one task, which timed out after 30 s.

{_table(deck)}
"""


def main() -> None:
    print("checking answers ...", flush=True)
    check = _fresh("check_bench")
    print("rendering ...", flush=True)
    render = _fresh("render_bench")
    print(f"study database ({db_bench.USERS} users) ...", flush=True)
    db = _fresh("db_bench")
    print(f"{load_bench.STUDENTS} students at once ...", flush=True)
    load = _fresh("load_bench")
    print("a 2,000-card deck ...", flush=True)
    deck = _fresh("deck_bench")
    machine = (
        f"{_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    text = f"""# Performance

Measured by `make bench` (`python -m bench.run`) on {dt.date.today().isoformat()}.
Machine: {machine}. Numbers move with machine load; rerun on your own machine to compare.

## Checking an answer (`bot.math.check.check_answer`, in-process)

Corpus: {check["pairs"]} (expected, answer) pairs from generated problems of every skill and
level (`bench/check_bench.py`): right answers as sympy prints them, expanded, factored and
simplified; wrong answers made with classic wrong rules. Each check is timed cold (compiled
expression caches cleared). "Naive" is `parse_expr` + `simplify(expected - answer) == 0` on the
same pairs in the same run — the eval-based approach we do not use.

{_table(check)}

## Rendering LaTeX to PNG (`bot.math.render.render_latex`)

Corpus: {render.get("expressions", 200)} distinct `sympy.latex` strings of derivatives
(`bench/render_bench.py`). Uncached: our cache and matplotlib's parse cache cleared.

{_table(render)}

## The study database (`bench/db_bench.py`)

SQLite file, {db.get("users x items")} item states (filled with bulk inserts, then `ANALYZE`),
queried and written through the real `StudyService`: building a student's queue for today
(`due_queue`) and grading a due card (`grade_card`: a review, so the item's state and its log
entry are written in one transaction), for 300 distinct students picked at random. Each
benchmark of `make bench` runs in a fresh interpreter.

{_table(db)}

## 200 students answering at once (`bench/load_bench.py`)

The real bot on simcord's in-memory Discord; every student opens a problem, then all answers
(a tenth of them hostile: `@everyone`, `__import__(...)`, `9^9^9`, 499 characters, 60 open
brackets) arrive together. Acknowledgement = the bot's first response call for the
interaction, measured from the moment all answers are in.

{_table(load)}

Reading the event-loop figures. The heartbeat (the worst overshoot of a 10 ms sleep) shares the
loop with simcord, and simcord's settlement bookkeeping (`_view_timeout_task_identity`,
`_stored_wait_futures`) rescans every pending task on every turn, so its cost grows with the
square of concurrent interactions: the heartbeat lag is the bot *plus* the simulator, and the
simulator dominates it ("loop time in simulator steps"). The bot's own figure comes from timing
every step the loop runs (each `asyncio.Handle._run`: one task step or one callback) and
attributing it by code origin: the task's coroutine (seen through simcord's callback wrappers)
or the callback's function. Files of the simcord package and the bench's own driver task
(which only awaits `env.settle`) are the simulator, the heartbeat is the harness, and
everything else (the bot, discord.py, aiosqlite, SQLAlchemy, asyncio's own callbacks) counts
against the bot. A garbage-collection pause holds the GIL for the whole process, so one that
lands in a simulator or harness step (or in another thread) counts as a bot step of its own
length. The bot's longest step is what a real deployment's gateway heartbeat would feel, and
the 50 ms target applies to it. The times are wall-clock, so on a busy machine (the two math
workers share the cores with the bot) a step also includes time the bot's thread waited for a
core or for the GIL.

The long step used to be a full (generation 2) garbage collection walking everything the bot
and the simulator had built since start-up (50-120 ms with 200 students). `bot/gc_policy.py`
now keeps each one short: start-up objects are frozen, a full collection comes after every 3
young ones instead of 10 (so it has less to walk), each freezes what it leaves behind (so the
next walks only what came after), and the cycles that freezing keeps alive are swept when the
bot is idle.

{deck_section(deck)}"""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {DOC}")


if __name__ == "__main__":
    main()
