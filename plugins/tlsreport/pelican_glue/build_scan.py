"""The build-time scan: lists with ``scan = true`` that TLSREPORT_SCAN says are due.

It runs once per build, before any post is read, and only writes history (outside
``content/``, so ``make devserver`` does not rebuild in a loop). It says what it scans, why,
and how long it took: a `make html` that connects to servers must never do so silently.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..history import History, needs_scan
from .build import target_lists

log = logging.getLogger(__name__)


def _say(text: str) -> None:
    """One line on stderr, whatever Pelican's log level (its default hides INFO)."""
    print(f"tlsreport: {text}", file=sys.stderr, flush=True)


def why_due(history: History, slug: str, *, now: datetime, mode: str, max_age: float) -> str:
    """Why a due list is scanned, in the blogger's words (for the build's output)."""
    if mode == "always":
        return 'TLSREPORT_SCAN = "always"'
    infos = history.infos(slug)
    if not infos:
        return "it has no snapshot yet"
    hours = (now - infos[-1].taken).total_seconds() / 3600
    return f"its newest snapshot is {hours:.1f} h old (TLSREPORT_MAX_AGE = {max_age / 3600:.1f} h)"


def scan_due_lists(
    settings: dict[str, Any], *, now: datetime, say: Callable[[str], None] = _say
) -> list[Path]:
    """Scan each list with ``scan = true`` that TLSREPORT_SCAN says is due; return new files."""
    mode = settings["TLSREPORT_SCAN"]
    if mode == "never":
        return []
    history = History(Path(settings["TLSREPORT_HISTORY_DIR"]))
    max_age = float(settings["TLSREPORT_MAX_AGE"])
    written: list[Path] = []
    for target_list in target_lists(settings):
        if not needs_scan(history, target_list, now=now, max_age=max_age, mode=mode):
            continue
        names = ", ".join(t.name for t in target_list.targets)
        count = len(target_list.targets)
        say(
            f"scanning {target_list.slug!r} ({count} target{'s' if count != 1 else ''}: "
            f"{names}) "
            f"because {why_due(history, target_list.slug, now=now, mode=mode, max_age=max_age)}"
            " ..."
        )
        started = time.monotonic()
        # Imported only when a list is due: the scanner (sslyze, cryptography) costs a build
        # that scans nothing about a tenth of plain Pelican's whole build time.
        from ..scan import scan_list

        snapshot, path = _scan_into(scan_list, target_list, history)
        reachable = sum(1 for r in snapshot.results if r.state == "ok")
        say(
            f"scanned {target_list.slug!r} in {time.monotonic() - started:.1f} s: "
            f"{reachable} of {len(snapshot.results)} reachable; wrote {path}"
        )
        written.append(path)
    return written


def _scan_into(scan_list: Any, target_list: Any, history: History) -> tuple[Any, Path]:
    snapshot, raw = scan_list(target_list)
    return snapshot, history.write(snapshot, raw)
