"""The deployment files (issue 14): docker-compose, the Dockerfile, .env.example, and the
container's start-up steps that can run without Docker (wait for the database, then start)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.app import serve
from bot.config import Settings, settings_table
from bot.db.engine import wait_until_ready

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = {line.split("=", 1)[0] for line in text.splitlines() if "=" in line and line[0] != "#"}
    missing = [name for name, _default, _meaning in settings_table() if name not in names]
    assert not missing, f".env.example lacks {missing}"
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"} <= names  # compose's own


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _d, _m in settings_table() if f"| `{name}` |" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"


def test_compose_runs_the_bot_after_a_healthy_postgres() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    bot, postgres = compose["services"]["bot"], compose["services"]["postgres"]
    assert bot["build"] == "."
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["env_file"] == ".env"  # secrets from .env, never in the file
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in bot["environment"]["DATABASE_URL"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # a named volume: data survives the container


def test_dockerfile_is_slim_non_root_and_runs_the_bot() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0].startswith("FROM python:") and lines[0].endswith("-slim")
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    cmd = [line for line in lines if line.startswith("CMD ")][-1]
    assert '"derivbot", "run", "--wait-db"' in cmd
    for needed in ("bot", "cards", "migrations"):  # read beside the package at run time
        assert any(line.startswith(f"COPY {needed} ") for line in lines)


async def test_waiting_for_a_database_that_answers_returns_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    assert await wait_until_ready(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", timeout=5) is None
    assert time.monotonic() - started < 5


async def test_waiting_for_a_database_that_never_answers_gives_up() -> None:
    started = time.monotonic()
    error = await wait_until_ready(
        "postgresql+asyncpg://nobody@127.0.0.1:9/none", timeout=1.5, interval=0.5
    )
    assert isinstance(error, OSError)
    assert time.monotonic() - started < 10


def test_run_gives_up_when_the_database_never_answers(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DISCORD_TOKEN": "not-a-real-token",
        "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--wait-db", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert "did not answer within 1 s" in done.stderr


def test_shard_settings() -> None:
    settings = Settings(shard_count=4, shard_ids="2, 3", _env_file=None)
    assert settings.shard_ids == [2, 3]
    with pytest.raises(ValueError, match="between 0 and 3"):
        Settings(shard_count=4, shard_ids="4", _env_file=None)
    with pytest.raises(ValueError, match="needs SHARD_COUNT"):
        Settings(shard_ids="0", _env_file=None)


class _FakeBot:
    """What `serve` needs of a bot: start until closed, stop gracefully."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self.stops = 0

    async def __aenter__(self) -> _FakeBot:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.closed.set()

    async def start(self, token: str) -> None:
        await self.closed.wait()

    async def stop_gracefully(self) -> None:
        self.stops += 1
        self.closed.set()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_stops_the_bot_gracefully_once(signum: int) -> None:
    bot = _FakeBot()
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, os.kill, os.getpid(), signum)
    loop.call_later(0.3, os.kill, os.getpid(), signum)  # a second signal changes nothing
    await asyncio.wait_for(serve(bot, "token"), 10)  # type: ignore[arg-type]
    assert bot.stops == 1
