"""Bench: `python -m tlsreport traffic` vs GoAccess on the same generated 1 GiB access log.

    .venv/bin/python bench/bench_traffic.py [--size 1GiB] [--runs 3] [--regen]

Generates (once; ``--regen`` remakes it) ``bench/out/traffic-SIZE.log`` with
bench/make_traffic_log.py — the series' traffic shape repeated, dates running on — and an
eighth of it (``...-eighth.log``) to show memory does not grow with the log. Then runs,
alternating, ``--runs`` times each:

* ``goaccess LOG --log-format=COMBINED --no-global-config -o OUT.json`` (Debian's goaccess)
* ``python -m tlsreport traffic LOG --site blog.example --out OUT.json``

and prints, for each, the median wall time, lines per second and peak memory (the child's
maximum resident set, from wait4), then tlsreport's time as a ratio of GoAccess's (goal:
within 2×) and its peak memory on the whole log vs on the eighth (goal: flat). Both read the
file from the page cache after the first run. Nothing touches the network.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
PYTHON = ROOT.parent / ".venv" / "bin" / "python"


def run(cmd: list[str]) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, peak RSS in KiB, exit code) of one child process.

    CPU time (user + system) is printed beside wall time because the bench machine is shared:
    wall time includes waiting for a core, CPU time is what the tool itself needed."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT.parent / "plugins")},
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss), proc.returncode


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)


def ensure_logs(size_text: str, regen: bool) -> tuple[Path, Path]:
    log = OUT / f"traffic-{size_text}.log"
    eighth = OUT / f"traffic-{size_text}-eighth.log"
    OUT.mkdir(parents=True, exist_ok=True)
    if regen or not log.is_file():
        print(f"generating {log} ...", flush=True)
        subprocess.run(
            [str(PYTHON), str(ROOT / "make_traffic_log.py"), str(log), "--size", size_text],
            check=True,
        )
    if regen or not eighth.is_file():
        limit = log.stat().st_size // 8
        with open(log, "rb") as src, open(eighth, "wb") as dst:
            copied = 0
            for line in src:
                if copied >= limit:
                    break
                dst.write(line)
                copied += len(line)
    return log, eighth


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="1GiB", help="log size (default 1GiB)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tool (default 3)")
    parser.add_argument("--regen", action="store_true", help="regenerate the logs")
    args = parser.parse_args()
    if not shutil.which("goaccess"):
        print("bench_traffic: missing goaccess (Debian package goaccess)", file=sys.stderr)
        return 2
    _size(args.size)
    log, eighth = ensure_logs(args.size, args.regen)
    with open(log, "rb") as f:
        lines = sum(buf.count(b"\n") for buf in iter(lambda: f.read(1 << 24), b""))
    version = subprocess.run(
        ["goaccess", "--version"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    print(
        f"log {log.name}: {log.stat().st_size:,} bytes, {lines:,} lines; {version}; "
        f"nproc {os.cpu_count()}, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    commands = {
        "goaccess": [
            "goaccess",
            str(log),
            "--log-format=COMBINED",
            "--no-global-config",
            "-o",
            str(OUT / "bench-goaccess.json"),
        ],
        "tlsreport": [
            str(PYTHON),
            "-m",
            "tlsreport",
            "traffic",
            str(log),
            "--site",
            "blog.example",
            "--out",
            str(OUT / "bench-tlsreport.json"),
        ],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    peaks: dict[str, int] = dict.fromkeys(commands, 0)
    for i in range(args.runs):
        for name, cmd in commands.items():
            wall, cpu, rss, code = run(cmd)
            if code != 0:
                print(f"{name} failed (exit {code}): {shlex.join(cmd)}", file=sys.stderr)
                return 1
            times[name].append(wall)
            cpus[name].append(cpu)
            peaks[name] = max(peaks[name], rss)
            print(
                f"run {i + 1} {name:9}: {wall:7.2f} s wall, {cpu:7.2f} s CPU, "
                f"peak {rss / 1024:7.1f} MiB, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    medians = {k: statistics.median(v) for k, v in times.items()}
    cpu_medians = {k: statistics.median(v) for k, v in cpus.items()}
    for name, cmd in commands.items():
        print(
            f"{name:9}: median {medians[name]:7.2f} s wall ({lines / medians[name]:,.0f} "
            f"lines/s), {cpu_medians[name]:.2f} s CPU, peak {peaks[name] / 1024:.1f} MiB"
            f"\n           {shlex.join(cmd)}"
        )
    ratio = medians["tlsreport"] / medians["goaccess"]
    cpu_ratio = cpu_medians["tlsreport"] / cpu_medians["goaccess"]
    print(f"tlsreport / goaccess: {ratio:.2f}× wall time, {cpu_ratio:.2f}× CPU time (goal ≤ 2×)")
    eighth_cmd = [*commands["tlsreport"][:4], str(eighth), *commands["tlsreport"][5:]]
    wall, _cpu, small_rss, code = run(eighth_cmd)
    print(
        f"memory: tlsreport peak {small_rss / 1024:.1f} MiB on an eighth "
        f"({eighth.stat().st_size:,} bytes, {wall:.2f} s) vs {peaks['tlsreport'] / 1024:.1f} "
        f"MiB on the whole log: {peaks['tlsreport'] / small_rss:.2f}× for 8× the lines "
        f"(goal: flat)"
    )
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
