"""The door every interaction passes: counted while it runs, logged when it ends, refused once
the bot is stopping.

A graceful stop (SIGTERM, `bot.app.DerivBot.stop_gracefully`) closes the gate, waits for the
interactions already inside (an answer being graded is written before the process exits) and
only then closes the worker pool and the database. Interactions enter through `admit`, which
the command tree's check, our buttons' and modals' checks and `common.too_fast` call, so one
interaction's task is counted once however many of those it passes.

One log line per interaction, in logfmt (`command=quiz latency_ms=412 outcome=ok`), never with
what the student typed; the same numbers feed the metrics (`bot.metrics`) when they are on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import discord

__all__ = ["STOPPING", "Gate", "Passage", "admit", "command_name", "failed"]

log = logging.getLogger("derivbot.interactions")

STOPPING = "derivbot is restarting; try again in a minute."


@dataclass(frozen=True, slots=True)
class Passage:
    """One interaction that went through the gate, as logged and measured."""

    command: str
    kind: str
    latency: float  # seconds from entering the gate to the handler's end
    outcome: str  # ok | error | cancelled | refused
    guild_id: int | None
    user_id: int


def command_name(interaction: discord.Interaction) -> str:
    """What was used, without anything the student typed: the slash command's full name, or a
    button's / answer box's custom-id prefix (its tokens and numbers dropped)."""
    command = interaction.command
    if command is not None:
        return command.qualified_name
    data = interaction.data or {}
    custom_id = str(data.get("custom_id", "")) if isinstance(data, dict) else ""
    parts = [part for part in custom_id.split(":")[:2] if part and not _looks_like_data(part)]
    return ":".join(parts) or interaction.type.name


def _looks_like_data(part: str) -> bool:
    return not (part.isascii() and part.isalpha() and part.islower() and len(part) <= 12)


class Gate:
    """Admits interactions while open and keeps the tasks handling them until they end."""

    def __init__(self, observe: Callable[[Passage], None] | None = None) -> None:
        self.open = True
        self._inside: set[asyncio.Task[object]] = set()
        self._failed: set[asyncio.Task[object]] = set()
        self._observe = observe

    @property
    def inside(self) -> int:
        """Interactions being handled right now."""
        return sum(1 for task in self._inside if not task.done())

    def enter(self, interaction: discord.Interaction) -> bool:
        """Count the current task as handling ``interaction``; False once the gate is closed."""
        if not self.open:
            self._record(interaction, 0.0, "refused")
            return False
        task = asyncio.current_task()
        if task is None or task in self._inside:
            return True
        self._inside.add(task)
        started = time.perf_counter()

        def done(finished: asyncio.Task[object]) -> None:
            self._inside.discard(finished)
            if finished.cancelled():
                outcome = "cancelled"
            elif finished in self._failed or finished.exception() is not None:
                outcome = "error"
            else:
                outcome = "ok"
            self._failed.discard(finished)
            self._record(interaction, time.perf_counter() - started, outcome)

        task.add_done_callback(done)
        return True

    def failed(self) -> None:
        """The current interaction failed although its handler returned (the error was reported
        to the student and swallowed): log it as an error, not ok."""
        task = asyncio.current_task()
        if task is not None and task in self._inside:
            self._failed.add(task)

    async def close(self, grace: float) -> int:
        """Admit nobody new; wait up to ``grace`` seconds for those inside. Returns how many
        were still running when the time was up."""
        self.open = False
        current = asyncio.current_task()
        waiting = {task for task in self._inside if task is not current and not task.done()}
        if not waiting:
            return 0
        _, pending = await asyncio.wait(waiting, timeout=grace)
        if pending:
            log.warning("stopping: %d interactions unfinished after %.1f s", len(pending), grace)
        return len(pending)

    def _record(self, interaction: discord.Interaction, latency: float, outcome: str) -> None:
        passage = Passage(
            command=command_name(interaction),
            kind=interaction.type.name,
            latency=latency,
            outcome=outcome,
            guild_id=interaction.guild_id,
            user_id=interaction.user.id,
        )
        log.info(
            "interaction command=%s kind=%s latency_ms=%.0f outcome=%s guild=%s user=%s",
            passage.command,
            passage.kind,
            passage.latency * 1000,
            passage.outcome,
            passage.guild_id if passage.guild_id is not None else "dm",
            passage.user_id,
        )
        if self._observe is not None:
            try:
                self._observe(passage)
            except Exception:  # metrics never break an interaction
                log.exception("interaction observer failed")


async def admit(interaction: discord.Interaction) -> bool:
    """Let ``interaction`` in, or tell its user (privately) that the bot is restarting."""
    gate = getattr(interaction.client, "gate", None)
    if gate is None or gate.enter(interaction):
        return True
    try:
        if interaction.response.is_done():
            await interaction.followup.send(STOPPING, ephemeral=True)
        else:
            await interaction.response.send_message(STOPPING, ephemeral=True)
    except discord.HTTPException:
        pass  # stopping anyway: nothing more to tell
    return False


def failed(interaction: discord.Interaction) -> None:
    """Mark the current interaction as failed (see `Gate.failed`)."""
    gate = getattr(interaction.client, "gate", None)
    if gate is not None:
        gate.failed()
