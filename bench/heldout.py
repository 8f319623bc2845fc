"""Held-out slips (issue 11 §3): the share of classic wrong answers named with the right code.

bench/heldout_slips.jsonl (written by bench/heldout_make.py, independently of the engine) goes
through `derivbot check --jsonl` exactly as a user of the command line sends it; a row counts
when the verdict is `incorrect` and `mistake` is one of its acceptable codes. A wrong answer
accepted as `correct` is listed first: that is a grading bug, not a naming miss.
Run: .venv/bin/python -m bench.heldout [--misses]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).with_name("heldout_slips.jsonl")


def run() -> tuple[list[dict], list[dict], float]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--jsonl", str(DATA)],
        capture_output=True,
        text=True,
        check=True,
    )
    took = time.perf_counter() - start
    out = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return rows, out, took


def main() -> None:
    rows, out, took = run()
    by_id = {r["id"]: r for r in out}
    family: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    accepted, misses = [], []
    for row in rows:
        got = by_id.get(row["id"], {})
        codes = row["code"] if isinstance(row["code"], list) else [row["code"]]
        ok = got.get("verdict") == "incorrect" and got.get("mistake") in codes
        family[row["family"]][0] += ok
        family[row["family"]][1] += 1
        if got.get("verdict") == "correct":
            accepted.append((row, got))
        elif not ok:
            misses.append((row, got))
    named = sum(n for n, _ in family.values())
    strict = sum(
        by_id.get(r["id"], {}).get("mistake")
        == (r["code"][0] if isinstance(r["code"], list) else r["code"])
        for r in rows
    )
    print(f"{len(rows)} wrong answers, {took:.1f} s")
    if accepted:
        print(f"SEVERE: {len(accepted)} wrong answers ACCEPTED as correct:")
        for row, _ in accepted:
            print(f"  #{row['id']} f = {row['function']}: {row['answer']!r}")
    for name, (n, total) in sorted(family.items()):
        print(f"  {name:38} {n:3}/{total:<3} {100 * n / total:5.1f} %")
    share = 100 * named / len(rows)
    print(f"overall: {named}/{len(rows)} = {share:.1f} % named with the right code")
    print(f"strict (only the first code listed counts): {100 * strict / len(rows):.1f} %")
    if "--misses" in sys.argv:
        for row, got in misses:
            print(
                f"  #{row['id']} f = {row['function']}: {row['answer']!r} want {row['code']}, "
                f"got {got.get('verdict')}/{got.get('mistake')}: "
                f"{got.get('diagnosis') or got.get('message')}"
            )


if __name__ == "__main__":
    main()
