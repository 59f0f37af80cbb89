"""Reflections: the member's own words given back before the next question."""

from __future__ import annotations

import re
from datetime import date

from bot.domain.dates import format_due, parse_due
from bot.domain.frameworks import CaptureKind, Option, Stage
from bot.domain.guard import check_turn
from bot.domain.state import CaptureValue
from bot.domain.text import (
    excerpt,
    join_labels,
    lower_first,
    mentions_second_person,
    normalise,
    quote,
    starts_first_person,
    swap_person,
    words,
)

# Answers that carry nothing to reflect; they still count as an answer.
FILLER = frozenset(
    {
        "yes",
        "yeah",
        "yep",
        "no",
        "nope",
        "ok",
        "okay",
        "sure",
        "maybe",
        "not sure",
        "idk",
        "i don't know",
        "i dont know",
        "dunno",
        "nothing",
        "none",
        "n a",
        "na",
    }
)
MIN_SUBSTANTIVE_WORDS = 3

_PARAPHRASE_LEADS = ("It sounds like", "So", "You're saying")
_QUOTE_STEMS = ("You said {answer}.", "In your words: {answer}.", "I heard {answer}.")
_SCALE_STEMS = ("You'd put it at {answer} out of 10.", "So {answer} out of 10 right now.")
_CHOICE_STEMS = ("So this touches {answer}.", "{answer_cap}, then.")
_COMMITMENT_STEMS = (
    "Your next step, in your words: {answer}.",
    "So the step you chose is {answer}.",
)


def is_substantive(text: str) -> bool:
    """Say whether an answer says enough to be worth reflecting."""
    return normalise(text) not in FILLER and len(words(text)) >= MIN_SUBSTANTIVE_WORDS


def match_options(options: tuple[Option, ...], text: str) -> list[str]:
    """Return the ids of the options the member's words point to, in option order."""
    said = f" {normalise(text)} "
    found = []
    for option in options:
        cues = {
            option.id.replace("_", " "),
            normalise(option.label),
            *map(normalise, option.keywords),
        }
        if any(re.search(rf"\b{re.escape(cue)}(s|es)?\b", said) for cue in cues if cue):
            found.append(option.id)
    return found


def option_labels(options: tuple[Option, ...], ids: list[str]) -> list[str]:
    """Return the labels of the chosen option ids."""
    by_id = {o.id: o.label for o in options}
    return [by_id[i] for i in ids if i in by_id]


def _clean(candidate: str) -> str | None:
    """Keep a candidate only if it holds as a pure reflection."""
    return candidate if not check_turn(candidate) else None


def _paraphrase(text: str, lead: str, suffix: str = "") -> str | None:
    """Give first-person words back in second person, or None when that would garble them."""
    if not starts_first_person(text) or mentions_second_person(text):
        return None
    body = lower_first(swap_person(excerpt(text, 18)))
    if body.endswith("…"):
        return None
    return _clean(f"{lead} {body}{suffix}.")


def reflect_topic(topic: str) -> str | None:
    """Say back what the member wants to talk about."""
    if not words(topic):
        return None
    if len(words(topic)) <= 12 and not mentions_second_person(topic):
        said = _clean(f"You'd like to talk about {swap_person(excerpt(topic, 12))}.")
        if said is not None:
            return said
    return f"You'd like to talk about {quote(topic)}."


def _stems(stage: Stage, defaults: tuple[str, ...]) -> tuple[str, ...]:
    return stage.reflections or defaults


def reflect_answer(
    stage: Stage, text: str, value: CaptureValue, *, turn: int, today: date
) -> str | None:
    """Reflect the main answer of a stage, or return None when there is nothing to reflect."""
    kind = stage.capture.kind
    if kind is CaptureKind.SCALE and value.score is not None:
        stems = _stems(stage, _SCALE_STEMS)
        return stems[turn % len(stems)].format(answer=value.score)
    if kind is CaptureKind.CHOICE and value.choices:
        labels = [
            lower_first(label) for label in option_labels(stage.capture.options, value.choices)
        ]
        joined = join_labels(labels)
        stems = _stems(stage, _CHOICE_STEMS)
        return stems[turn % len(stems)].format(
            answer=joined, answer_cap=joined[:1].upper() + joined[1:]
        )
    if not is_substantive(text):
        return None
    if kind is CaptureKind.COMMITMENT:
        due = ""
        if value.due is not None:
            # Words that already name the day get the exact date alongside, not a second "by".
            when = format_due(value.due, today)
            due = f" ({when})" if parse_due(excerpt(text, 18), today) else f", by {when}"
        lead = _PARAPHRASE_LEADS[turn % len(_PARAPHRASE_LEADS)]
        if (said := _paraphrase(text, lead, due)) is not None:
            return said
        stems = _stems(stage, _COMMITMENT_STEMS)
        return stems[turn % len(stems)].format(answer=quote(text) + due)
    return reflect_words(stage, text, turn=turn)


def reflect_words(stage: Stage, text: str, *, turn: int) -> str | None:
    """Reflect free text: first person comes back as a paraphrase, anything else quoted."""
    if not is_substantive(text):
        return None
    lead = _PARAPHRASE_LEADS[turn % len(_PARAPHRASE_LEADS)]
    if (said := _paraphrase(text, lead)) is not None:
        return said
    # A scale or choice stage's own stems expect a number or labels, not free words.
    free_text = stage.capture.kind in (CaptureKind.TEXT, CaptureKind.COMMITMENT)
    stems = _stems(stage, _QUOTE_STEMS) if free_text else _QUOTE_STEMS
    return stems[turn % len(stems)].format(answer=quote(text))
