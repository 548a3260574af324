"""The command line takes what bloggers think in: a list name or a history folder.

Real files through the real History class, the real ``main``; recorded snapshots (grades
typed in) so no scan is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sitekit import recorded, snapshot, write_history
from tlsreport.cli import build_parser, common_not_tested, main

OLD = snapshot("2015-02-15T12:00:00Z", [recorded("ING", "F", "SSL3 (insecure)")])
NEW = snapshot("2015-03-03T12:00:00Z", [recorded("ING", "A-"), recorded("KBC", "B")])


@pytest.fixture
def history(tmp_path: Path) -> Path:
    write_history(tmp_path / "history", [OLD, NEW])
    return tmp_path / "history"


@pytest.mark.parametrize("how", ["name", "folder", "file"])
def test_show_takes_a_list_name_a_folder_or_a_file(
    history: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arg = {
        "name": "banks",
        "folder": str(history / "banks"),
        "file": str(history / "banks" / "2015-03-03T120000Z.json"),
    }[how]
    assert main(["show", arg, "--history", str(history)]) == 0
    out = capsys.readouterr().out
    assert "2015-03-03T12:00:00Z" in out  # the newest snapshot
    assert "grades under the rules of" in out and "KBC" in out
    assert "snapshot: " in out and "2015-03-03T120000Z.json" in out


def test_grade_takes_a_list_name(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", "banks", "--history", str(history), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["taken"] == "2015-03-03T12:00:00Z"
    assert [t["grade"] for t in report["targets"]] == ["A-", "B"]


def test_an_unknown_name_says_which_lists_exist_and_how_to_scan(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "bankz", "--history", str(history)]) == 2
    err = capsys.readouterr().err
    assert "lists with history in" in err and "banks" in err
    assert "python -m tlsreport scan data/targets/bankz.toml" in err


def test_a_history_root_of_several_lists_asks_for_one(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(
        history, [snapshot("2015-03-03T12:00:00Z", [recorded("X", "A")], slug="mail", title="Mail")]
    )
    assert main(["grade", str(history)]) == 2
    assert "several lists (banks, mail)" in capsys.readouterr().err


def test_help_is_for_users() -> None:
    text = build_parser().format_help()
    assert "python -m tlsreport show my-lab" in text
    assert "add_" not in text and "set_defaults" not in text and "VERBS" not in text


def test_what_no_target_was_tested_for_is_said_once() -> None:
    entries = [
        {"state": "ok", "scores": {"total": 90}, "not_tested": ["HSTS", "Ticketbleed"]},
        {"state": "ok", "scores": {"total": 80}, "not_tested": ["Ticketbleed", "HSTS", "x"]},
        {"state": "refused", "scores": None, "not_tested": []},
    ]
    assert common_not_tested(entries) == ["HSTS", "Ticketbleed"]
