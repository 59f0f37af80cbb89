"""The dialogue engine: one member message in, the coach's replies and the new state out."""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain.dates import parse_due
from bot.domain.frameworks import (
    PLACEHOLDER_RE,
    CaptureKind,
    Framework,
    ProbeWhen,
    Stage,
    Store,
)
from bot.domain.reflect import match_options, reflect_answer, reflect_topic, reflect_words
from bot.domain.state import (
    CaptureValue,
    Phase,
    Reply,
    ReplyKind,
    SessionState,
    Status,
    Stored,
    TurnResult,
)
from bot.domain.summary import summarise
from bot.domain.text import has_number, join_labels, normalise, quote, swap_person, words

COMMANDS = {
    "skip": "skip",
    "back": "back",
    "go back": "back",
    "pause": "pause",
    "end": "end",
    "stop": "end",
    "quit": "end",
    "help": "help",
    "resume": "resume",
}
NOTHING_MORE = frozenset(
    {
        "no",
        "nope",
        "nothing",
        "nothing else",
        "none",
        "no more",
        "not really",
        "that's it",
        "thats it",
        "that's all",
        "thats all",
        "that is all",
        "that is it",
        "i think that's it",
        "nothing more",
        "no thanks",
        "done",
        "all good",
    }
)
SHORT_ANSWER_WORDS = 8
MAX_SCALE_REASKS = 2
_SCALE_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
_SCALE_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)(?![\d.])")

SCALE_REASKS = (
    "Where would you put it as a single number from 0 to 10?",
    "What number from 0 (not at all) to 10 (completely) fits best right now?",
)
HELP_TEXT = (
    "Answer in your own words. You can also send skip (next question), back (previous "
    "question), pause (stop for now, answers kept) or end (finish with a summary)."
)
PAUSE_TEXT = (
    "Paused. Your answers so far are saved; send resume, or just reply, whenever you want "
    "to carry on."
)
RESUME_TEXT = "Welcome back. Here is where we were."
FIRST_STAGE_TEXT = "This is the first question, so there is nothing to go back to."
FINISHED_TEXT = "This conversation has finished. You can start a new one whenever you like."
ENDED_TEXT = "Conversation ended. Thank you for the time you put into it."


@dataclass(frozen=True)
class Context:
    """What the engine needs from outside: the member's local date."""

    today: date


def parse_scale(text: str) -> int | None:
    """Read a 0-10 score from an answer, or None when there is none."""
    said = text.lower().replace("/10", " ").replace("out of 10", " ")
    if m := _SCALE_NUMBER.search(said):
        value = float(m[1])
        return round(value) if 0 <= value <= 10 else None
    for word in words(said):
        if word in _SCALE_WORDS:
            return _SCALE_WORDS[word]
    return None


def command_of(message: str) -> str | None:
    """Return the control command a message is, if it is one."""
    return COMMANDS.get(normalise(message.strip().lstrip("/!")))


def _active_stages(fw: Framework, facts: Mapping[str, str]) -> list[Stage]:
    return [s for s in fw.stages if s.only_if is None or facts.get(s.only_if)]


def progress(fw: Framework, state: SessionState) -> tuple[int, int]:
    """Return the 1-based number of the current stage and how many stages there are."""
    stages = _active_stages(fw, state.facts)
    ids = [s.id for s in stages]
    return (ids.index(state.stage_id) + 1 if state.stage_id in ids else len(ids)), len(ids)


def _slot_values(state: SessionState) -> dict[str, str]:
    """Fill-ins for question placeholders: facts and earlier captures."""
    values: dict[str, str] = {}
    for key, fact in state.facts.items():
        if not fact:
            continue
        if key == "topic":
            values[key] = quote(fact, 10) if "you" in words(fact) else swap_person(fact.strip())
        elif key.startswith("fact_") and not fact.strip().isdigit():
            values[key] = quote(fact, 12)
        else:
            values[key] = fact.strip()
    for key, value in state.captures.items():
        if value.score is not None:
            values[key] = str(value.score)
            if value.score < 10:
                values[f"{key}_up"] = str(value.score + 1)
        elif value.choices:
            values[key] = join_labels(value.choices)
        elif value.text:
            values[key] = quote(value.text, 10)
    return values


def _fill(text: str, values: Mapping[str, str]) -> str:
    """Put the fill-ins into a question whose slots are all known."""
    return PLACEHOLDER_RE.sub(lambda m: values[m[1]], text)


def _ask(fw: Framework, stage: Stage, state: SessionState) -> tuple[str, SessionState]:
    """Pick the stage's question for this turn, filled in, and remember it."""
    values = _slot_values(state)
    usable = [q for q in stage.questions if set(PLACEHOLDER_RE.findall(q)) <= values.keys()]
    if stage.only_if:
        # A stage that exists for a fact asks about it by name where a variant can.
        naming = [q for q in usable if f"{{{stage.only_if}}}" in q]
        usable = naming or usable
    pick = (state.seed + zlib.crc32(stage.id.encode()) + state.reasks) % len(usable)
    question = _fill(usable[pick], values)
    return question, state.model_copy(update={"last_question": question})


def _reply(kind: ReplyKind, text: str | None) -> list[Reply]:
    return [Reply(kind, text)] if text else []


def start(
    fw: Framework, ctx: Context, *, facts: Mapping[str, str] | None = None, seed: int = 0
) -> TurnResult:
    """Open a conversation: reflect the topic if one was given, then ask the first question."""
    facts = {k: v.strip() for k, v in (facts or {}).items() if v and v.strip()}
    first = _active_stages(fw, facts)[0]
    state = SessionState(
        framework_id=fw.id, framework_version=fw.version, stage_id=first.id, facts=facts, seed=seed
    )
    replies = _reply(ReplyKind.REFLECTION, reflect_topic(facts.get("topic", "")))
    question, state = _ask(fw, first, state)
    return TurnResult(state, [*replies, Reply(ReplyKind.QUESTION, question)])


def resume(fw: Framework, state: SessionState) -> TurnResult:
    """Pick a paused conversation up where it stopped."""
    if state.finished:
        return TurnResult(state, [Reply(ReplyKind.NOTICE, FINISHED_TEXT)])
    state = _realign(fw, state).model_copy(update={"status": Status.ACTIVE, "held": False})
    question = state.last_question or _ask(fw, fw.stage(state.stage_id), state)[0]
    return TurnResult(
        state.model_copy(update={"last_question": question}),
        [Reply(ReplyKind.NOTICE, RESUME_TEXT), Reply(ReplyKind.QUESTION, question)],
    )


def _realign(fw: Framework, state: SessionState) -> SessionState:
    """Keep a saved state usable when its framework file changed since."""
    if state.stage_id in {s.id for s in fw.stages}:
        return state
    first = _active_stages(fw, state.facts)[0]
    return state.model_copy(
        update={"stage_id": first.id, "phase": Phase.ANSWER, "last_question": ""}
    )


def hold(state: SessionState, reply: str) -> TurnResult:
    """Pause for the safety screen: the reply is the safety response and nothing else."""
    held = state.model_copy(
        update={"status": Status.PAUSED, "held": True, "turns": state.turns + 1}
    )
    return TurnResult(held, [Reply(ReplyKind.SAFETY, reply)])


def respond(fw: Framework, state: SessionState, message: str, ctx: Context) -> TurnResult:
    """Take one member message and return the coach's replies and the new state."""
    if state.finished:
        return TurnResult(state, [Reply(ReplyKind.NOTICE, FINISHED_TEXT)])
    if state.held and command_of(message) not in ("end", "pause"):
        # After a safety pause, whatever the member says next reopens gently: no answer taken.
        return resume(fw, state.model_copy(update={"turns": state.turns + 1}))
    state = _realign(fw, state).model_copy(update={"turns": state.turns + 1})
    command = command_of(message)
    if command == "resume":
        return resume(fw, state)
    if state.status is Status.PAUSED:
        state = state.model_copy(update={"status": Status.ACTIVE})
    stage = fw.stage(state.stage_id)
    if not message.strip():
        return TurnResult(state, [Reply(ReplyKind.QUESTION, state.last_question)])
    if command == "help":
        return TurnResult(
            state,
            [Reply(ReplyKind.NOTICE, HELP_TEXT), Reply(ReplyKind.QUESTION, state.last_question)],
        )
    if command == "pause":
        paused = state.model_copy(update={"status": Status.PAUSED})
        return TurnResult(paused, [Reply(ReplyKind.NOTICE, PAUSE_TEXT)])
    if command == "end":
        return _finish(fw, state, Status.ENDED, [], ctx)
    if command == "back":
        return _back(fw, state)
    if command == "skip":
        return _advance(fw, state, [], ctx)
    if state.phase is Phase.PROBE:
        return _take_probe_answer(fw, stage, state, message, ctx)
    return _take_answer(fw, stage, state, message, ctx)


def _take_answer(
    fw: Framework, stage: Stage, state: SessionState, message: str, ctx: Context
) -> TurnResult:
    text = message.strip()
    value = CaptureValue(text=text)
    kind = stage.capture.kind
    if kind is CaptureKind.SCALE:
        score = parse_scale(text)
        if score is None:
            return _reask_scale(fw, stage, state, text, ctx)
        value = value.model_copy(update={"score": score})
    elif kind is CaptureKind.CHOICE:
        value = value.model_copy(update={"choices": match_options(stage.capture.options, text)})
    elif kind is CaptureKind.COMMITMENT:
        value = value.model_copy(update={"due": parse_due(text, ctx.today)})
    captures = {**state.captures, stage.capture.key: value}
    state = state.model_copy(update={"captures": captures, "reasks": 0})
    reflection = reflect_answer(stage, text, value, turn=state.turns, today=ctx.today)
    return _next_step(fw, stage, state, _reply(ReplyKind.REFLECTION, reflection), ctx)


def _reask_scale(
    fw: Framework, stage: Stage, state: SessionState, text: str, ctx: Context
) -> TurnResult:
    """Ask again for a number, reflecting what was said instead; move on after two tries."""
    reasks = state.reasks + 1
    replies = _reply(ReplyKind.REFLECTION, reflect_words(stage, text, turn=state.turns))
    if reasks > MAX_SCALE_REASKS:
        captures = {**state.captures, stage.capture.key: CaptureValue(text=text)}
        state = state.model_copy(update={"captures": captures, "reasks": 0})
        return _advance(fw, state, replies, ctx)
    question = SCALE_REASKS[(reasks - 1) % len(SCALE_REASKS)]
    state = state.model_copy(update={"reasks": reasks, "last_question": question})
    return TurnResult(state, [*replies, Reply(ReplyKind.QUESTION, question)])


def _take_probe_answer(
    fw: Framework, stage: Stage, state: SessionState, message: str, ctx: Context
) -> TurnResult:
    text = message.strip()
    if normalise(text) in NOTHING_MORE:
        return _advance(fw, state, [], ctx)
    key = stage.capture.key
    value = state.captures.get(key, CaptureValue())
    update: dict[str, object] = {"extras": [*value.extras, text]}
    if stage.capture.kind is CaptureKind.COMMITMENT and value.due is None:
        update["due"] = parse_due(text, ctx.today)
    if stage.capture.kind is CaptureKind.CHOICE:
        more = match_options(stage.capture.options, text)
        update["choices"] = [c for c in dict.fromkeys([*value.choices, *more])]
    value = value.model_copy(update=update)
    state = state.model_copy(update={"captures": {**state.captures, key: value}})
    if stage.capture.kind is CaptureKind.COMMITMENT:
        # A "by when?" answer is best given back as the whole step with its date.
        reflection = reflect_answer(stage, value.text, value, turn=state.turns, today=ctx.today)
    else:
        reflection = reflect_words(stage, text, turn=state.turns)
    return _next_step(fw, stage, state, _reply(ReplyKind.REFLECTION, reflection), ctx)


def _probe_applies(when: ProbeWhen, value: CaptureValue | None) -> bool:
    if value is None:
        return False
    said = " ".join([value.text, *value.extras])
    if when is ProbeWhen.SHORT:
        return len(words(said)) < SHORT_ANSWER_WORDS
    if when is ProbeWhen.NO_NUMBER:
        return not has_number(said)
    if when is ProbeWhen.NO_DUE_DATE:
        return value.due is None
    return True


def _next_step(
    fw: Framework, stage: Stage, state: SessionState, replies: list[Reply], ctx: Context
) -> TurnResult:
    """Ask the stage's next probe if one applies, else move to the next stage."""
    if stage.probes and state.probes_asked < stage.max_probes:
        value = state.captures.get(stage.capture.key)
        values = _slot_values(state)
        for offset in range(len(stage.probes)):
            probe = stage.probes[(state.probes_asked + offset) % len(stage.probes)]
            fillable = set(PLACEHOLDER_RE.findall(probe.text)) <= values.keys()
            if fillable and _probe_applies(probe.when, value):
                question = _fill(probe.text, values)
                state = state.model_copy(
                    update={
                        "phase": Phase.PROBE,
                        "probes_asked": state.probes_asked + 1,
                        "last_question": question,
                    }
                )
                return TurnResult(state, [*replies, Reply(ReplyKind.QUESTION, question)])
    return _advance(fw, state, replies, ctx)


def _advance(fw: Framework, state: SessionState, replies: list[Reply], ctx: Context) -> TurnResult:
    """Move to the next stage that applies, or finish with a summary."""
    stages = _active_stages(fw, state.facts)
    ids = [s.id for s in stages]
    position = ids.index(state.stage_id) if state.stage_id in ids else -1
    history = [*state.history, state.stage_id]
    if position + 1 >= len(stages):
        return _finish(fw, state.model_copy(update={"history": history}), Status.DONE, replies, ctx)
    following = stages[position + 1]
    state = state.model_copy(
        update={
            "stage_id": following.id,
            "phase": Phase.ANSWER,
            "probes_asked": 0,
            "reasks": 0,
            "history": history,
        }
    )
    question, state = _ask(fw, following, state)
    return TurnResult(state, [*replies, Reply(ReplyKind.QUESTION, question)])


def _back(fw: Framework, state: SessionState) -> TurnResult:
    """Return to the previous stage and ask it again, dropping its answer."""
    if not state.history:
        return TurnResult(
            state,
            [
                Reply(ReplyKind.NOTICE, FIRST_STAGE_TEXT),
                Reply(ReplyKind.QUESTION, state.last_question),
            ],
        )
    previous = state.history[-1]
    stage = fw.stage(previous)
    captures = {k: v for k, v in state.captures.items() if k != stage.capture.key}
    state = state.model_copy(
        update={
            "stage_id": previous,
            "history": state.history[:-1],
            "captures": captures,
            "phase": Phase.ANSWER,
            "probes_asked": 0,
            "reasks": 0,
        }
    )
    question, state = _ask(fw, stage, state)
    return TurnResult(state, [Reply(ReplyKind.QUESTION, question)])


def _finish(
    fw: Framework, state: SessionState, status: Status, replies: list[Reply], ctx: Context
) -> TurnResult:
    """Close the conversation with the member's own words summarised."""
    state = state.model_copy(update={"status": status, "last_question": ""})
    summary = summarise(fw, state, ctx.today)
    out = [*replies, Reply(ReplyKind.SUMMARY, summary)]
    if status is Status.ENDED:
        out.append(Reply(ReplyKind.NOTICE, ENDED_TEXT))
    stored = [
        Stored(stage.capture.store, stage.id, stage.capture.key, state.captures[stage.capture.key])
        for stage in fw.stages
        if stage.capture.store is not None
        and _storable(stage.capture.store, state.captures.get(stage.capture.key))
    ]
    return TurnResult(state, out, stored)


def _storable(store: Store, value: CaptureValue | None) -> bool:
    if value is None:
        return False
    if store is Store.STRESS_SCORE:
        return value.score is not None
    return bool(value.text.strip())
