"""`make devserver` / `make regenerate` must rebuild once per change, never in a loop.

A loop happens when a build writes into something Pelican's autoreloader watches (content,
theme, settings): history, chart files and the chart/template caches must all live elsewhere.
This runs the real `pelican -r` on a copy of the example content and counts its builds.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PELICAN = Path(sys.executable).with_name("pelican")


def _builds(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count("Done: Processed")


def _wait_for_builds(log: Path, count: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while _builds(log) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def test_regenerate_builds_once_per_change_and_never_loops(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    log = tmp_path / "pelican.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(PELICAN),
                "-r",
                str(content),
                "-o",
                str(tmp_path / "output"),
                "-s",
                str(ROOT / "pelican.conf.py"),
                "--fatal",
                "errors",
                "-e",
                f'CACHE_PATH="{tmp_path / "cache"}"',
                'TLSREPORT_SCAN="never"',
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        _wait_for_builds(log, 1)
        assert _builds(log) == 1, log.read_text()
        # Quiet period: a build that wrote into a watched folder would trigger another one.
        time.sleep(4)
        assert _builds(log) == 1, "rebuilt without any change:\n" + log.read_text()
        post = next(content.glob("posts/*part-4.md"))
        post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        _wait_for_builds(log, 2)
        time.sleep(4)
        assert _builds(log) == 2, log.read_text()
        assert (tmp_path / "output" / "tlsreport" / "belgian-banks" / "index.html").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
