"""Settings from the environment or `.env`, read once and cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
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
    # Share of Discord's 50/s global limit this process may use for scheduled DMs.
    send_rate: float = Field(default=40.0, gt=0, le=45)
    # How long a sender owns the rows it claimed; a crashed sender's rows return after this.
    outbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)

    log_level: str = "INFO"
    default_timezone: str = "UTC"

    @field_validator("discord_token", "openai_api_key", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

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
