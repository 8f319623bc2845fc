"""/settings (yours), /serversettings and /deck (a server's): preferences and classroom decks.

Who may change a server's decks and settings is decided once, by `teacher_only()`: Manage
Server, or the teacher role the server configured. Everything else is a service call.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from pathlib import PurePath
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import (
    StudyCog,
    echo,
    teacher_only,
    timezone_choices,
    too_fast,
    valid_zone,
)
from bot.study.decks import LIMITS, MAX_FILE_BYTES, DeckError
from bot.study.service import (
    ImportBusy,
    Preferences,
    ServerSettings,
    StudyError,
    StudyService,
)

log = logging.getLogger(__name__)

DECK_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
SHOWN_PROBLEMS = 10
CONFIRM_SECONDS = 120.0  # how long a "remove this deck?" question waits for an answer
CLEARABLE = {
    "teacher role": "teacher_role_id",
    "default scheduler": "default_scheduler",
    "reminder channel": "reminder_channel_id",
}


class Admin(StudyCog):
    deck = app_commands.Group(name="deck", description="Flashcard decks in this server")

    # --- /settings ----------------------------------------------------------------------------

    @app_commands.command(name="settings", description="Your study settings (no options: show)")
    @app_commands.describe(
        theme="Colours of the formula images",
        scheduler="How reviews are spaced: sm2 (classic) or fsrs (adaptive)",
        new_per_day="New items a day",
        reviews_per_day="Reviews a day at most",
        timezone="Your time zone: when your study day starts",
        leaderboard_opt_out="Hide yourself from this server's leaderboard",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        theme: Literal["dark", "light"] | None = None,
        scheduler: Literal["sm2", "fsrs"] | None = None,
        new_per_day: app_commands.Range[int, 0, 100] | None = None,
        reviews_per_day: app_commands.Range[int, 0, 1000] | None = None,
        timezone: str | None = None,
        leaderboard_opt_out: bool | None = None,
    ) -> None:
        if timezone is not None and not valid_zone(timezone.strip()):
            await interaction.response.send_message(
                f"I don't know the time zone {echo(timezone)}; pick one from the list.",
                ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user, server = await self._user(interaction)
        changes: dict[str, object] = {}
        if theme is not None:
            changes["theme"] = theme
        if new_per_day is not None:
            changes["new_per_day"] = new_per_day
        if reviews_per_day is not None:
            changes["reviews_per_day"] = reviews_per_day
        if timezone is not None:
            changes["timezone"] = timezone.strip()
        if changes:
            await self.service.set_user_preferences(user, **changes)
        notes = []
        if timezone is not None and (reminder := await self.service.reminder(user)) is not None:
            notes.append(  # one zone per student: the reminder moved with it
                f"Your daily reminder follows: {reminder.local_time} ({reminder.timezone})."
            )
        if scheduler is not None:
            updated = await self.service.set_scheduler(user, scheduler)
            notes.append(f"Scheduler is now {scheduler}; {updated} items rescheduled from history.")
        if leaderboard_opt_out is not None:
            if server is None:
                notes.append("Leaderboards are per server: opt out from the server's channels.")
            else:
                await self.service.set_leaderboard_opt_out(user, server, leaderboard_opt_out)
        changed = bool(changes) or scheduler is not None or leaderboard_opt_out is not None
        prefs = await self.service.preferences(user)
        opted_out = await self.service.leaderboard_opted_out(user, server) if server else None
        embed = _settings_embed(prefs, opted_out, title="Saved ✅" if changed else None)
        await interaction.followup.send("\n".join(notes) or None, embed=embed, ephemeral=True)

    @settings.autocomplete("timezone")
    async def settings_timezone(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    # --- /serversettings ----------------------------------------------------------------------

    @app_commands.command(
        name="serversettings",
        description="This server's study settings (teachers; no options: show)",
    )
    @app_commands.describe(
        teacher_role="Members with this role manage decks and these settings",
        default_scheduler="The scheduler for students who haven't picked one",
        leaderboard="Show the leaderboard in this server",
        reminder_channel="Where reminders go when a student's DMs are closed",
        clear="Remove a setting",
    )
    @app_commands.guild_only()
    @teacher_only()
    async def serversettings(
        self,
        interaction: discord.Interaction,
        teacher_role: discord.Role | None = None,
        default_scheduler: Literal["sm2", "fsrs"] | None = None,
        leaderboard: bool | None = None,
        reminder_channel: discord.TextChannel | None = None,
        clear: Literal["teacher role", "default scheduler", "reminder channel"] | None = None,
    ) -> None:
        touches_role = teacher_role is not None or clear == "teacher role"
        if touches_role and not interaction.permissions.manage_guild:
            await interaction.response.send_message(
                "Only members with Manage Server can choose the teacher role.", ephemeral=True
            )
            return
        if reminder_channel is not None:
            me = reminder_channel.guild.me
            if me is None or not reminder_channel.permissions_for(me).send_messages:
                await interaction.response.send_message(
                    f"I can't post in {reminder_channel.mention}; give me Send Messages there "
                    "first, or pick another channel.",
                    ephemeral=True,
                )
                return
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        assert server is not None  # guild_only
        changes: dict[str, object] = {}
        if teacher_role is not None:
            changes["teacher_role_id"] = teacher_role.id
        if default_scheduler is not None:
            changes["default_scheduler"] = default_scheduler
        if leaderboard is not None:
            changes["leaderboard_enabled"] = leaderboard
        if reminder_channel is not None:
            changes["reminder_channel_id"] = reminder_channel.id
        if clear is not None:
            changes[CLEARABLE[clear]] = None
        if changes:
            settings = await self.service.update_server_settings(server, **changes)
        else:
            settings = await self.service.server_settings(server)
        embed = _server_embed(settings, title="Saved ✅" if changes else None)
        await interaction.followup.send(embed=embed, ephemeral=True)

    # --- /deck --------------------------------------------------------------------------------

    @deck.command(name="list", description="The decks you can study here")
    async def deck_list(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        lines = []
        for entry in await self.service.deck_overview(server):
            name = entry.title if entry.shipped else echo(entry.title)
            origin = "built in" if entry.shipped else "this server's"
            state = "active" if entry.enabled else "**inactive**"
            line = f"`{entry.slug}`: {name}, {entry.cards} cards ({origin}), {state}"
            lines.append(f"{entry.position}. {line}")
        embed = discord.Embed(
            title="Decks", description="\n".join(lines)[:4000] or "No decks yet.", colour=0x5865F2
        )
        footer = "New cards come in this order. Teachers: /deck import a YAML or CSV file"
        if server is not None:
            footer += ", /deck order, /deck enable, /deck disable"
        embed.set_footer(text=footer + ".")
        await interaction.followup.send(embed=embed, ephemeral=True)

    @deck.command(name="import", description="Add or update a deck from a YAML or CSV file")
    @app_commands.describe(
        file="A .yaml or .csv deck file: up to 1 MB and 2,000 cards",
        deck_id="For CSV files: the deck's id",
    )
    @teacher_only()
    async def deck_import(
        self, interaction: discord.Interaction, file: discord.Attachment, deck_id: str | None = None
    ) -> None:
        fmt = DECK_FORMATS.get(PurePath(file.filename).suffix.lower())
        if fmt is None:
            await interaction.response.send_message(
                f"Decks are .yaml or .csv files; {echo(file.filename)} is neither.",
                ephemeral=True,
            )
            return
        if file.size > MAX_FILE_BYTES:
            await interaction.response.send_message(
                f"That file is {file.size:,} bytes, too big for a deck: {LIMITS}. "
                "Split it into smaller decks.",
                ephemeral=True,
            )
            return
        if await too_fast(interaction):  # checking a deck keeps a worker busy for seconds
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        assert server is not None  # teacher_only
        try:
            text = (await file.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            await interaction.followup.send(
                "I couldn't read that file as text (UTF-8). Save it as UTF-8 and try again.",
                ephemeral=True,
            )
            return
        except discord.HTTPException:
            await interaction.followup.send(
                "I couldn't download that file from Discord; please try again.", ephemeral=True
            )
            return
        # a CSV deck's id is its file name (or deck_id); a YAML deck names its own
        stem = deck_id or re.sub(r"[^a-z0-9]+", "-", PurePath(file.filename).stem.lower())
        try:
            slug = await self.service.import_deck(
                server,
                text,
                fmt,  # type: ignore[arg-type]
                deck_id=stem.strip("-") if fmt == "csv" else "",
            )
        except DeckError as error:
            await interaction.followup.send(_deck_problems(error), ephemeral=True)
            return
        except ImportBusy:
            await interaction.followup.send(
                "Another deck import is running right now (one at a time, so students' answers "
                "aren't kept waiting). Try again in a minute.",
                ephemeral=True,
            )
            return
        decks = {s: (title, n) for s, title, n, shipped in await self.service.list_decks(server)}
        title, count = decks.get(slug, (slug, 0))
        await interaction.followup.send(
            f"📚 Imported `{slug}`: {echo(title)}, {count} cards. Students here can study it now.",
            ephemeral=True,
        )

    @deck.command(name="export", description="Download a deck as a file")
    @app_commands.describe(deck="The deck's id", format="File format (default YAML)")
    async def deck_export(
        self,
        interaction: discord.Interaction,
        deck: str,
        format: Literal["yaml", "csv"] = "yaml",
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        try:
            text = await self.service.export_deck(server, deck.strip(), format)
        except StudyError:
            await interaction.followup.send(
                f"There's no deck {echo(deck)} here; `/deck list` shows them.", ephemeral=True
            )
            return
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename=f"{deck.strip()}.{format}")
        await interaction.followup.send(f"Here is `{deck.strip()}`.", file=file, ephemeral=True)

    @deck.command(name="remove", description="Remove one of this server's own decks")
    @app_commands.describe(deck="The deck's id (built-in decks stay)")
    @teacher_only()
    async def deck_remove(self, interaction: discord.Interaction, deck: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        assert server is not None  # teacher_only
        slug = deck.strip()
        rows = await self.service.list_decks(server)
        own = {s: (title, n) for s, title, n, shipped in rows if not shipped}
        if slug not in own:
            await interaction.followup.send(
                f"This server has no deck {echo(deck)} of its own to remove "
                "(the built-in decks stay).",
                ephemeral=True,
            )
            return
        title, count = own[slug]
        view = ConfirmRemove(self.service, interaction.user.id, server, slug)
        view.message = await interaction.followup.send(
            f"Remove `{slug}` ({echo(title)}, {count} cards)? Students stop seeing its cards. "
            "Their progress is kept: importing a deck with this id again brings it back.",
            view=view,
            ephemeral=True,
            wait=True,
        )

    @deck.command(name="enable", description="Study a deck's cards in this server again")
    @app_commands.describe(deck="The deck's id (built-in decks too)")
    @teacher_only()
    async def deck_enable(self, interaction: discord.Interaction, deck: str) -> None:
        await self._switch_deck(interaction, deck, enabled=True)

    @deck.command(name="disable", description="Stop a deck's cards in this server (progress kept)")
    @app_commands.describe(deck="The deck's id (built-in decks too)")
    @teacher_only()
    async def deck_disable(self, interaction: discord.Interaction, deck: str) -> None:
        await self._switch_deck(interaction, deck, enabled=False)

    async def _switch_deck(
        self, interaction: discord.Interaction, deck: str, *, enabled: bool
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        assert server is not None  # teacher_only
        try:
            entry = await self.service.set_deck_enabled(server, deck.strip(), enabled)
        except StudyError:
            await interaction.followup.send(
                f"There's no deck {echo(deck)} here; `/deck list` shows them.", ephemeral=True
            )
            return
        if enabled:
            said = "is active again: its cards are introduced and due here as before."
        else:
            said = (
                "is inactive: its cards are no longer introduced or due here. Students' "
                "progress is kept; `/deck enable` resumes it."
            )
        await interaction.followup.send(f"`{entry.slug}` {said}", ephemeral=True)

    @deck.command(name="order", description="Move a deck in the order new cards are introduced")
    @app_commands.describe(deck="The deck's id", position="1 puts its new cards first")
    @teacher_only()
    async def deck_order(
        self,
        interaction: discord.Interaction,
        deck: str,
        position: app_commands.Range[int, 1, 1000],
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, server = await self._user(interaction)
        assert server is not None  # teacher_only
        try:
            order = await self.service.move_deck(server, deck.strip(), position)
        except StudyError:
            await interaction.followup.send(
                f"There's no deck {echo(deck)} here; `/deck list` shows them.", ephemeral=True
            )
            return
        lines = [f"{e.position}. `{e.slug}`" + ("" if e.enabled else " (inactive)") for e in order]
        await interaction.followup.send(
            "New cards now come from the decks in this order:\n" + "\n".join(lines),
            ephemeral=True,
        )

    @deck_export.autocomplete("deck")
    @deck_remove.autocomplete("deck")
    @deck_enable.autocomplete("deck")
    @deck_disable.autocomplete("deck")
    @deck_order.autocomplete("deck")
    async def deck_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        server = None
        if interaction.guild is not None:
            settings = await self.service.server_settings_for_guild(interaction.guild.id)
            server = settings.server_id if settings is not None else None
        typed = current.strip().lower()
        return [
            app_commands.Choice(name=f"{slug} — {title}"[:100], value=slug)
            for slug, title, _, _ in await self.service.list_decks(server)
            if typed in slug or typed in title.lower()
        ][:25]


class ConfirmRemove(discord.ui.View):
    """ "Remove this deck?" with Retire / Keep buttons, for the teacher who asked.

    The question is private and short-lived (CONFIRM_SECONDS, then it answers itself: kept),
    so unlike the study buttons it need not survive a restart."""

    def __init__(self, service: StudyService, owner_id: int, server: int, slug: str) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.service = service
        self.owner_id = owner_id
        self.server = server
        self.slug = slug
        self.message: discord.WebhookMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "This question is for the teacher who asked to remove the deck.", ephemeral=True
        )
        return False

    @discord.ui.button(label="Remove deck", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.defer()
        try:
            await self.service.remove_deck(self.server, self.slug)
            text = (
                f"🗑️ Removed `{self.slug}`. Its students' progress is kept: import the deck "
                "again to bring it back."
            )
        except StudyError:
            text = f"`{self.slug}` was already removed."
        await interaction.edit_original_response(content=text, view=None)

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept `{self.slug}`; nothing changed.", view=None
        )

    async def on_timeout(self) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(
                    content=f"No answer, so I kept `{self.slug}`; nothing changed.", view=None
                )


def _deck_problems(error: DeckError) -> str:
    """Every problem with its line (the first ten), each as inert text: nothing was imported."""
    problems = error.problems or (error,)
    lines = [f"• {echo(str(p))}" for p in problems[:SHOWN_PROBLEMS]]
    more = len(problems) - SHOWN_PROBLEMS
    if more > 0:
        lines.append(f"…and {more} more.")
    head = "That deck has a problem, so I imported nothing:"
    if len(problems) > 1:
        head = f"That deck has {len(problems)} problems, so I imported nothing:"
    return "\n".join([head, *lines])[:2000]


def _settings_embed(
    prefs: Preferences, opted_out: bool | None, *, title: str | None
) -> discord.Embed:
    embed = discord.Embed(title=title or "Your settings", colour=0x5865F2)
    embed.add_field(name="Theme", value=prefs.theme)
    embed.add_field(name="Scheduler", value=prefs.scheduler)
    embed.add_field(name="Time zone", value=prefs.timezone)
    embed.add_field(name="New per day", value=str(prefs.new_per_day))
    embed.add_field(name="Reviews per day", value=str(prefs.reviews_per_day))
    if opted_out is not None:
        embed.add_field(name="Leaderboard here", value="hidden" if opted_out else "shown")
    embed.set_footer(text="Change any of these: /settings theme:light new_per_day:15 …")
    return embed


def _server_embed(settings: ServerSettings, *, title: str | None) -> discord.Embed:
    embed = discord.Embed(title=title or "Server settings", colour=0x5865F2)
    role = f"<@&{settings.teacher_role_id}>" if settings.teacher_role_id else "none"
    channel = f"<#{settings.reminder_channel_id}>" if settings.reminder_channel_id else "none"
    embed.add_field(name="Teacher role", value=role)
    embed.add_field(name="Default scheduler", value=settings.default_scheduler or "bot default")
    embed.add_field(name="Leaderboard", value="on" if settings.leaderboard_enabled else "off")
    embed.add_field(name="Reminder channel", value=channel)
    return embed


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Admin(bot))
