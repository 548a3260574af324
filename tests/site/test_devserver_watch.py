"""`make devserver` (python -m tlsreport.devserver): a scan or an edited target list rebuilds,
the site is served, and stopping it stops its web server child.

Runs the real loop on a copy of the example content and history, serving on a free loopback
port, and counts its builds ("Done: Processed" lines). Never scans (TLSREPORT_SCAN="never").
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tlsreport.facts import Snapshot
from tlsreport.history import History

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _builds(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count("Done: Processed")


def _wait(condition: object, limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _start(tmp_path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "data" / "history", tmp_path / "history")
    shutil.copytree(ROOT / "data" / "targets", tmp_path / "targets")
    overrides = {
        "CACHE_PATH": str(tmp_path / "cache"),
        "TLSREPORT_SCAN": "never",
        "TLSREPORT_HISTORY_DIR": str(tmp_path / "history"),
        "TLSREPORT_TARGETS_DIR": str(tmp_path / "targets"),
    }
    command = [
        sys.executable,
        "-m",
        "tlsreport.devserver",
        str(tmp_path / "content"),
        "-o",
        str(tmp_path / "output"),
        "-s",
        str(ROOT / "pelican.conf.py"),
        "--fatal",
        "errors",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "-e",
        *[f"{k}={json.dumps(v)}" for k, v in overrides.items()],
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    with log.open("w") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, env=env
        )


def test_history_and_targets_are_watched_and_stopping_stops_the_server(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "devserver.log"
    proc = _start(tmp_path, port, log)
    server: list[int] = []
    try:
        assert _wait(lambda: _builds(log) == 1), log.read_text()
        assert _wait(lambda: bool(_children(proc.pid)))
        server = _children(proc.pid)
        assert _wait(lambda: _serves(port)), "the site is not served"
        time.sleep(3)
        assert _builds(log) == 1, "rebuilt without any change:\n" + log.read_text()

        # A new scan lands in the history: rebuild once.
        history = History(tmp_path / "history")
        newest = history.load(history.infos("mail-servers")[-1])
        History(tmp_path / "history").write(
            Snapshot(
                list_slug=newest.list_slug,
                title=newest.title,
                taken="2026-11-27T09:00:00Z",
                kind=newest.kind,
                results=newest.results,
            )
        )
        assert _wait(lambda: _builds(log) == 2), log.read_text()

        # An edited target list: rebuild once more.
        toml = tmp_path / "targets" / "mail-servers.toml"
        toml.write_text(toml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        assert _wait(lambda: _builds(log) == 3), log.read_text()
        time.sleep(3)
        assert _builds(log) == 3, "rebuilt in a loop:\n" + log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()
    assert server and not any(_alive(pid) for pid in server), "the web server outlived it"
    assert not _serves(port)


def _serves(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
    try:
        with opener.open(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_killed_devserver_takes_its_web_server_with_it(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "devserver.log"
    proc = _start(tmp_path, port, log)
    try:
        assert _wait(lambda: _builds(log) == 1 and bool(_children(proc.pid))), log.read_text()
        server = _children(proc.pid)
    finally:
        proc.kill()  # SIGKILL: no finally block runs in it
        proc.wait()
    assert _wait(lambda: not any(_alive(pid) for pid in server), 10), "orphaned web server"
