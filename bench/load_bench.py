"""200 students answering at once, a tenth of them hostile, against the real bot stack.

simcord runs the real discord.py client against an in-memory Discord. Its public actor API
settles the bot after every action (one at a time), so to make 200 answers arrive *together*
the bench emits all 200 modal submissions before letting the bot run once (settling is
suspended while firing; simcord's own payload building and dispatch are used unchanged).

Measured: acknowledgement latency per interaction (from the moment all answers are in to the
bot's first response call: defer, modal or message), event-loop lag (a 10 ms heartbeat's worst
overshoot while the burst is handled), and how many interactions missed Discord's 3-second
deadline.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import discord
import simcord
import sympy as sp

from bot.app import create_bot
from bot.config import Settings

STUDENTS = int(__import__("os").environ.get("DERIVBOT_BENCH_STUDENTS", "200"))
HOSTILE = ["@everyone", "__import__('os').system('ls')", "9^9^9", "x" * 499, "(" * 60]
SKILLS = ["power", "sum", "chain", "product", "trig"]


class AckClock:
    """Records when the bot first answers each interaction (by patching discord.py's
    response methods, which every acknowledgement goes through)."""

    def __init__(self) -> None:
        self.acked: dict[int, float] = {}
        self._originals: dict[str, object] = {}

    def install(self) -> None:
        for name in ("defer", "send_message", "send_modal"):
            original = getattr(discord.InteractionResponse, name)
            self._originals[name] = original

            def wrapper(self_, *args, __original=original, **kwargs):
                self.acked.setdefault(self_._parent.id, time.perf_counter())
                return __original(self_, *args, **kwargs)

            setattr(discord.InteractionResponse, name, wrapper)

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            setattr(discord.InteractionResponse, name, original)


async def _heartbeat(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(max(0.0, time.perf_counter() - start - 0.01))


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _run(db: Path) -> dict[str, object]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{db}", math_timeout=2.0, _env_file=None)
    bot = create_bot(settings)
    async with simcord.run(bot, settle_timeout=600.0) as env:
        bot.clock = env.now
        await bot.tree.sync()
        guild = env.create_guild("Load test")
        channel = guild.create_text_channel("study")
        prepared = []
        for k in range(STUDENTS):  # set-up, not measured: each student opens a problem
            member = guild.add_member(env.create_user(f"student{k}"))
            result = await member.slash(channel, "quiz", skill=SKILLS[k % len(SKILLS)], level=1)
            message = result.response
            token = message.components[0]["components"][0]["custom_id"].split(":")[2]
            problem = await bot.service.problem_for(token)
            shown = await member.click(message, label="Answer")
            answer = HOSTILE[k % len(HOSTILE)] if k % 10 == 0 else sp.sstr(problem.answer)
            prepared.append((member, shown, answer))

        # one full round first, so one-time costs (lazy imports, first renders) are not counted
        warm = guild.add_member(env.create_user("warm-up"))
        result = await warm.slash(channel, "quiz", skill="power", level=1)
        shown = await warm.click(result.response, label="Answer")
        await warm.submit_modal(shown, {"answer": "x"})

        clock = AckClock()
        clock.install()
        real_settle = env._settle_internal

        async def no_settle(*args: object, **kwargs: object) -> None:
            return None

        env._settle_internal = no_settle  # fire everything before the bot runs
        ids = []
        try:
            for member, shown, answer in prepared:
                result = await member.submit_modal(shown, {"answer": answer})
                ids.append(result._interaction.id)
        finally:
            env._settle_internal = real_settle
        stop, lags = asyncio.Event(), []
        beat = asyncio.create_task(_heartbeat(stop, lags))
        fired = time.perf_counter()
        await env.settle(timeout=600.0)
        total = time.perf_counter() - fired
        stop.set()
        await beat
        clock.uninstall()
    acks = [(clock.acked[i] - fired) * 1000 for i in ids if i in clock.acked]
    missing = len(ids) - len(acks)
    return {
        "students (hostile)": f"{STUDENTS} ({sum(1 for k in range(STUDENTS) if k % 10 == 0)})",
        "ack p50 (ms)": round(_percentile(acks, 50), 1),
        "ack p99 (ms)": round(_percentile(acks, 99), 1),
        "ack max (ms)": round(max(acks), 1),
        "missed 3 s deadlines": sum(1 for a in acks if a > 3000) + missing,
        "event-loop lag max (ms)": round(max(lags, default=0.0) * 1000, 1),
        "event-loop lag p99 (ms)": round(_percentile(lags or [0.0], 99) * 1000, 1),
        "all answers handled in (s)": round(total, 2),
    }


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_run(Path(tmp) / "load.db"))


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
