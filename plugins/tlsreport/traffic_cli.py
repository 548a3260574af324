"""`python -m tlsreport traffic LOG... --out data/traffic/NAME.json`: the traffic verb.

Kept apart from cli.py so that the verb is one line there (``VERBS``); the reading and
counting is in traffic.py. Exit codes follow cli.py: 0 done (unreadable lines are a result,
reported), 2 bad input (a log or database that cannot be opened, a bad name), 1 when the
report could not be written.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_WRITE_FAILED, EXIT_BAD_INPUT = 0, 1, 2
NAME = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")  # what a directive's data=NAME accepts


def _top(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 1 and 1000")
    return value


def add_traffic_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "traffic", help="count page views, visitors, referrers, systems from access logs"
    )
    parser.add_argument(
        "logs",
        type=Path,
        nargs="+",
        metavar="LOG",
        help="nginx/Apache combined access logs, plain or gzip (any order)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="report file, e.g. data/traffic/NAME.json (aggregates only)",
    )
    parser.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="HOST",
        help="the site's own host name: its referrers are internal navigation (repeatable)",
    )
    parser.add_argument(
        "--asn-db",
        type=Path,
        metavar="FILE.mmdb",
        help="offline IP-to-organisation database (MaxMind format); without it "
        "the report has no networks table",
    )
    parser.add_argument("--top", type=_top, default=20, help="rows kept per table (default 20)")
    parser.add_argument(
        "--label", default="", help='what the log is, shown with every table (e.g. "generated log")'
    )
    parser.set_defaults(func=cmd_traffic)


def cmd_traffic(args: argparse.Namespace) -> int:
    from .traffic import TrafficError, build_report, write_report

    out: Path = args.out
    if out.suffix != ".json" or not NAME.match(out.stem):
        print(
            f"error: --out {out}: expected NAME.json with NAME in lower-case letters, "
            "digits, '.', '_' or '-' (the directive's data=NAME)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    for log in args.logs:
        if not log.is_file():
            print(f"error: {log}: no such log file", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        report = build_report(
            args.logs, site_hosts=args.site, asn_db=args.asn_db, top=args.top, label=args.label
        )
    except TrafficError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ModuleNotFoundError as exc:
        # ua-parser and maxminddb are the optional extra `traffic` of pelican-tlsreport: a
        # site that only shows reports never needs them; say how to get them, not a traceback.
        if exc.name not in ("ua_parser", "maxminddb"):
            raise
        print(
            f"error: the traffic verb needs {exc.name}: pip install 'pelican-tlsreport[traffic]'",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        write_report(report, out)
    except OSError as exc:
        print(f"error: {out}: cannot write the report: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    print_summary(report)
    print(f"report: {out}")
    return EXIT_OK


def print_summary(report: dict[str, Any]) -> None:
    """A few lines a person checks before publishing: totals, peak, what was unreadable."""
    lines = report["lines"]
    period = report["period"]
    print(
        f"{lines['total']} lines, {lines['read']} requests read, "
        f"{lines['unreadable']} unreadable; {period['first']} to {period['last']}"
    )
    print(
        f"{report['page_views']} page views by {report['visitors']} visitors (per day); "
        f"{report['bots']['requests']} requests by bots and crawlers, counted apart"
    )
    if report["daily"]:
        best = max(report["daily"], key=lambda d: (d["views"], d["day"]))
        print(f"busiest day {best['day']}: {best['views']} page views")
    if report["peak_minute"]:
        ra = report["readers_at_once"]
        print(
            f"busiest minute {report['peak_minute']['at']}: "
            f"{report['peak_minute']['views']} page views; about {ra['max']} readers at once "
            f"at {ra['at']} (estimate)"
        )
    for kind, n in lines["unreadable_by_kind"].items():
        if n:
            print(f"unreadable ({kind}): {n}")
    for example in lines["examples"]:
        print(f"  {example}")
    if report["networks"] is None:
        print(f"networks: left out — {report['networks_note']}")
