"""`derivbot class report`: a server's class as its teachers see it with /class, as text or
the CSV gradebook (the same view `StudyService.class_view` gives the Discord front-end)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    klass = sub.add_parser("class", help="a server's class, as teachers see it with /class")
    class_sub = klass.add_subparsers(dest="class_command", metavar="COMMAND")
    report = class_sub.add_parser(
        "report", help="the class at a glance as text, or the CSV gradebook with --csv"
    )
    report.add_argument("--server", type=int, required=True, metavar="ID", help="Discord server id")
    report.add_argument("--csv", metavar="FILE", help="write the gradebook CSV here (- = stdout)")
    report.add_argument("--url", help="database URL (default: DATABASE_URL / settings)")
    klass.set_defaults(handler=cmd_class)


def cmd_class(args: argparse.Namespace) -> int:
    if args.class_command != "report":
        print("derivbot class: report --server ID [--csv FILE]", file=sys.stderr)
        return 2
    return asyncio.run(_class_report(args.url, args.server, args.csv))


async def _class_report(url: str | None, guild_id: int, csv_path: str | None) -> int:
    """A server's class, as /class shows it to teachers: a CSV gradebook (`--csv`), or the
    same view as text."""
    from bot.db.engine import create_engine, session_factory
    from bot.math.workers import MathPool
    from bot.study.cases import classview
    from bot.study.service import StudyService

    engine = create_engine(url)
    try:
        with MathPool(workers=1) as pool:  # only for the mistakes' example problems
            service = StudyService(session_factory(engine), pool)
            server = await service.server_id_for_guild(guild_id)
            if server is None:
                print(f"derivbot class: no server with Discord id {guild_id}", file=sys.stderr)
                return 1
            view = await service.class_view(server, examples=csv_path is None)
    finally:
        await engine.dispose()
    if csv_path is None:
        sys.stdout.write(classview.class_report_text(view))
        return 0
    text = classview.class_csv_text(view)
    if csv_path == "-":
        sys.stdout.write(text)
    else:
        Path(csv_path).write_text(text, encoding="utf-8", newline="")
        rows = len(view.students) * len(view.skills)
        print(
            f"wrote {csv_path}: {rows} rows ({len(view.students)} students x "
            f"{len(view.skills)} skills)"
        )
    return 0
