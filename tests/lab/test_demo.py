"""`make demo` end to end: the real lab, the real scanner, the real build, one post to read.

Runs ``python -m tlsreport.lab.demo`` as `make demo` does (a subprocess, so the lab's server
processes and Pelican run exactly as for the user), into a temporary folder with an empty
content folder of its own, then reads the demo post and checks that every lab profile sits
under the grade the grader gives its scanned facts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from tlsreport.grading import grade_result
from tlsreport.history import History
from tlsreport.lab.demo import DEMO_SLUG, demo_post
from tlsreport.lab.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[2]


def test_demo_post_template_names_the_snapshot_and_the_views() -> None:
    text = demo_post(slug="lab", taken="2026-11-26T10:00:00Z", count=3)
    assert "Tlsreport_snapshot: 2026-11-26T10:00:00Z" in text
    assert "Date: 2026-11-26 10:00Z" in text
    for directive in (
        "[tlsreport grades list=lab]",
        "[tlsreport grades list=lab compact=yes]",
        "[tlsreport chart list=lab kind=distribution]",
    ):
        assert f"\n{directive}\n" in text


@pytest.mark.lab
def test_make_demo_shows_every_lab_profile_under_its_grade(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    out = tmp_path / "output"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tlsreport.lab.demo",
            "--dir",
            str(tmp_path / "demo"),
            "--content",
            str(content),
            "--output",
            str(out),
            "--settings",
            str(ROOT / "pelican.conf.py"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = out / "tlsreport-lab-demo.html"
    assert f"Open {page}" in proc.stdout

    history = History(tmp_path / "demo" / "history")
    (info,) = history.infos(DEMO_SLUG)
    snapshot = history.load(info)
    assert {r.target.name for r in snapshot.results} == {f"Lab {p}" for p in PROFILES}

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    grades = soup.select(".post-content .tlsreport-grades")[0]
    shown: dict[str, str] = {}
    for heading in grades.select(".tlsreport-grade-heading"):
        ul = heading.find_next_sibling()
        if ul is not None and ul.name == "ul":
            for li in ul.find_all("li"):
                name = li.get_text(" ", strip=True).split(" :")[0].split(":")[0].strip()
                shown[name] = heading.get_text(" ", strip=True)
    on = date.fromisoformat(snapshot.taken[:10])
    expected = {}
    for result in snapshot.results:
        grade = grade_result(result, on, taken=on) if result.state == "ok" else None
        expected[result.target.name] = grade.letter if grade is not None else "not tested"
    assert shown == expected
    assert shown["Lab modern"] in ("A+", "A")
    assert shown["Lab closed"] == shown["Lab silent"] == "not tested"
    # The compact table and the distribution chart are there too, chart file included.
    assert len(soup.select(".post-content table.tlsreport-table")) >= 2
    img = soup.select_one(".post-content figure.tlsreport-chart img")
    assert (out / img["src"]).is_file()
    # content/ of the site was not written: the demo post lives in the demo's own copy.
    assert list(content.rglob("*.md")) == []
