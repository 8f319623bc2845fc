"""`derivbot reminders due`: the due reminders, claimed as a delivery process claims them.

With ``--claim`` the process does what the bot's reminder loop does, except that "delivering" is
printing a JSON line: claim a batch (`StudyService.claim_due_reminders`), print each reminder,
record it as sent. Several such processes on one database print disjoint sets whose union is
every due reminder, which is how the exactly-once property is tested from outside; one that is
killed leaves claims that lapse after ``--lease`` seconds and are picked up by the others
(``--wait`` keeps a process going until nothing is due).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the study layer is imported by the command itself: a quick --help
    from bot.study.reminders import DueReminder
    from bot.study.service import StudyService

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    reminders = sub.add_parser("reminders", help="daily reminders: what is due")
    reminders_sub = reminders.add_subparsers(dest="reminders_command", metavar="COMMAND")
    due = reminders_sub.add_parser(
        "due",
        help="print the due reminders (one JSON object per line)",
        description="Print the reminders due now. With --claim, claim them as a delivery "
        "process does and record each printed one as sent: processes running at once print "
        "disjoint sets.",
    )
    due.add_argument("--url", help="database URL (default: DATABASE_URL / settings)")
    due.add_argument("--claim", action="store_true", help="claim, print, record as sent")
    due.add_argument("--jsonl", action="store_true", help="one JSON object per line (default)")
    due.add_argument("--batch", type=int, default=50, help="reminders claimed at a time")
    due.add_argument(
        "--lease", type=float, default=120.0, help="seconds a claim holds (default 120)"
    )
    due.add_argument(
        "--wait",
        action="store_true",
        help="with --claim: keep going until nothing is due (others' lapsed claims included)",
    )
    due.add_argument(
        "--delay", type=float, default=0.0, help="seconds each delivery takes (simulated)"
    )
    due.add_argument(
        "--progress", action="store_true", help="say on stderr when each one is recorded"
    )
    reminders.set_defaults(handler=cmd_reminders)


def cmd_reminders(args: argparse.Namespace) -> int:
    if getattr(args, "reminders_command", None) != "due":
        print("derivbot reminders: due [--claim] [--jsonl]", file=sys.stderr)
        return 2
    if args.batch < 1 or args.lease <= 0 or args.delay < 0:
        print("derivbot reminders due: --batch and --lease must be positive", file=sys.stderr)
        return 2
    return asyncio.run(_due(args))


def _line(reminder: DueReminder) -> str:
    return json.dumps(
        {
            "reminder_id": reminder.reminder_id,
            "user_id": reminder.user_id,
            "discord_id": reminder.discord_id,
            "where": reminder.where,
            "channel_id": reminder.channel_id,
            "server_id": reminder.server_id,
            "fire_at": reminder.fire_at.isoformat(),
        }
    )


async def _due(args: argparse.Namespace) -> int:
    from bot.db.engine import create_engine, session_factory
    from bot.math.workers import MathPool
    from bot.study.service import StudyService

    engine = create_engine(args.url)
    try:
        with MathPool(workers=1) as pool:  # the service wants one; reminders never use it
            service = StudyService(session_factory(engine), pool)
            if not args.claim:
                for reminder in await service.reminders_due():
                    print(_line(reminder), flush=True)
                return 0
            await _deliver(service, args)
    finally:
        await engine.dispose()
    return 0


async def _deliver(service: StudyService, args: argparse.Namespace) -> None:
    """Claim, print and record until nothing is left to claim (with --wait: until nothing is
    due at all, polling for other processes' lapsed claims)."""
    lease = dt.timedelta(seconds=args.lease)
    while True:
        batch = await service.claim_due_reminders(limit=args.batch, lease=lease)
        for reminder in batch:
            if args.delay:
                await asyncio.sleep(args.delay)
            print(_line(reminder), flush=True)
            await service.reminder_sent(reminder.reminder_id)
            if args.progress:
                print(f"recorded {reminder.reminder_id}", file=sys.stderr, flush=True)
        if batch:
            continue
        if not args.wait or not await service.reminders_left():
            return
        await asyncio.sleep(0.2)
