"""A post's data files carry what its table showed, and where it came from (issue 15, point 5).

A recorded 2015 grade is downloaded with the reasons the post published — not the reasons the
grader derives when it regrades them ("RC4 with modern browsers", never in a 2015 post) — and
every row says whether it was recorded by hand, scanned by tlsreport or imported.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from sitekit import recorded, snapshot
from tlsreport.downloads import (
    PostView,
    data_csv,
    data_json,
    record_rows,
    source_of,
)
from tlsreport.facts import Snapshot
from tlsreport.grading import facts_from_reasons
from tlsreport.pelican_glue.build import BuildGrades
from tlsreport.vocabulary import shown_reasons

PSA = ("weak signature (SHA1)", "no TLS 1.2", "RC4 (insecure)", "no Forward Secrecy")


def _rows(snap: Snapshot) -> list[dict]:
    view = PostView("p", "P", "p.html", datetime(2015, 3, 3, tzinfo=UTC))
    record_rows(view, snap, BuildGrades().of_snapshot(snap))
    return view.rows


def test_recorded_rows_carry_the_published_reasons_in_their_order() -> None:
    snap = snapshot("2015-03-03T12:00:00Z", [recorded("PSA Bank", "C", *PSA)])
    grade = BuildGrades().of_snapshot(snap)[snap.results[0].target.key]
    assert grade is not None
    derived = [r.label for r in grade.reasons]
    assert derived != list(PSA)  # the grader words them differently: the bug this pins
    (row,) = _rows(snap)
    assert row["reasons"] == list(PSA)
    assert row["source"] == "recorded"
    assert shown_reasons(snap.results[0], grade) == list(PSA)


def test_rows_of_a_scan_say_scanned_and_of_another_kind_imported() -> None:
    snap = snapshot("2026-11-26T12:00:00Z", [recorded("Lab", "B", "RC4 (insecure)")])
    assert source_of(snap) == "recorded"
    scanned = Snapshot(
        list_slug=snap.list_slug,
        title=snap.title,
        taken=snap.taken,
        kind="scan",
        results=tuple(
            r.__class__(target=r.target, facts=facts_from_reasons(["RC4 (insecure)"])[0])
            for r in snap.results
        ),
    )
    assert source_of(scanned) == "scanned"
    (row,) = _rows(scanned)
    assert row["source"] == "scanned" and row["reasons"]
    imported = Snapshot(list_slug="l", title="L", taken=snap.taken, kind="import")
    assert source_of(imported) == "imported"


def test_json_and_csv_both_carry_reasons_and_source() -> None:
    snap = snapshot("2015-03-03T12:00:00Z", [recorded("PSA Bank", "C", *PSA)])
    view = PostView("p", "P", "p.html", datetime(2015, 3, 3, tzinfo=UTC))
    record_rows(view, snap, BuildGrades().of_snapshot(snap))
    doc = json.loads(data_json(view))
    assert doc["rows"][0]["reasons"] == list(PSA) and doc["rows"][0]["source"] == "recorded"
    (row,) = list(csv.DictReader(io.StringIO(data_csv(view).decode())))
    assert row["reasons"] == "; ".join(PSA) and row["source"] == "recorded"
