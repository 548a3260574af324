"""Bench: how long grading a whole snapshot takes (the issue asks for "well under a second").

Usage:
    .venv/bin/python bench/bench_grade.py [SNAPSHOT.json] [--targets 1000] [--repeat 5]

With a snapshot (e.g. one real scan of the lab, written by ``python -m tlsreport scan``) its
results are graded as they are, then cycled up to ``--targets`` results. Without one, a
synthetic snapshot of the lab's size (22 targets) is built from varied weakness lists with
``facts_from_reasons`` — real Facts objects, no scan needed. Grading is timed under the rules
of 2015-03-03 and under today's; the best of ``--repeat`` runs is printed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tlsreport.facts import Snapshot, TargetRef, TargetResult, from_json
from tlsreport.grading import LABELS, facts_from_reasons, grade_result

DAYS = (date(2015, 3, 3), date(2026, 11, 26))
LAB_SIZE = 22


def synthetic_results(n: int) -> list[TargetResult]:
    """``n`` scan results with 0–3 weaknesses each, cycling through every known reason."""
    labels = sorted(LABELS.values())
    combos = itertools.cycle(
        [()]
        + [(a,) for a in labels]
        + [(a, b) for a, b in zip(labels, labels[3:], strict=False)]
        + [(a, b, c) for a, b, c in zip(labels, labels[5:], labels[11:], strict=False)]
    )
    results = []
    for i, combo in zip(range(n), combos, strict=False):
        facts, _ = facts_from_reasons(combo)
        results.append(TargetResult(TargetRef(name=f"t{i}", host=f"t{i}.example"), facts=facts))
    return results


def best_of(repeat: int, results: list[TargetResult], on: date) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for r in results:
            grade_result(r, on)
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("snapshot", nargs="?", type=Path)
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    if args.snapshot:
        snapshot = from_json(Snapshot, json.loads(args.snapshot.read_text()))
        base = list(snapshot.results)
        source = f"{args.snapshot} ({len(base)} targets)"
    else:
        base = synthetic_results(LAB_SIZE)
        source = f"synthetic lab-sized snapshot ({len(base)} targets)"
    big = [r for _, r in zip(range(args.targets), itertools.cycle(base), strict=False)]
    from measure import describe, load_note

    print(f"code: {describe()}; {load_note()}")
    print(f"grading {source}; best of {args.repeat}")
    for on in DAYS:
        small = best_of(args.repeat, base, on)
        large = best_of(args.repeat, big, on)
        print(
            f"  rules of {on}: {len(base):5d} targets {small * 1000:8.2f} ms"
            f"   {len(big):5d} targets {large * 1000:8.2f} ms"
            f"   ({large / len(big) * 1e6:.0f} µs/target)"
        )


if __name__ == "__main__":
    main()
