"""Bench: CPU milliseconds per chart, for each chart kind: the grade charts (timeline,
distribution, history) and the traffic charts (daily, hourly, ranking, systems).

    .venv/bin/python bench/bench_charts.py [--rounds 5] [--count 40] [--baseline REV]
                                           [--pool N]

Each round draws, in a fresh process with the given tree's ``plugins/`` first on sys.path,
``--count`` distinct charts of each kind (history: a quarter of them, it is slower) after one
warm-up chart per kind (imports and per-process set-up are not counted: a build pays them
once). The data has the scale bench's shape: timelines of 100 snapshots of one target, a
distribution of 1,000 targets, a history of 100 snapshots; the traffic charts draw the example
site's report (``data/traffic/belgian-banks-traffic.json``, 18 days, 403 hours), its counts
scaled per chart so each is distinct (a quarter of ``--count`` each, like the history). CPU
time is ``time.process_time`` around the drawing calls only. Prints each round and the median
per kind.

A baseline from before the charts were written by hand draws with matplotlib: the checkout's
``.venv`` must have it then (``pip install matplotlib==3.11.2``; it is no longer a
requirement).

``--baseline REV``: commit REV is checked out in a temporary git worktree
(``measure.baseline_worktree``) and measured in the same run, rounds alternating (this
checkout, baseline, baseline, this checkout, ...), so both see the same machine load.

``--pool N`` (this checkout only): N distinct timelines drawn the way
``ChartMaker.prepare_timelines`` used to draw them, a process pool of one worker per core
(``pool.map``, chunksize 4), against the same N drawn one by one in the same process; wall
time and CPU time (the process and its pool workers), alternating, ``--rounds`` times each.
Says whether a pool still pays for itself once a timeline is cheap.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from measure import baseline_worktree, describe, load_note, plugin_env  # noqa: E402

KINDS = ("timeline", "distribution", "history", "daily", "hourly", "ranking", "systems")

# Runs inside the measured process: argv[1] = count. Prints {"kind": ms per chart}.
WORKER = r"""
import json, random, sys, time
from datetime import date, timedelta
from tlsreport import charts, traffic_charts

count = int(sys.argv[1])
grades = ("A+", "A", "A-", "B", "C", "F", "T", None, charts.NOT_RECORDED)
day0 = date(2020, 1, 6)

def timeline(seed):
    rnd = random.Random(seed)
    g = rnd.choice(grades[:6])
    points = []
    for i in range(100):
        if rnd.random() < 0.08:
            g = rnd.choice(grades)
        points.append((day0 + timedelta(days=7 * i), g))
    return points

def counts(seed):
    rnd = random.Random(seed)
    out = {}
    for _ in range(1000):
        c = rnd.choice(("A+", "A", "A-", "B", "C", "F", "not tested", "not recorded"))
        out[c] = out.get(c, 0) + 1
    return out

def history(seed):
    return [(day0 + timedelta(days=7 * i), counts(seed * 1000 + i)) for i in range(100)]

report = json.load(open("data/traffic/belgian-banks-traffic.json", encoding="utf-8"))

def scaled(seed):
    # the example report with its counts multiplied: same shape, distinct bytes
    k = 1 + seed % 97
    return {
        "daily": [{**d, "views": d["views"] * k, "visitors": d["visitors"] * k}
                  for d in report["daily"]],
        "hourly": [{**h, "views": h["views"] * k} for h in report["hourly"]],
        "pages": [{**r, "views": r["views"] * k} for r in report["pages"]],
        "systems": {**report["systems"], "visitors": report["systems"]["visitors"] * k},
    }

few = max(1, count // 4)
jobs = {  # kind: (input maker, drawing call, how many)
    "timeline": (timeline, lambda d: charts.timeline_chart(d, title="Grade over time"), count),
    "distribution": (
        counts,
        lambda d: charts.distribution_chart(d, title="Banks: grades on 2021-12-27"),
        count,
    ),
    "history": (
        history,
        lambda d: charts.history_chart(d, title="Banks: grades over time"),
        few,
    ),
    "daily": (scaled, lambda r: traffic_charts.daily_chart(r["daily"], title="Per day"), few),
    "hourly": (scaled, lambda r: traffic_charts.hourly_chart(r["hourly"], title="Per hour"), few),
    "ranking": (
        scaled,
        lambda r: traffic_charts.ranking_chart(
            [(p["path"], p["views"]) for p in r["pages"]], title="Pages", name="Page",
            unit="page views",
        ),
        few,
    ),
    "systems": (
        scaled, lambda r: traffic_charts.systems_chart(r["systems"], title="Systems"), few
    ),
}
out = {}
for kind, (make, draw, n) in jobs.items():
    draw(make(10**6))  # warm-up: imports, fonts, per-process caches
    inputs = [make(s) for s in range(n)]  # built before the clock starts
    t0 = time.process_time()
    for d in inputs:
        draw(d)
    out[kind] = 1000 * (time.process_time() - t0) / n
print(json.dumps(out))
"""


# Runs inside the measured process: argv[1] = N, argv[2] = "pool" or "serial".
POOL_WORKER = r"""
import json, os, random, resource, sys, time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from tlsreport import chartmaker

n, how = int(sys.argv[1]), sys.argv[2]
grades = ("A+", "A", "A-", "B", "C", "F", "T", None)
inputs = []
for seed in range(n):
    rnd = random.Random(seed)
    g, points = "A", []
    for i in range(100):
        if rnd.random() < 0.08:
            g = rnd.choice(grades)
        points.append((date(2020, 1, 6) + timedelta(days=7 * i), g))
    inputs.append(points)
chartmaker._draw_timeline(inputs[0])  # warm-up, as the build has drawn before
def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
c0, w0 = cpu(), time.perf_counter()
if how == "pool":
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        drawn = list(pool.map(chartmaker._draw_timeline, inputs, chunksize=4))
else:
    drawn = [chartmaker._draw_timeline(p) for p in inputs]
print(json.dumps({"wall": time.perf_counter() - w0, "cpu": cpu() - c0}))
"""


def measure_pool(count: int, rounds: int) -> None:
    """Pool against one by one for ``count`` timelines, alternating; prints the medians."""
    print(f"prepare_timelines' way: {count} distinct timelines of 100 snapshots, {rounds} rounds")
    got: dict[str, list[dict[str, float]]] = {"pool": [], "serial": []}
    for i in range(rounds):
        for how in ("pool", "serial") if i % 2 == 0 else ("serial", "pool"):
            run = subprocess.run(
                [str(ROOT / ".venv" / "bin" / "python"), "-c", POOL_WORKER, str(count), how],
                env=plugin_env(ROOT),
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            m = json.loads(run.stdout.strip().splitlines()[-1])
            got[how].append(m)
            print(
                f"round {i + 1} {how:6s} wall {m['wall'] * 1000:8.1f} ms  "
                f"cpu {m['cpu'] * 1000:8.1f} ms"
            )
    for how, ms in got.items():
        print(
            f"  median {how:6s} wall {statistics.median(m['wall'] for m in ms) * 1000:8.1f} ms  "
            f"cpu {statistics.median(m['cpu'] for m in ms) * 1000:8.1f} ms"
        )


def measure_once(env: dict[str, str], count: int) -> dict[str, float]:
    """One fresh process drawing ``count`` charts of each kind; ms of CPU per chart."""
    run = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", WORKER, str(count)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if run.returncode != 0:
        raise SystemExit(f"chart worker failed:\n{run.stderr}")
    return {k: float(v) for k, v in json.loads(run.stdout.strip().splitlines()[-1]).items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="processes per side")
    parser.add_argument("--count", type=int, default=40, help="charts per kind per process")
    parser.add_argument(
        "--baseline", metavar="REV", default=None, help="also measure commit REV, alternating"
    )
    parser.add_argument(
        "--pool", metavar="N", type=int, default=0, help="pool vs one by one for N timelines"
    )
    args = parser.parse_args()
    if args.pool:
        print(f"code: this = {describe()}; {load_note()}")
        measure_pool(args.pool, args.rounds)
        return 0
    with ExitStack() as stack:
        sides: dict[str, dict[str, str]] = {"this": plugin_env(ROOT)}
        if args.baseline:
            tree = stack.enter_context(baseline_worktree(args.baseline))
            sides["baseline"] = plugin_env(tree)
        print(
            f"code: this = {describe()}"
            + (f", baseline = {describe(args.baseline)}" if args.baseline else "")
            + f"; {load_note()}"
        )
        print(
            f"{args.rounds} rounds x {args.count} charts per kind (history and traffic: "
            f"{max(1, args.count // 4)}); CPU ms per chart"
        )
        names = list(sides)
        results: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for i in range(args.rounds):
            order = names if i % 2 == 0 else names[::-1]  # alternate which side goes first
            for name in order:
                got = measure_once(sides[name], args.count)
                results[name].append(got)
                print(
                    f"round {i + 1} {name:8s} " + "  ".join(f"{k} {got[k]:8.3f} ms" for k in KINDS),
                    flush=True,
                )
        print("median CPU ms per chart:")
        med = {n: {k: statistics.median(r[k] for r in results[n]) for k in KINDS} for n in names}
        for name in names:
            print(f"  {name:8s} " + "  ".join(f"{k} {med[name][k]:8.3f}" for k in KINDS))
        if "baseline" in med:
            print(
                "  this / baseline: "
                + "  ".join(f"{k} {med['this'][k] / med['baseline'][k]:.3f}x" for k in KINDS)
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
