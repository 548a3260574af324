"""Each post's data, downloadable: what its tables showed, as JSON and CSV (pure).

A reader who quotes a post, or wants to check it years later, gets the exact rows behind its
tables — target, grade, reasons, state and the snapshot they came from — not today's data.
The bytes are deterministic (sorted keys, fixed line ends) so two builds give the same files.

The reasons are the ones the table showed: a recorded grade's reasons as published, not the
grader's derived labels ("RC4 with modern browsers" was never in a 2015 post), and each row
says where its data came from (``source``: recorded by hand, scanned by tlsreport, imported).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import vocabulary
from .facts import STATE_OK, UNREACHABLE_STATES, Snapshot, TargetResult
from .grade import Grade
from .imports.compare import said

CSV_FIELDS = (
    "list",
    "snapshot",
    "target",
    "host",
    "port",
    "service",
    "state",
    "state_reason",
    "shown_as",
    "grade",
    "reasons",
    "source",
)

# Snapshot kind -> the row's ``source``. A kind other than these is data someone else
# produced and tlsreport read in: "imported".
SOURCES = {"recorded": "recorded", "scan": "scanned"}
IMPORTED = "imported"


def source_of(snapshot: Snapshot) -> str:
    """Where a snapshot's data came from: "recorded", "scanned" or "imported"."""
    return SOURCES.get(snapshot.kind, IMPORTED)


@dataclass
class PostView:
    """What one post showed: for its data files, the generated pages' "posts that mention"
    lists and the "changes since the last post" of the latest pages."""

    id: str
    title: str
    url: str
    date: datetime
    lists: dict[str, Snapshot | None] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    data_base: str = ""  # output path without extension: tlsreport/data/<slug>
    listed: bool = True  # a published article (pages, drafts and hidden posts are not)


def result_row(snapshot: Snapshot, result: TargetResult, g: Grade | None) -> dict[str, Any]:
    """One line of a post's data: one target and its grade under the snapshot's own date."""
    if result.state != STATE_OK:
        state = result.state
    elif g is None:
        state = "not recorded"
    else:
        state = STATE_OK
    return {
        "list": snapshot.list_slug,
        "snapshot": snapshot.taken,
        "target": result.target.name,
        "host": result.target.host,
        "port": result.target.port,
        "service": result.target.service,
        "state": state,
        "state_reason": result.reason or UNREACHABLE_STATES.get(result.state, ""),
        # The word the page showed where the grade would be (vocabulary.py): the letter,
        # "not tested" or "not recorded" — the same word as the badge, chart and changes.
        "shown_as": vocabulary.state_word(result, g.letter if g is not None else None),
        "grade": g.letter if g is not None else None,
        # The reasons as the page showed them (vocabulary.shown_reasons: endpoints that differ
        # first, then as published for a recorded grade on its own day, else the most specific
        # of each pair); `tlsreport grade --json` lists every finding with its id.
        "reasons": [*vocabulary.shown_reasons(result, g), *said(result, g)],
        "source": source_of(snapshot),
    }


def record_rows(
    view: PostView,
    snapshot: Snapshot,
    grades: Mapping[str, Grade | None],
    *,
    target: str | None = None,
    group: str | None = None,
) -> None:
    """Add the rows a grades (or target) view showed; each target of a snapshot once.

    ``grades``: target key → grade under the snapshot's own day (the build's grader).
    """
    seen = {(r["list"], r["snapshot"], r["target"]) for r in view.rows}
    for result in snapshot.results:
        if target is not None and not result.target.is_named(target):
            continue
        if group is not None and group not in result.target.group:
            continue
        row = result_row(snapshot, result, grades.get(result.target.key))
        key = (row["list"], row["snapshot"], row["target"])
        if key not in seen:
            view.rows.append(row)
            seen.add(key)


def data_json(view: PostView) -> bytes:
    doc = {
        "post": view.title,
        "url": view.url,
        "lists": {slug: (s.taken if s else None) for slug, s in sorted(view.lists.items())},
        "rows": view.rows,
    }
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def data_csv(view: PostView) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in view.rows:
        writer.writerow({**row, "grade": row["grade"] or "", "reasons": "; ".join(row["reasons"])})
    return buf.getvalue().encode()
