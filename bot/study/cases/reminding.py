"""Daily reminders as use cases: set, show, clear, what is due, and delivery through a sink
(`bot.study.reminders` holds the schedule rules and the sink protocol)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import secrets
import socket

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Assignment, Membership, Reminder, Server
from bot.study import reminders
from bot.study.cases.assignments import DUE_SOON
from bot.study.cases.base import ServiceBase
from bot.study.cases.results import ReminderInfo
from bot.study.due_counts import due_counts
from bot.study.text import clean_text

log = logging.getLogger(__name__)
#: reminders prepared, delivered and recorded together in one pass
DELIVERY_CHUNK = 100


class ReminderCases(ServiceBase):
    """Front-ends deliver; the service decides what is due and records what became of it."""

    async def set_reminder(
        self,
        user_id: int,
        local_time: str,
        timezone: str | None,
        *,
        where: str = "dm",
        channel_id: int | None = None,
        server_id: int | None = None,
    ) -> dt.datetime:
        """Returns the next time it will fire (UTC).

        A student has one time zone: the reminder's is theirs, so setting it here moves their
        study day too (and /settings moves the reminder), and "due today" in the reminder is
        counted on the day they live in. ``timezone`` None (or "") keeps the student's zone."""
        async with transaction(self.sessions) as session:
            user = await self._user(session, user_id)
            zone = clean_text(timezone).strip() if timezone else user.timezone
            reminder = await reminders.set_reminder(
                session,
                user_id,
                clean_text(local_time),
                zone,
                self.clock(),
                where=where,
                channel_id=channel_id,
                server_id=server_id,
            )
            user.timezone = zone
            return reminder.next_fire_at

    async def clear_reminder(self, user_id: int) -> bool:
        async with transaction(self.sessions) as session:
            return await reminders.clear_reminder(session, user_id)

    async def reminders_due(
        self, *, user_id: int | None = None, discord_only: bool = False
    ) -> list[reminders.DueReminder]:
        """Due reminders, all or only those a front-end can deliver (see `due_reminders`)."""
        async with transaction(self.sessions) as session:
            return await reminders.due_reminders(
                session, self.clock(), user_id=user_id, discord_only=discord_only
            )

    @functools.cached_property
    def claim_owner(self) -> str:
        """This service's name on the reminders it claims: host, process and a random part,
        so two services in one process (tests, a console beside the bot) differ too."""
        return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"

    async def claim_due_reminders(
        self,
        *,
        user_id: int | None = None,
        discord_only: bool = False,
        limit: int | None = None,
        lease: dt.timedelta = reminders.CLAIM_LEASE,
    ) -> list[reminders.DueReminder]:
        """Due reminders claimed for this service alone (see `reminders.claim_due`): several
        processes calling this at once get disjoint sets. Record each with `reminder_sent`,
        `reminder_undeliverable` or `release_reminder`; an unrecorded claim lapses after
        ``lease``."""
        async with transaction(self.sessions) as session:
            return await reminders.claim_due(
                session,
                self.clock(),
                self.claim_owner,
                lease=lease,
                limit=limit,
                user_id=user_id,
                discord_only=discord_only,
            )

    async def release_reminder(self, reminder_id: int) -> None:
        """Give back a claimed reminder that was not delivered: the next pass tries again."""
        async with transaction(self.sessions) as session:
            await reminders.release(session, reminder_id, self.claim_owner)

    async def reminders_left(self) -> int:
        """Reminders due now, claimed or not: what delivery processes still have to do."""
        async with self.sessions() as session:
            return await reminders.count_due(session, self.clock())

    async def reminder_sent(self, reminder_id: int) -> None:
        async with transaction(self.sessions) as session:
            await reminders.mark_sent(session, reminder_id, self.clock())

    async def reminder_undeliverable(self, reminder_id: int, reason: str) -> None:
        async with transaction(self.sessions) as session:
            await reminders.pause(session, reminder_id, reason, self.clock())

    async def reminder(self, user_id: int) -> ReminderInfo | None:
        """The user's reminder, for /remind show; None when there is none."""
        async with self.sessions() as session:
            row = await reminders.get_reminder(session, user_id)
            if row is None:
                return None
            return ReminderInfo(
                row.local_time,
                row.timezone,
                row.where,
                row.channel_id,
                row.server_id,
                row.next_fire_at,
                row.paused,
                row.paused_reason,
            )

    async def pending_notice(self, user_id: int) -> str | None:
        """Why the user's reminder was paused, handed out once: front-ends call this when the
        user next talks to the bot and tell them. The reminder stays paused until set again.

        A cheap read on every call; the write happens only when there is something to tell."""
        async with self.sessions() as session:
            row = await reminders.get_reminder(session, user_id)
            if row is None or not row.paused_reason:
                return None
            reason = row.paused_reason
        async with transaction(self.sessions) as session:
            cleared = await session.execute(
                update(Reminder)
                .where(Reminder.user_id == user_id, Reminder.paused_reason.is_not(None))
                .values(paused_reason=None)
            )
        return reason if cleared.rowcount else None  # told once, even with two commands at once

    async def deliver_due_reminders(
        self,
        sink: reminders.ReminderSink,
        *,
        user_id: int | None = None,
        discord_only: bool = False,
        limit: int | None = None,
        concurrency: int = 8,
    ) -> reminders.DeliveryReport:
        """One pass of a front-end's reminder loop: hand each due reminder (those `reminders_due`
        selects) to the sink and record its answer: sent, paused (the student is told why), or
        left due for the next pass, as is one whose sink raised.

        Up to ``concurrency`` deliveries run at once, so a class that all chose 07:00 is not
        served one round trip after another; ``limit`` caps a pass (the rest wait for the next).

        Reminders are claimed a chunk at a time, just before they are delivered: a claim's
        lease (`reminders.CLAIM_LEASE`) then has to outlast one chunk's deliveries, not the
        whole pass (claimed all at once, the last of a thousand slow DMs could lapse and be
        sent by another process too), and several processes share a big pass. One to try
        again stays claimed until the pass ends, so this pass does not take it twice.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        budget = None if limit is None else max(0, limit)
        gate = asyncio.Semaphore(concurrency)
        outcomes: list[str] = []
        retry: set[int] = set()  # to try again: held until the pass ends
        tried: set[int] = set()
        try:
            while budget is None or len(outcomes) < budget:
                size = DELIVERY_CHUNK if budget is None else budget - len(outcomes)
                chunk = await self.claim_due_reminders(
                    user_id=user_id, discord_only=discord_only, limit=min(size, DELIVERY_CHUNK)
                )
                # one this pass already tried comes back only if its claim lapsed: held again
                fresh = [r for r in chunk if r.reminder_id not in tried]
                retry.update(r.reminder_id for r in chunk if r.reminder_id in tried)
                if not fresh:
                    break
                done = await self._deliver_chunk(sink, fresh, gate)
                outcomes += done
                tried.update(r.reminder_id for r in fresh)
                retry.update(
                    r.reminder_id for r, what in zip(fresh, done, strict=True) if what == "retry"
                )
            left = 0 if limit is None else await self._left_after(retry, user_id, discord_only)
        finally:  # given back for the next pass (or lapsing, if this process is gone)
            if retry:
                async with transaction(self.sessions) as session:
                    await reminders.record_many(
                        session, self.claim_owner, self.clock(), retry=sorted(retry)
                    )
        return reminders.DeliveryReport(
            sent=outcomes.count("sent"),
            paused=outcomes.count("paused"),
            retry=outcomes.count("retry"),
            left=left,
        )

    async def _deliver_chunk(
        self,
        sink: reminders.ReminderSink,
        chunk: list[reminders.DueReminder],
        gate: asyncio.Semaphore,
    ) -> list[str]:
        """Deliver a chunk: what each student has due counted for all of them at once, the
        deliveries concurrently, the sent and paused recorded in one transaction (the ones to
        try again are the caller's). Each of the three is short, so students' requests get
        the database in between."""
        try:
            outgoing = await self._outgoing(chunk)
        except Exception:
            log.exception("could not prepare %d reminders", len(chunk))
            outgoing = []

        async def one(reminder: reminders.OutgoingReminder) -> tuple[str, str | None]:
            async with gate:
                return await self._deliver_one(sink, reminder)

        done = await asyncio.gather(*(one(r) for r in outgoing))
        results = {r.reminder_id: result for r, result in zip(outgoing, done, strict=True)}
        # none prepared (the count failed): every claim is given back for the next pass
        outcomes = [results.get(due.reminder_id, ("retry", None)) for due in chunk]
        ids = [due.reminder_id for due in chunk]
        sent = [i for i, (what, _) in zip(ids, outcomes, strict=True) if what == "sent"]
        paused = {
            i: reason or "" for i, (w, reason) in zip(ids, outcomes, strict=True) if w == "paused"
        }
        async with transaction(self.sessions) as session:
            await reminders.record_many(
                session, self.claim_owner, self.clock(), sent=sent, paused=paused
            )
        return [what for what, _ in outcomes]

    async def _left_after(self, held: set[int], user_id: int | None, discord_only: bool) -> int:
        """Due reminders a pass with a ``limit`` did not deliver (nor holds to try again)."""
        due = await self.reminders_due(user_id=user_id, discord_only=discord_only)
        return sum(1 for reminder in due if reminder.reminder_id not in held)

    async def _deliver_one(
        self, sink: reminders.ReminderSink, reminder: reminders.OutgoingReminder
    ) -> tuple[str, str | None]:
        """What became of one delivery: sent, paused (with the reason told to the student)
        or retry (left due for the next pass, as is one whose sink raised)."""
        try:
            delivery = await sink.deliver(reminder)
            if delivery.delivered:
                return "sent", None
            if delivery.pause:
                return "paused", delivery.reason or ""
            log.info("reminder %s not delivered yet: %s", reminder.reminder_id, delivery.reason)
        except Exception:
            log.exception("could not deliver reminder %s", reminder.reminder_id)
        return "retry", None

    async def _outgoing(
        self, chunk: list[reminders.DueReminder]
    ) -> list[reminders.OutgoingReminder]:
        """What the sink needs beyond each reminder row: the queue's size (`due_counts`, for
        the chunk at once), the server's fallback channel, the assignments due soon (still
        asked per student)."""
        servers = {due.server_id for due in chunk if due.server_id is not None}
        async with self.sessions() as session:
            counts = await due_counts(
                session, [(due.user_id, due.server_id) for due in chunk], self.clock()
            )
            fallbacks = dict(
                (
                    await session.execute(
                        select(Server.id, Server.reminder_channel_id).where(Server.id.in_(servers))
                    )
                ).all()
            )
            asks = await _with_assignments_soon(session, chunk, self.clock())
        soon = [
            await self.assignments_due_soon(due.user_id, due.server_id) if due in asks else []
            for due in chunk
        ]
        return [
            reminders.OutgoingReminder(
                **vars(due),
                due_count=counts[(due.user_id, due.server_id)],
                fallback_channel_id=fallbacks.get(due.server_id),
                assignments=tuple(assignments),
            )
            for due, assignments in zip(chunk, soon, strict=True)
        ]


async def _with_assignments_soon(
    session: AsyncSession, chunk: list[reminders.DueReminder], now: dt.datetime
) -> set[reminders.DueReminder]:
    """The reminders of the chunk that may mention an assignment due soon: set in a server
    with one open and due within `DUE_SOON`, or in a DM by a member of such a server. Only
    those ask for the student's assignments (`assignments_due_soon`), one by one."""
    servers = set(
        await session.scalars(
            select(Assignment.server_id).where(
                Assignment.closed_at.is_(None),
                Assignment.due_at > now,
                Assignment.due_at <= now + DUE_SOON,
            )
        )
    )
    if not servers:
        return set()
    in_dm = [due.user_id for due in chunk if due.server_id is None]
    members = set()
    if in_dm:
        members = set(
            await session.scalars(
                select(Membership.user_id).where(
                    Membership.user_id.in_(in_dm), Membership.server_id.in_(servers)
                )
            )
        )
    return {
        due
        for due in chunk
        if (due.server_id in servers if due.server_id is not None else due.user_id in members)
    }
