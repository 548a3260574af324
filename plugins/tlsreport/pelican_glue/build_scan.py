"""The build-time scan: lists with ``scan = true`` that TLSREPORT_SCAN says are due.

It runs once per build, before any post is read, and only writes history (outside
``content/``, so ``make devserver`` does not rebuild in a loop).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from ..history import History, needs_scan
from ..scan import scan_list
from .build import target_lists

log = logging.getLogger(__name__)


def scan_due_lists(settings: dict[str, Any], *, now: datetime) -> list[Path]:
    """Scan each list with ``scan = true`` that TLSREPORT_SCAN says is due; return new files."""
    mode = settings["TLSREPORT_SCAN"]
    if mode == "never":
        return []
    history = History(Path(settings["TLSREPORT_HISTORY_DIR"]))
    written: list[Path] = []
    for target_list in target_lists(settings):
        if not needs_scan(
            history, target_list, now=now, max_age=float(settings["TLSREPORT_MAX_AGE"]),
            mode=mode,
        ):
            continue
        log.info("tlsreport: scanning %s (%d targets)", target_list.slug,
                 len(target_list.targets))
        written.append(_scan_into(scan_list, target_list, history))
    return written


def _scan_into(scan_list: Any, target_list: Any, history: History) -> Path:
    snapshot, raw = scan_list(target_list)
    return history.write(snapshot, raw)

