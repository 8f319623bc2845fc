"""Shared cog helpers: what the answer image holds."""

from __future__ import annotations

import discord

from bot.cogs import common
from bot.math.parser import parse
from bot.math.render import Rendered
from bot.math.rules import Step


async def test_the_answer_image_starts_with_the_reading_then_the_steps(monkeypatch) -> None:
    drawn: list[list[str]] = []

    async def arender(pool, lines, *, theme, fallback_text):  # type: ignore[no-untyped-def]
        drawn.append(list(lines))
        return Rendered(b"\x89PNG fake", "", "")

    monkeypatch.setattr(common.tasks, "arender", arender)
    reading = parse("1/2x")
    steps = [Step("power", "Power rule", r"\frac{d}{dx} x^{-1} = -x^{-2}", "d/dx x^-1 = -x^-2")]
    embed = discord.Embed()
    file = await common.attach_steps(None, embed, steps, reading=reading)  # type: ignore[arg-type]
    assert file is not None and embed.image.url == "attachment://steps.png"
    first, second = drawn[0]
    assert first == f"Your answer, as I read it:  ${reading.latex}$"
    assert "frac{1}{2 x}" in first  # 1/2x read as 1/(2x), shown as such
    assert second.startswith("Power rule:")
    # no steps yet (a wrong answer): the reading alone; neither: no image at all
    assert await common.attach_steps(None, discord.Embed(), (), reading=reading) is not None  # type: ignore[arg-type]
    assert drawn[-1] == [first]
    assert await common.attach_steps(None, discord.Embed(), ()) is None  # type: ignore[arg-type]
