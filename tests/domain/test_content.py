"""Every question, probe and reflection stem in the frameworks keeps the coaching contract."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from bot.domain.frameworks import Catalogue, Framework
from bot.domain.guard import (
    SentenceKind,
    check_question,
    check_turn,
    classify_sentence,
    contains_clinical,
    contains_confronting,
    split_sentences,
)

SAMPLE_ANSWER = "“sample words”"

# (id, kind, text): kind is "question" for question variants and probes, "reflection" for stems.
Item = tuple[str, str, str]


def content_items(frameworks: Iterable[Framework]) -> list[Item]:
    """List every coach sentence a framework can send, with a readable id."""
    items: list[Item] = []
    for fw in frameworks:
        for stage in fw.stages:
            base = f"{fw.id}/{stage.id}"
            items += [(f"{base}/q{i}", "question", q) for i, q in enumerate(stage.questions, 1)]
            items += [
                (f"{base}/probe{i}", "question", p.text) for i, p in enumerate(stage.probes, 1)
            ]
            items += [
                (f"{base}/reflection{i}", "reflection", r)
                for i, r in enumerate(stage.reflections, 1)
            ]
    return items


def problems(kind: str, text: str) -> list[str]:
    """Say what breaks the contract in one piece of framework content."""
    if kind == "question":
        return [f"{v.rule}: {v.detail}" for v in check_question(text)]
    filled = text.replace("{answer}", SAMPLE_ANSWER)
    found = [f"{v.rule}: {v.detail}" for v in check_turn(filled)]
    kinds = [classify_sentence(s) for s in split_sentences(filled)]
    if not kinds or any(k is not SentenceKind.REFLECTION for k in kinds):
        found.append(f"not a reflection: {[k.value for k in kinds]}")
    return found


SHIPPED_ITEMS = content_items(Catalogue.load())


@pytest.mark.parametrize(
    ("kind", "text"), [i[1:] for i in SHIPPED_ITEMS], ids=[i[0] for i in SHIPPED_ITEMS]
)
def test_shipped_content_keeps_the_contract(kind: str, text: str) -> None:
    assert problems(kind, text) == []


GOOD_SAMPLE = """
id = "sample_good"
title = "Sample"
purpose = "A framework used only by the content test."

[[stages]]
id = "goal"
title = "Goal"
purpose = "Name the goal."
questions = ["What would you like to be different by the end of the month?",
             "Think of the week ahead. What matters most in it?"]
reflections = ["So what you want is {answer}.", "It sounds like {answer} matters to you."]
[stages.capture]
key = "goal"
[[stages.probes]]
text = "Tell me more about that."
"""

BAD_SAMPLE = """
id = "sample_bad"
title = "Sample"
purpose = "A framework whose content breaks the contract."

[[stages]]
id = "goal"
title = "Goal"
purpose = "Name the goal."
questions = ["Have you considered a smaller goal?", "Do you have a goal?"]
reflections = ["You should focus on {answer}.", "Next, {answer}?"]
[stages.capture]
key = "goal"
[[stages.probes]]
text = "Why didn't you set one earlier?"
"""


def _load_sample(tmp_path: Path, source: str, framework_id: str) -> list[Item]:
    (tmp_path / f"{framework_id}.toml").write_text(source, encoding="utf-8")
    return content_items([Catalogue.load(tmp_path).get(framework_id)])


def test_a_sample_framework_that_keeps_the_contract_passes(tmp_path: Path) -> None:
    items = _load_sample(tmp_path, GOOD_SAMPLE, "sample_good")
    assert [i[0] for i in items] == [
        "sample_good/goal/q1",
        "sample_good/goal/q2",
        "sample_good/goal/probe1",
        "sample_good/goal/reflection1",
        "sample_good/goal/reflection2",
    ]
    assert {i[0]: problems(i[1], i[2]) for i in items} == {i[0]: [] for i in items}


def test_a_sample_framework_that_breaks_the_contract_is_flagged(tmp_path: Path) -> None:
    items = _load_sample(tmp_path, BAD_SAMPLE, "sample_bad")
    flagged = {i[0] for i in items if problems(i[1], i[2])}
    assert flagged == {i[0] for i in items}


# --- what the bot sends outside a framework --------------------------------------------


def _scheduled_texts() -> list[tuple[str, str]]:
    from bot.domain import reminders

    return [
        ("debrief", reminders.DEBRIEF),
        ("nudge", reminders.NUDGE),
        ("checkin", reminders.checkin_text("update my CV and send it to two recruiters")),
    ]


@pytest.mark.parametrize(("name", "text"), _scheduled_texts(), ids=lambda v: str(v)[:20])
def test_scheduled_dms_are_one_open_question(name: str, text: str) -> None:
    body = text.split("\n", 1)[1]  # the first line is a small heading
    assert check_turn(body) == [], name
    assert body.rstrip().endswith("?"), name


def _notices() -> list[str]:
    from bot.domain import dialogue

    return [
        dialogue.HELP_TEXT,
        dialogue.PAUSE_TEXT,
        dialogue.RESUME_TEXT,
        dialogue.FIRST_STAGE_TEXT,
        dialogue.FINISHED_TEXT,
        dialogue.ENDED_TEXT,
        *dialogue.SCALE_REASKS,
    ]


@pytest.mark.parametrize("text", _notices(), ids=lambda v: v[:24])
def test_process_notices_never_confront_or_talk_clinically(text: str) -> None:
    assert not contains_confronting(text)
    assert not contains_clinical(text)
    assert text.count("?") <= 1
