"""Bench: scan the lab through tlsreport and through the sslyze CLI, same targets, one run.

    .venv/bin/python bench/bench_scan.py [--runs 5] [--profiles modern,rc4,...]

Starts the lab (real servers on 127.0.0.1), then alternates (A B, B A, A B, ...) between

- tlsreport: ``python -m tlsreport scan LIST --out TMP`` (a fresh process, writes a snapshot),
- sslyze:    ``python -m sslyze --mozilla_config=disable --json_out TMP <same commands>``
             (a fresh process, writes its JSON),

and prints every wall time, both medians and the ratio tlsreport / sslyze (goal <= 1.2).

Targets: the lab's https profiles minus ``silent`` and ``closed`` (an unreachable server is
handled so differently by the two, see lab notes pitfall 2, that timing it would compare
designs, not overheads), and minus the mail profiles: the sslyze CLI takes one ``--starttls``
for a whole run, so it cannot scan SMTP, IMAP and POP3 servers in one invocation.
Both sides run the same scan commands with the same network timeout (5 s, sslyze's default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from measure import describe, load_note  # noqa: E402
from tlsreport.lab import Lab  # noqa: E402
from tlsreport.lab.profiles import PROFILE_TABLE, PROFILES  # noqa: E402

# The sslyze CLI flags for exactly the scan commands tlsreport runs on an https target.
SSLYZE_FLAGS = [
    "--sslv2",
    "--sslv3",
    "--tlsv1",
    "--tlsv1_1",
    "--tlsv1_2",
    "--tlsv1_3",
    "--certinfo",
    "--reneg",
    "--compression",
    "--fallback",
    "--heartbleed",
    "--openssl_ccs",
    "--robot",
    "--ems",
    "--elliptic_curves",
    "--http_headers",
]


TOOL_TIMEOUT = 600  # seconds; a bench that hangs is a failed bench


def bench_profiles() -> list[str]:
    """The lab's regular https profiles (never the hostile ones: sslyze has no time bound)."""
    return [
        name
        for name in PROFILES
        if PROFILE_TABLE[name].service == "https" and name not in ("silent", "closed")
    ]


def write_list(lab: Lab, profiles: list[str], path: Path) -> None:
    lines = [
        'title = "Bench"',
        'slug = "bench"',
        "scan = true",
        f'ca_file = "{lab.ca_file.resolve()}"',
    ]
    for name in profiles:
        t = lab.target(name)
        lines += [
            "",
            "[[target]]",
            f'name = "{t.name}"',
            f'host = "{t.host}"',
            f"port = {t.port}",
            f'address = "{t.address}"',
        ]
    path.write_text("\n".join(lines) + "\n")


def timed(cmd: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins"), "PYTHONWARNINGS": "ignore"}
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=TOOL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(f"{' '.join(cmd[:4])} … still running after {TOOL_TIMEOUT} s") from None
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} … failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per tool (>= 5)")
    parser.add_argument(
        "--profiles",
        default=",".join(bench_profiles()),
        help="comma-separated lab profiles to scan",
    )
    args = parser.parse_args()
    profiles = [p for p in args.profiles.split(",") if p]
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="tlsreport-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with Lab(tmp / "lab", profiles=profiles) as lab:
            targets = tmp / "bench.toml"
            write_list(lab, profiles, targets)
            servers = [
                f"{lab.target(p).host}:{lab.target(p).port}{{{lab.target(p).address}}}"
                for p in profiles
            ]
            times: dict[str, list[float]] = {"tlsreport": [], "sslyze": []}

            def run(tool: str, i: int) -> float:
                if tool == "tlsreport":
                    # A fresh history each run: snapshot names are per second.
                    cmd = [
                        python,
                        "-m",
                        "tlsreport",
                        "scan",
                        str(targets),
                        "--out",
                        str(tmp / f"history-{i}"),
                        "--timeout",
                        "5",
                    ]
                else:
                    cmd = [
                        python,
                        "-m",
                        "sslyze",
                        "--mozilla_config=disable",
                        "--certinfo_ca_file",
                        str(lab.ca_file),
                        *SSLYZE_FLAGS,
                        "--json_out",
                        str(tmp / f"sslyze-{i}.json"),
                        *servers,
                    ]
                return timed(cmd)

            print(f"code: {describe()}; {load_note()}")
            print(f"{len(profiles)} targets: {', '.join(profiles)}")
            for i in range(max(5, args.runs)):
                order = ("tlsreport", "sslyze") if i % 2 == 0 else ("sslyze", "tlsreport")
                for tool in order:
                    times[tool].append(run(tool, i))
                print(
                    f"run {i + 1}: tlsreport {times['tlsreport'][-1]:6.2f} s   "
                    f"sslyze {times['sslyze'][-1]:6.2f} s",
                    flush=True,
                )
    ours, theirs = (statistics.median(times[k]) for k in ("tlsreport", "sslyze"))
    print(
        f"median wall time: tlsreport {ours:.2f} s, sslyze CLI {theirs:.2f} s, "
        f"ratio {ours / theirs:.2f}x (goal <= 1.2x); end: {load_note()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
