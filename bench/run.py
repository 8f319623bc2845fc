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
    "worker start p50 (ms)": "≤ 50",
    "2,000 checks at once, recycled every 50": "0 lost",
    "2,000 checks one by one, recycled every 50": "0 lost",
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


#: `bench/pool_bench.py` on the code before workers came from a fork server (commit 395193a:
#: forked from the bot), same machine, 2026-12-01; kept to compare against.
POOL_BEFORE = {
    "start method": "fork",
    "bench process heap (MB RSS)": 282,
    "new pool's first answer (ms)": 487,
    "check through the pool p50 (ms)": 0.63,
    "check through the pool p99 (ms)": 3.75,
    "next check after a time-limit kill p50 (ms)": 23.2,
    "worker start p50 (ms)": 250.8,
    "worker start max (ms)": 272.7,
    "check on a fresh worker p50 (ms)": 409.5,
    "2,000 checks at once, recycled every 50": "100 answered, 1900 lost, 30.0 s",
    "2,000 checks one by one, recycled every 50": "100 answered, 1900 lost, 0.5 s",
    "worker memory at start (MB RSS / PSS / USS)": "274 / 205 / 139",
    "worker memory after 500 varied tasks (MB RSS / PSS / USS)": "311 / 244 / 181",
    "fork server memory (MB RSS / PSS / USS)": "(no fork server)",
}


def pool_section(pool: dict[str, object], measured: str = "by `make bench`, as above") -> str:
    """The pool's section, now and before (also written alone by `python -m bench.run pool`)."""
    before = {k: POOL_BEFORE.get(k, "") for k in pool}
    rows = ["| metric | now | before (fork) | target |", "| --- | --- | --- | --- |"]
    rows += [f"| {k} | {v} | {before[k]} | {TARGETS.get(k, '')} |" for k, v in pool.items()]
    table = "\n".join(rows)
    return f"""## The math worker pool (`bench/pool_bench.py`)

Measured {measured}.

Workers start from a fork server with the engine preloaded (`bot/math/preload.py`: sympy,
mpmath, matplotlib and the engine imported and warmed, heap frozen); before, they were forked
from the bot itself. The bench process first builds a heap like the bot's, since that is what a
worker used to be forked from. Every check is the tiny `2x` for `2*x`, so the latencies are the
pool's own overhead. "Worker start": from asking for a process to its initializer done (the
pool's own start method and initializer). "Fresh worker": one check at a time with
`max_tasks=1`, so every check waits for a replacement, including pebble's 0.1 s replacement
tick. "Recycled every 50": 2,000 checks through `arun` from an event loop (as the bot sends
them), all at once or one by one; a check unanswered after 10 s is lost (and a one-by-one run
stops at the first). Memory of one worker (RSS; PSS, its share of the pages it shares; USS, its
own pages) at start and after 500 varied tasks (generate, check a right and a wrong answer,
render), which is when `max_tasks` (500 by default) recycles it. "First answer" includes
starting the fork server, once per bot process (its preload takes about a second).

{table}

What used to go wrong. A worker forked from the bot inherited its threads' locks as they were
at the fork (a replacement forked while the CLI's reader thread was blocked reading stdin
hung for good closing stdin, so `check --jsonl` in lockstep stopped answering at line 1001),
and one forked from the event loop's executor thread ran that executor's exit hook as it
retired, failed (`cannot join current thread`), exited with code 1, and pebble read that as
"All workers expired": the pool was declared broken and every queued check failed as "too
complex". Its first garbage collection also walked, and so copied, the bot's whole heap: hence the
quarter-second start and the ~140 MB of the bot's heap in every worker (280-460 MB RSS each
under load). Through a fork server the first answer of a new pool waits for the server's
preload once per bot process; every later worker starts in milliseconds.

What grows in a worker, measured with tracemalloc over 1,620 varied tasks in one process, by
clearing each cache in turn: `numeric.compile_expr` 30.5 MB (4,096 compiled expressions, its
bound), sympy's own cache 6.3 MB (11,457 entries over 125 cached functions, each bounded at
1,000), our render cache 1.4 MB, `diagnosis.variants` 1.2 MB, `tasks._generated` 0.8 MB,
`rules.expr_text` / `expr_latex` 0.7 / 0.5 MB, matplotlib's mathtext parse cache 0.2 MB. All
are bounded; recycling after 500 tasks keeps a worker near the USS above, where one that never
recycles had about 100 MB of its own after 3,000 tasks. A worker that dies or is replaced under
a check is invisible to the student: the check runs once more on a fresh worker (a second
failure says "The checker is restarting, try again in a moment.", never "too complex").
"""


#: `bench/click_bench.py` on the code before the click work (commit 5a59b65), same machine,
#: idle, 2026-12-01 (PostgreSQL: 16 on 127.0.0.1); kept to compare against.
CLICK_BEFORE = {
    "SQLite: review click, new card: CPU per click (ms)": 6.32,
    "SQLite: review click, new card: statements per click": 16.0,
    "SQLite: review click, due card: CPU per click (ms)": 6.01,
    "SQLite: review click, due card: statements per click": 14.0,
    "SQLite: typed answer: CPU per answer (ms)": 6.62,
    "SQLite: typed answer: statements per answer": 17.0,
    "PostgreSQL: review click, new card: CPU per click (ms)": 5.98,
    "PostgreSQL: review click, new card: statements per click": 14.0,
    "PostgreSQL: review click, due card: CPU per click (ms)": 6.61,
    "PostgreSQL: review click, due card: statements per click": 12.0,
    "PostgreSQL: typed answer: CPU per answer (ms)": 8.83,
    "PostgreSQL: typed answer: statements per answer": 14.0,
}


def click_section(click: dict[str, object]) -> str:
    """The loop's share of a click, now and before (`bench/click_bench.py`)."""
    rows = ["| metric | now | before | target |", "| --- | --- | --- | --- |"]
    for key, value in click.items():
        before = CLICK_BEFORE.get(key, "")
        target = ""
        if "CPU" in key and isinstance(before, float):
            target = f"≤ {before / 2:.2f} (half)"
        rows.append(f"| {key} | {value} | {before} | {target} |")
    table = "\n".join(rows)
    return f"""## The event loop's share of a click (`bench/click_bench.py`)

What one Good click of `/review` (`grade_card`, then `present` of the next card) and one typed
right answer (`submit_answer`, its check in the pool) cost the bot's process in CPU, one at a
time, 300 students of one server; statements counted at the cursor (on PostgreSQL `BEGIN` and
`COMMIT` go through asyncpg's own calls and are not counted; on SQLite `BEGIN IMMEDIATE` is).
PostgreSQL runs when `DERIVBOT_BENCH_POSTGRES_URL` names a database it may empty.

{table}

Where it went: statements are built once with bound parameters (building `excluded` for the
points upserts cost more than running them), a presentation's fixed facts are kept in memory
(an answer reads nothing before its check), its server comes with it (the default scheduler),
the next card is shown with one read (user, state) and a plain insert, and on SQLite a grading's
keyed statements run on the loop's thread instead of hopping to the connection's
(`bot.db.sqlite_driver.inline`); on PostgreSQL a pooled connection is no longer pinged at
every checkout (three round trips with asyncpg), only after 10 s idle.

These are CPU times of a whole process and move from run to run on a shared 2-core VM: over
nine runs of each on 2026-12-01 (the old code and the new alternating, idle machine) the
review click of a due card took 5.3–6.5 ms before and 2.6–3.3 ms after on SQLite, 4.9–6.9 ms
before and 3.2–4.3 ms after on PostgreSQL; the typed answer 7.1–8.4 → 2.8–5.0 ms (SQLite) and
7.5–9.8 → 3.4–5.3 ms (PostgreSQL). Compare runs of one session, not one table with another.

On 2026-12-02 (a slower VM; old and new code one after the other, SQLite, one run each) the
group-commit change (below, "Group commit") also made single gradings cheaper: the points
upserts and the log rows are plain Core statements and a grading reads its user and server
from the presentation it loaded: review click 9.0 → 6.4 ms (new card) and 9.0 → 6.5 ms (due
card), typed answer 8.8 → 7.4 ms, with the same number of statements.
"""


#: `bench/scale_bench.py` and `bench/verdict_bench.py`, before and after the one-process work
#: (issue 14), measured once by hand: "before" needs the old code, so `make bench` keeps it.
ONE_PROCESS = (Path(__file__).with_name("one_process.md")).read_text(encoding="utf-8")


def main() -> None:
    print("checking answers ...", flush=True)
    check = _fresh("check_bench")
    print("rendering ...", flush=True)
    render = _fresh("render_bench")
    print(f"study database ({db_bench.USERS} users) ...", flush=True)
    db = _fresh("db_bench")
    print("a review click ...", flush=True)
    click = _fresh("click_bench")
    print(f"{load_bench.STUDENTS} students at once ...", flush=True)
    load = _fresh("load_bench")
    print("a 2,000-card deck ...", flush=True)
    deck = _fresh("deck_bench")
    print("the math worker pool ...", flush=True)
    pool = _fresh("pool_bench")
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

{click_section(click)}
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

{ONE_PROCESS}
{deck_section(deck)}

{pool_section(pool)}"""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {DOC}")


def pool_only() -> None:
    """Rerun the pool bench alone and replace its section (the doc's last) in place."""
    print("the math worker pool ...", flush=True)
    today = dt.date.today().isoformat()
    section = pool_section(_fresh("pool_bench"), f"on {today} by `python -m bench.run pool`")
    text = DOC.read_text(encoding="utf-8")
    start = text.find("## The math worker pool")
    text = (text[:start] if start >= 0 else text.rstrip("\n") + "\n\n") + section
    DOC.write_text(text, encoding="utf-8")
    print(section)
    print(f"written to {DOC}")


if __name__ == "__main__":
    if sys.argv[1:] == ["pool"]:
        pool_only()
    else:
        main()
