"""`python -m tlsreport grade`: a readable table, or JSON of the issue's shape.

Snapshots are what history writes (``facts.to_json(snapshot)``): the recorded example series,
one built from hand-made facts, and — for a target list — a real scan of a lab server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gradekit import RC4, make_facts
from tlsreport.cli import main
from tlsreport.facts import Snapshot, TargetRef, TargetResult, to_json
from tlsreport.lab.runner import targets_toml

ROOT = Path(__file__).resolve().parents[2]
PART4 = ROOT / "data" / "history" / "belgian-banks" / "2015-03-03T120000Z.json"

ISSUE_KEYS = {
    "name",
    "host",
    "port",
    "state",
    "grade",
    "grade_if_trusted",
    "scores",
    "caps",
    "warnings",
    "reasons",
    "not_tested",
}


def run_json(capsys, *args: str) -> dict:
    assert main(["grade", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def scan_snapshot(tmp_path: Path) -> Path:
    snapshot = Snapshot(
        list_slug="hand",
        title="Hand-built",
        taken="2026-11-26T10:00:00Z",
        results=(
            TargetResult(
                TargetRef(name="ING", host="www.ing.be"),
                facts=make_facts(protocols={"TLSv1.0": (RC4,)}),
            ),
            TargetResult(
                TargetRef(name="Gone", host="gone.example"),
                state="refused",
                reason="connection refused",
            ),
        ),
    )
    path = tmp_path / "hand" / "2026-11-26T100000Z.json"
    path.parent.mkdir()
    path.write_text(json.dumps(to_json(snapshot)))
    return path


def test_grade_json_has_the_issue_shape_for_a_scan_snapshot(capsys, scan_snapshot):
    report = run_json(capsys, str(scan_snapshot))
    assert report["rules"] == "2025-05-16"
    assert report["taken"] == "2026-11-26T10:00:00Z"
    ing, gone = report["targets"]
    assert set(ing) >= ISSUE_KEYS
    assert (ing["name"], ing["host"], ing["port"], ing["state"]) == ("ING", "www.ing.be", 443, "ok")
    assert (ing["grade"], ing["grade_if_trusted"]) == ("B", "B")
    assert set(ing["scores"]) == {"protocol", "key_exchange", "cipher", "total"}
    assert {"grade": "B", "rule": "rc4", "reason": "RC4 (insecure)", "since": "2014-12-08"} in ing[
        "caps"
    ]
    assert "RC4 (insecure)" in ing["reasons"]
    assert gone["state"] == "refused" and gone["grade"] is None


def test_grade_rules_option_picks_the_rule_set_of_that_day(capsys, scan_snapshot):
    report = run_json(capsys, str(scan_snapshot), "--rules", "2015-03-03")
    assert report["rules"] == "2014-12-08"
    assert report["targets"][0]["grade"] == "B"
    report = run_json(capsys, str(scan_snapshot), "--rules", "2014-06-01")
    assert report["targets"][0]["grade"] == "A+"  # RC4 on TLS 1.0 only: not yet capped


def test_grade_recorded_snapshot_uses_its_own_date_by_default(capsys):
    report = run_json(capsys, str(PART4))
    assert report["rules"] == "2014-12-08"
    by_name = {t["name"]: t for t in report["targets"]}
    assert by_name["Optima Bank"]["grade"] == "F"
    assert by_name["PSA Bank"]["determined"] is False
    assert by_name["Binck"]["grade"] is None
    assert by_name["Europabank"]["state"] == "untestable"


def test_grade_recorded_snapshot_under_end_2015_rules(capsys):
    report = run_json(capsys, str(PART4), "--rules", "2015-12-31")
    by_name = {t["name"]: t for t in report["targets"]}
    assert report["rules"] == "2015-10-14"
    assert by_name["KBC"]["grade"] == "C"


def test_grade_table_is_readable(capsys, scan_snapshot):
    assert main(["grade", str(scan_snapshot)]) == 0
    out = capsys.readouterr().out
    assert "rules of 2025-05-16" in out
    assert "ING" in out and "RC4 (insecure)" in out and "refused" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rules", "yesterday"], "is not a date"),
        (["--rules", "2010-01-01"], "no rule set before 2013-02-07"),
    ],
)
def test_grade_bad_rules_date_is_exit_2(capsys, scan_snapshot, args, message):
    assert main(["grade", str(scan_snapshot), *args]) == 2
    assert message in capsys.readouterr().err


def test_grade_broken_snapshot_is_exit_2_naming_the_file(capsys, tmp_path):
    bad = tmp_path / "x" / "2026-01-01T000000Z.json"
    bad.parent.mkdir()
    bad.write_text("{not json")
    assert main(["grade", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err


def test_python_m_tlsreport_grade_runs_as_a_command(scan_snapshot):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    done = subprocess.run(
        [sys.executable, "-m", "tlsreport", "grade", str(scan_snapshot), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["targets"][0]["grade"] == "B"


@pytest.mark.lab
def test_grade_a_target_list_scans_it_first(capsys, lab, tmp_path):
    modern = [t for t in lab.targets if t.profile == "modern"]
    path = tmp_path / "modern.toml"
    path.write_text(targets_toml(modern, lab.ca_file.resolve(), title="Modern", slug="modern"))
    report = run_json(capsys, str(path))
    (target,) = report["targets"]
    assert (target["state"], target["grade"]) == ("ok", "A+")
    assert target["scores"]["total"] > 80
