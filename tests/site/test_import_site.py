"""A post over a history that mixes a recorded grade, an SSL Labs import and a scan.

Built with the real Pelican, theme and plugin (tests/sitekit.py); the import goes through the
real command line from the SSL Labs fixtures in tests/data/ssllabs.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import sitekit
from tlsreport import cli
from tlsreport.facts import Recorded, Snapshot, TargetResult
from tlsreport.history import History
from tlsreport.pelican_glue.build import BuildGrades
from tlsreport.targets import load_target_list

DATA = Path(__file__).resolve().parents[1] / "data" / "ssllabs"


def test_a_post_shows_a_history_of_recorded_grades_imports_and_scans(tmp_path):
    site = tmp_path / "site"
    history = site / "history"
    (site / "targets").mkdir(parents=True)
    shutil.copy(DATA / "targets.toml", site / "targets" / "imported.toml")
    listing = load_target_list(site / "targets" / "imported.toml")
    optima = next(t for t in listing.targets if t.name == "Optima-like").ref()
    sitekit.write_history(
        history,
        [
            Snapshot(
                list_slug="imported",
                title=listing.title,
                taken="2015-01-10T12:00:00Z",
                kind="recorded",
                results=(
                    TargetResult(
                        target=optima,
                        recorded=Recorded(grade="B", reasons=("RC4 (insecure)",), source="a post"),
                    ),
                ),
            )
        ],
    )
    assert (
        cli.main(
            [
                "import",
                "ssllabs",
                str(DATA / "v2-poodle-tls.json"),
                "--targets",
                str(site / "targets" / "imported.toml"),
                "--out",
                str(history),
            ]
        )
        == 0
    )
    imported = History(history).latest("imported")
    assert imported is not None and imported.kind == "imported"
    # a later scan of ours with the same findings (facts kept, import record dropped)
    History(history).write(
        replace(
            imported,
            taken="2015-03-01T12:00:00Z",
            kind="scan",
            results=tuple(
                replace(r, imported=None) for r in imported.results if r.facts is not None
            ),
        )
    )
    sitekit.post(
        site,
        "mixed",
        """
        Since the last post:

        [tlsreport changes list=imported since=2015-01-10]

        [tlsreport grades list=imported compact=yes]
        """,
        Date="2015-03-02",
    )
    out = sitekit.build(site)
    page = sitekit.soup(out / "mixed.html")
    changes = page.select_one(".tlsreport-changes").get_text(" ", strip=True)
    assert "Optima-like" in changes and "B → F" in changes.replace("\u2192", "→")
    assert "(imported from SSL Labs, v2-poodle-tls.json)" in changes
    grades = page.select_one(".tlsreport-grades").get_text(" ", strip=True)
    assert "Optima-like" in grades and "vulnerable to POODLE (TLS)" in grades


def test_the_targets_an_import_did_not_cover_say_so(tmp_path):
    from tlsreport import render

    assert (
        cli.main(
            [
                "import",
                "ssllabs",
                str(DATA / "v2-poodle-tls.json"),
                "--targets",
                str(DATA / "targets.toml"),
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    snapshot = History(tmp_path).latest("imported")
    day = snapshot_day(snapshot)
    html = render.grades_view(
        render.environment(),
        snapshot,
        on=day,
        compact=True,
        grades=BuildGrades().of_snapshot(snapshot, day),
    )
    # The badge says the one word for a missing grade ("not recorded", vocabulary.py); the
    # reasons cell says why: the import did not cover that target.
    assert html.count('<span class="tls-reason">not in this import</span>') == 5


def snapshot_day(snapshot: Snapshot):
    return snapshot.day
