"""Small pieces every cog shares: safe echoing of user text, images as files, a per-user
rate limit. Presentation only; decisions belong to bot/study."""

from __future__ import annotations

import contextlib
import io
import math
import re
import time
from collections import defaultdict, deque
from collections.abc import Sequence

import discord

from bot.math import tasks
from bot.math.parser import Reading
from bot.math.render import Rendered
from bot.math.rules import Step
from bot.math.workers import MathPool
from bot.study.service import StudyService
from bot.study.text import clean_text

MAX_ECHO = 300


def echo(text: str) -> str:
    """User text shown back inside inline code: markdown cannot break out, nothing pings
    (mentions are off bot-wide as well), and it reads as the service read it (`clean_text`)."""
    cleaned = clean_text(text).replace("`", "ˋ").replace("\n", " ").strip() or " "
    if len(cleaned) > MAX_ECHO:
        cleaned = cleaned[: MAX_ECHO - 1] + "…"
    return f"`{cleaned}`"


# What the engine quotes from the student: `…`, where a quoted backtick shows as ```.
_QUOTED = re.compile(r"`(`|[^`]*)`")


def engine_text(message: str) -> str:
    """An engine message (parse error, verdict, note) made safe to show: the bits it quotes
    from the student are echoed like any user text, the rest has its markdown escaped, so a
    typed backtick, `||` or `*` cannot break out of the quote or format the reply."""
    parts = []
    last = 0
    for quoted in _QUOTED.finditer(message):
        parts.append(_plain(message[last : quoted.start()]))
        parts.append(echo(quoted.group(1)))
        last = quoted.end()
    parts.append(_plain(message[last:]))
    return "".join(parts)


def _plain(text: str) -> str:
    escaped = discord.utils.escape_markdown(text.replace("`", "ˋ"))
    return discord.utils.escape_mentions(escaped)


STUDY_USER = "study_user"  # the key of the user id in `Interaction.extras`


async def identify(
    service: StudyService, interaction: discord.Interaction
) -> tuple[int, int | None]:
    """(user id, server id) for whoever is interacting; joining the server on the way, since
    leaderboards and server decks are per server. The user id is also left in the
    interaction's extras, so whatever a command did, the reminders cog can tell that user
    about a paused reminder once the command is done."""
    user = await service.user_for_discord(interaction.user.id, interaction.user.display_name)
    interaction.extras[STUDY_USER] = user
    server = None
    if interaction.guild is not None:
        server = await service.join_server(user, interaction.guild.id, interaction.guild.name)
    return user, server


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """Send `text` to the interacting user only, whatever came before.

    After a public "thinking" deferral Discord ignores `ephemeral` on the first followup: it
    replaces the thinking message for everyone to read. So that message first becomes a
    neutral line, the text follows privately, and the neutral line is then removed."""
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True)
        return
    original = None
    if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
        original = await interaction.original_response()
        if original.flags.ephemeral or not original.flags.loading:
            original = None  # a private thinking message, or a finished one: nothing to hide
    if original is not None:
        await original.edit(content="…")
    await interaction.followup.send(text, ephemeral=True)
    if original is not None:
        with contextlib.suppress(discord.HTTPException):  # a "…" left behind is harmless
            await original.delete()


def image_file(rendered: Rendered | None, name: str) -> discord.File | None:
    if rendered is None or rendered.png is None:
        return None
    return discord.File(io.BytesIO(rendered.png), filename=name)


async def attach_steps(
    pool: MathPool,
    embed: discord.Embed,
    steps: Sequence[Step],
    *,
    theme: str = "dark",
    reading: Reading | None = None,
) -> discord.File | None:
    """One image on `embed`: how the answer was read, rendered as a formula (so a student sees
    `1/2x` became 1/(2x) at a glance), then the worked solution; text when rendering fails."""
    lines = [f"{s.title}:  ${s.latex}$" for s in steps]
    text = "\n".join(s.text for s in steps)
    if reading is not None and reading.latex:
        lines.insert(0, f"Your answer, as I read it:  ${reading.latex}$")
    if not lines:
        return None
    file = image_file(
        await tasks.arender(pool, lines, theme=theme, fallback_text=text), "steps.png"
    )
    if file is not None:
        embed.set_image(url="attachment://steps.png")
    elif text:
        embed.add_field(name="Worked solution", value=text[:1000], inline=False)
    return file


ANSWER_BOX_TIMEOUT = 15 * 60.0  # seconds an open answer box is kept in memory


class AnswerModal(discord.ui.Modal, title="Your answer"):
    """The one text box students type answers into, for problems and typed cards alike.

    It only draws the box. Its custom id names what is being answered (`dqa:<token>` for
    /quiz, `dra:<token>:<since>` for /review) and each cog grades every submission from that
    id alone (`answer_submission` in an `on_interaction` listener), so a box left open across
    a restart still counts, and the object itself need not outlive a short timeout."""

    def __init__(self, custom_id: str, *, label: str = "Your answer") -> None:
        super().__init__(timeout=ANSWER_BOX_TIMEOUT, custom_id=custom_id)
        self.answer: discord.ui.TextInput = discord.ui.TextInput(
            label=label,
            placeholder="e.g. 2x cos(x^2)   (^ for powers, sqrt(), ln(), sin x …)",
            max_length=500,
            custom_id="answer",
        )
        self.add_item(self.answer)


def answer_submission(
    interaction: discord.Interaction, custom_id: re.Pattern[str]
) -> tuple[re.Match[str], str] | None:
    """For a submitted answer box whose custom id matches `custom_id`: the match and the typed
    text, read from the raw payload (the modal object may be gone); None for anything else."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: dict = interaction.data or {}  # type: ignore[assignment]
    match = custom_id.fullmatch(str(data.get("custom_id", "")))
    if match is None:
        return None
    pending = list(data.get("components", []))
    while pending:  # text inputs sit in action rows (or labels): search the whole tree
        component = pending.pop()
        if component.get("custom_id") == "answer" and "value" in component:
            return match, str(component["value"])
        pending.extend(component.get("components", []))
        if "component" in component:
            pending.append(component["component"])
    return match, ""


#: Actions that use the worker pool, per user per minute: a quick student reviewing cards
#: or skipping problems makes about one every 3 s; a flood makes many more.
ACTIONS_PER_MINUTE = 30


class RateLimit:
    """At most `limit` actions per `per` seconds per user, so one person cannot flood the
    worker pool; `retry_after` says when to come back. The bot holds one (`bot.limiter`),
    shared by every command and button: see `too_fast`."""

    def __init__(self, limit: int, per: float) -> None:
        self.limit = limit
        self.per = per
        self.hits: dict[int, deque[float]] = defaultdict(deque)

    def retry_after(self, user_id: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        hits = self.hits[user_id]
        while hits and now - hits[0] >= self.per:
            hits.popleft()
        if len(hits) >= self.limit:
            return self.per - (now - hits[0])
        hits.append(now)
        return 0.0


def seconds(wait: float) -> str:
    """A wait as students read it: rounded up, so never "0 s"."""
    return f"{max(1, math.ceil(wait))} s"


async def too_fast(interaction: discord.Interaction) -> bool:
    """Spend one of the user's actions from the bot's shared limiter; when none is left, say
    (privately) when to come back and return True. Call it before any work for the pool."""
    limiter: RateLimit = interaction.client.limiter  # type: ignore[attr-defined]
    wait = limiter.retry_after(interaction.user.id)
    if wait <= 0:
        return False
    await send_private(
        interaction, f"Easy there! That's a lot at once; try again in {seconds(wait)}."
    )
    return True
