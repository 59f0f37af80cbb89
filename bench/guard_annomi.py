"""Measure the turn guard's sentence classifier against human AnnoMI labels."""

# Usage: python bench/guard_annomi.py [CSV] [--misses LABEL] [--limit N]
#
# Each therapist utterance (several sentences) gets one predicted label by combining the kinds
# of its sentences in this order: any question sentence -> question; else any advice sentence
# -> therapist_input; else any reflection sentence -> reflection; else other. The guard itself
# acts per sentence (one advice sentence is enough for a T3 violation), so advice recall and the
# reflection false-alarm rate count an utterance as flagged when any of its sentences is advice.
#
# AnnoMI repeats some utterances once per annotator; those are merged by majority vote per
# (transcript_id, utterance_id), ties going to the label seen first. Rows are read at run time
# and never copied into the repository.

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.guard import (  # noqa: E402
    SentenceKind,
    classify_sentence,
    is_question,
    split_sentences,
)

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "annomi-dev" / "AnnoMI-full-dev.csv"
LABELS = ("question", "reflection", "therapist_input", "other")
QUESTIONS = {SentenceKind.OPEN_QUESTION, SentenceKind.CLOSED_QUESTION}
TARGETS = {
    "question F1 (detector)": 0.85,
    "question F1 (main label)": 0.85,
    "open/closed accuracy": 0.80,
    "advice recall": 0.70,
}
MAX_REFLECTIONS_FLAGGED = 0.10


@dataclass(frozen=True)
class Utterance:
    """One therapist utterance with its majority human labels."""

    text: str
    label: str
    question_subtype: str
    input_subtype: str
    has_question: bool


def _majority(values: list[str]) -> str:
    known = [v for v in values if v and v != "n/a"]
    return Counter(known).most_common(1)[0][0] if known else "n/a"


def load(path: Path) -> list[Utterance]:
    """Read therapist utterances, merging annotators by majority vote."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["interlocutor"] == "therapist":
                groups[(row["transcript_id"], row["utterance_id"])].append(row)
    items = []
    for rows in groups.values():
        label = _majority([r["main_therapist_behaviour"] for r in rows])
        if label not in LABELS:
            continue
        agreeing = [r for r in rows if r["main_therapist_behaviour"] == label]
        items.append(
            Utterance(
                text=rows[0]["utterance_text"],
                label=label,
                question_subtype=_majority([r["question_subtype"] for r in agreeing]),
                input_subtype=_majority([r["therapist_input_subtype"] for r in agreeing]),
                has_question=_majority([r["question_exists"] for r in rows]) == "True",
            )
        )
    return items


def kinds_of(text: str) -> list[SentenceKind]:
    """Classify every sentence of an utterance."""
    return [classify_sentence(s) for s in split_sentences(text)]


def combine(kinds: list[SentenceKind]) -> str:
    """Turn sentence kinds into one utterance label (question > advice > reflection > other)."""
    if any(k in QUESTIONS for k in kinds):
        return "question"
    if SentenceKind.ADVICE in kinds:
        return "therapist_input"
    if SentenceKind.REFLECTION in kinds:
        return "reflection"
    return "other"


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def report(items: list[Utterance], misses: str | None, limit: int) -> dict[str, float]:
    """Print the figures and return the headline ones."""
    kinds = [kinds_of(u.text) for u in items]
    predicted = [combine(k) for k in kinds]
    print(f"therapist utterances: {len(items)} (after merging annotators)")
    print("combination rule: any question > any advice > any reflection > other\n")
    print(f"{'class':<16}{'precision':>10}{'recall':>10}{'F1':>8}{'support':>9}")
    pairs = list(zip(items, predicted, strict=True))
    f1s: dict[str, float] = {}
    for label in LABELS:
        hits = sum(1 for u, guess in pairs if u.label == guess == label)
        support = sum(1 for u in items if u.label == label)
        precision, recall = _ratio(hits, predicted.count(label)), _ratio(hits, support)
        f1s[label] = _f1(precision, recall)
        print(f"{label:<16}{precision:>10.3f}{recall:>10.3f}{f1s[label]:>8.3f}{support:>9}")
    accuracy = _ratio(sum(u.label == guess for u, guess in pairs), len(items))
    print(f"\nfour-way accuracy: {accuracy:.3f}")

    # The guard's question detector (T1) against "this utterance contains a question".
    asks = [any(is_question(s) for s in split_sentences(u.text)) for u in items]
    hits = sum(1 for u, a in zip(items, asks, strict=True) if a and u.has_question)
    detector_p = _ratio(hits, sum(asks))
    detector_r = _ratio(hits, sum(u.has_question for u in items))
    detector_f1 = _f1(detector_p, detector_r)
    print(
        f"question detector (any sentence is_question vs question_exists): "
        f"P {detector_p:.3f} R {detector_r:.3f} F1 {detector_f1:.3f}"
    )

    subtypes = []
    for u, k in zip(items, kinds, strict=True):
        asked = [x for x in k if x in QUESTIONS]
        if u.label == "question" and u.question_subtype in {"open", "closed"} and asked:
            # The last question in a turn is the one the member answers.
            guess = "open" if asked[-1] is SentenceKind.OPEN_QUESTION else "closed"
            subtypes.append((u.question_subtype, guess))
    labelled = sum(1 for u in items if u.label == "question" and u.question_subtype != "n/a")
    oc_accuracy = _ratio(sum(h == g for h, g in subtypes), len(subtypes))
    print(
        f"open/closed accuracy: {oc_accuracy:.3f} on {len(subtypes)} human-labelled questions "
        f"where a question was found (of {labelled})"
    )
    for subtype in ("open", "closed"):
        rows = [g for h, g in subtypes if h == subtype]
        share = _ratio(rows.count(subtype), len(rows))
        print(f"  human {subtype:<6}: {share:.3f} agree ({len(rows)})")

    flagged = [SentenceKind.ADVICE in k for k in kinds]
    advice = [f for u, f in zip(items, flagged, strict=True) if u.input_subtype == "advice"]
    info = [f for u, f in zip(items, flagged, strict=True) if u.input_subtype == "information"]
    refl = [f for u, f in zip(items, flagged, strict=True) if u.label == "reflection"]
    advice_recall = _ratio(sum(advice), len(advice))
    refl_flagged = _ratio(sum(refl), len(refl))
    print(f"advice recall (any advice sentence): {advice_recall:.3f} of {len(advice)}")
    print(f"information recall (any advice sentence): {_ratio(sum(info), len(info)):.3f}")
    print(f"human reflections flagged as advice: {refl_flagged:.3f} of {len(refl)}")

    if misses:
        print(f"\nmisses for {misses}:")
        shown = 0
        for u, guess, k in zip(items, predicted, kinds, strict=True):
            if (u.label == misses) != (guess == misses) and shown < limit:
                shown += 1
                print(f"  human={u.label} guess={guess} kinds={[x.value for x in k]}: {u.text}")

    headline = {
        "question F1 (detector)": detector_f1,
        "question F1 (main label)": f1s["question"],
        "open/closed accuracy": oc_accuracy,
        "advice recall": advice_recall,
    }
    print("\ntargets:")
    for name, target in TARGETS.items():
        mark = "met" if headline[name] >= target else "NOT met"
        print(f"  {name}: {headline[name]:.3f} (target >= {target:.2f}) {mark}")
    mark = "met" if refl_flagged <= MAX_REFLECTIONS_FLAGGED else "NOT met"
    print(f"  reflections flagged: {refl_flagged:.3f} (target <= {MAX_REFLECTIONS_FLAGGED}) {mark}")
    return headline


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on the AnnoMI file given or the shared default."""
    parser = argparse.ArgumentParser(description="Measure the turn guard against AnnoMI.")
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--misses", choices=LABELS, help="print utterances missed for a label")
    parser.add_argument("--limit", type=int, default=40, help="how many misses to print")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"AnnoMI file not found at {args.csv}; nothing to measure.")
        return 0
    report(load(args.csv), args.misses, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
