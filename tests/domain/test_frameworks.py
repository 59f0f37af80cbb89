"""Framework files: every shipped file loads and keeps the coaching contract; broken files
fail with a message that names the field and the line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.domain.frameworks import (
    SHIPPED,
    CaptureKind,
    Catalogue,
    Framework,
    FrameworkError,
    ProbeWhen,
    Store,
    builtin_dir,
    load_framework,
    parse_framework,
)
from bot.domain.guard import SentenceKind, check_question, classify_sentence
from bot.domain.reflect import match_options

SHIPPED_FILES = sorted(builtin_dir().glob("*.toml"))
CATALOGUE = Catalogue.load()
UNLISTED = ("commitment_checkin", "officehours_followup")

# ---------------------------------------------------------------------------- shipped files


def test_catalogue_loads_every_shipped_framework() -> None:
    assert set(CATALOGUE.ids()) >= set(SHIPPED)
    assert len(CATALOGUE) == len(SHIPPED_FILES)


def test_every_shipped_id_has_its_own_file() -> None:
    assert sorted(p.stem for p in SHIPPED_FILES) == sorted([*SHIPPED, *UNLISTED])


def test_members_can_start_only_the_listed_frameworks() -> None:
    assert CATALOGUE.ids() == sorted(SHIPPED)
    assert all(not CATALOGUE.get(fid).listed for fid in UNLISTED)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_file_parses(path: Path) -> None:
    fw = load_framework(path)
    assert fw.id == path.stem
    assert fw == CATALOGUE.get(fw.id)


def _stages() -> list[tuple[Framework, int]]:
    return [(fw, n) for fw in CATALOGUE for n in range(len(fw.stages))]


def _stage_id(item: object) -> str:
    fw, n = item  # type: ignore[misc]
    return f"{fw.id}.{fw.stages[n].id}"


OPENERS = re.compile(
    r"^(?:what|how|which|where|when|who|tell me|describe|walk me through|in what way)\b", re.I
)
FRAMING = re.compile(r"^(?:imagine|picture)\b", re.I)
BANNED = re.compile(
    r"\b(?:you should|should you|try|i suggest|consider\w*|make sure|it'?s important"
    r"|what if you|how about|why|you must|you need to|you have to|you could|great|well done"
    r"|diagnos\w*|medication\w*|diet\w*)\b",
    re.I,
)
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _fill(text: str) -> str:
    return PLACEHOLDER.sub("“a senior role by June”", text)


def _open_question_problems(text: str) -> list[str]:
    problems = []
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    question = sentences[-1]
    if len(text) > 200:
        problems.append(f"{len(text)} characters")
    if text.count("?") != 1 or not question.endswith("?"):
        problems.append("not exactly one question, ending in '?'")
    if len(sentences) > 2 or (len(sentences) == 2 and not FRAMING.match(sentences[0])):
        problems.append("framing other than one 'Imagine...' or 'Picture...' sentence")
    if not OPENERS.match(question):
        problems.append("does not open with an open-question word")
    if match := BANNED.search(text):
        problems.append(f"banned wording {match.group(0)!r}")
    problems += [f"{v.rule}: {v.detail}" for v in check_question(_fill(text))]
    return problems


@pytest.mark.parametrize("item", _stages(), ids=_stage_id)
def test_questions_are_single_open_questions(item: tuple[Framework, int]) -> None:
    fw, n = item
    stage = fw.stages[n]
    assert len(stage.questions) >= 3
    texts = [*stage.questions, *(p.text for p in stage.probes)]
    problems = {t: p for t in texts if (p := _open_question_problems(t))}
    assert problems == {}


@pytest.mark.parametrize("item", _stages(), ids=_stage_id)
def test_reflection_stems_are_pure_reflections(item: tuple[Framework, int]) -> None:
    fw, n = item
    stage = fw.stages[n]
    assert 2 <= len(stage.reflections) <= 3
    sample = {CaptureKind.SCALE: "6", CaptureKind.CHOICE: "work and finances"}
    for stem in stage.reflections:
        assert PLACEHOLDER.findall(stem) == ["answer"], stem
        assert "?" not in stem
        assert not BANNED.search(stem), stem
        filled = stem.format(answer=sample.get(stage.capture.kind, "“a senior role by June”"))
        assert classify_sentence(filled) is SentenceKind.REFLECTION, filled


@pytest.mark.parametrize("fw", CATALOGUE.listed(), ids=lambda f: f.id)
def test_each_framework_ends_in_one_stored_commitment(fw: Framework) -> None:
    stored = [s for s in fw.stages if s.capture.store is Store.COMMITMENT]
    assert [s.id for s in stored] == [fw.stages[-1].id]
    last = fw.stages[-1]
    assert last.capture.kind is CaptureKind.COMMITMENT
    assert any(p.when is ProbeWhen.NO_DUE_DATE for p in last.probes)
    assert all(s.summary_label for s in fw.stages)


def _shape(fw: Framework) -> list[tuple[str, str, str | None]]:
    return [
        (s.id, s.capture.kind.value, s.capture.store.value if s.capture.store else None)
        for s in fw.stages
    ]


def test_grow_shape() -> None:
    fw = CATALOGUE.get("grow")
    assert _shape(fw) == [
        ("goal", "text", "goal"),
        ("reality", "text", None),
        ("options", "text", None),
        ("way_forward", "commitment", "commitment"),
    ]
    options = fw.stage("options")
    assert options.max_probes == 2
    assert any(p.text.lower().startswith("what else") for p in options.probes)


def test_solution_focused_shape() -> None:
    fw = CATALOGUE.get("solution_focused")
    ids = [s.id for s in fw.stages]
    assert ids == ["preferred_future", "exceptions", "scale", "one_point_up", "next_step"]
    assert fw.stage("scale").capture.kind is CaptureKind.SCALE
    assert any("{scale_up}" in q for q in fw.stage("one_point_up").questions)
    assert any(q.startswith("Imagine") for q in fw.stage("preferred_future").questions)


def test_feedback_sandwich_draws_feedback_from_the_member() -> None:
    fw = CATALOGUE.get("feedback_sandwich")
    ids = [s.id for s in fw.stages]
    order = ["strengths", "improve", "encouragement", "commitment"]
    assert [i for i in ids if i in order] == order
    assert any("friend" in q for q in fw.stage("encouragement").questions)


def test_stress_debrief_shape() -> None:
    fw = CATALOGUE.get("stress_debrief")
    first = fw.stages[0]
    assert first.only_if == "fact_last_action"
    assert any("{fact_last_action}" in q for q in first.questions)
    score = fw.stage("stress_score").capture
    assert (score.kind, score.store) == (CaptureKind.SCALE, Store.STRESS_SCORE)
    pattern = fw.stage("pattern")
    assert any("{fact_last_score}" in q for q in pattern.questions)
    assert any("{" not in q for q in pattern.questions)
    web = fw.stage("stressors").capture
    assert web.kind is CaptureKind.CHOICE
    assert [o.id for o in web.options] == ["work", "relationships", "finances", "health"]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("my boss moved the deadline again", ["work"]),
        ("rent went up and my partner is away", ["relationships", "finances"]),
        ("I barely slept and feel tired all the time", ["health"]),
        ("the interview loop plus bills", ["work", "finances"]),
        ("my parents visited", ["relationships"]),
    ],
)
def test_web_of_stressors_keywords(said: str, expected: list[str]) -> None:
    options = CATALOGUE.get("stress_debrief").stage("stressors").capture.options
    assert match_options(options, said) == expected


PRINCIPLES = [
    "customer_obsession",
    "ownership",
    "invent_and_simplify",
    "are_right_a_lot",
    "learn_and_be_curious",
    "hire_and_develop_the_best",
    "insist_on_the_highest_standards",
    "think_big",
    "bias_for_action",
    "frugality",
    "earn_trust",
    "dive_deep",
    "have_backbone",
    "deliver_results",
    "best_employer",
    "broad_responsibility",
]


def test_star_story_shape() -> None:
    fw = CATALOGUE.get("star_story")
    ids = [s.id for s in fw.stages]
    assert ids[:5] == ["situation", "task", "actions", "result", "reflection"]
    assert any(p.when is ProbeWhen.NO_NUMBER for p in fw.stage("result").probes)
    principles = fw.stage("principles").capture
    assert principles.kind is CaptureKind.CHOICE
    assert [o.id for o in principles.options] == PRINCIPLES
    assert all(o.keywords for o in principles.options)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("ownership and bias for action", ["ownership", "bias_for_action"]),
        ("I pushed back on the design and dug into the logs", ["dive_deep", "have_backbone"]),
        ("it shows customer obsession, and we delivered on time", ["customer_obsession"]),
    ],
)
def test_principle_keywords(said: str, expected: list[str]) -> None:
    options = CATALOGUE.get("star_story").stage("principles").capture.options
    assert set(expected) <= set(match_options(options, said))


# ------------------------------------------------------------------------------ broken files

VALID = """\
id = "mini"
title = "Mini"
purpose = "A small framework for the loader tests."

[[stages]]
id = "goal"
title = "Goal"
purpose = "Name the goal."
questions = [
    "What would you like to reach?",
    "What do you want from {topic}?",
    "Which result matters most?",
]
reflections = ["Your goal: {answer}."]

[stages.capture]
kind = "text"
key = "goal"
store = "goal"

[[stages.probes]]
text = "What else?"
when = "short"

[[stages]]
id = "step"
title = "Step"
purpose = "Pick a step."
questions = ["What will you do first?", "Which step comes after {goal}?"]

[stages.capture]
kind = "commitment"
key = "step"
store = "commitment"
"""


def _line(source: str, needle: str, occurrence: int = 0) -> int:
    hits = [n for n, line in enumerate(source.splitlines(), 1) if needle in line]
    return hits[occurrence]


def _broken(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


def _problems(source: str) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        parse_framework(source, "mini.toml")
    assert str(info.value).startswith("mini.toml: ")
    return info.value.problems


def test_valid_template_parses() -> None:
    fw = parse_framework(VALID)
    assert [s.id for s in fw.stages] == ["goal", "step"]


QUESTIONS_BLOCK = """questions = [
    "What would you like to reach?",
    "What do you want from {topic}?",
    "Which result matters most?",
]
"""

# (case, old, new, field, line needle and its occurrence in the broken text, message part)
BROKEN = [
    (
        "stage without questions",
        QUESTIONS_BLOCK,
        "",
        "stages.0.questions",
        ("[[stages]]", 0),
        "Field required",
    ),
    (
        "bad capture kind",
        'kind = "commitment"',
        'kind = "essay"',
        "stages.1.capture.kind",
        ('kind = "essay"', 0),
        "Input should be",
    ),
    (
        "choice without options",
        'kind = "text"',
        'kind = "choice"',
        "stages.0.capture",
        ("[stages.capture]", 0),
        "at least two options",
    ),
    (
        "placeholder before capture",
        '"Which result matters most?"',
        '"Which part of {step} matters most?"',
        "stages.0.questions.2",
        ("{step}", 0),
        "uses {step} before it is captured",
    ),
    (
        "duplicate stage id",
        'id = "step"',
        'id = "goal"',
        "stages.1.id",
        ('id = "goal"', 1),
        "stage id 'goal' is used twice",
    ),
    (
        "duplicate capture key",
        'key = "step"',
        'key = "goal"',
        "stages.1.capture.key",
        ('key = "goal"', 1),
        "capture key 'goal' is used twice",
    ),
    (
        "unknown field",
        'title = "Step"',
        'titel = "Step"',
        "stages.1.titel",
        ("titel", 0),
        "Extra inputs are not permitted",
    ),
    (
        "bad probe timing",
        'when = "short"',
        'when = "sometimes"',
        "stages.0.probes.0.when",
        ('when = "sometimes"', 0),
        "Input should be",
    ),
    (
        "reflection without answer slot",
        '"Your goal: {answer}."',
        '"Your goal."',
        "stages.0.reflections",
        ("reflections", 0),
        "the {answer} slot",
    ),
    (
        "commitment store on a text capture",
        'kind = "commitment"',
        'kind = "text"',
        "stages.1.capture",
        ("[stages.capture]", 1),
        "store = 'commitment' needs kind = 'commitment'",
    ),
    (
        "no question without placeholders",
        '"What will you do first?"',
        '"What will you do first about {goal}?"',
        "stages.1.questions",
        ('questions = ["What will you do first about', 0),
        "no placeholder other than its only_if",
    ),
    (
        "bad placeholder format",
        'text = "What else?"',
        'text = "What else about {goal!r}?"',
        "stages.0.probes.0.text",
        ("{goal!r}", 0),
        "bad placeholder",
    ),
    (
        "bad framework id",
        'id = "mini"',
        'id = "Mini Bot"',
        "id",
        ('id = "Mini Bot"', 0),
        "should match pattern",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "field", "needle", "message"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_file_names_field_and_line(
    old: str, new: str, field: str, needle: tuple[str, int], message: str
) -> None:
    source = _broken(old, new)
    problems = _problems(source)
    expected = f"line {_line(source, *needle)}: {field}: "
    hits = [p for p in problems if p.startswith(expected)]
    assert hits, problems
    assert message in hits[0]


def test_item_errors_do_not_also_report_a_too_short_sequence() -> None:
    problems = _problems(_broken('kind = "commitment"', 'kind = "essay"'))
    assert len(problems) == 1


def test_missing_field_points_at_its_own_table_not_the_next_one() -> None:
    source = _broken(QUESTIONS_BLOCK, "")
    (problem,) = _problems(source)
    assert problem.startswith(f"line {_line(source, '[[stages]]')}: stages.0.questions:")


def test_inline_tables_point_at_their_key_line() -> None:
    source = """\
id = "inline"
title = "Inline"
purpose = "Captures written as inline tables."

[[stages]]
id = "one"
title = "One"
purpose = "First."
questions = ["What comes first?"]
capture = { kind = "text", key = "one" }

[[stages]]
id = "two"
title = "Two"
purpose = "Second."
questions = ["What comes next?"]
capture = { kind = "list", key = "two" }
"""
    (problem,) = _problems(source)
    assert problem.startswith(f"line {_line(source, 'kind = ' + chr(34) + 'list')}: ")
    assert "stages.1.capture.kind" in problem


def test_invalid_toml_names_the_line() -> None:
    source = _broken('title = "Step"', 'title = "Step')
    (problem,) = _problems(source)
    assert problem.startswith("not valid TOML")
    assert f"line {_line(source, 'title = ' + chr(34) + 'Step')}" in problem


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="cannot read"):
        load_framework(tmp_path / "missing.toml")


# -------------------------------------------------------------------------------- catalogue


def test_catalogue_adds_frameworks_from_an_extra_folder(tmp_path: Path) -> None:
    (tmp_path / "mini.toml").write_text(VALID, encoding="utf-8")
    catalogue = Catalogue.load(tmp_path, None)
    assert "mini" in catalogue
    assert len(catalogue) == len(SHIPPED_FILES) + 1
    assert catalogue.ids() == sorted(catalogue.ids())


def test_catalogue_rejects_a_duplicate_id_from_an_extra_folder(tmp_path: Path) -> None:
    shutil.copy(builtin_dir() / "grow.toml", tmp_path / "my_grow.toml")
    with pytest.raises(FrameworkError) as info:
        Catalogue.load(tmp_path)
    assert info.value.path == tmp_path / "my_grow.toml"
    assert "'grow' is already used by" in str(info.value)
    assert str(builtin_dir() / "grow.toml") in str(info.value)


def test_catalogue_rejects_duplicate_frameworks_given_directly() -> None:
    grow = Catalogue.load().get("grow")
    with pytest.raises(ValueError, match="'grow' is defined twice"):
        Catalogue([grow, grow])


def test_catalogue_reports_a_broken_file_in_an_extra_folder(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(_broken('kind = "commitment"', 'kind = "essay"'), encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        Catalogue.load(tmp_path)
    assert info.value.path == broken
    assert "stages.1.capture.kind" in str(info.value)


def test_catalogue_get_unknown_id() -> None:
    with pytest.raises(KeyError):
        CATALOGUE.get("nope")
