"""/remind: a daily study reminder at a local time, sent by a loop that wakes every minute.

The schedule (time zones, DST, catch-up after downtime, once per local day) is
bot/study/reminders.py; this cog only asks what is due and delivers it. A reminder whose DM is
refused goes to the server's reminder channel, mentioning only that user; with no such channel
it is paused, and the user is told (once) after the next command they run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.common import (
    STUDY_USER,
    StudyCog,
    cog_of,
    echo,
    persistent_view,
    reporting,
    send_private,
    start_studying,
    timezone_choices,
    valid_zone,
)
from bot.cogs.embeds import ASSIGNMENTS, assignments_text
from bot.study.reminders import Delivery, OutgoingReminder, parse_time

log = logging.getLogger(__name__)

#: Reminders delivered concurrently in one pass of the loop.
SEND_AT_ONCE = 8
DM_CLOSED = "DMs closed"
CHANNEL_GONE = "channel unavailable"
PAUSED_TEXT = {
    DM_CLOSED: "I couldn't DM your study reminder (your DMs are closed to me), so I paused it. "
    "Open your DMs and use `/remind set` again, or set it `where:here` in a channel.",
    CHANNEL_GONE: "I couldn't post your study reminder in its channel any more, so I paused "
    "it. Use `/remind set` again, for your DMs or another channel.",
}


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"dn:review(?::(?P<server>\d+))?",
):
    """ "Start review" under a reminder; works after a restart (nothing but the server row id,
    so a click in a DM still studies that server's decks, lives in the custom id)."""

    def __init__(self, server_id: int | None = None) -> None:
        custom_id = "dn:review" if server_id is None else f"dn:review:{server_id}"
        super().__init__(
            discord.ui.Button(
                label="Start review", style=discord.ButtonStyle.success, custom_id=custom_id
            )
        )
        self.server_id = server_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: object
    ) -> ReviewButton:
        server = match["server"]  # type: ignore[index]
        return cls(int(server) if server else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        # discord.py only logs a dynamic item's failure: the student hears of it here or never
        await reporting(
            interaction,
            lambda: cog_of(interaction, Reminders).start_review(interaction, self.server_id),
        )


class DiscordSink:
    """Delivers one reminder on Discord (`ReminderSink` of bot/study/reminders.py): a DM, or a
    post in its channel mentioning only its user; a refused DM falls back to the server's
    reminder channel.

    It says `Delivery.sent()`, or `Delivery.paused(DM_CLOSED / CHANNEL_GONE)`: the reminder is
    then paused and its user told once. Anything unexpected raises, and the reminder stays due
    (tried again next minute). Only reminders of Discord users (`discord_id` set) are its to
    deliver: the loop asks for them with `discord_only`."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def deliver(self, reminder: OutgoingReminder) -> Delivery:
        if reminder.discord_id is None:
            raise ValueError(f"reminder {reminder.reminder_id} is not a Discord user's")
        count, user = reminder.due_count, reminder.discord_id
        soon = _due_soon(reminder)
        view = persistent_view([ReviewButton(reminder.server_id)])
        if reminder.where == "channel" and reminder.channel_id is not None:
            text = _text(count, mention=True) + soon
            posted = await self._post(reminder.channel_id, user, text, view)
            return Delivery.sent() if posted else Delivery.paused(CHANNEL_GONE)
        try:
            dm = await self.bot.create_dm(discord.Object(user))
            await dm.send(_text(count) + soon, view=view)
            return Delivery.sent()
        except discord.Forbidden:
            pass  # DMs closed (50007) or blocked
        fallback = reminder.fallback_channel_id
        text = _text(count, mention=True, closed=True) + soon
        if fallback is not None and await self._post(fallback, user, text, view):
            return Delivery.sent()
        return Delivery.paused(DM_CLOSED)

    async def _post(
        self, channel_id: int, discord_id: int, text: str, view: discord.ui.View
    ) -> bool:
        """Post in a channel, pinging only this user (the bot pings no one by default)."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return False
        try:
            await channel.send(
                f"<@{discord_id}> {text}",
                view=view,
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(discord_id)]),
            )
        except (discord.Forbidden, discord.NotFound):
            return False
        return True


class Reminders(StudyCog):
    remind = app_commands.Group(name="remind", description="A daily reminder to study")

    def __init__(self, bot: commands.Bot) -> None:
        super().__init__(bot)
        self.sink = DiscordSink(bot)

    async def cog_load(self) -> None:
        self.reminder_loop.start()

    async def cog_unload(self) -> None:
        self.reminder_loop.cancel()

    async def notice(self, user_id: int) -> str:
        """The paused-reminder notice owed to this user (once), or ""."""
        reason = await self.service.pending_notice(user_id)
        if reason is None:
            return ""
        text = PAUSED_TEXT.get(
            reason, f"I paused your study reminder ({reason}). Use `/remind set` to restart it."
        )
        return f"⚠️ {text}"

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: object
    ) -> None:
        """The one place a paused reminder is told: privately, after any command that looked
        the student up (`identify`), whichever cog it belongs to."""
        user = interaction.extras.get(STUDY_USER)
        if user is None:
            return
        try:
            notice = await self.notice(user)
            if notice:
                await send_private(interaction, notice)
        except Exception:  # the command itself went fine: never turn that into an error
            log.warning("could not tell user %s about a paused reminder", user, exc_info=True)

    # --- commands ---------------------------------------------------------------------------

    @remind.command(name="set", description="Get a study reminder every day at a local time")
    @app_commands.describe(
        time="24-hour local time, e.g. 07:30",
        timezone="Your time zone, e.g. America/New_York (start typing a city); default: yours",
        where="In your DMs (default), or in this channel",
    )
    async def remind_set(
        self,
        interaction: discord.Interaction,
        time: str,
        timezone: str | None = None,
        where: Literal["dm", "here"] = "dm",
    ) -> None:
        try:
            parse_time(time)
        except ValueError:
            await interaction.response.send_message(
                f"I need a 24-hour time like `07:30`; you typed {echo(time)}.", ephemeral=True
            )
            return
        if timezone is not None and not valid_zone(timezone.strip()):
            await interaction.response.send_message(
                f"I don't know the time zone {echo(timezone)}; pick one from the list "
                "(start typing a city, like `New York` or `Berlin`).",
                ephemeral=True,
            )
            return
        in_channel = where == "here" and interaction.guild is not None
        if in_channel and not interaction.app_permissions.send_messages:
            await interaction.response.send_message(
                "I can't post in this channel, so I couldn't remind you here. "
                "Pick another channel, or your DMs.",
                ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, server = await self._user(interaction)
        before = (await self.service.preferences(user)).timezone
        zone = timezone.strip() if timezone is not None else before
        fire_at = await self.service.set_reminder(
            user,
            time.strip(),
            zone,
            where="channel" if in_channel else "dm",
            channel_id=interaction.channel_id if in_channel else None,
            server_id=server,
        )
        place = "in this channel" if in_channel else "in your DMs"
        text = (
            f"⏰ Done: every day at **{time.strip()}** ({zone}), {place}. "
            f"Next one {_when(fire_at)}."
        )
        if zone != before:  # one zone per student: say so, once, when it moves
            text += (
                f"\n🌐 Your time zone is now **{zone}** (it was {before}): your study day "
                "starts and ends by it too. `/settings timezone:` changes both."
            )
        await interaction.followup.send(text, ephemeral=True)

    @remind_set.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @remind.command(name="off", description="Stop your daily study reminder")
    async def remind_off(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, _ = await self._user(interaction)
        removed = await self.service.clear_reminder(user)
        text = (
            "Your daily reminder is off."
            if removed
            else "You had no reminder. Set one with `/remind set`."
        )
        await interaction.followup.send(text, ephemeral=True)

    @remind.command(name="show", description="When your next study reminder comes")
    async def remind_show(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, _ = await self._user(interaction)
        info = await self.service.reminder(user)
        if info is None:
            text = "You have no reminder. Set one with `/remind set time:07:30 timezone:…`."
        else:
            place = f"in <#{info.channel_id}>" if info.where == "channel" else "in your DMs"
            text = f"⏰ Every day at **{info.local_time}** ({info.timezone}), {place}."
            if info.paused:
                text += "\nIt is **paused**: use `/remind set` again to restart it."
            else:
                text += f"\nNext one {_when(info.next_fire_at)}."
        await interaction.followup.send(text, ephemeral=True)

    # --- the loop ---------------------------------------------------------------------------

    @tasks.loop(minutes=1)
    async def reminder_loop(self) -> None:
        try:
            await self.send_due()
        except Exception:  # the loop must outlive any one bad minute
            log.exception("reminder loop iteration failed")

    @reminder_loop.before_loop
    async def _before_loop(self) -> None:
        await self.bot.wait_until_ready()

    async def send_due(self) -> int:
        """One pass of the loop: deliver every due reminder; returns how many were sent.

        Up to SEND_AT_ONCE go out together, so a class that all chose 07:00 is not served one
        Discord round trip after another (discord.py keeps within the rate limits). A reminder
        that fails for an unexpected reason stays due and is retried next minute (within the
        catch-up window the schedule allows)."""
        report = await self.service.deliver_due_reminders(
            self.sink, discord_only=True, concurrency=SEND_AT_ONCE
        )
        metrics = getattr(self.bot, "metrics", None)
        if metrics is not None:
            metrics.reminder_pass(report.sent, report.paused, report.retry)
        return report.sent

    # --- the button ---------------------------------------------------------------------------

    async def start_review(self, interaction: discord.Interaction, server_id: int | None) -> None:
        """Start studying from a reminder: a /review session when that cog is loaded (with the
        decks of the server the reminder was set in, even from a DM), otherwise a /quiz
        problem on the most due skill (`common.start_studying`)."""
        if not await start_studying(interaction, server_id):
            await interaction.response.send_message(
                "Studying is offline right now; try again in a minute.", ephemeral=True
            )


def _text(count: int, *, mention: bool = False, closed: bool = False) -> str:
    if count:
        items = "1 item is" if count == 1 else f"{count} items are"
        body = f"{items} waiting for you today."
    else:
        body = "Nothing is due, so it's a good day for a fresh problem."
    lead = "⏰ Study time!" if not mention else "⏰ your study reminder:"
    if closed:
        lead = "⏰ your study reminder (I couldn't DM you):"
    return f"{lead} {body}"


def _due_soon(reminder: OutgoingReminder) -> str:
    """Unfinished assignments due within a day, under the reminder ("" when none)."""
    text = assignments_text(reminder.assignments)
    return f"\n{ASSIGNMENTS} due soon:\n{text}" if text else ""


def _when(moment: dt.datetime) -> str:
    """Discord renders these timestamps in each reader's own time zone."""
    return f"{discord.utils.format_dt(moment, 'F')} ({discord.utils.format_dt(moment, 'R')})"


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(ReviewButton)
    await bot.add_cog(Reminders(bot))
