"""Who studies where: users (Discord or console), servers and memberships, preferences,
privacy choices."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import srs
from bot.db.engine import transaction
from bot.db.models import THEMES, Membership, Server, User
from bot.db.upsert import insert_missing
from bot.study import reminders
from bot.study.cases.base import ServiceBase
from bot.study.cases.results import MemberPrivacy, Preferences, StudyError
from bot.study.text import clean_text

#: What a user may set their study day start and daily limits to (inclusive).
PREFERENCE_LIMITS: dict[str, tuple[int, int]] = {
    "day_start_hour": (0, 23),
    "new_per_day": (0, 100),
    "reviews_per_day": (0, 1000),
}


class PeopleCases(ServiceBase):
    """Users are looked up on every interaction, so the ids are remembered once known."""

    async def user_for_discord(self, discord_id: int, display_name: str = "") -> int:
        """The user row id for a Discord user, created on first contact (then remembered: every
        interaction asks, and a write transaction each time would queue behind grading)."""
        display_name = clean_text(display_name)
        known = self._known_users.get(discord_id)
        if known is not None and known[1] == display_name:
            return known[0]
        user_id = await self._user_for_discord(discord_id, display_name)
        self._known_users[discord_id] = (user_id, display_name)
        return user_id

    async def user_id_for_discord(self, discord_id: int) -> int | None:
        """The user row id for a Discord user, or None: a lookup of someone else, which must
        not register them (user_for_discord is for whoever is talking to the bot)."""
        known = self._known_users.get(discord_id)
        if known is not None:
            return known[0]
        async with self.sessions() as session:
            return await session.scalar(select(User.id).where(User.discord_id == discord_id))

    async def _user_for_discord(self, discord_id: int, display_name: str) -> int:
        return await self._ensure_user(
            "discord_id", discord_id=discord_id, display_name=display_name
        )

    async def user_for_console(self, name: str) -> int:
        name = clean_text(name)
        return await self._ensure_user("console_name", console_name=name, display_name=name)

    async def _ensure_user(self, key: str, **values: object) -> int:
        """The user whose unique ``key`` column has ``values[key]``, created if missing (on
        PostgreSQL a student's first two commands may both find none: ON CONFLICT settles it)."""
        where = getattr(User, key) == values[key]
        async with transaction(self.sessions) as session:
            user = (await session.execute(select(User).where(where))).scalar_one_or_none()
            if user is None:
                await insert_missing(
                    session,
                    User,
                    [key],
                    timezone=self.settings.default_timezone,
                    day_start_hour=self.settings.day_start_hour,
                    new_per_day=self.settings.new_per_day,
                    reviews_per_day=self.settings.reviews_per_day,
                    **values,
                )
                user = (await session.execute(select(User).where(where))).scalar_one()
            if values.get("display_name") and user.display_name != values["display_name"]:
                user.display_name = str(values["display_name"])
            return user.id

    async def join_server(
        self, user_id: int, guild_id: int, name: str = "", *, member_name: str = ""
    ) -> int:
        """The server row id; makes the user a member (leaderboards are per server).

        ``member_name`` is what the server calls them (their nickname there): kept on the
        membership, so each server's leaderboard shows its own name for them, and a button
        pressed in a DM (no server, no nickname) changes none of them. "" leaves it as is."""
        name, member_name = clean_text(name), clean_text(member_name)
        known = self._known_members.get((user_id, guild_id))
        if known is not None and (not member_name or known[1] == member_name):
            return known[0]
        server_id = await self._join_server(user_id, guild_id, name, member_name)
        self._known_members[(user_id, guild_id)] = (server_id, member_name)
        return server_id

    async def _join_server(self, user_id: int, guild_id: int, name: str, member_name: str) -> int:
        find = select(Server.id).where(Server.discord_guild_id == guild_id)
        async with transaction(self.sessions) as session:
            server_id = await session.scalar(find)
            if server_id is None:  # the guild's name is taken when it is first seen
                await insert_missing(
                    session, Server, ["discord_guild_id"], discord_guild_id=guild_id, name=name
                )
                server_id = (await session.execute(find)).scalar_one()
            await insert_missing(
                session,
                Membership,
                ["user_id", "server_id"],
                user_id=user_id,
                server_id=server_id,
                display_name=member_name,
            )
            if member_name:
                await session.execute(
                    update(Membership)
                    .where(
                        Membership.user_id == user_id,
                        Membership.server_id == server_id,
                        Membership.display_name != member_name,
                    )
                    .values(display_name=member_name)
                )
            return server_id

    async def member_name(self, user_id: int, server_id: int) -> str:
        """The name a server's pages show for a member: their name there, else their own."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(Membership.display_name, User.display_name)
                    .join(User, User.id == Membership.user_id)
                    .where(Membership.user_id == user_id, Membership.server_id == server_id)
                )
            ).first()
        if row is None:
            raise StudyError("not a member of that server")
        return row[0] or row[1] or f"user {user_id}"

    async def set_user_preferences(self, user_id: int, **changes: object) -> None:
        """Time zone, day start, daily limits, theme; the scheduler has its own call. A new time
        zone moves the student's reminder too (one zone per student, see `set_reminder`)."""
        changes = {k: clean_text(v) if isinstance(v, str) else v for k, v in changes.items()}
        unknown = set(changes) - set(PREFERENCE_LIMITS) - {"timezone", "theme"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        # checked here, for every front-end, rather than left to a database constraint error
        for key, (low, high) in PREFERENCE_LIMITS.items():
            if key in changes:
                value = changes[key]
                if type(value) is not int or not low <= value <= high:
                    raise ValueError(f"{key} must be a whole number from {low} to {high}")
        if "theme" in changes and changes["theme"] not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}")
        if "timezone" in changes:
            srs.days.zone(changes["timezone"])  # type: ignore[arg-type]  # ValueError if bad
        async with transaction(self.sessions) as session:
            user = await self._user(session, user_id)
            for key, value in changes.items():
                setattr(user, key, value)
            if "timezone" in changes:  # one zone per student: their reminder follows it
                await self._move_reminder(session, user_id, str(changes["timezone"]))

    async def _move_reminder(self, session: AsyncSession, user_id: int, timezone: str) -> None:
        """The student's reminder keeps its local time, now in their new zone."""
        reminder = await reminders.get_reminder(session, user_id)
        if reminder is not None and reminder.timezone != timezone:
            reminder.timezone = timezone
            reminder.next_fire_at = reminders.next_fire(reminder.local_time, timezone, self.clock())

    async def preferences(self, user_id: int) -> Preferences:
        async with self.sessions() as session:
            user = await self._user(session, user_id)
            scheduler = await self.scheduler_for(session, user, None)
            return Preferences(
                user.timezone,
                user.day_start_hour,
                user.new_per_day,
                user.reviews_per_day,
                user.theme,
                scheduler,
            )

    async def set_leaderboard_opt_out(self, user_id: int, server_id: int, opt_out: bool) -> None:
        await self._set_privacy(user_id, server_id, leaderboard_opt_out=opt_out)

    async def set_stats_shared(self, user_id: int, server_id: int, shared: bool) -> None:
        """Let the server's members see the user's stats (off by default: they are theirs)."""
        await self._set_privacy(user_id, server_id, stats_shared=shared)

    async def _set_privacy(self, user_id: int, server_id: int, **choice: bool) -> None:
        async with transaction(self.sessions) as session:
            member = await session.get(Membership, (user_id, server_id))
            if member is None:
                raise StudyError("not a member of that server")
            for key, value in choice.items():
                setattr(member, key, value)

    async def member_privacy(self, user_id: int, server_id: int) -> MemberPrivacy | None:
        """The member's privacy choices in a server; None if they never studied there."""
        async with self.sessions() as session:
            member = await session.get(Membership, (user_id, server_id))
            if member is None:
                return None
            return MemberPrivacy(member.leaderboard_opt_out, member.stats_shared)

    async def leaderboard_opted_out(self, user_id: int, server_id: int) -> bool:
        async with self.sessions() as session:
            member = await session.get(Membership, (user_id, server_id))
            return bool(member is not None and member.leaderboard_opt_out)
