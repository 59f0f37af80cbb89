"""Prometheus metrics in one registry, and the one-line calls that count events."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# A registry of our own, so tests and a second bot in one process never collide with
# another library's metrics; the process, platform and GC collectors are added to it.
REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

INTERACTIONS = Counter(
    "mentorbot_interactions",
    "Interactions received, by kind (command, autocomplete, component, modal) and command.",
    ["kind", "command"],
    registry=REGISTRY,
)
INTERACTION_SECONDS = Histogram(
    "mentorbot_interaction_seconds",
    "Time to handle an application command or autocomplete, by outcome "
    "(ok, refused with a message to the member, expired, error).",
    ["kind", "command", "outcome"],
    # Discord drops an interaction not acknowledged within 3 s: the buckets bracket that.
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
CONVERSATIONS_STARTED = Counter(
    "mentorbot_conversations_started",
    "Coaching conversations started, by framework.",
    ["framework"],
    registry=REGISTRY,
)
CONVERSATIONS_FINISHED = Counter(
    "mentorbot_conversations_finished",
    "Coaching conversations finished, by framework and status (done or ended).",
    ["framework", "status"],
    registry=REGISTRY,
)
SCHEDULED_DMS = Counter(
    "mentorbot_scheduled_dms",
    "Scheduled DMs settled, by outcome (sent, undeliverable, expired, cancelled).",
    ["outcome"],
    registry=REGISTRY,
)
MODEL_CALLS = Counter(
    "mentorbot_model_calls",
    "Calls to the language model, by outcome (ok or error).",
    ["outcome"],
    registry=REGISTRY,
)
MODEL_FALLBACKS = Counter(
    "mentorbot_model_fallbacks",
    "Turns that fell back to the built-in question bank, by reason.",
    ["reason"],
    registry=REGISTRY,
)
SAFETY_FLAGS = Counter(
    "mentorbot_safety_flags",
    "Member messages flagged by the safety screen, by concern.",
    ["concern"],
    registry=REGISTRY,
)
HEALTH = Gauge(
    "mentorbot_health_check",
    "1 while a health check passes, 0 while it fails (gateway, database, scheduler).",
    ["check"],
    registry=REGISTRY,
)

SETTLED_OUTCOMES = ("sent", "undeliverable", "expired", "cancelled")


def interaction_received(kind: str, command: str) -> None:
    """Count one interaction as it arrives."""
    INTERACTIONS.labels(kind=kind, command=command).inc()


def command_handled(kind: str, command: str, seconds: float, outcome: str) -> None:
    """Record how long an application command or autocomplete took, and how it ended."""
    INTERACTION_SECONDS.labels(kind=kind, command=command, outcome=outcome).observe(seconds)


def conversation_started(framework_id: str) -> None:
    """Count a conversation opened in a framework."""
    CONVERSATIONS_STARTED.labels(framework=framework_id).inc()


def conversation_finished(framework_id: str, status: str) -> None:
    """Count a conversation that reached its end (done) or was ended by the member."""
    CONVERSATIONS_FINISHED.labels(framework=framework_id, status=status).inc()


def scheduled_dms(outcome: str, count: int = 1) -> None:
    """Count scheduled DMs settled with one outcome."""
    if outcome not in SETTLED_OUTCOMES:
        raise ValueError(f"not a settled outcome: {outcome}")
    if count > 0:
        SCHEDULED_DMS.labels(outcome=outcome).inc(count)


def model_call(*, ok: bool) -> None:
    """Count one call to the language model."""
    MODEL_CALLS.labels(outcome="ok" if ok else "error").inc()


def model_fallback(reason: str) -> None:
    """Count a turn that used the question bank instead of the model, and why."""
    MODEL_FALLBACKS.labels(reason=reason).inc()


def safety_flagged(concerns: Iterable[str]) -> None:
    """Count a flagged message once per concern it raised."""
    for concern in dict.fromkeys(concerns):
        SAFETY_FLAGS.labels(concern=concern).inc()


def exposition() -> bytes:
    """Every metric in the Prometheus text format."""
    return generate_latest(REGISTRY)
