"""`derivbot check --jsonl`: one JSON verdict per input line, in order, as soon as it is ready.

Part of the command line (`bot/cli.py`): its input and output fields are a documented contract
(README "Command line") that other tools rely on. Every check runs in the worker pool.
"""

from __future__ import annotations

import io
import json
import queue
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import IO, Any

__all__ = ["check_stream", "print_json", "read_lines"]


def print_json(obj: object, out: IO[str]) -> None:
    try:
        line = json.dumps(obj, ensure_ascii=False) + "\n"
        line.encode(out.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):  # e.g. a lone surrogate echoed back: escape it
        line = json.dumps(obj, ensure_ascii=True) + "\n"
    out.write(line)
    out.flush()


def _check_line(line: str) -> tuple[Any, dict[str, Any] | str]:
    """Validate one JSONL input line: (id, fields) or (id, error message)."""
    try:
        item = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"the input line is not valid JSON: {exc}"
    if not isinstance(item, dict):
        return None, "each input line must be a JSON object"
    ident = item.get("id")
    keys = ("answer", "expected", "function", "var", "answer_kind", "point", "vars")
    fields = {k: item.get(k) for k in keys}
    if isinstance(fields["expected"], list) and isinstance(fields["answer"], str):
        if not fields["expected"] or not all(isinstance(e, str) for e in fields["expected"]):
            return ident, "`expected` must be a string or a non-empty list of strings"
    elif not isinstance(fields["answer"], str) or not isinstance(fields["expected"], str):
        return ident, "`answer` and `expected` must be strings"
    if fields["function"] is not None and not isinstance(fields["function"], str):
        return ident, "`function` must be a string"
    if fields["vars"] is not None or isinstance(fields["expected"], list):
        return ident, _vars_fields(fields)
    var = fields["var"] if fields["var"] is not None else "x"
    if not (isinstance(var, str) and len(var) == 1 and var.isascii() and var.isalpha()):
        return ident, "`var` must be a single letter"
    fields["var"] = var
    return ident, _kind_fields(fields)


def _vars_fields(fields: dict[str, Any]) -> dict[str, Any] | str:
    """Several variables (`vars`) or a vector `expected`: `var`, if given, is the variable a
    scalar `expected` is the partial derivative with respect to."""
    from bot.math.parser import ParseError
    from bot.math.variables import canonical_all
    from bot.math.vectors import MAX_COMPONENTS

    names = fields["vars"]
    if names is None:
        names = [fields["var"] if fields["var"] is not None else "x"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return "`vars` must be a list of variable names"
    try:
        declared = canonical_all(names)
        wrt = canonical_all([fields["var"]])[0] if fields["var"] is not None else None
    except ParseError as exc:
        return f"`vars`: {exc}"
    if wrt is not None and wrt not in declared:
        return "`var` must be one of `vars`"
    if isinstance(fields["expected"], list) and len(fields["expected"]) > MAX_COMPONENTS:
        return f"`expected` has more than {MAX_COMPONENTS} components"
    kind = fields["answer_kind"]
    if fields["point"] is not None or (kind is not None and kind != "expression"):
        return "`answer_kind` and `point` are not supported with `vars` or a list `expected`"
    fields["vars"], fields["var"] = list(declared), wrt
    return fields


def _kind_fields(fields: dict[str, Any]) -> dict[str, Any] | str:
    """`answer_kind` and `point` checked: a question at a point needs the point."""
    from bot.math.check import KIND_WORDS

    kind, point = fields["answer_kind"], fields["point"]
    if kind is not None and kind not in KIND_WORDS:
        return f"`answer_kind` must be one of {', '.join(KIND_WORDS)}"
    if isinstance(point, int | float) and not isinstance(point, bool):
        point = fields["point"] = str(point)
    if point is not None and not isinstance(point, str):
        return "`point` must be a string or a number"
    if kind is not None and KIND_WORDS[kind] != "expression" and point is None:
        return f"`point` is needed for answer_kind {kind!r}"
    return fields


def _verdict_json(ident: Any, verdict: Any) -> dict[str, Any]:
    return {"id": ident, **verdict.to_dict()}


def _invalid_json(ident: Any, message: str) -> dict[str, Any]:
    from bot.math.check import invalid

    return _verdict_json(ident, invalid(message))


def read_lines(path: str) -> Iterator[str]:
    """Bytes that are not UTF-8 become U+FFFD rather than stopping the stream: every line is
    answered (inside a string the parser refuses it; elsewhere the line is not JSON)."""
    if path == "-":
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(errors="replace")
        yield from sys.stdin
    else:
        with open(path, encoding="utf-8", errors="replace") as handle:
            yield from handle


def _submit(pool: Any, fields: dict[str, Any]) -> Future:
    from bot.math import tasks
    from bot.math.check import check_vars_task

    if fields.get("vars") is not None:
        return pool.submit(
            check_vars_task,
            fields["expected"],
            fields["answer"],
            fields["function"],
            fields["vars"],
            fields["var"],
        )
    return pool.submit(
        tasks.check_task,
        fields["expected"],
        fields["answer"],
        fields["function"],
        fields["var"],
        1,
        fields["answer_kind"],
        fields["point"],
    )


def check_stream(pool: Any, lines: Iterator[str], out: IO[str]) -> None:
    """Keep every worker busy, yet print strictly in input order, each line as soon as it is
    answered: a reader thread submits, this thread prints, so a line never waits for the next."""
    from bot.math import tasks

    pending: queue.Queue[tuple[Any, Future | dict[str, Any]] | None] = queue.Queue(
        maxsize=pool.workers * 2
    )

    def read() -> None:
        try:
            for raw in lines:
                if not raw.strip():
                    continue
                ident, fields = _check_line(raw)
                if isinstance(fields, str):
                    pending.put((ident, _invalid_json(ident, fields)))
                    continue
                try:
                    future = _submit(pool, fields)
                except Exception as exc:  # the pool could not take it (e.g. starting)
                    pending.put((ident, _verdict_json(ident, tasks.verdict_for_failure(exc))))
                else:
                    pending.put((ident, future))
        finally:
            pending.put(None)

    reader = threading.Thread(target=read, name="check-reader", daemon=True)
    reader.start()
    while (item := pending.get()) is not None:
        ident, result = item
        if isinstance(result, dict):
            print_json(result, out)
            continue
        try:
            verdict = result.result()
        except Exception as exc:
            verdict = tasks.verdict_for_failure(exc)
        print_json(_verdict_json(ident, verdict), out)
    reader.join()
