"""Logging set-up: plain lines for a terminal, or one JSON object per line for collectors."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}


# At DEBUG these libraries log SQL parameters, model requests and HTTP and gateway bodies,
# which carry member text; they never log below these levels, whatever LOG_LEVEL says.
PRIVATE_LOGGERS = {
    "sqlalchemy.engine": logging.WARNING,
    "aiosqlite": logging.INFO,
    "openai": logging.INFO,
    "discord.http": logging.INFO,
    "discord.gateway": logging.INFO,
    "discord.webhook": logging.INFO,
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the `extra` fields.

    Log calls pass ids (member, user, guild, interaction, session) and framework names as
    extra fields; member text never goes into a log call, so it never reaches this line.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a single line of JSON."""
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str keeps a stray object from losing the whole line.
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, fmt: str, *, stream: IO[str] | None = None) -> None:
    """Log to standard error in the chosen format, unless logging is set up already."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    # Like basicConfig, this leaves a root logger with handlers alone (a test runner's).
    logging.basicConfig(level=level, handlers=[handler])
    # Migrations announce every step at INFO; only their problems are worth a log line.
    root_level = logging.getLogger().level
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root_level))
    keep_member_text_out()


def keep_member_text_out() -> None:
    """Raise the libraries whose debug lines would quote members to a level that does not."""
    for name, floor in PRIVATE_LOGGERS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.level))
