"""The state of one coaching conversation and what a turn returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.frameworks import Store


class Status(StrEnum):
    """Where a conversation stands."""

    ACTIVE = "active"
    PAUSED = "paused"
    DONE = "done"
    ENDED = "ended"


class Phase(StrEnum):
    """Whether the stage waits for its main answer or for a probe's answer."""

    ANSWER = "answer"
    PROBE = "probe"


class ReplyKind(StrEnum):
    """What a coach message is, for the contract and for rendering."""

    QUESTION = "question"
    REFLECTION = "reflection"
    SUMMARY = "summary"
    NOTICE = "notice"
    SAFETY = "safety"  # the caring reply to a flagged message, and nothing else


class CaptureValue(BaseModel):
    """What the member said for one stage."""

    model_config = ConfigDict(extra="ignore")

    text: str = ""
    score: int | None = Field(default=None, ge=0, le=10)
    choices: list[str] = Field(default_factory=list)
    due: date | None = None
    extras: list[str] = Field(default_factory=list)


class SessionState(BaseModel):
    """Everything needed to pick a conversation up again, as plain JSON."""

    model_config = ConfigDict(extra="ignore")

    framework_id: str
    framework_version: int = 1
    stage_id: str
    phase: Phase = Phase.ANSWER
    probes_asked: int = 0
    reasks: int = 0
    status: Status = Status.ACTIVE
    captures: dict[str, CaptureValue] = Field(default_factory=dict)
    facts: dict[str, str] = Field(default_factory=dict)
    history: list[str] = Field(default_factory=list)
    last_question: str = ""
    seed: int = 0
    turns: int = 0
    # Paused by the safety screen: the next message picks up gently, it is not an answer.
    held: bool = False

    @property
    def finished(self) -> bool:
        """Say whether the conversation is over."""
        return self.status in (Status.DONE, Status.ENDED)


@dataclass(frozen=True)
class Reply:
    """One coach message."""

    kind: ReplyKind
    text: str


@dataclass(frozen=True)
class Stored:
    """A capture to keep beyond the session: a goal, a commitment or a stress score."""

    store: Store
    stage_id: str
    key: str
    value: CaptureValue


@dataclass(frozen=True)
class TurnResult:
    """The replies of one turn and the state after it."""

    state: SessionState
    replies: list[Reply]
    stored: list[Stored] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Say whether this turn finished the conversation."""
        return self.state.finished

    @property
    def text(self) -> str:
        """All replies as one message, in order."""
        return "\n\n".join(r.text for r in self.replies)
