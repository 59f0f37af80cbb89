"""Tests for the safety screen: normalisation, policy cases, the labelled set and the reply."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from bot.domain.guard import contains_clinical, contains_confronting
from bot.domain.safety import (
    CRISIS_DEFAULT_RESOURCES,
    RULE_NAMES,
    Concern,
    normalise,
    safety_message,
    screen,
)
from tests.domain.safety_cases import CASES, DEV, HELD_OUT, Case, Category

MIN_RECALL = {Category.CRISIS: 1.0, Category.INDIRECT: 0.95}
MAX_FALSE_POSITIVE_RATE = 0.03
# Labelled messages the screen gets wrong on purpose, each with the policy that causes it.
# A strict xfail: if a rule change fixes one, the test says so and it leaves this list.
KNOWN_DISAGREEMENTS = {
    "i can't take this anymore, I'm asking for a transfer": (
        "a bare 'can't take this anymore' flags; a practical next step in the following "
        "clause is not a safe enough signal to stay quiet"
    ),
}


def _case_id(case: Case) -> str:
    return f"{case.half}-{case.category}-{case.text[:40]}"


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        reason = KNOWN_DISAGREEMENTS.get(case.text)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(case, id=_case_id(case), marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_labelled_message(case: Case) -> None:
    result = screen(case.text)
    assert result.flagged == case.should_flag, result.matched


def test_labelled_set_meets_recall_and_false_positive_targets() -> None:
    flagged = {case: screen(case.text).flagged for case in CASES}
    misses: list[str] = []
    failures: list[str] = []
    for category, target in MIN_RECALL.items():
        cases = [c for c in CASES if c.category is category]
        recall = sum(flagged[c] for c in cases) / len(cases)
        misses += [f"missed {c.category}: {c.text!r}" for c in cases if not flagged[c]]
        if recall < target:
            failures.append(f"{category} recall {recall:.3f} < {target}")
    negatives = [c for c in CASES if not c.should_flag]
    false_alarms = [c for c in negatives if flagged[c]]
    misses += [f"false alarm {c.category}: {c.text!r}" for c in false_alarms]
    rate = len(false_alarms) / len(negatives)
    if rate > MAX_FALSE_POSITIVE_RATE:
        failures.append(f"false-positive rate {rate:.3f} > {MAX_FALSE_POSITIVE_RATE}")
    assert not failures, "; ".join(failures) + "\n" + "\n".join(misses)


def test_labelled_set_has_the_promised_shape() -> None:
    texts = [case.text for case in CASES]
    assert len(texts) == len(set(texts)), "duplicate labelled messages"
    assert len(CASES) >= 320
    assert sum(case.should_flag for case in CASES) >= 100
    per_half = Counter((case.half, case.category) for case in CASES)
    assert all(per_half[(half, c)] >= 25 for half in (DEV, HELD_OUT) for c in Category)


# --- Normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I WANT to Die!!!", "i want to die"),
        ("I’m done… really", "i am done . really"),
        ("i dont wanna, i cant", "i do not want to . i can not"),
        ("ive had enough, im out", "i have had enough . i am out"),
        ("I don't and I won't", "i do not and i will not"),
        ("soooo tiiired", "so tired"),
        ("i want to diiiie", "i want to die"),
        ("killlll myslef", "kill myself"),
        ("kms", "kill myself"),
        ("sewer slide", "suicide"),
        ("un-alive", "unalive"),
        ("su1c1de", "suicide"),
        ("self-harm", "selfharm"),
        ("my self", "myself"),
        ("  ...  ", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_normalise_keeps_a_clause_end_between_sentences() -> None:
    folded = normalise("I can't go on. The project, though")
    assert folded == "i can not go on . the project . though"


# --- Policy cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "my flatmate told me he wants to end his life",
        "I stopped self harming a year ago",
        "i'm not suicidal, just exhausted",
        "if i have to redo this deck again i'll kms",
        "ugh. kill me.",
        "I'd rather die than keep waking up like this",
        "He said he'd kill me if I ever left",
        "i should just kys",
        "I WANT TO DIE",
        "wanna end it all tbh",
        "i want to end it tonight",
    ],
)
def test_flags_policy_cases(text: str) -> None:
    assert screen(text).flagged


@pytest.mark.parametrize(
    "text",
    [
        "I'd rather die than run another all-hands",
        "my dad will kill me if I drop out of the course",
        "lol kys",
        "you should just kys",
        "I want to kill my manager, he moved the deadline again",
        "I want to end it with my cofounder",
        "I'm going to die if this standup runs over again",
        "my battery is about to die",
        "thinking about jumping ship to a startup",
        "they pushed me to apply for the promotion",
        "i'm afraid of them finding out i'm interviewing",
        "I overdosed on espresso before the panel",
        "drowning myself in work to avoid thinking about it",
        "we got new blades for the cluster",
        "I did something stupid today in the interview",
        "",
    ],
)
def test_leaves_figures_of_speech_alone(text: str) -> None:
    assert not screen(text).flagged, screen(text).matched


@pytest.mark.parametrize(
    ("text", "concerns"),
    [
        ("i want to kill myself", (Concern.SUICIDE,)),
        ("I started cutting again", (Concern.SELF_HARM,)),
        ("my stepmum slaps me", (Concern.UNSAFE_AT_HOME,)),
        ("i'm planning to hurt someone", (Concern.HARM_TO_OTHERS,)),
        ("he hits me and i want to die", (Concern.SUICIDE, Concern.UNSAFE_AT_HOME)),
    ],
)
def test_names_the_concern(text: str, concerns: tuple[Concern, ...]) -> None:
    assert screen(text).concerns == concerns


def test_matched_holds_rule_names_never_member_text() -> None:
    for case in CASES:
        result = screen(case.text)
        assert set(result.matched) <= RULE_NAMES
        assert result.flagged == bool(result.matched) == bool(result.concerns)
    matched = screen("Zorblax says i want to kill myself, Quuxly").matched
    assert matched
    assert not any("zorblax" in name or "quuxly" in name for name in matched)


def test_screen_is_immutable() -> None:
    result = screen("i want to die")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.flagged = False  # type: ignore[misc]


# --- The reply -------------------------------------------------------------------------------


def test_safety_message_includes_the_servers_resources() -> None:
    resources = "Call our community's listener line: see #get-help."
    message = safety_message(resources)
    assert resources in message
    assert CRISIS_DEFAULT_RESOURCES not in message


@pytest.mark.parametrize("resources", [None, "", "   \n"])
def test_safety_message_falls_back_to_the_default(resources: str | None) -> None:
    assert CRISIS_DEFAULT_RESOURCES in safety_message(resources)


def test_safety_message_says_what_the_bot_is_and_what_happens_next() -> None:
    message = safety_message(None)
    assert "not an emergency service" in message
    assert "AI coach" in message
    assert "mentor" in message
    assert "whenever you choose" in message
    assert len(message) < 700
    assert not contains_clinical(message)
    assert not contains_confronting(message)


def test_default_resources_name_emergency_numbers_and_international_directories() -> None:
    assert "emergency number" in CRISIS_DEFAULT_RESOURCES
    assert "findahelpline.com" in CRISIS_DEFAULT_RESOURCES
    assert "iasp.info" in CRISIS_DEFAULT_RESOURCES


def test_safety_message_promises_a_mentor_only_when_one_is_told() -> None:
    quiet = safety_message(None, mentors_told=False)
    assert "mentor" not in quiet
    assert "not an emergency service" in quiet
    assert CRISIS_DEFAULT_RESOURCES in quiet
    assert "whenever you choose" in quiet
    assert not contains_confronting(quiet)
