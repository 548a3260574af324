"""Bench: the mail lab and the issue-14 additions, so their cost is known.

Usage (root: Postfix runs as its own instance; Debian's postfix, courier-imap, courier-pop):
    .venv/bin/python bench/bench_mail.py [--skip-lab] [--targets 1000] [--snapshots 100]

Prints, each measured once (the lab) or as the best of three (feeds):
- the mail lab (careful + sloppy: two Postfix instances, six Courier servers): start, stop;
- the policy probe (tlsreport.mailpolicy) over all ten servers in a row;
- a full scan of the ten (sslyze + the probe), and each target's own duration and grade;
- ``feeds.feed_files`` for a synthetic list of ``--targets`` x ``--snapshots`` (no scan).
Everything connects to 127.0.0.0/8 only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    Facts,
    Snapshot,
    TargetRef,
    TargetResult,
)
from tlsreport.feeds import feed_files


def bench_lab() -> None:
    from tlsreport.grading import grade_result
    from tlsreport.lab.mail import MailLab
    from tlsreport.mailpolicy import probe_mail_policy
    from tlsreport.scan import scan_list
    from tlsreport.targets import load_target_list

    with tempfile.TemporaryDirectory(prefix="bench-mail-") as work:
        started = time.perf_counter()
        lab = MailLab(Path(work))
        lab.start()
        try:
            print(f"mail lab start (careful + sloppy): {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            for t in lab.targets:
                probe_mail_policy(t.service, t.host, t.address, t.port)
            print(
                f"policy probe, {len(lab.targets)} servers in a row: "
                f"{time.perf_counter() - started:.2f} s"
            )
            path = lab.write_targets_toml(Path(work) / "mail.toml")
            started = time.perf_counter()
            snapshot, _ = scan_list(load_target_list(path), target_timeout=120, overall_timeout=300)
            print(
                f"scan of {len(snapshot.results)} mail targets: "
                f"{time.perf_counter() - started:.1f} s"
            )
            for r in snapshot.results:
                g = grade_result(r, date.fromisoformat(snapshot.taken[:10]))
                print(
                    f"  {r.target.name:26} {r.state:3} {g.letter if g else '-':2} "
                    f"{r.duration or 0:5.1f} s"
                )
        finally:
            started = time.perf_counter()
            lab.stop()
            print(f"mail lab stop: {time.perf_counter() - started:.1f} s")


def bench_feeds(targets: int, snapshots: int) -> None:
    refs = [TargetRef(name=f"t{i}", host=f"h{i}.example", port=443) for i in range(targets)]
    leaf = Certificate(subject="x", issuer="y", not_after="2026-06-01T00:00:00Z")
    facts = Facts(certificate=CertificateFacts(chain=(leaf,)))
    snaps = [
        Snapshot(
            list_slug="big",
            title="Big",
            taken=f"2026-{1 + s // 28:02d}-{1 + s % 28:02d}T00:00:00Z",
            results=tuple(TargetResult(target=t, facts=facts) for t in refs),
        )
        for s in range(snapshots)
    ]
    stems = {t.key: t.name for t in refs}

    def letter(result: TargetResult, on: date, taken: date) -> str:
        # A grade that changes now and then, the same on every run.
        return "B" if (int(result.target.name[1:]) + on.toordinal()) % 7 == 0 else "A"

    best = None
    for _ in range(3):
        started = time.perf_counter()
        files = feed_files(
            [("big", "Big", snaps)],
            out_dir="tlsreport",
            site_url="https://blog.example",
            target_stems=lambda _: stems,
            letter=letter,
        )
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    size = sum(map(len, files.values())) / 1e6
    print(
        f"feed_files, {targets} targets x {snapshots} snapshots: best of 3 {best:.2f} s, "
        f"{len(files)} files, {size:.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-lab", action="store_true", help="feeds only (no root needed)")
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--snapshots", type=int, default=100)
    args = parser.parse_args()
    if not args.skip_lab:
        bench_lab()
    bench_feeds(args.targets, args.snapshots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
