"""Bench: one full testssl.sh run vs tlsreport's scan of the same lab server, in one run.

    .venv/bin/python bench/bench_testssl.py [--profile modern] [--runs 3] [--no-isolate]

Starts ONE lab server (``tlsreport.lab.Lab(dir, [profile])`` on 127.0.0.1), then times

- tlsreport: ``python -m tlsreport scan LIST --out TMP`` (a fresh process, writes a snapshot;
  the same scan ``make scan`` does), ``--runs`` times, before and after testssl.sh;
- testssl.sh: Debian's ``testssl`` default full run (every check but -E/-g) once.

and prints each wall time and the ratio testssl / tlsreport (goal: tlsreport >= 50x faster).

Loopback only, twice over. testssl.sh is told to test ``127.0.0.1:PORT`` with ``--ip 127.0.0.1``
and ``--nodns none`` (no DNS query at all), ``PHONE_OUT=false`` (no CRL/OCSP/pwnedkeys fetch;
also its default) and ``NXCONNECT=127.0.0.1:0`` (its openssl feature probes would otherwise
``-connect invalid.``, a DNS query). And unless ``--no-isolate``, the whole bench re-runs itself
inside a fresh network namespace (``unshare --net``, loopback up) where no other host exists.

Needs ``testssl`` (Debian package testssl.sh) and, for isolation, ``unshare`` and ``ip``
(util-linux, iproute2) with root; prints what is missing and exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from tlsreport.lab import Lab  # noqa: E402

INSIDE = "TLSREPORT_BENCH_ISOLATED"

# testssl.sh's environment: nothing may leave loopback (see the module docstring).
TESTSSL_ENV = {
    "PHONE_OUT": "false",
    "NXCONNECT": "127.0.0.1:0",
    "NODNS": "none",
    "COLUMNS": "120",
    "TERM": "dumb",
}


def testssl_cmd(port: int, ca_file: Path, out_json: Path) -> list[str]:
    return [
        "testssl",
        "--quiet",
        "--color",
        "0",
        "--warnings",
        "off",
        "--ip",
        "127.0.0.1",
        "--nodns",
        "none",
        "--sneaky",
        "--connect-timeout",
        "5",
        "--openssl-timeout",
        "5",
        "--add-ca",
        str(ca_file),
        "--jsonfile",
        str(out_json),
        f"127.0.0.1:{port}",
    ]


def missing(isolate: bool) -> list[str]:
    need = {"testssl": "testssl.sh"}
    if isolate:
        need |= {"unshare": "util-linux", "ip": "iproute2"}
    return [f"{exe} (Debian package {pkg})" for exe, pkg in need.items() if not shutil.which(exe)]


def reexec_isolated() -> int:
    """Run this script again in a new network namespace that has only a loopback interface."""
    script = f"ip link set lo up && exec {sys.executable} {Path(__file__).resolve()} " + " ".join(
        sys.argv[1:]
    )
    env = {**os.environ, INSIDE: "1"}
    return subprocess.run(
        ["unshare", "--net", "--", "sh", "-c", script], env=env, check=False
    ).returncode


def timed(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    return time.perf_counter() - started, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", default="modern", help="the lab profile to scan")
    parser.add_argument("--runs", type=int, default=3, help="tlsreport scans (median taken)")
    parser.add_argument(
        "--no-isolate",
        action="store_true",
        help="do not re-run inside a loopback-only network namespace",
    )
    parser.add_argument("--keep", type=Path, help="copy testssl's log and JSON here")
    args = parser.parse_args()
    isolate = not args.no_isolate and os.environ.get(INSIDE) != "1"
    lacking = missing(isolate)
    if lacking:
        print("bench_testssl: missing " + ", ".join(lacking), file=sys.stderr)
        return 2
    if isolate:
        return reexec_isolated()
    from measure import describe, load_note

    print(f"code: {describe()}; {load_note()}")
    print(
        "network: "
        + (
            "own namespace, loopback only"
            if os.environ.get(INSIDE) == "1"
            else "NOT isolated (--no-isolate): testssl flags keep it on 127.0.0.1"
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins"), "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory(prefix="tlsreport-bench-testssl-") as tmp_name:
        tmp = Path(tmp_name)
        with Lab(tmp / "lab", [args.profile]) as lab:
            target = lab.target(args.profile)
            targets = lab.write_targets_toml(tmp / "one.toml", title="One", slug="one")
            version = subprocess.run(
                ["testssl", "--version"], capture_output=True, text=True, env={**env, **TESTSSL_ENV}
            ).stdout
            plain = re.sub(r"\x1b\[[0-9;]*m", "", version)
            found = re.search(r"testssl\s+(\S+)", plain)
            line = f"testssl.sh {found.group(1) if found else '(version unknown)'}"
            print(f"server: lab profile {args.profile!r} on 127.0.0.1:{target.port}; {line}")

            def ours(i: int) -> float:
                cmd = [
                    sys.executable,
                    "-m",
                    "tlsreport",
                    "scan",
                    str(targets),
                    "--out",
                    str(tmp / f"history-{i}"),
                    "--timeout",
                    "5",
                ]
                took, rc = timed(cmd, env, tmp / f"tlsreport-{i}.log")
                if rc != 0:
                    raise SystemExit(
                        f"tlsreport scan failed ({rc}):\n"
                        + (tmp / f"tlsreport-{i}.log").read_text()[-2000:]
                    )
                print(f"tlsreport scan {i + 1}: {took:7.2f} s", flush=True)
                return took

            times = [ours(0)]
            cmd = testssl_cmd(target.port, lab.ca_file, tmp / "testssl.json")
            print("testssl.sh: " + " ".join(cmd), flush=True)
            theirs, rc = timed(cmd, {**env, **TESTSSL_ENV}, tmp / "testssl.log")
            print(f"testssl.sh full run: {theirs:7.2f} s (exit {rc})", flush=True)
            if not (tmp / "testssl.json").is_file():
                raise SystemExit(
                    "testssl.sh wrote no JSON:\n" + (tmp / "testssl.log").read_text()[-3000:]
                )
            import json

            with contextlib.suppress(ValueError):
                found = json.loads((tmp / "testssl.json").read_text(errors="replace"))
                print(f"testssl.sh wrote {len(found)} findings", flush=True)
            times += [ours(i) for i in range(1, max(1, args.runs))]
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for name in ("testssl.log", "testssl.json"):
                    shutil.copy(tmp / name, args.keep / name)
    median = statistics.median(times)
    print(
        f"tlsreport median {median:.2f} s over {len(times)} scans; testssl.sh {theirs:.2f} s; "
        f"tlsreport is {theirs / median:.1f}x faster (goal >= 50x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
