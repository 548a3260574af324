"""Build the example site, serve it on loopback and look at it the way a reader's browser does.

Why a kit: the browser tests need three real parts that have nothing to do with what they
check — a real Pelican build of the repository's own site, an HTTP server on 127.0.0.1, and a
headless Chromium driven by Playwright — and each test should read like the behaviour it
checks ("part 4 loads with no console errors"), not like plumbing.

Chromium is Debian's ``/usr/bin/chromium`` (installed by ``.ci/run``); Playwright's own browser
download is never used. Everything here connects to 127.0.0.1 only: the browser is started
with every background-networking feature off, and :func:`watch` records any request that
leaves the local server so a test can fail on it.
"""

from __future__ import annotations

import functools
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup
from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

# No GPU, no QUIC, no first-run, no background fetches (safe browsing, component updates,
# sync): the browser must talk to our loopback server and nothing else.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The pages a reader of the series lands on (paths relative to the site root).
INDEX = "index.html"
PART4 = "belgian-banks-ssl-part-4.html"
TARGET = "tlsreport/belgian-banks/ing.html"
LATEST = "tlsreport/belgian-banks/index.html"


def build_example_site(out: Path, cache: Path) -> Path:
    """Build the repository's own site (pelican.conf.py, content/, data/) into ``out``.

    Scanning is off (the bank list is an archive and the mail list must not be rescanned by a
    test) and Pelican's cache goes to ``cache``, so the working tree is left untouched.
    """
    logging.getLogger("pelican").setLevel(logging.ERROR)
    settings = read_settings(
        str(ROOT / "pelican.conf.py"),
        override={
            "OUTPUT_PATH": str(out),
            "CACHE_PATH": str(cache),
            "TLSREPORT_SCAN": "never",
            "TLSREPORT_ERRORS": "fail",
            "CACHE_CONTENT": False,
            "LOAD_CONTENT_CACHE": False,
        },
    )
    Pelican(settings).run()
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files as any static host does; keeps the test output free of access logs."""

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serve(
    root: Path, handler_class: type[SimpleHTTPRequestHandler] = _QuietHandler
) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread; yield the base URL ending in /.

    ``handler_class`` lets a test play a host configured differently (extra headers).
    """
    handler = functools.partial(handler_class, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; a missing browser fails the test, never skips it."""
    import pytest

    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y "
            "chromium; .ci/run does this) — the browser tests cannot run without it"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - requirements-dev.txt pins it
        pytest.fail(f"Playwright's Python package is missing ({err}): run `make venv`")
    with sync_playwright() as pw:
        started = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield started
        finally:
            started.close()


# --- crawling: every internal link and resource, with the page that refers to it ----------

_REFS = (
    ("a", "href"),
    ("link", "href"),
    ("img", "src"),
    ("script", "src"),
    ("source", "src"),
    ("iframe", "src"),
)


@dataclass
class Crawl:
    """What a crawl of the site found: pages fetched, broken references, fragments missing."""

    pages: dict[str, str] = field(default_factory=dict)  # url -> HTML
    status: dict[str, int] = field(default_factory=dict)  # url -> HTTP status
    referrers: dict[str, set[str]] = field(default_factory=dict)  # url -> pages linking it
    missing_fragments: list[tuple[str, str]] = field(default_factory=list)  # (page, url#frag)

    def broken(self) -> dict[str, tuple[int, list[str]]]:
        """Every internal URL that did not answer 200, with the pages that refer to it."""
        return {
            url: (code, sorted(self.referrers.get(url, ())))
            for url, code in sorted(self.status.items())
            if code != 200
        }


def _fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers.get_content_type()
    except urllib.error.HTTPError as err:
        return err.code, b"", ""


def internal_refs(page_url: str, html: str, base: str) -> list[str]:
    """Absolute URLs (fragment kept) of every link/resource on the page that stays on ``base``."""
    soup = BeautifulSoup(html, "html.parser")
    found: list[str] = []
    for tag, attr in _REFS:
        for el in soup.find_all(tag):
            value = el.get(attr)
            if not isinstance(value, str) or not value.strip():
                continue
            url = urljoin(page_url, value.strip())
            if url.startswith(base):
                found.append(url)
    return found


def crawl(base: str, start: str = INDEX) -> Crawl:
    """Follow every internal link from ``start``; fetch each URL once (plain HTTP, no browser).

    Fragments (``page.html#id``) are checked against the ids of the page they point into,
    so a table-of-contents or "skip to content" link to a missing anchor counts as broken.
    """
    result = Crawl()
    queue = [urljoin(base, start)]
    fragments: list[tuple[str, str]] = []
    while queue:
        url = queue.pop()
        if url in result.status:
            continue
        code, body, ctype = _fetch(url)
        result.status[url] = code
        if code != 200 or ctype != "text/html":
            continue
        html = body.decode("utf-8")
        result.pages[url] = html
        for ref in internal_refs(url, html, base):
            target, frag = urldefrag(ref)
            result.referrers.setdefault(target, set()).add(url)
            if frag:
                fragments.append((url, ref))
            if target not in result.status:
                queue.append(target)
    for page, ref in fragments:
        target, frag = urldefrag(ref)
        html = result.pages.get(target)
        if html is None:
            continue  # a non-HTML or broken target is already reported by status
        if (
            BeautifulSoup(html, "html.parser").find(id=frag) is None
            and BeautifulSoup(html, "html.parser").find("a", attrs={"name": frag}) is None
        ):
            result.missing_fragments.append((page, ref))
    return result


def is_same_origin(url: str, base: str) -> bool:
    """True for our server and for in-page data the browser makes itself (data:, about:)."""
    scheme = urlsplit(url).scheme
    return url.startswith(base) or scheme in ("data", "about", "blob")


# --- the browser ------------------------------------------------------------------------


@dataclass
class PageLog:
    """What happened while one page loaded: console errors, page errors, outside requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"failed request: {m}" for m in self.failed]
            + [f"request outside the local server: {m}" for m in self.outside]
        )


def watch(page: Any, base: str) -> PageLog:
    """Record console errors, uncaught exceptions, failed (or >= 400) and non-local requests."""
    log = PageLog()
    page.on(
        "console",
        lambda msg: (
            log.console_errors.append(f"{msg.text} (at {msg.location.get('url') or '?'})")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("requestfailed", lambda req: log.failed.append(f"{req.url} ({req.failure})"))
    page.on(
        "response",
        lambda resp: (
            log.failed.append(f"{resp.url} (HTTP {resp.status})") if resp.status >= 400 else None
        ),
    )
    page.on(
        "request",
        lambda req: log.outside.append(req.url) if not is_same_origin(req.url, base) else None,
    )
    return log


# Widths are measured on the document's scrolling element: a page "scrolls sideways" when the
# content is wider than the viewport, which is exactly scrollWidth > clientWidth there.
SIDEWAYS_JS = """() => {
  const el = document.scrollingElement;
  const wide = [];
  for (const node of document.body.querySelectorAll('*')) {
    const r = node.getBoundingClientRect();
    const cls = typeof node.className === 'string' && node.className.trim()
      ? '.' + node.className.trim().split(/\\s+/).join('.') : '';
    if (r.right > el.clientWidth + 1) wide.push(node.tagName.toLowerCase() +
        (node.id ? '#' + node.id : '') + cls + ' right=' + Math.round(r.right));
  }
  return {scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, wide: wide.slice(0, 8)};
}"""

# Every <img> with its natural size once the page's load event has fired.
IMAGES_JS = """() => Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src, complete: img.complete,
  naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, alt: img.alt}))"""
