"""`python -m tlsreport`: the command line.

Verbs: scan, scan-all, show, grade. Exit codes: 0 done (even when some targets were
unreachable — that is a result), 2 bad input (the message names file, line and field),
1 when a snapshot could not be written, 130 when interrupted (nothing is written then).

Each verb is one ``add_<verb>_parser(subparsers)`` function that registers its arguments and
its handler (``set_defaults(func=...)``); ``VERBS`` lists them, so a new verb is one function
and one line.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("data/history")
EXIT_OK, EXIT_WRITE_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _add_scan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="history directory (default: data/history)")
    parser.add_argument("--timeout", type=_positive, default=5.0,
                        help="network timeout per connection, seconds (default 5)")
    parser.add_argument("--target-timeout", type=_positive, default=60.0,
                        help="bound for one target's whole scan, seconds (default 60)")
    parser.add_argument("--overall-timeout", type=_positive, default=600.0,
                        help="bound for the whole run, seconds (default 600)")
    parser.add_argument("--concurrency", type=_count, default=10,
                        help="targets scanned at once (default 10)")


# --- scan / scan-all --------------------------------------------------------------------

def add_scan_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("scan", help="scan one target list, write a snapshot")
    parser.add_argument("targets", type=Path, help="target list (TOML)")
    _add_scan_options(parser)
    parser.set_defaults(func=cmd_scan)


def add_scan_all_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("scan-all",
                                   help="scan every list with scan = true in a directory")
    parser.add_argument("directory", type=Path, help="directory of target lists (*.toml)")
    _add_scan_options(parser)
    parser.set_defaults(func=cmd_scan_all)


def cmd_scan(args: argparse.Namespace) -> int:
    from .targets import TargetListError, load_target_list

    try:
        target_list = load_target_list(args.targets)
    except TargetListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _scan_and_write(target_list, args)


def cmd_scan_all(args: argparse.Namespace) -> int:
    from .targets import TargetListError, load_target_lists

    if not args.directory.is_dir():
        print(f"error: {args.directory}: not a directory of target lists", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        lists = load_target_lists(args.directory)
    except TargetListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    worst = EXIT_OK
    for target_list in lists:
        if not target_list.scan:
            print(f"{target_list.slug}: archive list (scan = false), not scanned")
            continue
        code = _scan_and_write(target_list, args)
        if code == EXIT_INTERRUPTED:
            return code
        worst = max(worst, code)
    return worst


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a scan like Ctrl-C does: nothing is written."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _scan_and_write(target_list: Any, args: argparse.Namespace) -> int:
    from .history import History, SnapshotError
    from .scan import scan_list

    if not target_list.targets:
        print(f"{target_list.path}: target: no targets to scan — add a [[target]] table with "
              'host = "..." to the list', file=sys.stderr)
        return EXIT_BAD_INPUT
    _quiet_sslyze_warnings()
    try:
        # One line even without a terminal: says the run has started (scripts wait for it).
        print(f"tlsreport: scanning {len(target_list.targets)} targets of "
              f"{target_list.slug!r}", file=sys.stderr, flush=True)
        with _sigterm_as_interrupt(), _progress_display(len(target_list.targets)) as progress:
            snapshot, raw = scan_list(
                target_list, network_timeout=args.timeout, target_timeout=args.target_timeout,
                overall_timeout=args.overall_timeout, concurrency=args.concurrency,
                progress=progress)
            path = History(args.out).write(snapshot, raw)
    except KeyboardInterrupt:
        print("tlsreport: interrupted; no snapshot written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    print_snapshot_table(snapshot)
    print(f"snapshot: {path}")
    return EXIT_OK


def _quiet_sslyze_warnings() -> None:
    """sslyze's trust stores raise a CryptographyDeprecationWarning on every scan (pitfall 7)."""
    try:
        from cryptography.utils import CryptographyDeprecationWarning
    except ImportError:
        return
    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)


@contextmanager
def _progress_display(total: int) -> Iterator[Callable[[Any], None] | None]:
    """A rich progress bar on a terminal (done/total, failures); nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[failures]} unreachable"),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("scanning", total=total, failures=0)

        def update(progress: Any) -> None:
            bar.update(task, completed=progress.done, failures=progress.failures,
                       description=f"scanning ({progress.last.target.name} done)")

        yield update


# --- show ---------------------------------------------------------------------------------

def add_show_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("show", help="show a snapshot's targets and states")
    parser.add_argument("snapshot", type=Path, help="snapshot file (.json)")
    parser.add_argument("--json", action="store_true", help="print the whole snapshot as JSON")
    parser.set_defaults(func=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    from . import facts
    from .history import History, SnapshotError

    try:
        snapshot = History(args.snapshot.parent.parent).load(args.snapshot)
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(facts.to_json(snapshot), indent=2, sort_keys=True))
    else:
        print_snapshot_table(snapshot)
    return EXIT_OK


def snapshot_rows(snapshot: Any) -> list[tuple[str, str, str, str]]:
    """(target, endpoint, state, detail) per result: what both tables show."""
    rows = []
    for result in snapshot.results:
        t = result.target
        endpoint = f"{t.host}:{t.port}/{t.service}"
        if result.recorded is not None:
            grade = result.recorded.grade or "not recorded"
            detail = grade + (f" ({', '.join(result.recorded.reasons)})"
                              if result.recorded.reasons else "")
        elif result.facts is not None:
            f = result.facts
            bits = [f.highest_version or "?"]
            if f.certificate is not None and f.certificate.problem:
                bits.append(f"certificate: {f.certificate.problem}")
            if f.errors:
                bits.append(f"{len(f.errors)} scan command(s) failed")
            bits += _issue14_bits(result, snapshot.taken)
            detail = ", ".join(bits)
        else:
            detail = result.reason or ""
        rows.append((t.name, endpoint, result.state, detail))
    return rows


def _issue14_bits(result: Any, taken: str) -> list[str]:
    """Days left (on the snapshot's day) and the mail policy's words, for ``show``."""
    from datetime import date

    from .mailview import expiry_words, mail_words

    day = date.fromisoformat(taken[:10])
    bits = []
    if expiry_words(result, day):
        bits.append(f"certificate: {expiry_words(result, day)} on {day}")
    if mail_words(result):
        bits.append(f"mail: {mail_words(result)}")
    return bits


def print_snapshot_table(snapshot: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Every text comes from a list, a server or a hand-written file: escape it so a "[" in a
    # name or reason is printed, not read as rich markup.
    table = Table(title=escape(f"{snapshot.title} — {snapshot.kind} {snapshot.taken}"))
    for column in ("target", "endpoint", "state", "detail"):
        table.add_column(column, overflow="fold")
    for name, endpoint, state, detail in snapshot_rows(snapshot):
        table.add_row(escape(name), escape(endpoint),
                      escape(state) if state == "ok" else f"[bold]{escape(state)}[/bold]",
                      escape(detail))
    Console(width=max(100, Console().width)).print(table)


# --- grade --------------------------------------------------------------------------------

def add_grade_parser(subparsers: Any) -> None:
    """`grade SNAPSHOT_OR_TARGETS [--rules DATE] [--json]`: grades under a day's rules."""
    parser = subparsers.add_parser(
        "grade", help="grade a snapshot (or scan a target list first) under a day's rules")
    parser.add_argument("source", type=Path, metavar="SNAPSHOT_OR_TARGETS",
                        help="snapshot file (.json) or target list (.toml, scanned first)")
    parser.add_argument("--rules", metavar="DATE", default=None,
                        help="grade with the rules in force on DATE (YYYY-MM-DD); "
                             "default: the snapshot's own date")
    parser.add_argument("--json", action="store_true", help="print the grades as JSON")
    parser.add_argument("--timeout", type=_positive, default=5.0,
                        help="network timeout when scanning a target list (default 5)")
    parser.set_defaults(func=cmd_grade)


def cmd_grade(args: argparse.Namespace) -> int:
    from datetime import date

    from . import facts, mailview
    from .grade import Grade, grade_result, rules_of

    try:
        if args.source.suffix == ".toml":
            from .scan import scan_list
            from .targets import TargetListError, load_target_list

            try:
                target_list = load_target_list(args.source)
            except TargetListError as exc:
                raise ValueError(str(exc)) from None
            _quiet_sslyze_warnings()
            snapshot, _raw = scan_list(target_list, network_timeout=args.timeout)
        else:
            from .history import History, SnapshotError

            try:
                snapshot = History(args.source.parent.parent).load(args.source)
            except SnapshotError as exc:
                raise ValueError(str(exc)) from None
        taken = date.fromisoformat(snapshot.taken[:10])
        try:
            on = date.fromisoformat(args.rules) if args.rules else taken
        except ValueError:
            raise ValueError(f"--rules: {args.rules!r} is not a date (YYYY-MM-DD)") from None
        rules_id = rules_of(on).id
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def entry(result: facts.TargetResult) -> dict[str, Any]:
        t = result.target
        g: Grade | None = grade_result(result, on, taken=taken)
        out: dict[str, Any] = {
            "name": t.name, "host": t.host, "port": t.port, "service": t.service,
            "state": result.state, "reason": result.reason,
            "grade": g.letter if g else None,
            "grade_if_trusted": g.grade_if_trusted if g else None,
            "scores": facts.to_json(g.scores) if g else None,
            "caps": facts.to_json(g.caps) if g else [],
            "warnings": [w.label for w in g.warnings] if g else [],
            "reasons": [r.label for r in g.reasons] if g else [],
            "reason_ids": [r.id for r in g.reasons] if g else [],
            "not_tested": list(g.not_tested) if g else [],
            "determined": g.determined if g else None,
            "note": g.note if g else (
                "grade not recorded" if result.state == "ok" else ""),
        }
        # Issue 14: days left on the snapshot's day, and the mail findings beside the grade.
        out.update(mailview.expiry_json(result, taken))
        out.update(mailview.mail_json(result))
        return out

    report = {"rules": rules_id, "taken": snapshot.taken, "list": snapshot.list_slug,
              "kind": snapshot.kind, "targets": [entry(r) for r in snapshot.results]}
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return EXIT_OK
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{snapshot.title} — {snapshot.kind} {snapshot.taken}, "
                        f"rules of {rules_id}")
    for column in ("target", "grade", "if trusted", "score", "reasons", "not tested"):
        table.add_column(column, overflow="fold")
    # Issue 14: days left and mail policy in a table of their own, so the grade table keeps
    # its width (a name or a reason folded over two lines is hard to read).
    extra = Table(title="Certificates and mail policy")
    for column in ("target", "certificate", "mail policy (faults)"):
        extra.add_column(column, overflow="fold")
    for e in report["targets"]:
        if e["state"] != "ok":
            table.add_row(e["name"], f"[bold]{e['state']}[/bold]", "", "", e["reason"] or "", "")
            continue
        grade = e["grade"] or "—"
        if e["grade"] and not e["determined"]:
            grade += " (?)"
        score = str(e["scores"]["total"]) if e["scores"] else ""
        reasons = ", ".join(e["reasons"]) + (f" — {e['note']}" if e["note"] else "")
        expiry = e["expiry_text"] or ""
        if e["expiry"] in ("warning", "alert", "expired"):
            expiry = f"[bold]{expiry} ({e['expiry']})[/bold]"
        mail = "; ".join(f["text"] for f in e["mail_policy"] if f["level"] in ("bad", "warning"))
        table.add_row(e["name"], grade, e["grade_if_trusted"] or "", score, reasons,
                      ", ".join(e["not_tested"]))
        if expiry or e["mail_policy"]:
            extra.add_row(escape(e["name"]), expiry, escape(mail) or "none")
    console = Console(width=max(100, Console().width))
    console.print(table)
    if extra.row_count:
        console.print(extra)
    return EXIT_OK


# --- entry point --------------------------------------------------------------------------

VERBS: list[Callable[[Any], None]] = [add_scan_parser, add_scan_all_parser, add_show_parser,
                                      add_grade_parser]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tlsreport", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="verb", required=True)
    for add in VERBS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
