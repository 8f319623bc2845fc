"""How the cogs depend on each other: not at all. What they share lives in helper modules
(`common`, `embeds`, `gate`) that are not extensions, or on the bot (`StudyHost`)."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.cogs
from bot.app import cog_modules

COGS = Path(bot.cogs.__file__).parent
HELPERS = {"bot.cogs.common", "bot.cogs.embeds", "bot.cogs.gate"}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, type-checking-only imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_helpers_are_not_loaded_as_extensions_and_every_cog_is() -> None:
    extensions = set(cog_modules())
    assert not extensions & HELPERS
    files = {f"bot.cogs.{p.stem}" for p in COGS.glob("*.py") if p.stem != "__init__"}
    assert extensions == files - HELPERS
    assert {"bot.cogs.quiz", "bot.cogs.review", "bot.cogs.reminders"} <= extensions


def test_no_cog_imports_another_cog_or_the_app() -> None:
    for path in COGS.glob("*.py"):
        own = f"bot.cogs.{path.stem}"
        others = {m for m in _imports(path) if m.startswith("bot.cogs.") and m != own}
        reached = {m.rsplit(".", 1)[0] if m.count(".") > 2 else m for m in others}
        assert reached <= HELPERS, f"{path.name} imports {sorted(reached - HELPERS)}"
        assert not {m for m in _imports(path) if m == "bot.app" or m.startswith("bot.app.")}, (
            f"{path.name} imports bot.app"
        )


def test_no_cog_looks_another_up_by_name() -> None:
    for path in COGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get_cog"
            ):
                assert not any(isinstance(a, ast.Constant) for a in node.args), (
                    f"{path.name}:{node.lineno} looks a cog up by its name"
                )


async def test_simcord_waits_for_slow_first_answers(env) -> None:
    """Every cog test runs with the longer settle timeout (tests/cogs/conftest.py)."""
    from tests.cogs.conftest import SETTLE_TIMEOUT

    assert env.settle_timeout == SETTLE_TIMEOUT
