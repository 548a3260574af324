"""Build-time scanning (TLSREPORT_SCAN / TLSREPORT_MAX_AGE), against a real loopback port.

The list's only target is a port on 127.0.0.1 where nothing listens: sslyze really tries it
and the snapshot records "refused" in milliseconds, which is all the scheduling tests need.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sitekit import build, recorded, snapshot, soup, write_history
from tlsreport.history import History
from tlsreport.pelican_glue.build_scan import scan_due_lists
from tlsreport.pelican_glue.settings import apply_defaults


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _list(site: Path, *, scan: bool = True) -> None:
    (site / "targets").mkdir(parents=True, exist_ok=True)
    (site / "targets" / "closed.toml").write_text(
        'title = "Closed ports"\nslug = "closed"\n'
        f"scan = {'true' if scan else 'false'}\n\n"
        '[[target]]\nname = "Closed port"\nhost = "closed.lab.test"\n'
        f'address = "127.0.0.1"\nport = {_closed_port()}\n'
    )


def _settings(site: Path, **kw: object) -> dict[str, object]:
    s: dict[str, object] = {
        "TLSREPORT_HISTORY_DIR": str(site / "history"),
        "TLSREPORT_TARGETS_DIR": str(site / "targets"),
        **kw,
    }
    apply_defaults(s)
    return s


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_never_does_not_scan(tmp_path: Path) -> None:
    _list(tmp_path)
    assert scan_due_lists(_settings(tmp_path, TLSREPORT_SCAN="never"), now=NOW) == []
    assert History(tmp_path / "history").infos("closed") == []


def test_auto_scans_only_when_the_newest_snapshot_is_too_old(tmp_path: Path) -> None:
    _list(tmp_path)
    fresh = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_history(tmp_path / "history", [snapshot(fresh, [], slug="closed", kind="scan")])
    settings = _settings(tmp_path, TLSREPORT_SCAN="auto", TLSREPORT_MAX_AGE=2 * 3600)
    assert scan_due_lists(settings, now=NOW) == []
    settings["TLSREPORT_MAX_AGE"] = 1800
    written = scan_due_lists(settings, now=NOW)
    assert len(written) == 1
    snap = History(tmp_path / "history").load(written[0])
    assert [(r.target.name, r.state) for r in snap.results] == [("Closed port", "refused")]


def test_archive_lists_are_never_scanned(tmp_path: Path) -> None:
    _list(tmp_path, scan=False)
    assert scan_due_lists(_settings(tmp_path, TLSREPORT_SCAN="always"), now=NOW) == []


def test_always_scans_during_the_build_and_the_latest_page_shows_it(tmp_path: Path) -> None:
    _list(tmp_path)
    write_history(
        tmp_path / "history",
        [
            snapshot("2015-02-15T12:00:00Z", [recorded("Closed port", "A")], slug="closed"),
        ],
    )
    out = build(tmp_path, TLSREPORT_SCAN="always")
    infos = History(tmp_path / "history").infos("closed")
    assert len(infos) == 2
    page = soup(out / "tlsreport" / "closed" / "index.html")
    assert page.select_one("time")["datetime"] == infos[-1].taken.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "refused" in page.select_one(".tlsreport-table").get_text()


@pytest.mark.parametrize("value", ["24h", None, 0, True])
def test_bad_max_age_names_the_setting(tmp_path: Path, value: object) -> None:
    with pytest.raises(ValueError, match="TLSREPORT_MAX_AGE"):
        _settings(tmp_path, TLSREPORT_MAX_AGE=value)


def test_history_inside_content_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build(tmp_path, TLSREPORT_HISTORY_DIR=str(tmp_path / "content" / "history"))
    assert any("inside the content folder" in r.getMessage() for r in caplog.records)


def test_a_build_time_scan_says_what_it_scans_why_and_how_long(tmp_path: Path) -> None:
    _list(tmp_path)
    said: list[str] = []
    written = scan_due_lists(_settings(tmp_path, TLSREPORT_SCAN="auto"), now=NOW, say=said.append)
    assert len(written) == 1
    assert said[0] == (
        "scanning 'closed' (1 target: Closed port) because it has no snapshot yet ..."
    )
    assert said[1].startswith("scanned 'closed' in ")
    assert said[1].endswith(f"0 of 1 reachable; wrote {written[0]}")
