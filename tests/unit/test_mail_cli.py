"""`show` and `grade` print days left and the mail findings (on the recorded mail scan)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tlsreport.cli import main

ROOT = Path(__file__).resolve().parents[2]
MAIL = sorted((ROOT / "data" / "history" / "mail-servers").glob("*.json"))


def test_grade_json_has_days_left_and_mail_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", "--json", str(MAIL[-1])]) == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {t["name"]: t for t in report["targets"]}
    submission = by_name["Submission (STARTTLS required)"]
    assert submission["grade"] == "A" and "HSTS" not in submission["not_tested"]
    # The recorded 90-day certificate, counted from the snapshot's own day.
    assert (submission["days_left"], submission["expiry"]) == (90, "ok")
    assert submission["expiry_text"] == "90 days left"
    assert "submission-tls-required" in {f["id"] for f in submission["mail_policy"]}
    mx = by_name["SMTP (MX, STARTTLS)"]
    assert {f["id"] for f in mx["mail_domain"]} == {"mta-sts", "tls-rpt", "dane-match"}


def test_show_and_grade_tables_say_days_left(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per row: no wrapped cells
    assert main(["show", str(MAIL[-1])]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "90 days left on" in shown and "mail: TLS required" in shown
    assert main(["grade", str(MAIL[-1])]) == 0
    graded = " ".join(capsys.readouterr().out.split())
    assert "90 days left" in graded and "A is the best grade for a mail server" in graded
