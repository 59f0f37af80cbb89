"""Score coach turns against the coaching contract (DESIGN.md section 3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.domain.guard import (
    SentenceKind,
    Violation,
    check_turn,
    classify_sentence,
    split_sentences,
    strip_quotes,
)
from bot.domain.reflect import is_substantive
from bot.domain.state import Reply, ReplyKind


@dataclass(frozen=True)
class Exchange:
    """One member message (None for the opening) and the coach's replies to it."""

    said: str | None
    replies: Sequence[Reply]


@dataclass
class ContractReport:
    """Counts over a conversation, in the MITI sense, and every rule broken."""

    questions: int = 0
    open_questions: int = 0
    reflections: int = 0
    advice: int = 0
    structure: int = 0
    safety: int = 0
    violations: list[tuple[int, Violation]] = field(default_factory=list)

    @property
    def non_directive_share(self) -> float:
        """(Questions + reflections) over (questions + reflections + advice or information)."""
        total = self.questions + self.reflections + self.advice
        return 1.0 if total == 0 else (self.questions + self.reflections) / total

    @property
    def open_share(self) -> float:
        """Share of questions that are open."""
        return 1.0 if self.questions == 0 else self.open_questions / self.questions

    @property
    def reflections_per_question(self) -> float:
        """Reflections for every question asked."""
        return float("inf") if self.questions == 0 else self.reflections / self.questions


def _count(reply: Reply, report: ContractReport) -> None:
    if reply.kind is ReplyKind.SAFETY:
        # T6: the safety response stands outside coaching and is counted on its own.
        report.safety += 1
        return
    if reply.kind is ReplyKind.NOTICE:
        # Process notices (paused, help) are structure, not coaching content.
        report.structure += 1
        return
    if reply.kind in (ReplyKind.REFLECTION, ReplyKind.SUMMARY):
        report.reflections += 1
    for sentence in split_sentences(strip_quotes(reply.text)):
        kind = classify_sentence(sentence)
        if kind is SentenceKind.OPEN_QUESTION:
            report.questions += 1
            report.open_questions += 1
        elif kind is SentenceKind.CLOSED_QUESTION:
            report.questions += 1
        elif kind is SentenceKind.ADVICE:
            report.advice += 1


def check_exchange(exchange: Exchange, *, allow_closed: bool = False) -> list[Violation]:
    """Rules T1-T7 for one coach turn."""
    if any(r.kind is ReplyKind.SAFETY for r in exchange.replies):
        others = [r.kind.value for r in exchange.replies if r.kind is not ReplyKind.SAFETY]
        return [Violation("T6", f"safety reply mixed with {others}")] if others else []
    coaching = [r for r in exchange.replies if r.kind is not ReplyKind.NOTICE]
    spoken = "\n\n".join(r.text for r in coaching)
    problems = check_turn(spoken, allow_closed=allow_closed) if spoken else []
    asks = any(r.kind is ReplyKind.QUESTION for r in coaching)
    reflects = any(r.kind in (ReplyKind.REFLECTION, ReplyKind.SUMMARY) for r in coaching)
    if exchange.said is not None and is_substantive(exchange.said) and asks and not reflects:
        problems.append(Violation("T5", "no reflection before the next question"))
    return problems


def score(exchanges: Iterable[Exchange]) -> ContractReport:
    """Count and check every coach turn of a conversation."""
    report = ContractReport()
    for i, exchange in enumerate(exchanges):
        for reply in exchange.replies:
            _count(reply, report)
        report.violations.extend((i, v) for v in check_exchange(exchange))
    return report
