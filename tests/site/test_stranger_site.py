"""A stranger's site: the plugin as someone who is not this repository uses it.

Why: every other site test builds with this checkout's theme and PLUGIN_PATHS, so nothing
proved that the distribution works on its own. Here, as README.md "Use it in your own Pelican
site" tells a stranger: build the sdist and the wheel (``python -m build``: the wheel is built
from the sdist, so a file missing from the sdist fails too), install the wheel into a FRESH
virtualenv (no system site-packages, Pelican and every dependency from the index), run
``pelican-quickstart`` with its questions answered on stdin, add a target list, a hand-written
recorded snapshot and a post, and build with Pelican's stock theme (notmyidea): no
PLUGIN_PATHS, no PLUGINS list, only namespace discovery. Then read the HTML back and look at
the post in Chromium at 1280 and 375 px (screenshots in test-artifacts/).

One test function on purpose: the install takes half a minute, and pytest-xdist would build it
once per worker if the checks were spread over several tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import textwrap
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from browserkit import ARTIFACTS, chromium, serve
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]

# pelican-quickstart's questions, in its order (pelican 4.12), for `-p . -t … -a … -l en`:
# where (default .), title, author, language (defaults from the flags), URL prefix? no,
# pagination? yes, how many (default 10), time zone, tasks.py/Makefile? no.
QUICKSTART_ANSWERS = "\n\n\n\nn\ny\n\nEurope/Brussels\nn\n"

TARGETS = """\
title = "My banks"
slug = "my-banks"

[[target]]
name = "Example Bank"
host = "www.bank.example"

[[target]]
name = "Old Bank"
host = "www.old-bank.example"

[[target]]
name = "Closed Bank"
host = "www.closed-bank.example"
"""

SNAPSHOT = {
    "list_slug": "my-banks",
    "title": "My banks",
    "taken": "2026-12-01T09:00:00Z",
    "kind": "recorded",
    "schema": 2,
    "versions": {},
    "note": "",
    "results": [
        {
            "target": {"name": "Example Bank", "host": "www.bank.example"},
            "recorded": {"grade": "A+", "reasons": [], "source": "SSL Labs, 1 December 2026"},
        },
        {
            "target": {"name": "Old Bank", "host": "www.old-bank.example"},
            "recorded": {
                "grade": "C",
                "reasons": ["RC4 (insecure)", "no Forward Secrecy"],
                "source": "SSL Labs, 1 December 2026",
            },
        },
        {
            "target": {"name": "Closed Bank", "host": "www.closed-bank.example"},
            "state": "untestable",
            "reason": "SSL Labs could not test it",
        },
    ],
}

POST = """\
Title: My banks and TLS
Date: 2026-12-02

Who is secure and who is not.

[tlsreport grades list=my-banks]

[tlsreport chart list=my-banks kind=distribution]

The same as one table:

[tlsreport grades list=my-banks compact=yes]
"""

SETTINGS = """
# tlsreport (pip install pelican-tlsreport): Pelican finds it as pelican.plugins.tlsreport.
TLSREPORT_TARGETS_DIR = "data/targets"
TLSREPORT_HISTORY_DIR = "data/history"
TLSREPORT_SCAN = "never"
"""

# Each table's width against its parent's box (the chart's data opened), the badges' colours.
LAYOUT_JS = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  return {
  tables: Array.from(document.querySelectorAll('.tlsreport table')).map(t => ({
    cls: t.className, width: t.getBoundingClientRect().width,
    box: t.parentElement.getBoundingClientRect().width})),
  badges: Array.from(document.querySelectorAll('.tls-grade')).map(b => ({
    text: b.textContent, background: getComputedStyle(b).backgroundColor,
    colour: getComputedStyle(b).color})),
  charts: Array.from(document.querySelectorAll('.tlsreport-chart img')).map(i => ({
    src: i.currentSrc, naturalWidth: i.naturalWidth,
    width: i.getBoundingClientRect().width})),
  viewport: document.documentElement.clientWidth,
}; }"""


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, label: str, cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        """Run a step, fail with its output when it fails, keep how long it took."""
        start = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, env=_clean_env(), **kwargs)
        self.seconds[label] = round(time.monotonic() - start, 1)
        assert done.returncode == 0, (
            f"{label} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
        return done


def _clean_env() -> dict[str, str]:
    """The environment without this checkout's virtualenv: the stranger has only their own."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    return env


def _check_distribution(dist: Path) -> Path:
    """The wheel and the sdist hold the namespace plugin and every file the package reads."""
    (wheel,) = dist.glob("pelican_tlsreport-*.whl")
    (sdist,) = dist.glob("pelican_tlsreport-*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "pelican/plugins/tlsreport/__init__.py",
        "tlsreport/__init__.py",
        "tlsreport/static/tlsreport.css",
        "tlsreport/lab/demo_post.md",
        "tlsreport/templates/tlsreport/grades.html",
        "tlsreport/templates/tlsreport_list.html",
    ):
        assert needed in names, f"{needed} is not in {wheel.name}"
    # Namespace packages: an __init__.py here would replace Pelican's own package.
    assert "pelican/__init__.py" not in names
    assert "pelican/plugins/__init__.py" not in names
    assert not [n for n in names if "__pycache__" in n]
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "plugins/tlsreport/static/tlsreport.css",
    } <= members
    return wheel


def _check_command(venv: Path, timings: Timings) -> None:
    """`pip install` gave a `tlsreport` command; --help and --version work; the package is the
    installed one, not this checkout's."""
    version = timings.run("tlsreport --version", [str(venv / "bin" / "tlsreport"), "--version"])
    assert version.stdout.strip().startswith("tlsreport ")
    helped = timings.run("tlsreport --help", [str(venv / "bin" / "tlsreport"), "--help"])
    assert "usage: tlsreport" in helped.stdout and "scan" in helped.stdout
    where = timings.run(
        "where",
        [
            str(venv / "bin" / "python"),
            "-c",
            "import tlsreport, pelican.plugins.tlsreport as p; "
            "print(tlsreport.__file__); print(p.__file__)",
        ],
    )
    for line in where.stdout.split():
        assert line.startswith(str(venv)), f"{line} is not inside the fresh virtualenv"
    plugins = timings.run("pelican-plugins", [str(venv / "bin" / "pelican-plugins")])
    assert "pelican.plugins.tlsreport" in plugins.stdout + plugins.stderr
    # Without the `traffic` extra the traffic verb says what to install (no traceback).
    log = venv.parent / "access.log"
    log.write_text(
        '127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" '
        '"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"\n',
        encoding="utf-8",
    )
    traffic = subprocess.run(
        [
            str(venv / "bin" / "tlsreport"),
            "traffic",
            str(log),
            "--out",
            str(venv.parent / "t.json"),
        ],
        capture_output=True,
        text=True,
        env=_clean_env(),
    )
    assert traffic.returncode == 2, traffic.stderr
    assert "pelican-tlsreport[traffic]" in traffic.stderr and "Traceback" not in traffic.stderr


def _make_site(venv: Path, site: Path, timings: Timings) -> None:
    site.mkdir()
    timings.run(
        "pelican-quickstart",
        [
            str(venv / "bin" / "pelican-quickstart"),
            "-p",
            ".",
            "-t",
            "A stranger's blog",
            "-a",
            "Stranger",
            "-l",
            "en",
        ],
        cwd=site,
        input=QUICKSTART_ANSWERS,
    )
    conf = site / "pelicanconf.py"
    text = conf.read_text(encoding="utf-8")
    assert "PLUGIN" not in text and "THEME" not in text  # quickstart's own: the stock theme
    conf.write_text(text + SETTINGS, encoding="utf-8")
    (site / "data" / "targets").mkdir(parents=True)
    (site / "data" / "targets" / "my-banks.toml").write_text(TARGETS, encoding="utf-8")
    history = site / "data" / "history" / "my-banks"
    history.mkdir(parents=True)
    (history / "2026-12-01T090000Z.json").write_text(
        json.dumps(SNAPSHOT, indent=2), encoding="utf-8"
    )
    (site / "content" / "my-banks.md").write_text(POST, encoding="utf-8")


def _check_html(out: Path) -> None:
    """The table and the chart render, the chart's file exists, the stylesheet is linked once."""
    html = (out / "my-banks-and-tls.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert "[tlsreport" not in soup.get_text() and "tlsreport-placeholder" not in html
    text = " ".join(soup.get_text().split())
    for name in ("Example Bank", "Old Bank", "Closed Bank"):
        assert name in text
    badges = {b.get_text() for b in soup.select(".tls-grade")}
    assert {"A+", "C"} <= badges, badges
    (img,) = soup.select(".tlsreport-chart img")
    assert img["src"].startswith("/tlsreport/charts/") and img["src"].endswith(".svg")
    svg = out / img["src"].lstrip("/")
    assert svg.is_file() and svg.read_bytes().lstrip().startswith((b"<?xml", b"<svg"))
    links = [
        link["href"]
        for link in soup.find_all("link", rel="stylesheet")
        if "tlsreport" in link["href"]
    ]
    assert links == ["/tlsreport/tlsreport.css"]
    css = (out / "tlsreport" / "tlsreport.css").read_text(encoding="utf-8")
    assert ".tls-grade-a-plus" in css and ".tlsreport-stack" in css
    # No inline style or script from the plugin (a strict Content-Security-Policy holds).
    for fragment in soup.select(".tlsreport"):
        assert not fragment.find_all(style=True) and not fragment.find_all(["style", "script"])
    # The list's "latest" page renders in a theme that has no tlsreport templates.
    latest = BeautifulSoup(
        (out / "tlsreport" / "my-banks" / "index.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert "Latest: My banks" in latest.get_text()
    assert latest.find(
        "link", rel="stylesheet", href="../../tlsreport/tlsreport.css"
    ) or latest.find("link", rel="stylesheet", href="/tlsreport/tlsreport.css")
    assert (out / "tlsreport" / "my-banks" / "example-bank.html").is_file()


def _check_in_chromium(out: Path) -> dict[str, object]:
    """Screenshots at 1280 and 375 px; the badges are coloured and no table overflows its box."""
    ARTIFACTS.mkdir(exist_ok=True)
    seen: dict[str, object] = {}
    with serve(out) as base, chromium() as browser:
        for width in (1280, 375):
            ctx = browser.new_context(viewport={"width": width, "height": 900})
            try:
                page = ctx.new_page()
                page.goto(base + "my-banks-and-tls.html", wait_until="load")
                shot = ARTIFACTS / f"stranger-post-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                layout = page.evaluate(LAYOUT_JS)
            finally:
                ctx.close()
            seen[str(width)] = layout
            assert layout["badges"], "no badge on the page"
            for badge in layout["badges"]:
                assert badge["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), badge
            assert any(
                b["text"] == "A+" and b["background"] == "rgb(20, 83, 45)" for b in layout["badges"]
            ), layout["badges"]
            # The compact grades table and the chart's data table (its <details> opened).
            assert len(layout["tables"]) == 2, layout["tables"]
            for table in layout["tables"]:
                assert table["width"] <= table["box"] + 1, f"{width} px: {table}"
            (chart,) = layout["charts"]
            assert chart["naturalWidth"] > 0 and chart["width"] <= layout["viewport"]
    return seen


def test_a_stranger_installs_the_wheel_and_builds_a_site(tmp_path: Path) -> None:
    timings = Timings()
    dist = tmp_path / "dist"
    timings.run(
        "python -m build (sdist, then the wheel from it)",
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
    )
    wheel = _check_distribution(dist)

    venv = tmp_path / "venv"
    timings.run("python -m venv", [sys.executable, "-m", "venv", str(venv)])
    cfg = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = false" in cfg
    timings.run(
        "pip install the wheel",
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
    )
    _check_command(venv, timings)

    site = tmp_path / "site"
    _make_site(venv, site, timings)
    built = timings.run(
        "pelican (stock theme)",
        [
            str(venv / "bin" / "pelican"),
            "content",
            "-s",
            "pelicanconf.py",
            "-o",
            "output",
            "--fatal",
            "errors",
        ],
        cwd=site,
    )
    assert "Processed 1 article" in built.stdout + built.stderr
    out = site / "output"
    assert (out / "theme" / "css" / "main.css").is_file()  # notmyidea's, not ours
    _check_html(out)
    layout = _check_in_chromium(out)
    (ARTIFACTS / "stranger-site.json").write_text(
        json.dumps({"seconds": timings.seconds, "layout": layout}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(textwrap.indent(json.dumps(timings.seconds, indent=2), "  "))
