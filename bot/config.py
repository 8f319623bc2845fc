"""Runtime settings, read once from the environment and an optional ``.env`` file.

Everything that differs between a laptop and a deployment lives here, so that the code never
reads ``os.environ`` itself and the README's settings table can be generated from one place
(:func:`settings_table`). Variables are named after the fields in upper case (``DATABASE_URL``
for ``database_url``); real environment variables win over ``.env``; blank values count as
unset, so ``DEV_GUILD_ID=`` in a ``.env`` file means "no dev guild".
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "get_settings", "settings_table"]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
SchedulerName = Literal["sm2", "fsrs"]


class Settings(BaseSettings):
    """The bot's configuration; per-user and per-server overrides live in the database."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        validate_default=True,
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///./derivbot.db",
        description=(
            "SQLAlchemy async URL of the database: `sqlite+aiosqlite:///path.db` (default, a file "
            "in the working directory) or `postgresql+asyncpg://user:pass@host/db`."
        ),
    )
    discord_token: SecretStr | None = Field(
        default=None, description="Discord bot token; needed only to run the Discord front-end."
    )
    dev_guild_id: int | None = Field(
        default=None,
        description="Guild where slash commands are synced instantly during development.",
    )
    log_level: LogLevel = Field(
        default="INFO", description="Logging level: DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
    default_scheduler: SchedulerName = Field(
        default="sm2",
        description="Spaced-repetition scheduler (`sm2` or `fsrs`) for servers and users who "
        "have not chosen one.",
    )
    new_per_day: int = Field(
        default=10, ge=0, description="Default number of new items introduced per day."
    )
    reviews_per_day: int = Field(
        default=200, ge=0, description="Default maximum number of reviews per day."
    )
    day_start_hour: int = Field(
        default=4,
        ge=0,
        le=23,
        description="Local hour at which a study day starts (late-night reviews count for the "
        "previous day).",
    )
    default_timezone: str = Field(
        default="UTC", description="IANA time zone for users who have not set one."
    )
    math_timeout: float = Field(
        default=2.0, gt=0, description="Seconds a single check or render may take in a worker."
    )
    math_workers: int | None = Field(
        default=None,
        ge=1,
        description="Number of math worker processes (default: from the CPU count, at most 4).",
    )

    shard_count: int | None = Field(
        default=None,
        ge=1,
        description="Total number of shards across every process (Discord requires sharding "
        "from 2,500 servers). Unset: one unsharded connection.",
    )
    shard_ids: Annotated[list[int] | None, NoDecode] = Field(
        default=None,
        description="The shards this process runs, e.g. `0,1` (needs SHARD_COUNT; unset: all "
        "of them). Several processes split the range between them.",
    )
    stop_grace: float = Field(
        default=8.0,
        gt=0,
        le=60,
        description="Seconds a SIGTERM waits for interactions in flight before closing (the "
        "process exits within this plus about a second).",
    )
    upkeep_hours: float = Field(
        default=1.0,
        ge=0,
        description="Hours between two database upkeep passes (pruning expired presentations, "
        "refreshing the planner's statistics); 0: never (run `derivbot db prune` instead).",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port of the Prometheus metrics endpoint (`/metrics`); unset: no endpoint.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address the metrics endpoint listens on (`0.0.0.0` inside a container).",
    )

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value

    @model_validator(mode="after")
    def _shards_in_range(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT")
            if not self.shard_ids or len(set(self.shard_ids)) != len(self.shard_ids):
                raise ValueError("SHARD_IDS must list distinct shard numbers")
            if any(not 0 <= shard < self.shard_count for shard in self.shard_ids):
                raise ValueError(f"SHARD_IDS must be between 0 and {self.shard_count - 1}")
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("default_scheduler", mode="before")
    @classmethod
    def _lower_scheduler(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use (``get_settings.cache_clear()`` re-reads)."""
    return Settings()


def _default_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return "(secret)"
    return str(value)


def settings_table() -> list[tuple[str, str, str]]:
    """``(ENV_VAR, default, description)`` for every setting, in declaration order.

    The README's configuration table is generated from this, so the docs cannot drift from the
    code. An empty default means "unset".
    """
    return [
        (name.upper(), _default_text(field.default), field.description or "")
        for name, field in Settings.model_fields.items()
    ]
