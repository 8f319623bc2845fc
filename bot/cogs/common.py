"""What every cog shares: the base class (service and pool access, `identify`), error
reporting, safe echoing of user text, images as files, private sends, the answer box, the
per-user rate limit, the teacher check and time-zone choices. Presentation only; decisions
belong to bot/study. Not an extension (no `setup`), so `bot.app.cog_modules` skips it; no cog
imports another cog or `bot.app`: what they share is here, in `embeds.py`, or on the bot
(`StudyHost`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import math
import re
import secrets
import time
import zoneinfo
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import lru_cache
from typing import Protocol, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.gate import admit
from bot.cogs.gate import failed as gate_failed
from bot.math import tasks
from bot.math.generator import SKILLS, Problem
from bot.math.parser import Reading
from bot.math.render import Rendered
from bot.math.rules import Step
from bot.math.workers import MathPool
from bot.srs.days import zone
from bot.study import wording
from bot.study.service import StudyError, StudyService
from bot.study.text import clean_text

log = logging.getLogger(__name__)

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
    leaderboards, server decks and names are per server. The user id is also left in the
    interaction's extras, so whatever a command did, the reminders cog can tell that user
    about a paused reminder once the command is done."""
    person = interaction.user
    # the account's own name, the same in a DM and in every server; a server's nickname is
    # that server's alone (its leaderboard shows it), kept on the membership
    user = await service.user_for_discord(person.id, person.global_name or person.name)
    interaction.extras[STUDY_USER] = user
    server = None
    if interaction.guild is not None:
        server = await service.join_server(
            user, interaction.guild.id, interaction.guild.name, member_name=person.display_name
        )
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
    lines, text = wording.solution_lines(steps), wording.solution_text(steps)
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


#: Draws a message's pictures once its text is out: the embeds to show with them and the files,
#: or None when there is nothing to draw.
Drawing = Callable[[], Awaitable["tuple[list[discord.Embed], list[discord.File]] | None"]]


async def send_then_draw(
    interaction: discord.Interaction,
    embeds: list[discord.Embed],
    draw: Drawing,
    *,
    view: discord.ui.View,
    content: str | None = None,
) -> None:
    """Send `embeds` privately now and attach the pictures `draw` makes by editing the message
    when they are ready: the verdict is a check away, a worked-solution image a render away
    (most of a busy pool's time), and a student should not wait for the second to read the
    first. A picture that cannot be attached leaves the text as it is."""
    message = await interaction.followup.send(
        content=content, embeds=embeds, view=view, ephemeral=True, wait=True
    )
    drawn = await draw()
    if drawn is None:
        return
    with_pictures, files = drawn
    try:
        await message.edit(embeds=with_pictures, attachments=files)
    except discord.HTTPException:
        log.warning("could not attach the pictures to a verdict", exc_info=True)


#: Seconds a tangent picture may take in a worker (it takes ~0.1 s; a guard, not a budget).
PICTURE_TIMEOUT = 10.0


async def problem_image(pool: MathPool, problem: Problem, *, theme: str = "dark") -> Rendered:
    """The picture a problem is asked with: its computation graph (backprop: the inputs, the
    rest to fill in), else its prompt's formula."""
    graph = await tasks.agraph(pool, problem, theme=theme)
    if graph is not None:
        return graph
    return await tasks.arender(
        pool, problem.prompt_latex, theme=theme, fallback_text=problem.prompt
    )


async def tangent_picture(
    pool: MathPool, problem: Problem, *, theme: str = "dark"
) -> tuple[discord.Embed, discord.File] | None:
    """For a problem whose answer kind shows it (a tangent line, a derivative's value at a
    point): f and its tangent at x = a, as an embed of its own under the worked solution (an
    embed holds one image); for a backprop problem, its graph with every forward value and
    local derivative. None for other problems, or when it cannot be drawn."""
    graph = image_file(await tasks.agraph(pool, problem, solved=True, theme=theme), "graph.png")
    if graph is not None:
        embed = discord.Embed(
            title="The computation graph",
            description="Forward values in the nodes, local derivatives on the edges: "
            "a gradient multiplies them along the path.",
        )
        embed.set_image(url="attachment://graph.png")
        return embed, graph
    file = image_file(
        await tasks.atangent(pool, problem, theme=theme, timeout=PICTURE_TIMEOUT), "tangent.png"
    )
    if file is None:
        return None
    embed = discord.Embed(
        title=f"The tangent at {problem.var} = {problem.point}",
        description="The derivative there is the slope of the tangent line.",
    )
    embed.set_image(url="attachment://tangent.png")
    return embed, file


#: Every study button's label and style, by the action in its custom id (/quiz and /review
#: share most of them, so they look alike).
BUTTONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "answer": ("Answer", discord.ButtonStyle.primary),
    "retry": ("Try again", discord.ButtonStyle.primary),
    "solution": ("Solution", discord.ButtonStyle.secondary),
    "next": ("Next", discord.ButtonStyle.success),
    "hint": ("Hint", discord.ButtonStyle.secondary),
    "new": ("New problem", discord.ButtonStyle.secondary),
    "show": ("Show answer", discord.ButtonStyle.primary),
    "again": ("Again", discord.ButtonStyle.danger),
    "hard": ("Hard", discord.ButtonStyle.secondary),
    "good": ("Good", discord.ButtonStyle.success),
    "easy": ("Easy", discord.ButtonStyle.primary),
}


async def send_hint(
    interaction: discord.Interaction, service: StudyService, pool: MathPool, token: str, user: int
) -> None:
    """The next rung of the problem's hint ladder, privately: "Hint 2/3", its words, and the
    rung drawn in the student's theme (each press shows the next rung)."""
    shown = await service.hint(token, user_id=user)
    if shown is None:
        await interaction.followup.send(wording.NO_HINT, ephemeral=True)
        return
    theme = (await service.preferences(user)).theme
    image = await tasks.arender(pool, [shown.latex], theme=theme, fallback_text=shown.text)
    embed = discord.Embed(title=f"💡 {shown.title}", description=shown.text)
    embed.set_footer(text=wording.hint_footer(shown.number, shown.total))
    file = image_file(image, "hint.png")
    if file is not None:
        embed.set_image(url="attachment://hint.png")
    await interaction.followup.send(embed=embed, file=file or discord.utils.MISSING, ephemeral=True)


def study_button(action: str, custom_id: str) -> discord.ui.Button:
    label, style = BUTTONS[action]
    return discord.ui.Button(label=label, style=style, custom_id=custom_id)


def persistent_view(items: Iterable[discord.ui.Item]) -> discord.ui.View:
    """A view that never times out: its buttons are dynamic items, alive across restarts."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


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
    (privately) when to come back and return True. Call it before any work for the pool.
    It is also the gate (`cogs.gate.admit`): while the bot stops, nothing new starts."""
    if not await admit(interaction):
        return True
    limiter = cast(StudyHost, interaction.client).limiter
    wait = limiter.retry_after(interaction.user.id)
    if wait <= 0:
        return False
    await send_private(
        interaction, f"Easy there! That's a lot at once; try again in {seconds(wait)}."
    )
    return True


# --- the bot as cogs see it, and the base class ---------------------------------------------

#: Starts a study session for the interacting user, from outside the cog that runs it (a
#: reminder's "Start review" button); the int is the server row the reminder was set in.
Starter = Callable[[discord.Interaction, "int | None"], Awaitable[None]]
#: Which registered starter a reminder's button tries first.
STARTER_ORDER = ("review", "quiz")


class StudyHost(Protocol):
    """What cogs may use of the bot besides discord.py's own (`bot.app.DerivBot` provides it):
    declared here so that cogs depend on this, not on `bot.app`."""

    service: StudyService
    pool: MathPool
    limiter: RateLimit
    #: filled by the cogs that run sessions (`StudyCog.offer_start`), read by reminders
    starters: dict[str, Starter]
    clock: Callable[[], dt.datetime]


C = TypeVar("C", bound=commands.Cog)


class StudyCog(commands.Cog):
    """The base of every cog: the service and the pool, and `identify` as `_user`."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @property
    def host(self) -> StudyHost:
        return cast(StudyHost, self.bot)

    @property
    def service(self) -> StudyService:
        return self.host.service

    @property
    def pool(self) -> MathPool:
        return self.host.pool

    async def _user(self, interaction: discord.Interaction) -> tuple[int, int | None]:
        return await identify(self.service, interaction)

    def offer_start(self, name: str, starter: Starter) -> None:
        """Let other cogs start this kind of session (see `start_studying`)."""
        self.host.starters[name] = starter

    def withdraw_start(self, name: str) -> None:
        self.host.starters.pop(name, None)


async def start_studying(interaction: discord.Interaction, server_id: int | None) -> bool:
    """Start the first kind of session a loaded cog offers (`STARTER_ORDER`); False when no
    cog offers one (the caller says studying is offline)."""
    starters = cast(StudyHost, interaction.client).starters
    for name in STARTER_ORDER:
        starter = starters.get(name)
        if starter is not None:
            await starter(interaction, server_id)
            return True
    return False


def cog_of(interaction: discord.Interaction, kind: type[C]) -> C:
    """The loaded instance of a cog class, for its own persistent buttons."""
    found = cast(commands.Bot, interaction.client).get_cog(kind.__cog_name__)
    if not isinstance(found, kind):
        raise RuntimeError(f"{kind.__cog_name__} is not loaded")
    return found


async def reporting(interaction: discord.Interaction, call: Callable[[], Awaitable[None]]) -> None:
    """Run `call`, telling the student about any failure: discord.py only logs the failures
    of dynamic items and listeners, so without this the bot would go silent. Buttons enter
    through the gate here (`cogs.gate`)."""
    if not await admit(interaction):
        return
    try:
        await call()
    except Exception as exc:
        await report_error(interaction, exc)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Every failure reaches the student as a short, calm, private message with a reference
    code, and the log with the trace: the bot never goes silent on an interaction."""
    original = getattr(error, "original", error)
    if isinstance(original, app_commands.CommandOnCooldown):
        text = f"Easy there! Try again in {seconds(original.retry_after)}."
    elif isinstance(original, app_commands.CheckFailure):
        text = str(original) or "You can't use that here."
    elif isinstance(original, StudyError):
        text = str(original).capitalize() + "."
    else:
        ref = secrets.token_hex(3).upper()
        gate_failed(interaction)
        log.error("interaction failed (ref %s)", ref, exc_info=original)
        text = f"Sorry, something went wrong on my side (ref `{ref}`). Please try again."
    try:
        await send_private(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


# --- teachers -------------------------------------------------------------------------------


class NotTeacher(app_commands.CheckFailure):
    """Shown as is (privately) by the bot's error handler: a calm refusal, not an error."""


async def is_teacher(interaction: discord.Interaction) -> bool:
    """Manage Server (administrators have it), or the server's configured teacher role.

    The permission needs no database, so the common case costs nothing before the command
    defers; only members without it look up the teacher role."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise NotTeacher("That belongs to a server: use it in the server's channels.")
    if interaction.permissions.manage_guild:
        return True
    service = cast(StudyHost, interaction.client).service
    settings = await service.server_settings_for_guild(interaction.guild.id)
    role_id = settings.teacher_role_id if settings is not None else None
    if role_id is not None and interaction.user.get_role(role_id) is not None:
        return True
    raise NotTeacher(
        "Only teachers can do that: members with Manage Server, or with the server's teacher "
        "role. Ask one of them if something needs changing."
    )


T = TypeVar("T")


def teacher_only() -> Callable[[T], T]:
    """An app-command check: `@teacher_only()` on any command that changes a server's setup."""
    return app_commands.check(is_teacher)


# --- time zones (/remind, /settings) --------------------------------------------------------

# Offered before anything is typed: the zones most students are in.
POPULAR_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)


@lru_cache(maxsize=1)
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def skill_choices(current: str) -> list[app_commands.Choice[str]]:
    """Skills whose name or description contains what is typed; at most 25, Discord's limit
    (/quiz and /assign create offer the same list)."""
    typed = current.lower().strip()
    return [
        app_commands.Choice(name=f"{s.name} — {s.description}"[:100], value=s.name)
        for s in SKILLS.values()
        if typed in s.name or typed in s.description.lower()
    ][:25]


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    """IANA zones matching what is typed (spaces count as underscores), names starting with it
    first; at most 25, Discord's limit."""
    typed = current.strip().lower().replace(" ", "_")
    if not typed:
        names = list(POPULAR_ZONES)
    else:
        matching = [z for z in _all_zones() if typed in z.lower()]
        names = sorted(matching, key=lambda z: (not _starts_with(z, typed), z))
    return [app_commands.Choice(name=z, value=z) for z in names[:25]]


def _starts_with(name: str, typed: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(typed) or lowered.split("/")[-1].startswith(typed)


def valid_zone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True
