"""A server's settings, and switching a user's scheduler (every item re-derived from its log)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot import srs
from bot.db.engine import transaction
from bot.db.models import ItemState, Server, User
from bot.study.cases.base import SchedulerName, ServiceBase, store_schedule
from bot.study.cases.library import review_events
from bot.study.cases.results import ServerSettings, StudyError


class ServerCases(ServiceBase):
    """Who may change a server's settings is the front-end's check, not this one."""

    async def server_settings(self, server_id: int) -> ServerSettings:
        async with self.sessions() as session:
            server = await session.get(Server, server_id)
            if server is None:
                raise StudyError(f"no server {server_id}")
            return _server_settings(server)

    async def server_settings_for_guild(self, guild_id: int) -> ServerSettings | None:
        """By Discord guild id, without creating anything: permission checks run before a
        command has registered anyone."""
        async with self.sessions() as session:
            server = (
                await session.execute(select(Server).where(Server.discord_guild_id == guild_id))
            ).scalar_one_or_none()
            return _server_settings(server) if server is not None else None

    async def update_server_settings(self, server_id: int, **changes: Any) -> ServerSettings:
        """Teacher role, default scheduler, leaderboard on/off, reminder channel (None clears a
        role, channel or scheduler). Who may change them is the front-end's check."""
        allowed = {
            "default_scheduler",
            "leaderboard_enabled",
            "teacher_role_id",
            "reminder_channel_id",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown server settings: {', '.join(sorted(unknown))}")
        if changes.get("default_scheduler") not in (None, "sm2", "fsrs"):
            raise ValueError("scheduler must be sm2 or fsrs")
        async with transaction(self.sessions) as session:
            server = await session.get(Server, server_id)
            if server is None:
                raise StudyError(f"no server {server_id}")
            for key, value in changes.items():
                setattr(server, key, value)
            await session.flush()
            return _server_settings(server)

    async def set_scheduler(self, user_id: int, scheduler: SchedulerName) -> int:
        """Switch a user's scheduler; every item's state is re-derived from its review log, so
        nothing is lost (switching back gives the old state exactly). Returns items updated."""
        if scheduler not in ("sm2", "fsrs"):
            raise ValueError("scheduler must be sm2 or fsrs")
        async with transaction(self.sessions) as session:
            user = await session.get(User, user_id)
            if user is None:
                raise StudyError(f"no user {user_id}")
            user.scheduler = scheduler
            states = (
                (
                    await session.execute(
                        select(ItemState).where(ItemState.user_id == user_id).with_for_update()
                    )
                )
                .scalars()
                .all()
            )
            events = await review_events(session, user_id, states)
            for state in states:
                derived = srs.replay(
                    events.get(state.item_key, []),
                    scheduler,
                    tz=user.timezone,
                    day_start_hour=user.day_start_hour,
                )
                store_schedule(state, derived)
            return len(states)


def _server_settings(server: Server) -> ServerSettings:
    return ServerSettings(
        server.id,
        server.discord_guild_id,
        server.default_scheduler,
        server.leaderboard_enabled,
        server.teacher_role_id,
        server.reminder_channel_id,
    )
