"""`settings`: show or change a user's preferences, as /settings does on Discord."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from bot import srs
from bot.console.base import Screen
from bot.study.service import PREFERENCE_LIMITS

SETTINGS = {  # name: (aliases, what it takes)
    "theme": (("colours",), "dark or light: the colours of the saved images"),
    "scheduler": ((), "sm2 (classic) or fsrs (adaptive)"),
    "new_per_day": (("new",), "new items a day, 0-100"),
    "reviews_per_day": (("reviews",), "reviews a day at most, 0-1000"),
    "timezone": (("tz", "zone"), "IANA time zone, e.g. Europe/Berlin"),
    "day_start_hour": (("daystart",), "local hour a study day starts, 0-23"),
}
LIMITS = PREFERENCE_LIMITS  # the service checks them too; the console says so before asking


class SettingsCommands(Screen):
    async def cmd_settings(self, args: list[str]) -> None:
        try:
            changes = parse_settings(args)
        except ValueError as exc:
            self.error(str(exc))
            return
        scheduler = changes.pop("scheduler", None)
        if changes:
            await self.service.set_user_preferences(self.user, **changes)
        if scheduler is not None:
            updated = await self.service.set_scheduler(self.user, scheduler)  # type: ignore[arg-type]
            self.out.print(
                f"Scheduler is now {scheduler}; {updated} items rescheduled from history."
            )
        await self.show_settings("Saved ✅" if changes or scheduler else "Your settings")
        if not args:
            self.out.print(Text("Change one: `settings theme light`, `settings new 15`.", "dim"))

    async def show_settings(self, title: str) -> None:
        prefs = await self.service.preferences(self.user)
        table = Table(title=title, title_style="bold")
        table.add_column("Setting")
        table.add_column("Value")
        table.add_column("What it is", style="dim")
        values = {
            "theme": prefs.theme,
            "scheduler": prefs.scheduler,
            "new_per_day": str(prefs.new_per_day),
            "reviews_per_day": str(prefs.reviews_per_day),
            "timezone": prefs.timezone,
            "day_start_hour": f"{prefs.day_start_hour:02d}:00",
        }
        for name, (_, about) in SETTINGS.items():
            table.add_row(name, values[name], about)
        self.out.print(table)


def parse_settings(args: list[str]) -> dict[str, object]:
    """`NAME VALUE` pairs as the service takes them (`scheduler` among them); ValueError says
    what is wrong, in words for the user, before anything is saved."""
    if len(args) % 2:
        raise ValueError("Settings come in pairs: `settings theme light new_per_day 15`.")
    changes: dict[str, object] = {}
    for raw, value in zip(args[::2], args[1::2], strict=True):
        name = _setting_name(raw.lower())
        if name is None:
            raise ValueError(f"No setting {raw!r}; they are: {', '.join(SETTINGS)}.")
        changes[name] = _setting_value(name, value)
    return changes


def _setting_value(name: str, value: str) -> object:
    if name == "scheduler":
        if value.lower() not in ("sm2", "fsrs"):
            raise ValueError("The scheduler is sm2 or fsrs.")
        return value.lower()
    if name == "theme":
        if value.lower() not in ("dark", "light"):
            raise ValueError("The theme is dark or light.")
        return value.lower()
    if name == "timezone":
        try:
            srs.days.zone(value)
        except ValueError:
            raise ValueError(
                f"I don't know the time zone {value!r} (try e.g. Europe/Berlin)."
            ) from None
        return value
    low, high = LIMITS[name]
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValueError(f"{name} takes a whole number from {low} to {high}.")
    return int(value)


def _setting_name(raw: str) -> str | None:
    for name, (aliases, _) in SETTINGS.items():
        if raw == name or raw in aliases or raw.replace("-", "_") == name:
            return name
    return None
