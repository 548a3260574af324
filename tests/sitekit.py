"""Build small real Pelican sites with the tlsreport plugin for the site tests.

Why a kit: every site test needs the same few lines — a content folder with a post or two,
history written through the real ``History`` class, the real theme and plugin — and should
read like the behaviour it checks. Builds run in-process (fast) unless a test is about how
the ``pelican`` command exits, which ``run_pelican`` checks in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from pelican import Pelican
from pelican.settings import read_settings
from tlsreport.facts import Recorded, Snapshot, TargetRef, TargetResult
from tlsreport.history import History

ROOT = Path(__file__).resolve().parent.parent
PELICAN = ROOT / ".venv" / "bin" / "pelican"


def target(
    name: str, host: str | None = None, *, port: int = 443, group: tuple[str, ...] = ()
) -> TargetRef:
    return TargetRef(
        name=name, host=host or f"{name.lower().replace(' ', '-')}.example", port=port, group=group
    )


def recorded(
    name: str, grade: str | None, *reasons: str, group: tuple[str, ...] = ()
) -> TargetResult:
    """A target as published by someone else: a grade and its reasons, no facts."""
    return TargetResult(
        target=target(name, group=group),
        recorded=Recorded(grade=grade, reasons=tuple(reasons), source="test"),
    )


def snapshot(
    taken: str,
    results: Iterable[TargetResult],
    *,
    slug: str = "banks",
    title: str = "Banks",
    kind: str = "recorded",
) -> Snapshot:
    return Snapshot(list_slug=slug, title=title, taken=taken, kind=kind, results=tuple(results))


def write_history(root: Path, snapshots: Iterable[Snapshot]) -> None:
    history = History(root)
    for snap in snapshots:
        history.write(snap)


def post(site: Path, name: str, body: str, **meta: str) -> Path:
    """Write content/posts/NAME.md with metadata lines, then the (dedented) body."""
    meta.setdefault("Title", name.replace("-", " ").title())
    head = "".join(f"{k}: {v}\n" for k, v in meta.items())
    path = site / "content" / "posts" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + "\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def settings(site: Path, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "PATH": str(site / "content"),
        "OUTPUT_PATH": str(site / "output"),
        "THEME": str(ROOT / "theme"),
        # The installed plugin (`make` installs it editable), found as pelican.plugins.tlsreport
        # the way a stranger's site finds it: no PLUGIN_PATHS.
        "PLUGINS": ["tlsreport"],
        "ARTICLE_PATHS": ["posts"],
        "PAGE_PATHS": ["pages"],
        "TIMEZONE": "Europe/Brussels",
        "SITEURL": "",
        "RELATIVE_URLS": True,
        "DEFAULT_DATE": None,
        "FEED_ALL_ATOM": "feeds/all.atom.xml",
        "CATEGORY_FEED_ATOM": None,
        "TRANSLATION_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        "CACHE_PATH": str(site / "cache"),
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "TLSREPORT_HISTORY_DIR": str(site / "history"),
        "TLSREPORT_TARGETS_DIR": str(site / "targets"),
        "TLSREPORT_SCAN": "never",
        # The repository's theme styles every tlsreport class (as pelican.conf.py says);
        # the plugin's own stylesheet is tested with a stock theme (test_stranger_site.py).
        "TLSREPORT_STYLESHEET": False,
    }
    base.update(overrides)
    return base


def build(site: Path, **overrides: Any) -> Path:
    """Build the site in this process; return the output folder."""
    (site / "content" / "posts").mkdir(parents=True, exist_ok=True)
    conf = settings(site, **overrides)
    Pelican(read_settings(path=None, override=conf)).run()
    return Path(conf["OUTPUT_PATH"])


def run_pelican(site: Path, **overrides: Any) -> subprocess.CompletedProcess[str]:
    """Build with the real ``pelican`` command (to see how it exits), from the site folder."""
    conf = site / "pelicanconf.py"
    lines = [f"{k} = {v!r}" for k, v in settings(site, **overrides).items()]
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (site / "content" / "posts").mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(PELICAN) if PELICAN.exists() else sys.executable, "-s", str(conf)],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "400", "TERM": "dumb"},
    )


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, for byte-for-byte comparisons."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
