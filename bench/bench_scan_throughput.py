"""Bench: targets per minute for a survey-sized list, on one machine and on a dask cluster.

    .venv/bin/python bench/bench_scan_throughput.py [--targets 300] [--concurrency 5,10,20,40]
                                                    [--dask-workers 2] [--shard-size 25]

Why: an SSL-Pulse-sized survey (100,000 hosts) must be planned from a measured rate, and the
rate depends on how many targets are scanned at once. This starts the lab (real TLS servers
on 127.0.0.1), makes a list of ``--targets`` names spread round-robin over the lab's https
servers (``n042.rc4.lab.test`` ... every one pinned to ``address = 127.0.0.1``, so nothing is
resolved and nothing leaves loopback), then scans the whole list:

1. on this machine with ``scan.scan_list`` (what ``tlsreport scan`` runs), once per
   ``--concurrency`` value (targets at once; sslyze's own per-server connection limit is 5,
   fixed in scan.py), and
2. on a ``LocalCluster`` of ``--dask-workers`` single-threaded worker processes through
   ``dask_scan.scan_list_dask`` (what ``tlsreport scan --dask`` runs), with the concurrency
   that was fastest locally shared between the workers; the cluster's start-up is timed
   apart from the scan.

Prints per run: wall time, targets per minute, how many targets were scanned "ok" (all of
them should be), this process's CPU (scanner threads; the lab servers run in their own
processes on the same cores) and the load average; then the hours a 100,000-host survey
would take at the best rate. The lab's servers share the 2 cores with the scanner, so this is
a floor for the scanner's own cost rather than a forecast for servers across the internet,
where waiting on the network, not CPU, bounds a run and more concurrency pays.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_scan import bench_profiles  # noqa: E402  (the same servers as bench_scan)
from measure import describe, load_note  # noqa: E402
from tlsreport import facts  # noqa: E402
from tlsreport.lab import Lab  # noqa: E402
from tlsreport.targets import Target, TargetList  # noqa: E402

SURVEY = 100_000


def survey_list(lab: Lab, profiles: list[str], count: int) -> TargetList:
    targets = []
    for i in range(count):
        server = lab.target(profiles[i % len(profiles)])
        targets.append(
            Target(
                name=f"site {i:04d}",
                host=f"n{i:04d}.{server.host}",
                port=server.port,
                address="127.0.0.1",
            )
        )
    return TargetList(
        path=Path("survey.toml"),
        title="Survey bench",
        slug="survey",
        scan=True,
        ca_file=lab.ca_file,
        targets=tuple(targets),
    )


def report(label: str, snapshot: facts.Snapshot, wall: float, cpu: float) -> float:
    total = len(snapshot.results)
    ok = sum(r.state == facts.STATE_OK for r in snapshot.results)
    rate = total / wall * 60
    states = sorted({r.state for r in snapshot.results} - {facts.STATE_OK})
    print(
        f"{label}: {total} targets in {wall:6.1f} s = {rate:6.1f} targets/min; ok {ok}/{total}"
        + (f" (also: {', '.join(states)})" if states else "")
        + f"; cpu of this process {cpu:.1f} s; {load_note()}",
        flush=True,
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=300)
    parser.add_argument(
        "--concurrency",
        default="5,10,20,40",
        help="comma-separated targets-at-once values to try locally",
    )
    parser.add_argument(
        "--dask-workers",
        type=int,
        default=2,
        help="worker processes of the LocalCluster (0: no cluster run)",
    )
    parser.add_argument("--shard-size", type=int, default=25)
    parser.add_argument("--timeout", type=float, default=5.0, help="network timeout, s")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c]

    import warnings

    from cryptography.utils import CryptographyDeprecationWarning
    from tlsreport.scan import scan_list

    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
    import sslyze  # noqa: F401  (its import is not scan time)

    bound = dict(network_timeout=args.timeout, target_timeout=120.0, overall_timeout=3600.0)
    profiles = bench_profiles()
    print(
        f"code: {describe()}; {args.targets} targets over {len(profiles)} lab https servers "
        f"on 127.0.0.1; {load_note()}"
    )
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="tlsreport-bench-throughput-") as tmp_name:
        tmp = Path(tmp_name)
        with Lab(tmp / "lab", profiles=profiles) as lab:
            target_list = survey_list(lab, profiles, args.targets)
            for level in levels:
                cpu, started = time.process_time(), time.perf_counter()
                snapshot, _ = scan_list(target_list, concurrency=level, **bound)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                rates[level] = report(f"one machine, concurrency {level:3d}", snapshot, wall, cpu)
            best = max(rates, key=lambda k: rates[k])
            print(
                f"best on one machine: concurrency {best}, {rates[best]:.1f} targets/min; "
                f"a {SURVEY:,}-host survey: {SURVEY / rates[best] / 60:.1f} h "
                f"(median over the levels {statistics.median(rates.values()):.1f}/min)"
            )
            if args.dask_workers > 0:
                run_cluster(target_list, args, best, bound)
    return 0


def run_cluster(
    target_list: TargetList, args: argparse.Namespace, best: int, bound: dict[str, float]
) -> None:
    from distributed import Client, LocalCluster
    from tlsreport.dask_scan import ShardRecord, scan_list_dask

    per_worker = max(1, best // args.dask_workers)
    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=args.dask_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(args.dask_workers, timeout=300)
        print(
            f"LocalCluster: {args.dask_workers} worker processes x 1 thread on 127.0.0.1, "
            f"up in {time.perf_counter() - started:.1f} s"
        )
        # Warm the workers (sslyze's import) outside the timed scan, as the local runs were.
        client.run(lambda: __import__("sslyze") and None)
        log: list[ShardRecord] = []
        cpu, started = time.process_time(), time.perf_counter()
        snapshot, _ = scan_list_dask(
            target_list,
            client,
            concurrency=per_worker,
            shard_size=args.shard_size,
            shard_log=log,
            **bound,
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        rate = report(
            f"dask LocalCluster, {args.dask_workers} workers x concurrency "
            f"{per_worker}, shards of {args.shard_size}",
            snapshot,
            wall,
            cpu,
        )
        pids = {r.pid for r in log if r.outcome == "scanned"}
        print(
            f"dask: {len(log)} shards, answered by {len(pids)} worker processes, outcomes "
            f"{sorted({r.outcome for r in log})}; a {SURVEY:,}-host survey at this rate: "
            f"{SURVEY / rate / 60:.1f} h (client cpu {cpu:.1f} s)"
        )


if __name__ == "__main__":
    sys.exit(main())
