"""The scan command line and the run's bounds, against the real lab.

Kill tests: a ``python -m tlsreport scan`` stopped by SIGINT or SIGKILL in the middle of a run
leaves the history directory byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tlsreport import facts
from tlsreport.history import History
from tlsreport.scan import scan_list, scan_target
from tlsreport.targets import Target, TargetList, load_target_list

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def list_toml(lab: Any, profiles: list[str], path: Path, slug: str = "mini") -> Path:
    lines = [
        f'title = "Mini lab"\nslug = "{slug}"\nscan = true\n'
        f"ca_file = {json.dumps(str(lab.ca_file))}\n"
    ]
    for name in profiles:
        t = lab.target(name)
        lines.append(
            f'[[target]]\nname = "{t.name}"\nhost = "{t.host}"\nport = {t.port}\n'
            f'service = "{t.service}"\naddress = "{t.address}"\n'
        )
    path.write_text("\n".join(lines))
    return path


def tlsreport(*args: str, stderr: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    return subprocess.Popen(
        [sys.executable, "-m", "tlsreport", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )


def tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under root with its bytes (None for directories)."""
    return {
        str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def seeded_history(tmp_path: Path) -> Path:
    """A history that already holds one snapshot of the list about to be scanned."""
    out = tmp_path / "history"
    History(out).write(
        facts.Snapshot(list_slug="mini", title="Mini lab", taken="2026-01-01T00:00:00Z"),
        raw={"x": 1},
    )
    return out


def test_scan_writes_a_snapshot_and_prints_table_and_path(lab: Any, tmp_path: Path) -> None:
    targets = list_toml(lab, ["modern", "closed", "imaps"], tmp_path / "mini.toml")
    out = tmp_path / "history"
    proc = tlsreport("scan", str(targets), "--out", str(out), "--timeout", "5")
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr  # exit 0 although "closed" is unreachable
    (info,) = History(out).infos("mini")
    assert f"snapshot: {info.path}" in stdout
    assert "Lab modern" in stdout and "refused" in stdout
    snapshot = History(out).load(info)
    assert [r.state for r in snapshot.results] == ["ok", "refused", "ok"]
    assert History(out).load_raw(info)["server_scan_results"]
    shown = tlsreport("show", str(info.path))
    stdout, _ = shown.communicate(timeout=60)
    assert shown.returncode == 0 and "Lab imaps" in stdout and "refused" in stdout
    shown = tlsreport("show", str(info.path), "--json")
    stdout, _ = shown.communicate(timeout=60)
    assert json.loads(stdout)["results"][0]["facts"]["highest_version"] == "TLSv1.3"


def test_bad_input_exits_2_naming_file_line_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n[[target]]\nhost = "a.test"\nport = 70000\n')
    proc = tlsreport("scan", str(bad), "--out", str(tmp_path / "h"))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"{bad}:4: target[1].port:" in stderr
    assert not (tmp_path / "h").exists()
    proc = tlsreport("show", str(bad))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and str(bad) in stderr


def test_scan_all_scans_only_lists_with_scan_true(lab: Any, tmp_path: Path) -> None:
    lists = tmp_path / "targets"
    lists.mkdir()
    list_toml(lab, ["closed"], lists / "live.toml", slug="live")
    (lists / "archive.toml").write_text(
        'title = "Archive"\nscan = false\n[[target]]\nhost = "www.ing.be"\n'
    )
    out = tmp_path / "history"
    proc = tlsreport("scan-all", str(lists), "--out", str(out), "--timeout", "2")
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert History(out).lists() == ["live"]
    assert "archive: archive list (scan = false), not scanned" in stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_mid_scan_leaves_history_byte_identical(
    lab: Any, tmp_path: Path, sig: signal.Signals
) -> None:
    # silent with a long network timeout keeps the run busy long after the signal
    targets = list_toml(lab, ["silent", "modern", "closed"], tmp_path / "mini.toml")
    out = seeded_history(tmp_path)
    before = tree(out)
    proc = tlsreport("scan", str(targets), "--out", str(out), "--timeout", "60")
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "scanning 3 targets" in line  # the scan has started
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "no snapshot written" in stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    assert tree(out) == before


def test_a_target_past_its_bound_becomes_timeout_and_others_still_finish(lab: Any) -> None:
    """The per-target bound, not the probe, stops a target: the network timeout is larger."""

    def target(profile: str) -> Target:
        t = lab.target(profile)
        return Target(name=t.name, host=t.host, port=t.port, service=t.service, address=t.address)

    tl = TargetList(
        path=Path("mini.toml"),
        title="Mini",
        slug="mini",
        scan=True,
        ca_file=lab.ca_file,
        targets=(target("silent"), target("modern")),
    )
    seen: list[str] = []
    snapshot, _ = scan_list(
        tl,
        network_timeout=30,
        target_timeout=8,
        overall_timeout=60,
        concurrency=2,
        progress=lambda p: seen.append(p.last.target.name),
    )
    silent, modern = snapshot.results  # list order, whatever the finishing order
    assert silent.state == "timeout" and silent.reason is not None
    assert "per-target bound of 8 s" in silent.reason
    assert modern.state == "ok" and modern.facts is not None
    assert seen == ["Lab modern", "Lab silent"]  # modern was not held back by silent


def test_overall_bound_records_unstarted_targets(lab: Any) -> None:
    t = lab.target("silent")
    silent = Target(name=t.name, host=t.host, port=t.port, address=t.address)
    closed_t = lab.target("closed")
    closed = Target(
        name=closed_t.name, host=closed_t.host, port=closed_t.port, address=closed_t.address
    )
    tl = TargetList(
        path=Path("x.toml"), title="X", slug="x", scan=True, ca_file=None, targets=(silent, closed)
    )
    snapshot, _ = scan_list(
        tl, network_timeout=30, target_timeout=30, overall_timeout=2, concurrency=1
    )
    first, second = snapshot.results
    assert first.state == "timeout" and "overall bound of 2 s" in (first.reason or "")
    assert second.state == "timeout" and "not started" in (second.reason or "")


def test_lab_list_written_by_the_lab_loads(lab: Any, tmp_path: Path) -> None:
    tl = load_target_list(lab.write_targets_toml(tmp_path / "lab.toml", slug="lab"))
    assert tl.scan and tl.ca_file == lab.ca_file.resolve() and len(tl.targets) == 22
    assert {t.service for t in tl.targets} == {"https", "smtp", "imap", "pop3", "imaps", "pop3s"}


def test_hsts_is_read_on_the_targets_own_path(lab: Any) -> None:
    t = lab.target("tls10-only")  # an old protocol: the path request must still get through
    target = Target(name=t.name, host=t.host, port=t.port, path="/login", address=t.address)
    result, raw = scan_target(target, ca_file=lab.ca_file, network_timeout=5)
    assert result.state == "ok" and result.facts is not None
    assert result.facts.hsts == facts.Hsts(present=True, max_age=31536000)
    assert result.facts.http_error is None
    # sslyze only ever asks for "/", so its http_headers command is not run for this target
    assert raw is not None and raw["scan_result"]["http_headers"]["status"] == "NOT_SCHEDULED"


def test_progress_bar_on_a_terminal_only(lab: Any, tmp_path: Path) -> None:
    targets = list_toml(lab, ["closed", "modern"], tmp_path / "mini.toml")
    master, slave = pty.openpty()
    try:
        proc = tlsreport("scan", str(targets), "--out", str(tmp_path / "h1"), stderr=slave)
        proc.communicate(timeout=120)
        os.close(slave)
        shown = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                shown += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert b"unreachable" in shown and b"2/2" in shown  # done/total and failures

    quiet = tlsreport("scan", str(targets), "--out", str(tmp_path / "h2"))
    _, stderr = quiet.communicate(timeout=120)
    assert quiet.returncode == 0
    assert stderr.splitlines() == ["tlsreport: scanning 2 targets of 'mini'"]


def test_two_concurrent_scans_of_one_list_do_not_corrupt_history(lab: Any, tmp_path: Path) -> None:
    targets = list_toml(lab, ["closed"], tmp_path / "mini.toml")
    out = tmp_path / "history"
    procs = [tlsreport("scan", str(targets), "--out", str(out)) for _ in range(3)]
    codes = [p.wait(timeout=120) for p in procs]
    for p in procs:
        p.communicate()
    # Same second -> same snapshot name: the lock serialises them, later ones refuse (exit 1).
    assert set(codes) <= {0, 1} and 0 in codes
    snapshots, errors = History(out).load_all("mini")
    assert errors == [] and len(snapshots) == codes.count(0)
    names = {p.name for p in (out / "mini").iterdir()}
    assert names == {".lock"} | {
        f"{i.path.stem}{ext}"
        for i in History(out).infos("mini")
        for ext in (".json", ".sslyze.json.gz")
    }


def test_show_prints_names_and_reasons_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tlsreport.cli import main

    snapshot = facts.Snapshot(
        list_slug="mini",
        title="[red]Mini[/red]",
        taken="2015-03-03T12:00:00Z",
        kind="recorded",
        results=(
            facts.TargetResult(
                facts.TargetRef("[bold]ING[/bold]", "ing.lab.test"),
                recorded=facts.Recorded("B", ("RC4 [insecure]",)),
            ),
        ),
    )
    path = History(tmp_path).write(snapshot)
    assert main(["show", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "[bold]ING[/bold]" in shown and "RC4 [insecure]" in shown
    assert "[red]Mini[/red]" in shown
