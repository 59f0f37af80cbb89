"""Measure the safety screen on the labelled set: recall, false alarms and time per message.

Usage: python bench/safety_screen.py [--repeat 100] [--misses]

Counts and rates are printed for the whole set and for each half: the rules were developed on
the dev half, and the held-out half measures how they carry over to unseen phrasings. The
time is the median (and 99th percentile) of screening one message, each labelled message
screened once per repetition.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.safety import screen
from tests.domain.safety_cases import CASES, DEV, HELD_OUT, Case, Category


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _rate(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a"


def report(title: str, cases: list[Case], show_misses: bool) -> None:
    """Print per-category counts, recall and false-positive rate for some cases."""
    flagged = {case: screen(case.text).flagged for case in cases}
    print(f"{title}: {len(cases)} messages")
    print(f"  {'category':<10}{'messages':>9}{'flagged':>9}{'should flag':>13}")
    for category in Category:
        group = [c for c in cases if c.category is category]
        should = "yes" if group and group[0].should_flag else "no"
        print(f"  {category:<10}{len(group):>9}{sum(flagged[c] for c in group):>9}{should:>13}")
    positives = [c for c in cases if c.should_flag]
    negatives = [c for c in cases if not c.should_flag]
    for category in (Category.CRISIS, Category.INDIRECT):
        group = [c for c in positives if c.category is category]
        print(f"  recall {category:<37}{_rate(sum(flagged[c] for c in group), len(group))}")
    print(f"  recall {'overall':<37}{_rate(sum(flagged[c] for c in positives), len(positives))}")
    false_alarms = sum(flagged[c] for c in negatives)
    print(f"  false-positive rate (stress+idiom+neutral)  {_rate(false_alarms, len(negatives))}")
    if show_misses:
        for case in cases:
            if flagged[case] != case.should_flag:
                kind = "missed" if case.should_flag else "false alarm"
                print(f"    {kind} [{case.category}] {case.text!r}")
    print()


def time_screen(repeat: int) -> list[float]:
    """Screen every labelled message `repeat` times and return per-call times in microseconds."""
    texts = [case.text for case in CASES]
    timings: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        for text in texts:
            started = clock()
            screen(text)
            timings.append((clock() - started) / 1000)
    return timings


def main() -> None:
    """Parse arguments, print the quality figures and the timing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--misses", action="store_true", help="list misclassified messages")
    args = parser.parse_args()
    report("all", list(CASES), args.misses)
    report("dev half", [c for c in CASES if c.half == DEV], args.misses)
    report("held-out half", [c for c in CASES if c.half == HELD_OUT], args.misses)
    timings = time_screen(args.repeat)
    print(f"screen() over {len(CASES)} messages x {args.repeat}: {len(timings)} calls")
    print(f"  median {statistics.median(timings):.1f} us, p99 {percentile(timings, 99):.1f} us")


if __name__ == "__main__":
    main()
