"""`remind`, and the console's reminder delivery: a due reminder is printed before the next
prompt (`ConsoleSink`), the console's counterpart of the Discord DM."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from rich.console import Console
from rich.text import Text

from bot import srs
from bot.console.base import Screen
from bot.study.reminders import Delivery, OutgoingReminder, parse_time


class RemindCommands(Screen):
    async def cmd_remind(self, args: list[str]) -> None:
        action = args[0].lower() if args else "show"
        if action == "set":
            if len(args) < 2:
                self.error("When? `remind set 07:30` (and a time zone if not your own).")
                return
            try:
                parse_time(args[1])
            except ValueError:
                self.error(f"I need a 24-hour time like 07:30; you typed {args[1]!r}.")
                return
            zone = (
                args[2] if len(args) > 2 else (await self.service.preferences(self.user)).timezone
            )
            try:
                srs.days.zone(zone)
            except ValueError:
                self.error(f"I don't know the time zone {zone!r} (try e.g. Europe/Berlin).")
                return
            fire_at = await self.service.set_reminder(self.user, args[1], zone)
            self.out.print(
                f"⏰ Every day at {args[1]} ({zone}); next {_local(fire_at, zone)}. "
                "It shows here when it is due while the console is open."
            )
        elif action == "off":
            removed = await self.service.clear_reminder(self.user)
            self.out.print("Reminder off." if removed else "You had no reminder.")
        elif action == "show":
            info = await self.service.reminder(self.user)
            if info is None:
                self.out.print("No reminder. `remind set 07:30` sets a daily one.")
            elif info.paused:
                self.out.print(
                    f"Your {info.local_time} reminder is paused; `remind set` restarts it."
                )
            else:
                self.out.print(
                    f"⏰ Every day at {info.local_time} ({info.timezone}); "
                    f"next {_local(info.next_fire_at, info.timezone)}."
                )
        else:
            self.error("`remind set HH:MM [ZONE]`, `remind show` or `remind off`.")

    @cached_property
    def sink(self) -> ConsoleSink:
        return ConsoleSink(self.out)

    async def before_prompt(self) -> None:
        await super().before_prompt()
        await self.check_reminders()

    async def check_reminders(self) -> None:
        """Before every prompt: this user's due reminder, delivered (printed) once."""
        await self.service.deliver_due_reminders(self.sink, user_id=self.user)


class ConsoleSink:
    """Delivers a due reminder in the console (`ReminderSink` of bot/study/reminders.py):
    printed, with the due count, before the next prompt, as `DiscordSink` sends a DM in
    bot/cogs/reminders.py. An open console can always print, so it always delivers."""

    def __init__(self, out: Console) -> None:
        self.out = out

    async def deliver(self, reminder: OutgoingReminder) -> Delivery:
        count = reminder.due_count
        what = f"{count} item{'s' if count != 1 else ''} to review" if count else "time to study"
        self.out.print(
            Text(f"⏰ Study reminder: {what}. Type `review` to start.", style="bold magenta")
        )
        return Delivery.sent()


def _local(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(srs.days.zone(zone)).strftime("%a %d %b %H:%M")
