"""The guard's AnnoMI benchmark: its bookkeeping, and its targets when the data is present."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "guard_annomi", ROOT / "bench" / "guard_annomi.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


bench = _load_bench()

needs_data = pytest.mark.skipif(
    not bench.DEFAULT_CSV.is_file(),
    reason=f"AnnoMI dev data not found at {bench.DEFAULT_CSV} (it is not part of the repository)",
)

COLUMNS = [
    "mi_quality",
    "transcript_id",
    "utterance_id",
    "interlocutor",
    "utterance_text",
    "annotator_id",
    "therapist_input_subtype",
    "question_exists",
    "question_subtype",
    "main_therapist_behaviour",
]


def _row(transcript: int, utterance: int, text: str, label: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "n/a")
    row.update(
        mi_quality="high",
        transcript_id=str(transcript),
        utterance_id=str(utterance),
        interlocutor="therapist",
        utterance_text=text,
        annotator_id="1",
        question_exists="True" if label == "question" else "False",
        main_therapist_behaviour=label,
    )
    row.update(extra)
    return row


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_missing_data_is_reported_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main([str(tmp_path / "absent.csv")]) == 0
    assert "not found" in capsys.readouterr().out


def test_annotators_are_merged_by_majority(tmp_path: Path) -> None:
    rows = [
        _row(1, 0, "What matters most to you?", "question", question_subtype="open"),
        _row(1, 0, "What matters most to you?", "question", question_subtype="open"),
        _row(1, 0, "What matters most to you?", "reflection"),
        _row(1, 1, "Member words.", "n/a", interlocutor="client"),
        _row(
            1,
            2,
            "You could ask for an extension.",
            "therapist_input",
            therapist_input_subtype="advice",
        ),
    ]
    items = bench.load(_write(tmp_path / "tiny.csv", rows))
    assert [(u.label, u.question_subtype, u.input_subtype) for u in items] == [
        ("question", "open", "n/a"),
        ("therapist_input", "n/a", "advice"),
    ]


def test_measure_counts_each_figure(tmp_path: Path) -> None:
    rows = [
        _row(1, 0, "What matters most to you?", "question", question_subtype="open"),
        _row(1, 1, "Did it work?", "question", question_subtype="closed"),
        _row(1, 2, "How did that feel?", "question", question_subtype="closed"),
        _row(2, 0, "You want a calmer week.", "reflection"),
        _row(2, 1, "So you should rest more.", "reflection"),
        _row(2, 2, "Try a shorter list.", "therapist_input", therapist_input_subtype="advice"),
        _row(2, 3, "Thanks for coming in.", "other"),
    ]
    figures = bench.measure(bench.load(_write(tmp_path / "tiny.csv", rows)))
    assert figures["utterances"] == 7
    assert figures["question precision"] == 1.0
    assert figures["question recall"] == 1.0
    assert figures["open/closed accuracy"] == pytest.approx(2 / 3)
    assert figures["advice recall"] == 1.0
    assert figures["reflections flagged"] == 0.5
    assert figures["reflection recall"] == 0.5
    assert figures["therapist_input precision"] == 0.5
    assert bench.targets_met(figures)["reflections flagged"] is False


def test_the_simple_file_layout_measures_main_labels_only(tmp_path: Path) -> None:
    rows = [_row(1, 0, "What matters most to you?", "question")]
    for row in rows:
        for column in ("question_exists", "question_subtype", "therapist_input_subtype"):
            del row[column]
    path = tmp_path / "simple.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    figures = bench.measure(bench.load(path))
    assert figures["question F1 (main label)"] == 1.0
    assert figures["question F1 (detector)"] != figures["question F1 (detector)"]  # NaN


def test_halves_split_by_transcript_deterministically(tmp_path: Path) -> None:
    rows = [_row(t, u, "Okay.", "other") for t in (3, 10, 1, 2) for u in range(2)]
    items = bench.load(_write(tmp_path / "tiny.csv", rows))
    half_a, half_b = bench.halves(items)
    assert {u.transcript for u in half_a} == {"1", "3"}
    assert {u.transcript for u in half_b} == {"2", "10"}
    assert bench.halves(list(reversed(items)))[0] == list(reversed(half_a))


@pytest.fixture(scope="module")
def annomi() -> dict[str, dict[str, float]]:
    items = bench.load(bench.DEFAULT_CSV)
    half_a, half_b = bench.halves(items)
    return {"full": bench.measure(items), "A": bench.measure(half_a), "B": bench.measure(half_b)}


@needs_data
@pytest.mark.parametrize(
    "name",
    ["question F1 (detector)", "open/closed accuracy", "advice recall", "reflections flagged"],
)
def test_annomi_target_is_met_on_the_full_dev_file(
    annomi: dict[str, dict[str, float]], name: str
) -> None:
    assert bench.targets_met(annomi["full"])[name], f"{name}: {annomi['full'][name]:.3f}"


@needs_data
@pytest.mark.xfail(
    strict=True,
    reason="main-label question F1 is 0.83 on the full file (0.86 on the development half, "
    "0.80 held out): about half of the false positives are utterances the annotators agree "
    "contain a question but label by another behaviour, which a sentence classifier cannot see",
)
def test_annomi_main_label_question_f1_target(annomi: dict[str, dict[str, float]]) -> None:
    assert bench.targets_met(annomi["full"])["question F1 (main label)"]


@needs_data
def test_annomi_held_out_half_stays_close_to_the_development_half(
    annomi: dict[str, dict[str, float]],
) -> None:
    # Rules were written against half A only; a large gap would mean they memorised it.
    for name in ("question F1 (detector)", "open/closed accuracy", "advice recall"):
        assert abs(annomi["A"][name] - annomi["B"][name]) < 0.1, name
    assert annomi["B"]["reflections flagged"] <= bench.MAX_REFLECTIONS_FLAGGED
