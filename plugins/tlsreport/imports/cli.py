"""`python -m tlsreport import ssllabs|testssl FILE... --targets LIST.toml [--out DIR]`.

Kept beside the importers (tlsreport.cli only registers the verb) so the command line's
wiring stays one line in cli.py. Exit status as for ``scan``: 0 written, 2 bad input (the
message names the file and, where it matters, the JSON path; nothing is written), 1 when a
snapshot could not be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_WRITE_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_import_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="import SSL Labs or testssl.sh results into a list's history"
    )
    parser.add_argument(
        "source",
        choices=("ssllabs", "testssl"),
        help="ssllabs: SSL Labs API JSON (analyze?all=done, v2 or v3); "
        "testssl: testssl.sh --jsonfile / --jsonfile-pretty",
    )
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE")
    parser.add_argument(
        "--targets",
        type=Path,
        required=True,
        metavar="LIST.toml",
        help="the target list the results belong to",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="history directory (default: the list's, data/history)",
    )
    parser.add_argument(
        "--taken",
        default=None,
        metavar="YYYY-MM-DDTHH:MM:SSZ",
        help="put everything imported into ONE snapshot at this time (each "
        "result keeps its own assessment time); required for "
        "testssl.sh flat --jsonfile files, which record no time",
    )
    parser.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from ..history import SnapshotError
    from ..targets import TargetListError, load_target_list
    from . import build_snapshots, results_from_ssllabs, results_from_testssl
    from .common import ImportInputError, check_taken

    try:
        target_list = load_target_list(args.targets)
    except TargetListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out if args.out is not None else Path("data/history")
    try:
        taken = None
        if args.taken is not None:
            try:
                taken = check_taken(args.taken, Path("--taken"), "")
            except ImportInputError:
                print(
                    f"error: --taken: {args.taken!r} is not a time (YYYY-MM-DDTHH:MM:SSZ, UTC)",
                    file=sys.stderr,
                )
                return EXIT_BAD_INPUT
        if args.source == "ssllabs":
            imported = results_from_ssllabs(args.files, target_list)
            tool = "SSL Labs"
        else:
            imported = results_from_testssl(args.files, target_list, taken=args.taken)
            tool = "testssl.sh"
        snapshots = build_snapshots(target_list, imported, tool=tool, taken=taken)
        from .common import write_snapshots

        paths = write_snapshots(out, snapshots)
    except ImportInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    for snapshot, path in zip(snapshots, paths, strict=True):
        done = [r for r in snapshot.results if r.imported is not None]
        names = ", ".join(
            f"{r.target.name} ({r.imported.source_grade or 'no grade'})"
            for r in done
            if r.imported is not None
        )
        print(f"{path}: {len(done)} target(s) from {tool} at {snapshot.taken}: {names}")
        for r in done:
            if r.imported is not None and r.imported.note:
                print(f"  {r.target.name}: {r.imported.note}")
    return EXIT_OK
