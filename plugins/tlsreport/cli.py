"""`python -m tlsreport`: the command line.

Verbs: scan, scan-all, show, grade. Exit codes: 0 done (even when some targets were
unreachable — that is a result), 2 bad input (the message names file, line and field).
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tlsreport", description=__doc__)
    parser.add_subparsers(dest="verb", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
