"""Interrupted runs: killed scans and builds, a full disk, two writers at once.

The promise under test: whatever stops a run, every snapshot that existed is byte-identical
afterwards and still loads, and nothing half-written is left beside them; a new snapshot is
either there complete (with its raw file) or not there at all. tests/lab/test_scan_cli.py already
kills a scan while it waits on a silent server; these tests add kills at arbitrary moments
(including while the snapshot is written), kills of a Pelican build, a disk that fills up,
and a list whose lock is held by another run.

Every server here is a socket this test opens on 127.0.0.1; nothing else is contacted.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitekit import PELICAN, build, post, settings, soup
from tlsreport.facts import Recorded, Snapshot, TargetRef, TargetResult
from tlsreport.history import RAW_SUFFIX, History, SnapshotError

ROOT = Path(__file__).resolve().parents[2]


# --- helpers ---------------------------------------------------------------------------------


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def assert_history_intact(root: Path, before: dict[str, bytes], *, may_add: bool) -> None:
    """Old files byte-identical and loadable; new ones only as complete snapshot pairs."""
    after = files(root)
    assert {k: v for k, v in before.items() if after.get(k) != v} == {}, "history changed"
    store = History(root)
    for slug in store.lists():
        _, errors = store.load_all(slug)
        assert errors == []
        for info in store.infos(slug):
            if info.raw_path.exists():
                store.load_raw(info)
    added = sorted(set(after) - set(before))
    if not may_add:
        assert added == []
    for name in added:
        path = root / name
        assert path.name.endswith((".json", RAW_SUFFIX)) or path.name == ".lock", name
        if path.name.endswith(RAW_SUFFIX):  # a raw file never stands alone
            assert path.with_name(path.name.removesuffix(RAW_SUFFIX) + ".json").exists()


def seeded(root: Path, slug: str = "mini") -> dict[str, bytes]:
    """Two snapshots (one recorded, one scan with its raw file) already in the history."""
    store = History(root)
    store.write(
        Snapshot(
            list_slug=slug,
            title="Mini",
            taken="2015-03-03T12:00:00Z",
            kind="recorded",
            results=(TargetResult(TargetRef("ING", "ing.lab.test"), recorded=Recorded("A-")),),
        )
    )
    store.write(
        Snapshot(list_slug=slug, title="Mini", taken="2026-01-01T00:00:00Z"),
        raw={"server_scan_results": [], "note": "x" * 2000},
    )
    return files(root)


@contextlib.contextmanager
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """A port on 127.0.0.1 that accepts and never answers; the event fires on a connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    connected = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                held.append(conn)
                connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], connected
    finally:
        listener.close()
        for conn in held:
            conn.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def target_list(path: Path, port: int, slug: str = "mini") -> Path:
    path.write_text(
        f'title = "Mini"\nslug = "{slug}"\nscan = true\n\n[[target]]\n'
        f'name = "Loop"\nhost = "loop.lab.test"\naddress = "127.0.0.1"\n'
        f"port = {port}\n"
    )
    return path


def tlsreport(*args: str, preexec: object = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    return subprocess.Popen(
        [sys.executable, "-m", "tlsreport", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
    )  # type: ignore[arg-type]


# --- scans killed at any moment ----------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.6, 0.9, 1.2, 1.6])
def test_scan_killed_at_any_moment_leaves_old_history_intact(tmp_path: Path, delay: float) -> None:
    """SIGKILL after a spread of delays: before, during and after the snapshot is written.

    A closed port scans in well under a second, so the later kills land in or after the write;
    whichever moment is hit, the invariant is the same (the test never depends on which).
    """
    out = tmp_path / "history"
    before = seeded(out)
    proc = tlsreport(
        "scan",
        str(target_list(tmp_path / "mini.toml", closed_port())),
        "--out",
        str(out),
        "--timeout",
        "2",
    )
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=delay)
    proc.kill()
    proc.communicate(timeout=60)
    assert_history_intact(out, before, may_add=True)


def test_sigterm_mid_scan_writes_nothing_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "history"
    before = seeded(out)
    with silent_server() as (port, connected):
        proc = tlsreport(
            "scan",
            str(target_list(tmp_path / "mini.toml", port)),
            "--out",
            str(out),
            "--timeout",
            "60",
        )
        assert connected.wait(timeout=60)  # the probe is waiting on our silent socket
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted; no snapshot written" in stderr
    assert_history_intact(out, before, may_add=False)


# --- builds killed ----------------------------------------------------------------------------


def _site(tmp_path: Path, port: int) -> Path:
    site = tmp_path / "site"
    seeded(site / "history")
    (site / "targets").mkdir(parents=True)
    target_list(site / "targets" / "mini.toml", port)
    post(site, "p", "[tlsreport grades list=mini]\n", Date="2015-03-04")
    return site


def _pelican(site: Path, **overrides: object) -> subprocess.Popen[str]:
    conf = site / "pelicanconf.py"
    conf.write_text("".join(f"{k} = {v!r}\n" for k, v in settings(site, **overrides).items()))
    return subprocess.Popen(
        [str(PELICAN), "-s", str(conf)],
        cwd=site,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={
            "PATH": "/usr/bin:/bin",
            "TERM": "dumb",
            # a home for the tools the build runs (caches, settings)
            "HOME": os.environ.get("HOME", str(site)),
        },
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_build_killed_while_it_scans_leaves_history_and_next_build_works(
    tmp_path: Path, sig: signal.Signals
) -> None:
    with silent_server() as (port, connected):
        site = _site(tmp_path, port)
        before = files(site / "history")
        proc = _pelican(site, TLSREPORT_SCAN="always")
        assert connected.wait(timeout=60), proc.communicate(timeout=60)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:  # Pelican itself turns Ctrl-C into a warning and exit status 0
        assert "Keyboard interrupt received" in stdout + stderr
    assert not (site / "output" / "p.html").exists()  # stopped before any page was written
    assert_history_intact(site / "history", before, may_add=False)
    out = build(site, TLSREPORT_SCAN="never")
    assert soup(out / "p.html").select_one(".tlsreport-grades") is not None


@pytest.mark.parametrize("delay", [0.8, 1.6, 2.2])
def test_build_killed_at_any_moment_leaves_history_and_next_build_works(
    tmp_path: Path, delay: float
) -> None:
    site = _site(tmp_path, closed_port())
    before = files(site / "history")
    proc = _pelican(site, TLSREPORT_SCAN="never")
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=delay)
    proc.kill()
    proc.communicate(timeout=60)
    assert_history_intact(site / "history", before, may_add=False)
    out = build(site, TLSREPORT_SCAN="never")
    assert soup(out / "p.html").select_one(".tlsreport-grades") is not None


# --- disk full --------------------------------------------------------------------------------


def _big_snapshot() -> tuple[Snapshot, dict]:
    """A snapshot whose raw JSON does not compress (random text): it needs real space."""
    noise = os.urandom(96 * 1024).hex()
    return (
        Snapshot(list_slug="mini", title="Mini", taken="2026-02-01T00:00:00Z"),
        {"server_scan_results": [], "noise": noise},
    )


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        # The file-size-limit test below covers the same code without privileges.
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.mark.parametrize("left_kb", [4, 64], ids=["json-does-not-fit", "raw-does-not-fit"])
def test_disk_full_while_writing_a_snapshot(tmp_path: Path, left_kb: int) -> None:
    with tmpfs(tmp_path / "disk", "512k") as disk:
        out = disk / "history"
        before = seeded(out)
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # fill the disk, then give back exactly left_kb
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * 4096)
            os.ftruncate(fd, os.fstat(fd).st_size - left_kb * 1024)
        finally:
            os.close(fd)
        snapshot, raw = _big_snapshot()
        if left_kb == 4:  # make the JSON itself bigger than what is left
            snapshot = Snapshot(
                list_slug="mini", title="Mini " + "x" * 64 * 1024, taken="2026-02-01T00:00:00Z"
            )
        with pytest.raises(SnapshotError) as exc:
            History(out).write(snapshot, raw)
        assert "could not be written (No space left on device)" in str(exc.value)
        assert "free disk space" in str(exc.value)
        filler.unlink()
        assert_history_intact(out, before, may_add=False)


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed


def test_file_size_limit_makes_scan_exit_1_with_a_clear_error(tmp_path: Path) -> None:
    """The disk-full path without a tmpfs: the kernel refuses any write past 300 bytes."""
    out = tmp_path / "history"
    before = seeded(out)
    proc = tlsreport(
        "scan",
        str(target_list(tmp_path / "mini.toml", closed_port())),
        "--out",
        str(out),
        "--timeout",
        "2",
        preexec=_limit_file_size,
    )
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    assert "could not be written (File too large); nothing was stored" in stderr
    assert_history_intact(out, before, may_add=False)


# --- two writers of one list --------------------------------------------------------------------


@contextlib.contextmanager
def held_lock(directory: Path) -> Iterator[None]:
    """Hold the list's lock the way another tlsreport run does."""
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def test_a_second_writer_refuses_while_the_list_is_locked(tmp_path: Path) -> None:
    out = tmp_path / "history"
    before = seeded(out)
    with held_lock(out / "mini"), pytest.raises(SnapshotError) as exc:
        History(out, lock_timeout=0.2).write(
            Snapshot(list_slug="mini", title="Mini", taken="2026-02-01T00:00:00Z")
        )
    assert "another tlsreport run is writing this list" in str(exc.value)
    assert_history_intact(out, before, may_add=False)


def test_a_second_writer_waits_for_the_lock_then_writes(tmp_path: Path) -> None:
    out = tmp_path / "history"
    before = seeded(out)
    snap = Snapshot(list_slug="mini", title="Mini", taken="2026-02-01T00:00:00Z")
    written: list[Path | BaseException] = []

    def writer() -> None:
        try:
            written.append(History(out, lock_timeout=60).write(snap, raw={"a": 1}))
        except BaseException as exc:  # reported by the assertion below
            written.append(exc)

    with held_lock(out / "mini"):
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join(timeout=0.5)  # give it time to reach the lock; it must still be waiting
        assert thread.is_alive() and written == []
        assert History(out).infos("mini")[-1].taken.year == 2026
        assert not (out / "mini" / "2026-02-01T000000Z.json").exists()
    thread.join(timeout=60)
    assert written == [out / "mini" / "2026-02-01T000000Z.json"]
    assert History(out).load(written[0]) == snap
    assert_history_intact(out, before, may_add=True)
