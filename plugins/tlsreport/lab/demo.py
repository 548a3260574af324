"""``python -m tlsreport.lab.demo``: what ``make demo`` runs.

Start the lab (real weak TLS servers on 127.0.0.1), scan it with the real scanner into a
history of its own, stop the lab, then build the site with one extra post showing that scan.

Everything the demo writes goes under ``--dir`` (``.demo/``): the site's own target lists
and history are *copied* there and the lab's list added, and the content folder is copied
there with the demo post added — so ``content/`` and ``data/`` are never touched and
``make clean`` removes the demo with one ``rm -rf``. The build itself never scans
(TLSREPORT_SCAN = "never"): the scan already happened, and the example bank lists must never
be contacted.
"""

from __future__ import annotations

import argparse
import shutil
import string
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pelican import Pelican
from pelican.settings import read_settings

from ..facts import parse_taken
from ..history import History
from ..scan import scan_list
from ..targets import load_target_list
from .runner import Lab

DEMO_SLUG = "lab"
DEMO_TITLE = "The tlsreport lab"
POST_TEMPLATE = Path(__file__).resolve().with_name("demo_post.md")
POST_NAME = "tlsreport-lab-demo.md"


def demo_post(*, slug: str, taken: str, count: int) -> str:
    """The demo post's Markdown for a scan taken at ``taken`` (pure)."""
    template = string.Template(POST_TEMPLATE.read_text(encoding="utf-8"))
    when = parse_taken(taken, strict=True)
    return template.substitute(
        slug=slug, taken=taken, count=count, date=when.strftime("%Y-%m-%d %H:%M") + "Z"
    )


def _copy_tree(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        dst.mkdir(parents=True)


def prepare(directory: Path, site: dict[str, Any], content: Path) -> dict[str, Path]:
    """Fresh copies of the site's content, target lists and history under ``directory``."""
    paths = {
        "content": directory / "content",
        "targets": directory / "targets",
        "history": directory / "history",
        "lab": directory / "lab",
    }
    directory.mkdir(parents=True, exist_ok=True)
    _copy_tree(content, paths["content"])
    _copy_tree(Path(site["TLSREPORT_TARGETS_DIR"]), paths["targets"])
    _copy_tree(Path(site["TLSREPORT_HISTORY_DIR"]), paths["history"])
    # A previous demo's lab list and history must not mix with this run's.
    shutil.rmtree(paths["history"] / DEMO_SLUG, ignore_errors=True)
    return paths


def scan_lab(
    paths: dict[str, Path], *, say: Callable[[str], None] = print, network_timeout: float = 2.0
) -> Path:
    """Start the lab, write its target list, scan it into the demo history, stop the lab."""

    with Lab(paths["lab"]) as lab:
        say(f"lab: {len(lab.targets)} servers on 127.0.0.1")
        toml = lab.write_targets_toml(
            paths["targets"] / f"{DEMO_SLUG}.toml", title=DEMO_TITLE, slug=DEMO_SLUG
        )
        target_list = load_target_list(toml)
        say(f"scanning {len(target_list.targets)} targets with sslyze …")
        snapshot, raw = scan_list(
            target_list, network_timeout=network_timeout, target_timeout=60.0, overall_timeout=300.0
        )
    written = History(paths["history"]).write(snapshot, raw)
    say(f"snapshot: {written}")
    return written


def build_site(settings_file: Path, paths: dict[str, Path], output: Path) -> None:
    """Build with Pelican's API: the site's settings plus the demo's folders, no scanning."""

    override = {
        "PATH": str(paths["content"]),
        "OUTPUT_PATH": str(output),
        "TLSREPORT_HISTORY_DIR": str(paths["history"]),
        "TLSREPORT_TARGETS_DIR": str(paths["targets"]),
        "TLSREPORT_SCAN": "never",
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
    }
    Pelican(read_settings(str(settings_file), override=override)).run()


def run(
    directory: Path,
    content: Path,
    output: Path,
    settings_file: Path,
    *,
    say: Callable[[str], None] = print,
) -> Path:
    """The whole demo; returns the built demo post's path."""

    site = read_settings(str(settings_file))
    paths = prepare(directory, site, content)
    written = scan_lab(paths, say=say)
    snapshot = History(paths["history"]).load(written)
    posts_dir = paths["content"] / (site.get("ARTICLE_PATHS") or [""])[0]
    posts_dir.mkdir(parents=True, exist_ok=True)
    (posts_dir / POST_NAME).write_text(
        demo_post(slug=DEMO_SLUG, taken=snapshot.taken, count=len(snapshot.results)),
        encoding="utf-8",
    )
    build_site(settings_file, paths, output)
    page = output / "tlsreport-lab-demo.html"
    for candidate in sorted(output.rglob("tlsreport-lab-demo.html")):
        page = candidate
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tlsreport.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(".demo"),
        help="where the demo keeps its lab, lists, history and content",
    )
    parser.add_argument(
        "--content",
        type=Path,
        default=Path("content"),
        help="the site's content folder (copied, never written)",
    )
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--settings", type=Path, default=Path("pelican.conf.py"))
    args = parser.parse_args(argv)
    try:
        page = run(
            args.dir.resolve(),
            args.content.resolve(),
            args.output.resolve(),
            args.settings.resolve(),
        )
    except Exception as exc:  # the message names what failed; no traceback for a demo
        print(f"demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"Open {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
