"""Real testssl.sh output of the lab's servers, made where nothing but loopback exists.

    python tests/testsslkit.py OUT_DIR [PROFILE ...]   (run by ``produce``; needs root)

``produce(out)`` re-runs this file inside a fresh network namespace (``unshare --net``, only
``lo`` up): there it starts the lab, scans it once with tlsreport (the snapshot is the round
trip's reference) and runs Debian's testssl.sh 3.0.8 on each server, so the two see the very
same servers. testssl.sh is also told to stay on 127.0.0.1 (``--ip 127.0.0.1 --nodns none``,
``PHONE_OUT=false``, ``NXCONNECT=127.0.0.1:0``); the namespace makes sure of it.

Layout of OUT_DIR: ``lab.toml`` (the lab's target list; its servers are gone once this
returns), ``history/lab/<time>.json`` (tlsreport's scan), ``pretty/<profile>.json``
(``--jsonfile-pretty``), ``flat/<profile>.json`` (``--jsonfile``, for FLAT_PROFILES), and
``problem/pretty.json`` and ``problem/flat.json`` (a run against a closed port: it ends in
``scanProblem``), ``times.json`` (profile -> seconds testssl.sh took).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

# Every lab server that speaks TLS (silent and closed have nothing to test).
TESTSSL_PROFILES = (
    "modern",
    "tls10-only",
    "tls10-11-12",
    "rc4",
    "sslv3",
    "sha1-chain",
    "weak-dh",
    "no-fs",
    "no-secure-reneg",
    "client-reneg",
    "no-fallback-scsv",
    "anon",
    "self-signed",
    "expired",
    "wrong-name",
    "smtp-starttls",
    "imap-starttls",
    "pop3-starttls",
    "imaps",
    "pop3s",
)
FLAT_PROFILES = ("modern",)
# What grading needs: protocols, ciphers per protocol, certificate (server defaults), HTTP
# headers, and each vulnerability check that feeds a rule. (A full run adds ~2 minutes of
# checks per server that no rule reads.)
CHECKS = ("-p", "-E", "-S", "-h", "-H", "-I", "-T", "-BB", "-R", "-C", "-Z", "-D")
STARTTLS = {"smtp": "smtp", "imap": "imap", "pop3": "pop3"}
ENV = {
    "PHONE_OUT": "false",
    "NXCONNECT": "127.0.0.1:0",
    "NODNS": "none",
    "COLUMNS": "120",
    "TERM": "dumb",
}
RUN_TIMEOUT = 900.0  # one testssl.sh run on a loaded 2-core box (measured up to ~400 s)
CONCURRENCY = 3


def missing() -> list[str]:
    need = {"testssl": "testssl.sh", "unshare": "util-linux", "ip": "iproute2"}
    return [f"{exe} (Debian package {pkg})" for exe, pkg in need.items() if not shutil.which(exe)]


def produce(out: Path, profiles: tuple[str, ...] = TESTSSL_PROFILES) -> Path:
    """Make OUT's files (see the module docstring) in an isolated namespace; return OUT."""
    lacking = missing()
    if lacking:
        raise RuntimeError(
            "testssl.sh round trip needs " + ", ".join(lacking) + " (.ci/run installs them)"
        )
    out.mkdir(parents=True, exist_ok=True)
    script = f"ip link set lo up && exec {sys.executable} {Path(__file__).resolve()} " + " ".join(
        [str(out), *profiles]
    )
    proc = subprocess.run(
        ["unshare", "--net", "--", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_TIMEOUT * (len(profiles) / CONCURRENCY + 2),
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"testsslkit failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return out


def _testssl(target, ca_file: Path, out: Path, flag: str) -> float:
    cmd = [
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
        "--connect-timeout",
        "5",
        "--openssl-timeout",
        "5",
        "--add-ca",
        str(ca_file),
        flag,
        str(out),
        *CHECKS,
    ]
    if target.service in STARTTLS:
        cmd += ["-t", STARTTLS[target.service]]
    cmd.append(f"{target.host}:{target.port}")
    started = time.monotonic()
    proc = subprocess.run(
        cmd,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    if not out.is_file():
        raise RuntimeError(
            f"testssl.sh wrote no JSON for {target.profile} "
            f"({proc.returncode}):\n{proc.stdout[-2000:]}"
        )
    return time.monotonic() - started


def main(out: Path, profiles: list[str]) -> int:
    from tlsreport.history import History
    from tlsreport.lab import Lab
    from tlsreport.scan import scan_list
    from tlsreport.targets import load_target_list

    (out / "pretty").mkdir(parents=True, exist_ok=True)
    (out / "flat").mkdir(parents=True, exist_ok=True)
    with Lab(out / "lab", profiles) as lab:
        listing = lab.write_targets_toml(out / "lab.toml", title="TLS lab", slug="lab")
        snapshot, raw = scan_list(
            load_target_list(listing),
            network_timeout=5.0,
            target_timeout=90.0,
            overall_timeout=300.0,
        )
        History(out / "history").write(snapshot, raw)
        jobs = [(p, "--jsonfile-pretty", out / "pretty" / f"{p}.json") for p in profiles]
        jobs += [
            (p, "--jsonfile", out / "flat" / f"{p}.json") for p in FLAT_PROFILES if p in profiles
        ]
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            took = list(
                pool.map(
                    lambda job: _testssl(lab.target(job[0]), lab.ca_file, job[2], job[1]), jobs
                )
            )
    # A run that cannot connect ends in a scanProblem: both forms, against a closed port.
    (out / "problem").mkdir(exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    for flag, name in (("--jsonfile-pretty", "pretty.json"), ("--jsonfile", "flat.json")):
        subprocess.run(
            [
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
                "--connect-timeout",
                "5",
                flag,
                str(out / "problem" / name),
                f"closed.lab.test:{closed}",
            ],
            env={**os.environ, **ENV},
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    (out / "times.json").write_text(
        json.dumps(
            {f"{p} {flag}": round(t, 1) for (p, flag, _), t in zip(jobs, took, strict=True)},
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:] or list(TESTSSL_PROFILES)))
