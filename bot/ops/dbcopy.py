"""`derivbot db copy | prune | optimize`: moving and keeping the database, beside the bot.

``db copy --from URL --to URL`` moves a whole database between SQLite and PostgreSQL (either
way; `bot.db.copying`): resumable (run it again after an interruption), verified (a table of
row counts and checksums; exit status 1 on any mismatch), refused (status 2) into a target
holding other data. Stop the bot first: rows it writes during the copy may be missed.

``db prune`` deletes the presentations no button can still need (the bot does it hourly);
``db optimize`` refreshes the planner's statistics (``ANALYZE``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the database layer is imported by the commands that use it: a quick --help
    from bot.db import copying

__all__ = ["add_parser", "cmd_db", "print_checks"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database operations: copy between backends, prune, optimize")
    db_sub = db.add_subparsers(dest="db_command", metavar="COMMAND")
    copy = db_sub.add_parser(
        "copy",
        help="copy a database (SQLite <-> PostgreSQL), verified by counts and checksums",
        description="Copy every table from one database to another (migrated to head first), "
        "in batches that a rerun after an interruption continues, then verify each table's "
        "row count and checksum. Exit status: 0 verified, 1 a mismatch, 2 refused.",
    )
    copy.add_argument("--from", dest="source", required=True, help="source database URL")
    copy.add_argument("--to", dest="target", required=True, help="target database URL")
    copy.add_argument("--batch", type=int, help="rows per batch (default 1000)")
    copy.add_argument("--quiet", action="store_true", help="no progress on stderr")
    # for tests: stand for a process killed after N batches
    copy.add_argument("--stop-after-batches", type=int, help=argparse.SUPPRESS)
    verify = db_sub.add_parser("verify", help="compare two databases' row counts and checksums")
    verify.add_argument("--from", dest="source", required=True, help="one database URL")
    verify.add_argument("--to", dest="target", required=True, help="the other database URL")
    prune = db_sub.add_parser(
        "prune", help="delete presentations no button can still need (the bot does it hourly)"
    )
    prune.add_argument("--url", help="database URL (default: DATABASE_URL / settings)")
    prune.add_argument(
        "--answered-days", type=float, default=2.0, help="keep graded ones this long (2)"
    )
    prune.add_argument(
        "--unanswered-days", type=float, default=14.0, help="keep ungraded ones this long (14)"
    )
    optimize = db_sub.add_parser("optimize", help="refresh the query planner's statistics")
    optimize.add_argument("--url", help="database URL (default: DATABASE_URL / settings)")
    db.set_defaults(handler=cmd_db)


def cmd_db(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "copy": _copy,
        "verify": _verify,
        "prune": _prune,
        "optimize": _optimize,
    }
    command = commands.get(getattr(args, "db_command", None) or "")
    if command is None:
        print("derivbot db: copy | verify | prune | optimize", file=sys.stderr)
        return 2
    return command(args)


def _copy(args: argparse.Namespace) -> int:
    from bot.db import copying

    if args.batch is None:
        args.batch = copying.BATCH
    if args.batch < 1:
        print("derivbot db copy: --batch must be positive", file=sys.stderr)
        return 2

    def progress(table: str, rows: int) -> None:
        print(f"\r{table}: {rows} rows sent", end="", file=sys.stderr, flush=True)

    try:
        checks = asyncio.run(
            copying.copy_database(
                args.source,
                args.target,
                batch=args.batch,
                stop_after=args.stop_after_batches,
                progress=None if args.quiet else progress,
            )
        )
    except copying.CopyInterrupted as exc:
        print(f"\nderivbot db copy: {exc}; run it again to continue", file=sys.stderr)
        return 3
    except copying.CopyError as exc:
        print(f"\nderivbot db copy: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(file=sys.stderr)
    return print_checks(checks)


def _verify(args: argparse.Namespace) -> int:
    from bot.db import copying

    return print_checks(asyncio.run(copying.verify(args.source, args.target)))


def print_checks(checks: list[copying.TableCheck]) -> int:
    """The verification table on stdout; 0 when every table matches, else 1."""
    print(f"{'table':<16} {'source':>9} {'target':>9}  {'source sha256':<16} {'target sha256':<16}")
    for c in checks:
        mark = "ok" if c.ok else "MISMATCH"
        print(
            f"{c.table:<16} {c.source_rows:>9} {c.target_rows:>9}  "
            f"{c.source_sum[:16]:<16} {c.target_sum[:16]:<16} {mark}"
        )
    bad = [c.table for c in checks if not c.ok]
    if bad:
        print(f"mismatch in {', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"verified: {len(checks)} tables, {sum(c.source_rows for c in checks)} rows")
    return 0


def _prune(args: argparse.Namespace) -> int:
    if args.answered_days < 0 or args.unanswered_days < 0:
        print("derivbot db prune: the ages must not be negative", file=sys.stderr)
        return 2
    return asyncio.run(_prune_async(args))


async def _prune_async(args: argparse.Namespace) -> int:
    from bot.db.engine import create_engine, session_factory
    from bot.math.workers import MathPool
    from bot.study.service import StudyService

    engine = create_engine(args.url)
    try:
        with MathPool(workers=1) as pool:  # the service wants one; pruning never uses it
            service = StudyService(session_factory(engine), pool)
            pruned = await service.prune_presentations(
                answered_keep=dt.timedelta(days=args.answered_days),
                unanswered_keep=dt.timedelta(days=args.unanswered_days),
            )
            await service.keep_leaderboards()
            await service.optimize_database()
    finally:
        await engine.dispose()
    print(f"pruned {pruned.presentations} presentations")
    return 0


def _optimize(args: argparse.Namespace) -> int:
    from bot.db import migrate

    asyncio.run(migrate.analyze(args.url))
    print("statistics refreshed")
    return 0
