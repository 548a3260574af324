"""`scan` ends with a grade table; `show`/`grade` take the list's name: against a real lab server.

A lab of one modern server (and a closed port) on 127.0.0.1, scanned by the real sslyze
through the real command line in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tlsreport.lab import Lab

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def tlsreport(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tlsreport", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=180,
        cwd=cwd,
    )


def test_scan_prints_grades_and_show_grade_take_the_list_name(tmp_path: Path) -> None:
    with Lab(tmp_path / "lab", ["modern", "closed"]) as lab:
        lab.write_targets_toml(
            tmp_path / "data" / "targets" / "mini.toml", title="Mini", slug="mini"
        )
        scanned = tlsreport("scan", "data/targets/mini.toml", "--timeout", "5", cwd=tmp_path)
    assert scanned.returncode == 0, scanned.stderr
    out = scanned.stdout
    assert "Mini — grades under the rules of" in out
    modern_row = next(
        line
        for line in out.splitlines()
        if "Lab modern" in line and "grade" not in line and "TLS" not in line
    )
    assert any(letter in modern_row.split() for letter in ("A+", "A", "A-", "B")), modern_row
    assert out.rstrip().splitlines()[-1].startswith("snapshot: data/history/mini/")

    shown = tlsreport("show", "mini", cwd=tmp_path)  # default history: data/history
    assert shown.returncode == 0, shown.stderr
    assert "grades under the rules of" in shown.stdout
    graded = tlsreport("grade", "data/history/mini", "--json", cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    grades = {t["name"]: t["grade"] for t in json.loads(graded.stdout)["targets"]}
    assert grades["Lab closed"] is None and grades["Lab modern"] is not None
