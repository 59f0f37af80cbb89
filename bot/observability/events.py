"""Conversation and safety events: one metric and one log line each, with ids only."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.observability import metrics

log = logging.getLogger("bot.events")


def conversation_started(framework_id: str, *, member_id: int, session_id: int) -> None:
    """Count and log a conversation opened in a framework."""
    metrics.conversation_started(framework_id)
    log.info(
        "conversation %s started (%s) for member %s",
        session_id,
        framework_id,
        member_id,
        extra={
            "event": "conversation_started",
            "framework": framework_id,
            "member_id": member_id,
            "session_id": session_id,
        },
    )


def conversation_finished(
    framework_id: str, status: str, *, member_id: int, session_id: int
) -> None:
    """Count and log a conversation that finished (done) or that the member ended."""
    metrics.conversation_finished(framework_id, status)
    log.info(
        "conversation %s %s (%s) for member %s",
        session_id,
        status,
        framework_id,
        member_id,
        extra={
            "event": "conversation_finished",
            "framework": framework_id,
            "status": status,
            "member_id": member_id,
            "session_id": session_id,
        },
    )


def safety_flagged(
    concerns: Iterable[object],
    rules: Iterable[str] = (),
    *,
    member_id: int,
    session_id: int | None,
) -> None:
    """Count a flagged message by concern; the log names concerns, rules and ids, not words."""
    names = [str(getattr(c, "value", c)) for c in concerns]
    matched = list(rules)
    metrics.safety_flagged(names)
    log.warning(
        "safety screen flagged a message from member %s (%s)",
        member_id,
        ", ".join(matched or names),
        extra={
            "event": "safety_flag",
            "concerns": names,
            "rules": matched,
            "member_id": member_id,
            "session_id": session_id,
        },
    )
