"""`python -m tlsreport`: the command line.

Verbs: scan, scan-all, show, grade, import, traffic. Exit codes: 0 done (even when some targets were
unreachable — that is a result), 2 bad input (the message names file, line and field),
1 when a snapshot could not be written, 130 when interrupted (nothing is written then).

Each verb is one ``add_<verb>_parser(subparsers)`` function that registers its arguments and
its handler (``set_defaults(func=...)``); ``VERBS`` lists them, so a new verb is one function
and one line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from . import facts, mailview, vocabulary
from .dask_scan import DaskUnavailable, scan_on_cluster
from .grade import Grade
from .grading import grade_result, rules_of
from .history import History, SnapshotError
from .imports import difference
from .imports.cli import add_import_parser as add_import_verb
from .scan import scan_list
from .targets import TargetListError, load_target_list, load_target_lists
from .version import __version__

DEFAULT_OUT = Path("data/history")

USAGE = """\
Scan TLS servers, keep every scan as a snapshot in data/history/, and grade them the way
SSL Labs did on a given day.

  python -m tlsreport scan data/targets/my-lab.toml     scan one list, print its grades
  python -m tlsreport scan-all data/targets             scan every list with scan = true
  python -m tlsreport show my-lab                       the newest snapshot of a list
  python -m tlsreport grade my-lab --rules 2015-02-16   grades under that day's rules

show and grade take a list name, a list's history folder (data/history/my-lab) or one
snapshot file (data/history/my-lab/2026-12-05T082358Z.json).

Exit status: 0 done (unreachable targets are a result, not a failure), 2 bad input (the
message names the file, line and field), 1 a snapshot could not be written, 130 interrupted
(nothing is written then). `python -m tlsreport VERB --help` describes each verb.
"""
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
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="history directory (default: data/history)"
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=5.0,
        help="network timeout per connection, seconds (default 5)",
    )
    parser.add_argument(
        "--target-timeout",
        type=_positive,
        default=60.0,
        help="bound for one target's whole scan, seconds (default 60)",
    )
    parser.add_argument(
        "--overall-timeout",
        type=_positive,
        default=600.0,
        help="bound for the whole run, seconds (default 600)",
    )
    parser.add_argument(
        "--concurrency",
        type=_count,
        default=10,
        help="targets scanned at once (default 10; with --dask: per shard)",
    )
    parser.add_argument(
        "--dask",
        metavar="SCHEDULER_ADDRESS",
        default=None,
        help="scan on a dask.distributed cluster (tcp://host:8786); needs "
        "the dask extra, see README",
    )
    parser.add_argument(
        "--shard-size",
        type=_count,
        default=50,
        help="with --dask: targets per task sent to a worker (default 50)",
    )
    parser.add_argument(
        "--dask-connect-timeout",
        type=_positive,
        default=30.0,
        help="with --dask: seconds to reach the scheduler (default 30)",
    )


# --- scan / scan-all --------------------------------------------------------------------


def add_scan_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("scan", help="scan one target list, write a snapshot")
    parser.add_argument("targets", type=Path, help="target list (TOML)")
    _add_scan_options(parser)
    parser.set_defaults(func=cmd_scan)


def add_scan_all_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan-all", help="scan every list with scan = true in a directory"
    )
    parser.add_argument("directory", type=Path, help="directory of target lists (*.toml)")
    _add_scan_options(parser)
    parser.set_defaults(func=cmd_scan_all)


def cmd_scan(args: argparse.Namespace) -> int:

    try:
        target_list = load_target_list(args.targets)
    except TargetListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _scan_and_write(target_list, args)


def cmd_scan_all(args: argparse.Namespace) -> int:

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

    if not target_list.targets:
        print(
            f"{target_list.path}: target: no targets to scan — add a [[target]] table with "
            'host = "..." to the list',
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    _quiet_sslyze_warnings()
    try:
        # One line even without a terminal: says the run has started (scripts wait for it).
        print(
            f"tlsreport: scanning {len(target_list.targets)} targets of {target_list.slug!r}",
            file=sys.stderr,
            flush=True,
        )
        with _sigterm_as_interrupt(), _progress_display(len(target_list.targets)) as progress:
            options = dict(
                network_timeout=args.timeout,
                target_timeout=args.target_timeout,
                overall_timeout=args.overall_timeout,
                concurrency=args.concurrency,
                progress=progress,
            )
            if args.dask:
                try:
                    snapshot, raw = scan_on_cluster(
                        args.dask,
                        target_list,
                        shard_size=args.shard_size,
                        connect_timeout=args.dask_connect_timeout,
                        **options,
                    )
                except DaskUnavailable as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return EXIT_BAD_INPUT
            else:
                snapshot, raw = scan_list(target_list, **options)
            path = History(args.out).write(snapshot, raw)
    except KeyboardInterrupt:
        print("tlsreport: interrupted; no snapshot written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    print_snapshot_table(snapshot)
    print_grade_table(snapshot, snapshot.day, rules_of(snapshot.day).id)
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

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failures]} unreachable"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("scanning", total=total, failures=0)

        def update(progress: Any) -> None:
            bar.update(
                task,
                completed=progress.done,
                failures=progress.failures,
                description=f"scanning ({progress.last.target.name} done)",
            )

        yield update


# --- show ---------------------------------------------------------------------------------


def add_show_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="show a snapshot: targets, states and grades",
        description="Show one snapshot (the newest of a list, or a file): each target's "
        "state and what was found, then its grade under the snapshot's own rules.",
    )
    parser.add_argument(
        "snapshot",
        metavar="LIST_OR_SNAPSHOT",
        help="a list name (my-lab), a list's history folder "
        "(data/history/my-lab) or a snapshot file (.json)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_OUT,
        help="where list names are looked up (default: data/history)",
    )
    parser.add_argument("--json", action="store_true", help="print the whole snapshot as JSON")
    parser.set_defaults(func=cmd_show)


class NoSnapshot(ValueError):
    """A list name or folder that names no snapshot; the message says what to type."""


def resolve_snapshot(given: str | Path, history_root: Path) -> Path:
    """The snapshot file a LIST_OR_SNAPSHOT argument means: a file as is, a folder's newest
    snapshot, a list name's newest snapshot under ``history_root``.

    Why: bloggers think in lists ("show me my-lab"), not in time-stamped file names.
    """
    path = Path(given)
    if path.is_file() or path.suffix == ".json":
        return path
    if path.is_dir():
        infos = History(path.parent).infos(path.name)
        if infos:
            return infos[-1].path
        lists = History(path).lists()
        if lists:
            raise NoSnapshot(
                f"{path}: a history folder of several lists ({', '.join(lists)}); "
                f"name one: {path / lists[0]}"
            )
        raise NoSnapshot(f"{path}: no snapshot in this folder")
    infos = History(history_root).infos(str(given))
    if infos:
        return infos[-1].path
    known = History(history_root).lists()
    hint = (
        f"lists with history in {history_root}: {', '.join(known)}"
        if known
        else f"no list has history in {history_root} yet"
    )
    raise NoSnapshot(
        f"{given}: no such snapshot file, folder or list ({hint}); a new list needs a scan "
        f"first: python -m tlsreport scan data/targets/{path.name}.toml"
    )


def cmd_show(args: argparse.Namespace) -> int:

    try:
        chosen = resolve_snapshot(args.snapshot, args.history)
        snapshot = History(chosen.parent.parent).load(chosen)
    except (SnapshotError, NoSnapshot) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(facts.to_json(snapshot), indent=2, sort_keys=True))
    else:
        print_snapshot_table(snapshot)
        print_grade_table(snapshot, snapshot.day, rules_of(snapshot.day).id)
        print(f"snapshot: {chosen}")
    return EXIT_OK


def snapshot_rows(snapshot: Any) -> list[tuple[str, str, str, str]]:
    """(target, endpoint, state, detail) per result: what both tables show."""
    rows = []
    for result in snapshot.results:
        t = result.target
        endpoint = f"{t.host}:{t.port}/{t.service}"
        if result.recorded is not None:
            grade = result.recorded.grade or "not recorded"
            detail = grade + (
                f" ({', '.join(result.recorded.reasons)})" if result.recorded.reasons else ""
            )
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
            detail = vocabulary.state_detail(result)
        if result.endpoints:  # a host with several addresses: each one's state
            detail += "; " + ", ".join(f"{e.address} {e.state}" for e in result.endpoints)
        # One word per state (vocabulary.py): "scanned", or "not tested" and the cause.
        word = vocabulary.SCANNED if result.state == facts.STATE_OK else vocabulary.NOT_TESTED
        rows.append((t.name, endpoint, word, detail))
    return rows


def _issue14_bits(result: Any, taken: str) -> list[str]:
    """Days left (on the snapshot's day) and the mail policy's words, for ``show``."""
    day = date.fromisoformat(taken[:10])
    bits = []
    left = mailview.expiry_words(result, day)
    if left:
        bits.append(f"certificate: {left} on {day}")
    mail = mailview.mail_words(result)
    if mail:
        bits.append(f"mail: {mail}")
    return bits


def print_snapshot_table(snapshot: Any) -> None:

    # Every text comes from a list, a server or a hand-written file: escape it so a "[" in a
    # name or reason is printed, not read as rich markup.
    table = Table(title=escape(f"{snapshot.title} — {snapshot.kind} {snapshot.taken}"))
    for column in ("target", "endpoint", "state", "detail"):
        table.add_column(column, overflow="fold")
    for name, endpoint, state, detail in snapshot_rows(snapshot):
        table.add_row(
            escape(name),
            escape(endpoint),
            escape(state) if state == vocabulary.SCANNED else f"[bold]{escape(state)}[/bold]",
            escape(detail),
        )
    Console(width=max(100, Console().width)).print(table)


# --- grade --------------------------------------------------------------------------------


def add_grade_parser(subparsers: Any) -> None:
    """`grade LIST_OR_SNAPSHOT_OR_TARGETS [--rules DATE] [--json]`: grades under a day's rules."""
    parser = subparsers.add_parser(
        "grade",
        help="grade a snapshot (or scan a target list first) under a day's rules",
        description="Grade the newest snapshot of a list, a snapshot file, or a target list "
        "scanned now (nothing is written then), with the rules SSL Labs applied on "
        "the snapshot's date or on --rules DATE.",
    )
    parser.add_argument(
        "source",
        metavar="LIST_OR_SNAPSHOT_OR_TARGETS",
        help="a list name (my-lab), a list's history folder, a snapshot file "
        "(.json) or a target list (.toml, scanned first)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_OUT,
        help="where list names are looked up (default: data/history)",
    )
    parser.add_argument(
        "--rules",
        metavar="DATE",
        default=None,
        help="grade with the rules in force on DATE (YYYY-MM-DD); default: the snapshot's own date",
    )
    parser.add_argument("--json", action="store_true", help="print the grades as JSON")
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=5.0,
        help="network timeout when scanning a target list (default 5)",
    )
    parser.set_defaults(func=cmd_grade)


def endpoints_json(result: facts.TargetResult, g: Grade | None) -> list[dict[str, Any]]:
    """Each address the target was scanned at, with its own state and grade.

    A scan from before endpoints (or of one address) is its own one endpoint; a recorded
    grade measured no address, so it has none.
    """

    def one(
        address: str | None, state: str, reason: str | None, eg: Grade | None
    ) -> dict[str, Any]:
        return {
            "address": address,
            "state": state,
            "reason": reason,
            "grade": eg.letter if eg else None,
            "grade_if_trusted": eg.grade_if_trusted if eg else None,
            "reasons": [r.label for r in eg.reasons] if eg else [],
            "reason_ids": [r.id for r in eg.reasons] if eg else [],
        }

    if g is not None and g.endpoints:
        return [one(e.address, e.state, e.reason, e.grade) for e in g.endpoints]
    if result.endpoints:  # every endpoint unreachable: no grade, but each one's state
        return [one(e.address, e.state, e.reason, None) for e in result.endpoints]
    if result.facts is None and result.recorded is not None:
        return []
    address = (result.facts.ip if result.facts else None) or result.target.address
    return [one(address, result.state, result.reason, g)]


def cmd_grade(args: argparse.Namespace) -> int:

    try:
        if str(args.source).endswith(".toml"):
            try:
                target_list = load_target_list(Path(args.source))
            except TargetListError as exc:
                raise ValueError(str(exc)) from None
            _quiet_sslyze_warnings()
            snapshot, _raw = scan_list(target_list, network_timeout=args.timeout)
        else:
            chosen = resolve_snapshot(args.source, args.history)
            try:
                snapshot = History(chosen.parent.parent).load(chosen)
            except SnapshotError as exc:
                raise ValueError(str(exc)) from None
        taken = snapshot.day
        try:
            on = date.fromisoformat(args.rules) if args.rules else taken
        except ValueError:
            raise ValueError(f"--rules: {args.rules!r} is not a date (YYYY-MM-DD)") from None
        rules_id = rules_of(on).id
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    report = grade_report(snapshot, on, rules_id)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return EXIT_OK
    print_grade_table(snapshot, on, rules_id, report=report)
    return EXIT_OK


def grade_report(snapshot: facts.Snapshot, on: date, rules_id: str) -> dict[str, Any]:
    """The grades of a snapshot under ``on``'s rules, as plain data (``grade --json``)."""
    taken = snapshot.day

    def entry(result: facts.TargetResult) -> dict[str, Any]:
        t = result.target
        g: Grade | None = grade_result(result, on, taken=taken)
        out: dict[str, Any] = {
            "name": t.name,
            "host": t.host,
            "port": t.port,
            "service": t.service,
            "state": result.state,
            "reason": result.reason,
            "shown_as": vocabulary.state_word(result, g.letter if g else None),
            "state_detail": vocabulary.state_detail(result),
            "grade": g.letter if g else None,
            "grade_if_trusted": g.grade_if_trusted if g else None,
            "scores": facts.to_json(g.scores) if g else None,
            "caps": facts.to_json(g.caps) if g else [],
            "warnings": [w.label for w in g.warnings] if g else [],
            "reasons": [r.label for r in g.reasons] if g else [],
            "reason_ids": [r.id for r in g.reasons] if g else [],
            "not_tested": list(g.not_tested) if g else [],
            "determined": g.determined if g else None,
            "note": g.note if g else ("grade not recorded" if result.state == "ok" else ""),
            "endpoints_note": g.endpoints_note if g else "",
            "endpoints": endpoints_json(result, g),
        }
        if result.imported is not None:  # an import: the source's own grade beside ours
            differs = difference(result, g)
            out.update(
                source=result.imported.tool,
                source_grade=result.imported.source_grade,
                source_rating=result.imported.rating_version,
                source_differs=differs.text() if differs else None,
            )
        # Issue 14: days left on the snapshot's day, and the mail findings beside the grade.
        out.update(mailview.expiry_json(result, taken))
        out.update(mailview.mail_json(result))
        return out

    return {
        "rules": rules_id,
        "taken": snapshot.taken,
        "list": snapshot.list_slug,
        "kind": snapshot.kind,
        "targets": [entry(r) for r in snapshot.results],
    }


def common_not_tested(entries: list[dict[str, Any]]) -> list[str]:
    """What no graded target was tested for: said once under the table, not on every row."""
    graded = [e["not_tested"] for e in entries if e["state"] == "ok" and e["scores"]]
    if not graded:
        return []
    common = set(graded[0]).intersection(*graded[1:])
    return [item for item in graded[0] if item in common]


def print_grade_table(
    snapshot: facts.Snapshot, on: date, rules_id: str, *, report: dict[str, Any] | None = None
) -> None:
    """One row per target: grade, grade if trusted, score, reasons; "not tested" once."""
    report = report or grade_report(snapshot, on, rules_id)
    entries = report["targets"]
    common = common_not_tested(entries)
    rest = {id(e): [i for i in e["not_tested"] if i not in common] for e in entries}
    with_rest = any(rest.values())
    table = Table(title=escape(f"{snapshot.title} — grades under the rules of {rules_id}"))
    columns = ["target", "grade", "if trusted", "score", "reasons"]
    for column in [*columns, *(["also not tested"] if with_rest else [])]:
        table.add_column(column, overflow="fold")
    # Issue 14: days left and mail policy in a table of their own, so the grade table keeps
    # its width (a name or a reason folded over two lines is hard to read).
    more = Table(title="Certificates and mail policy")
    for column in ("target", "certificate", "mail policy (faults)"):
        more.add_column(column, overflow="fold")
    for e in entries:
        extra = [", ".join(rest[id(e)])] if with_rest else []
        if e["state"] != "ok":
            table.add_row(
                escape(e["name"]),
                f"[bold]{escape(e['shown_as'])}[/bold]",
                "",
                "",
                escape(e["state_detail"]),
                *extra,
            )
            continue
        grade = e["shown_as"]
        if e["grade"] and not e["determined"]:
            grade += " (?)"
        score = str(e["scores"]["total"]) if e["scores"] else ""
        reasons = " — ".join(x for x in (", ".join(e["reasons"]), e["note"]) if x)
        if e["endpoints_note"]:
            reasons = f"{e['endpoints_note']}: {reasons}" if e["reasons"] else e["endpoints_note"]
        table.add_row(
            escape(e["name"]),
            escape(grade),
            escape(e["grade_if_trusted"] or ""),
            score,
            escape(reasons),
            *[escape(x) for x in extra],
        )
        expiry = escape(e["expiry_text"] or "")
        if e["expiry"] in ("warning", "alert", "expired"):
            expiry = f"[bold]{expiry} ({e['expiry']})[/bold]"
        mail = "; ".join(f["text"] for f in e["mail_policy"] if f["level"] in ("bad", "warning"))
        if expiry or e["mail_policy"]:
            more.add_row(escape(e["name"]), expiry, escape(mail) or "none")
    if common:
        table.caption = escape("not tested on any target: " + ", ".join(common))
    console = Console(width=max(100, Console().width))
    console.print(table)
    if more.row_count:
        console.print(more)


# --- import (tlsreport.imports) -----------------------------------------------------------


def add_import_parser(subparsers: Any) -> None:
    """`import ssllabs|testssl FILE... --targets LIST.toml [--out DIR]` (imports/cli.py)."""
    add_import_verb(subparsers)


# --- entry point --------------------------------------------------------------------------

from .traffic_cli import add_traffic_parser  # noqa: E402 - the verb lives in its own module

VERBS: list[Callable[[Any], None]] = [
    add_scan_parser,
    add_scan_all_parser,
    add_show_parser,
    add_grade_parser,
    add_import_parser,
    add_traffic_parser,
]


def _prog() -> str:
    """``tlsreport`` when run as the installed command, else ``python -m tlsreport``.

    Usage lines and error messages then show the command the user actually typed.
    """
    return "tlsreport" if Path(sys.argv[0]).name == "tlsreport" else "python -m tlsreport"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog(), description=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # Which tlsreport wrote a snapshot is recorded in it; --version says which one is installed.
    parser.add_argument("--version", action="version", version=f"tlsreport {__version__}")
    subparsers = parser.add_subparsers(dest="verb", required=True)
    for add in VERBS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


def console_main() -> NoReturn:
    """The `tlsreport` command and `python -m tlsreport`: run ``main`` and leave the process.

    An interrupted scan leaves sslyze's network threads behind, and nothing is left to write.
    Finalising the interpreter would wait for those threads with the default signal handlers
    back in place, where the process was seen to die by SIGINT (exit -2, not 130) under load
    (tests/lab/test_scan_cli.py); so after an interrupt the process leaves at once.
    """
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console_main()
