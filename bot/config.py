"""Settings from the environment or `.env`, read once and cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Every setting the bot reads; nothing is created at import time."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    frameworks_dir: Path | None = Field(
        default=None, description="Extra folder of framework TOML files a mentor adds."
    )

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout: float = Field(default=6.0, gt=0, le=60)

    scheduler_enabled: bool = True
    planner_seconds: float = Field(default=30.0, gt=0)
    # Share of Discord's 50/s global limit the whole bot may use for scheduled DMs; each of
    # the PROCESS_COUNT processes that run the scheduler sends at SEND_RATE / PROCESS_COUNT.
    send_rate: float = Field(default=40.0, gt=0, le=45)
    # How long a sender owns the rows it claimed; a crashed sender's rows return after this.
    outbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Unset: one per shard when SHARD_ID is set (a process per shard), else 1.
    process_count: int | None = Field(default=None, ge=1, le=64)
    # Unset, both: one shard. SHARD_COUNT alone (a number, or "auto" for Discord's advice)
    # runs every shard in this process; with SHARD_ID this process runs that one shard.
    shard_id: int | None = Field(default=None, ge=0)
    shard_count: int | Literal["auto"] | None = None

    log_level: str = "INFO"
    # One JSON object per line for log collectors, or plain lines for a terminal.
    log_format: Literal["text", "json"] = "text"
    default_timezone: str = "UTC"

    # /healthz and /metrics: off when HEALTH_PORT is empty; 0 picks a free port (tests).
    health_host: str = "127.0.0.1"
    health_port: int | None = Field(default=None, ge=0, le=65535)
    # How often the database is probed; a loss shows within this plus the probe's timeout.
    health_check_seconds: float = Field(default=5.0, gt=0, le=60)

    # An empty line in .env (as in .env.example) means unset, not "" or the current folder.
    @field_validator(
        "discord_token",
        "openai_api_key",
        "discord_guild_id",
        "frameworks_dir",
        "health_port",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("process_count", "shard_id", "shard_count", mode="before")
    @classmethod
    def _blank_or_word(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        count = self.shard_count
        if isinstance(count, int) and count < 1:
            raise ValueError("SHARD_COUNT must be at least 1 (or auto)")
        if self.shard_id is not None and not isinstance(count, int):
            raise ValueError("SHARD_ID needs SHARD_COUNT set to the number of shards")
        if self.shard_id is not None and isinstance(count, int) and self.shard_id >= count:
            raise ValueError(f"SHARD_ID must be below SHARD_COUNT ({count}): shards count from 0")
        return self

    @property
    def processes(self) -> int:
        """How many processes share SEND_RATE."""
        if self.process_count is not None:
            return self.process_count
        if self.shard_id is not None and isinstance(self.shard_count, int):
            return self.shard_count
        return 1

    @property
    def process_send_rate(self) -> float:
        """Scheduled DMs per second from this process: its share of SEND_RATE."""
        return self.send_rate / self.processes

    @property
    def runs_shard_zero(self) -> bool:
        """Whether this process holds shard 0, which gets the DMs; it also syncs commands."""
        return self.shard_id in (None, 0)

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'mentorbot.db').as_posix()}"


def normalise_database_url(url: str) -> str:
    """Pick the async driver for a plain database URL."""
    for plain, async_prefix in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return async_prefix + url[len(plain) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read on first use."""
    return Settings()
