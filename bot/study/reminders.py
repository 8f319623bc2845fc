"""Daily reminders: stored as the next fire time in UTC, computed from the user's IANA zone.

The loop that sends them (a front-end) asks what is due every minute. A reminder fires at most
once per local day; after downtime one missed by less than ``CATCH_UP`` is still sent, an older
one is skipped to its next day. DST is handled by computing each fire time from the local
wall-clock time afresh, never by adding 24 hours.

Delivery is a front-end's, behind one small interface: a `ReminderSink` delivers one
`OutgoingReminder` and answers with a `Delivery` (sent, or why not and whether to pause);
`StudyService.deliver_due_reminders` asks it for each due reminder and records the answers.

Several delivery processes (bot replicas, shards, a console) may share one database. Each
reminder is *claimed* before it is delivered (`claim_due`): on PostgreSQL the candidates are
locked with ``FOR UPDATE SKIP LOCKED`` (a second process skips them instead of waiting), and on
both databases the claim itself is a conditional ``UPDATE`` that succeeds only if nobody holds
an unexpired claim, so exactly one process gets each reminder. Recording the send (`mark_sent`)
releases the claim; a claim whose process died lapses after its lease (``CLAIM_LEASE``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Reminder, User
from bot.db.upsert import insert_missing
from bot.srs.days import zone
from bot.study.cases.assignments import AssignmentProgress

CATCH_UP = dt.timedelta(hours=6)
#: how long a claim holds: far longer than delivering one chunk of a pass takes (a pass claims
#: a chunk at a time), short enough that a crashed process's reminders still go out the same hour
CLAIM_LEASE = dt.timedelta(minutes=2)
#: reminders claimed (and recorded) per statement: well under SQLite's bound-parameter limit
CLAIM_CHUNK = 500
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_time(text: str) -> dt.time:
    """`HH:MM`, 24-hour; ValueError with a friendly message otherwise."""
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError("use a 24-hour time like 07:30")
    return dt.time(int(match.group(1)), int(match.group(2)))


def next_fire(local_time: str, tz: str, after: dt.datetime) -> dt.datetime:
    """The first UTC instant strictly after `after` when the clock in `tz` shows `local_time`.

    In a DST gap (02:30 on a spring-forward night) the reminder fires when the clock jumps;
    when the time happens twice (autumn) it fires at the first occurrence.
    """
    at = parse_time(local_time)
    place = zone(tz)
    day = after.astimezone(place).date() - dt.timedelta(days=1)
    for _ in range(4):
        local = dt.datetime.combine(day, at, tzinfo=place)  # fold=0: the first occurrence
        candidate = local.astimezone(dt.UTC)
        # a nonexistent wall time round-trips to a different one: that is the gap
        if candidate.astimezone(place).replace(tzinfo=None) != local.replace(tzinfo=None):
            candidate = _gap_end(local, place)
        if candidate > after:
            return candidate
        day += dt.timedelta(days=1)
    raise AssertionError("unreachable: a local time recurs within four days")


def _gap_end(local: dt.datetime, place: dt.tzinfo) -> dt.datetime:
    """The instant the clock jumps over a DST gap containing `local` (to the second)."""
    a = local.replace(fold=0).astimezone(dt.UTC)
    b = local.replace(fold=1).astimezone(dt.UTC)
    lo, hi = min(a, b), max(a, b)
    offset = lo.astimezone(place).utcoffset()
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(place).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


@dataclass(frozen=True)
class DueReminder:
    reminder_id: int
    user_id: int
    discord_id: int | None
    where: str
    channel_id: int | None
    server_id: int | None
    fire_at: dt.datetime


@dataclass(frozen=True)
class OutgoingReminder(DueReminder):
    """A due reminder with what a sink needs to word and route it.

    ``discord_id`` None: a console user. ``where`` is ``dm`` or ``channel`` (then
    ``channel_id``); ``server_id`` is the server it was set in (None: a DM or the console).
    ``due_count`` is how many items the student's queue holds now (0: suggest a fresh problem),
    ``fallback_channel_id`` that server's reminder channel, for a DM that is refused.
    ``assignments``: the student's unfinished assignments due within a day (in the reminder's
    server, or in all their servers for one set in a DM), to mention."""

    due_count: int = 0
    fallback_channel_id: int | None = None
    assignments: tuple[AssignmentProgress, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """What became of one reminder: ``delivered``, or not, with a ``reason``. ``pause`` stops
    the reminder until the student sets it again, and the reason is told to them once
    (`StudyService.pending_notice`); without it the reminder stays due and the next pass tries
    again (within the catch-up window)."""

    delivered: bool
    reason: str | None = None
    pause: bool = False

    def __post_init__(self) -> None:
        if self.delivered and (self.pause or self.reason):
            raise ValueError("a delivered reminder has nothing to pause or explain")
        if self.pause and not self.reason:
            raise ValueError("a paused reminder needs a reason: the student is told it")

    @classmethod
    def sent(cls) -> Delivery:
        return cls(True)

    @classmethod
    def paused(cls, reason: str) -> Delivery:
        """It cannot be delivered as set (DMs closed, channel gone): stop until set again."""
        return cls(False, reason, pause=True)

    @classmethod
    def later(cls, reason: str) -> Delivery:
        """Not now (a passing failure): keep it due, the next pass tries again."""
        return cls(False, reason)


class ReminderSink(Protocol):
    """A front-end's way of delivering reminders (the Discord bot, a console).

    `deliver` sends one reminder and says what became of it; it never records anything itself.
    An exception counts as `Delivery.later` (logged). Deliveries may run concurrently."""

    async def deliver(self, reminder: OutgoingReminder) -> Delivery: ...


@dataclass(frozen=True)
class DeliveryReport:
    """One pass: reminders sent, paused, to retry next pass, and due ones left for it (limit)."""

    sent: int = 0
    paused: int = 0
    retry: int = 0
    left: int = 0


async def set_reminder(
    session: AsyncSession,
    user_id: int,
    local_time: str,
    tz: str,
    now: dt.datetime,
    *,
    where: str = "dm",
    channel_id: int | None = None,
    server_id: int | None = None,
) -> Reminder:
    parse_time(local_time)
    zone(tz)
    if where not in ("dm", "channel") or (where == "channel" and channel_id is None):
        raise ValueError("a reminder goes to your DMs, or to a channel")
    local_time = local_time.strip()
    values = {
        "local_time": local_time,
        "timezone": tz,
        "where": where,
        "channel_id": channel_id,
        "server_id": server_id,
        "paused": False,
        "paused_reason": None,
        "next_fire_at": next_fire(local_time, tz, now),
        "claim_owner": None,
        "claimed_until": None,
    }
    # one reminder per user: two settings at once (two clicks, two processes) must not both
    # insert one; the row is then locked, so the later setting wins whole
    await insert_missing(session, Reminder, ["user_id"], user_id=user_id, **values)
    reminder = (
        await session.execute(select(Reminder).where(Reminder.user_id == user_id).with_for_update())
    ).scalar_one()
    for name, value in values.items():
        setattr(reminder, name, value)
    await session.flush()
    return reminder


async def clear_reminder(session: AsyncSession, user_id: int) -> bool:
    reminder = (
        await session.execute(select(Reminder).where(Reminder.user_id == user_id))
    ).scalar_one_or_none()
    if reminder is None:
        return False
    await session.delete(reminder)
    return True


async def get_reminder(session: AsyncSession, user_id: int) -> Reminder | None:
    return (
        await session.execute(select(Reminder).where(Reminder.user_id == user_id))
    ).scalar_one_or_none()


async def due_reminders(
    session: AsyncSession,
    now: dt.datetime,
    *,
    user_id: int | None = None,
    discord_only: bool = False,
) -> list[DueReminder]:
    """Reminders to send now. Ones missed by more than CATCH_UP move on to their next day
    without sending (in the caller's transaction), so nobody gets yesterday's reminder.

    Each front-end asks only for what it can deliver: the Discord bot for users with a Discord
    account (``discord_only``), a console for its own user (``user_id``), so neither touches
    (nor pauses) the other's reminders when they share a database."""
    query = (
        select(Reminder, User.discord_id)
        .join(User, User.id == Reminder.user_id)
        .where(Reminder.next_fire_at <= now, ~Reminder.paused)
    )
    if user_id is not None:
        query = query.where(Reminder.user_id == user_id)
    if discord_only:
        query = query.where(User.discord_id.is_not(None))
    rows = (
        await session.execute(query.order_by(Reminder.next_fire_at).with_for_update(of=Reminder))
    ).all()
    return [
        _due(reminder, discord_id) for reminder, discord_id in rows if _still_due(reminder, now)
    ]


def _still_due(reminder: Reminder, now: dt.datetime) -> bool:
    """False (and moved on to its next day) for one missed by more than CATCH_UP or already
    sent on its local day."""
    local_day = reminder.next_fire_at.astimezone(zone(reminder.timezone)).date()
    if now - reminder.next_fire_at > CATCH_UP or reminder.last_sent_day == local_day:
        reminder.next_fire_at = next_fire(reminder.local_time, reminder.timezone, now)
        reminder.claim_owner = reminder.claimed_until = None
        return False
    return True


def _due(reminder: Reminder, discord_id: int | None) -> DueReminder:
    return DueReminder(
        reminder.id,
        reminder.user_id,
        discord_id,
        reminder.where,
        reminder.channel_id,
        reminder.server_id,
        reminder.next_fire_at,
    )


def _unclaimed(now: dt.datetime) -> ColumnElement[bool]:
    return or_(Reminder.claimed_until.is_(None), Reminder.claimed_until <= now)


async def claim_due(
    session: AsyncSession,
    now: dt.datetime,
    owner: str,
    *,
    lease: dt.timedelta = CLAIM_LEASE,
    limit: int | None = None,
    user_id: int | None = None,
    discord_only: bool = False,
) -> list[DueReminder]:
    """Claim due reminders for ``owner`` until ``now + lease``: each one is returned to exactly
    one of the processes claiming at once. Commit before delivering (the claim is then
    visible to the others); `mark_sent`, `pause` or `release` end it."""
    query = (
        select(Reminder, User.discord_id)
        .join(User, User.id == Reminder.user_id)
        .where(Reminder.next_fire_at <= now, ~Reminder.paused, _unclaimed(now))
        .order_by(Reminder.next_fire_at)
        .limit(limit)
        .with_for_update(of=Reminder, skip_locked=True)  # PostgreSQL; SQLite serialises
    )
    if user_id is not None:
        query = query.where(Reminder.user_id == user_id)
    if discord_only:
        query = query.where(User.discord_id.is_not(None))
    candidates = [
        (reminder, discord_id)
        for reminder, discord_id in (await session.execute(query)).all()
        if _still_due(reminder, now)
    ]
    taken: set[int] = set()
    for start in range(0, len(candidates), CLAIM_CHUNK):  # one UPDATE per chunk
        ids = [reminder.id for reminder, _ in candidates[start : start + CLAIM_CHUNK]]
        rows = await session.execute(
            update(Reminder)
            .where(Reminder.id.in_(ids), _unclaimed(now))
            .values(claim_owner=owner, claimed_until=now + lease)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
        taken.update(rows.scalars())
    await session.flush()
    return [
        _due(reminder, discord_id) for reminder, discord_id in candidates if reminder.id in taken
    ]


async def release(session: AsyncSession, reminder_id: int, owner: str) -> None:
    """Give a claim back undelivered (a passing failure): the next pass tries again."""
    await session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.claim_owner == owner)
        .values(claim_owner=None, claimed_until=None)
    )


async def count_due(session: AsyncSession, now: dt.datetime) -> int:
    """Reminders due now, claimed or not (what delivery processes still have to do)."""
    found = await session.scalar(
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.next_fire_at <= now, ~Reminder.paused)
    )
    return int(found or 0)


async def mark_sent(session: AsyncSession, reminder_id: int, now: dt.datetime) -> None:
    reminder = await session.get(Reminder, reminder_id)
    if reminder is not None:
        _mark_sent(reminder, now)


def _mark_sent(reminder: Reminder, now: dt.datetime) -> None:
    reminder.last_sent_day = reminder.next_fire_at.astimezone(zone(reminder.timezone)).date()
    reminder.next_fire_at = next_fire(reminder.local_time, reminder.timezone, now)
    reminder.claim_owner = reminder.claimed_until = None


async def record_many(
    session: AsyncSession,
    owner: str,
    now: dt.datetime,
    *,
    sent: Sequence[int] = (),
    paused: Mapping[int, str] | None = None,
    retry: Sequence[int] = (),
) -> None:
    """What became of a batch of deliveries, in the caller's one transaction: exactly
    `mark_sent`, `pause` and `release` for each, in three statements or so, not a
    transaction per reminder."""
    paused = paused or {}
    ids = [*sent, *paused]
    for start in range(0, len(ids), CLAIM_CHUNK):
        chunk = ids[start : start + CLAIM_CHUNK]
        rows = await session.execute(select(Reminder).where(Reminder.id.in_(chunk)))
        for reminder in rows.scalars():
            if reminder.id in paused:
                _pause(reminder, paused[reminder.id], now)
            else:
                _mark_sent(reminder, now)
    for start in range(0, len(retry), CLAIM_CHUNK):
        await session.execute(
            update(Reminder)
            .where(
                Reminder.id.in_(retry[start : start + CLAIM_CHUNK]), Reminder.claim_owner == owner
            )
            .values(claim_owner=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    await session.flush()


async def pause(session: AsyncSession, reminder_id: int, reason: str, now: dt.datetime) -> None:
    """Stop sending (e.g. DMs closed and no channel); the user is told next time they study."""
    reminder = await session.get(Reminder, reminder_id)
    if reminder is not None:
        _pause(reminder, reason, now)


def _pause(reminder: Reminder, reason: str, now: dt.datetime) -> None:
    reminder.paused = True
    reminder.paused_reason = reason[:200]
    reminder.next_fire_at = next_fire(reminder.local_time, reminder.timezone, now)
    reminder.claim_owner = reminder.claimed_until = None
