"""Tables that fit: every view fits its column at 1280, 768 and 375 px with the reasons on screen.

A real demo site is built the way `make demo` builds it (the lab's servers on loopback, the
real sslyze scan, the real Pelican build, the example site's own posts alongside), served on
127.0.0.1 and opened in Debian's headless Chromium at three widths. For every table of every
tlsreport page (chart data opened too) the test measures what a reader would meet: a table
wider than its box (a column behind a scrollbar the reader does not see), a reason chip off
screen, a target name on three lines. Screenshots of a post and a target page at 1280 and 375
px are kept in test-artifacts/ for a human look.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import ARTIFACTS, CHROMIUM_ARGS, chromium, serve, watch

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1280, 768, 375)
POST = "tlsreport-lab-demo.html"
TARGET_PAGE = "tlsreport/lab/lab-tls10-only.html"
EXAMPLE_PAGES = [
    "belgian-banks-ssl-part-4.html",
    "tlsreport/belgian-banks/ing.html",
    "tlsreport/belgian-banks/index.html",
]

# Everything measured in the page itself, after opening every <details> (chart data tables).
MEASURE_JS = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const vw = document.scrollingElement.clientWidth;
  const label = (el) => el.tagName.toLowerCase() +
      (typeof el.className === 'string' && el.className
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const wide = [];
  for (const t of document.querySelectorAll('.site-main table')) {
    if (!t.getClientRects().length) continue;
    const box = t.parentElement;
    const r = t.getBoundingClientRect();
    if (t.scrollWidth > box.clientWidth + 1 || r.right > vw + 1)
      wide.push(label(t) + ' scrollWidth=' + t.scrollWidth + ' box=' + box.clientWidth +
                ' right=' + Math.round(r.right));
  }
  for (const s of document.querySelectorAll('.tlsreport-scroll')) {
    if (s.getClientRects().length && s.scrollWidth > s.clientWidth + 1)
      wide.push('hidden sideways scroll: ' + label(s.firstElementChild || s) +
                ' ' + s.scrollWidth + ' > ' + s.clientWidth);
  }
  const reasons = [...document.querySelectorAll('.tls-reason')];
  const offscreen = reasons.filter(e => {
    const r = e.getBoundingClientRect();
    return r.width < 1 || r.height < 1 || r.left < -1 || r.right > vw + 1;
  }).map(e => e.textContent + ' @' + Math.round(e.getBoundingClientRect().right));
  const threeLines = [...document.querySelectorAll('table.tlsreport-compact th[scope=row] a')]
    .filter(a => a.getClientRects().length > 2).map(a => a.textContent);
  return {wide, offscreen, threeLines, reasons: reasons.length,
          docWidth: document.scrollingElement.scrollWidth, vw};
}"""


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """`make demo` into a temporary folder: the lab scanned for real, the site built."""
    from tlsreport.lab.demo import run

    tmp = tmp_path_factory.mktemp("layout")
    out = tmp / "output"
    run(tmp / "demo", ROOT / "content", out, ROOT / "pelican.conf.py", say=lambda _: None)
    targets = sorted(
        p.relative_to(out).as_posix() for p in (out / "tlsreport" / "lab").glob("*.html")
    )
    with serve(out) as url:
        yield url, [POST, *targets, *EXAMPLE_PAGES]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert "--disable-background-networking" in CHROMIUM_ARGS
    with chromium() as started:
        yield started


@pytest.mark.lab
@pytest.mark.parametrize("width", WIDTHS)
def test_every_table_fits_its_column_with_the_reasons_on_screen(
    browser: Any, demo_site: tuple[str, list[str]], width: int
) -> None:
    base, pages = demo_site
    assert TARGET_PAGE in pages and len(pages) > 20
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    problems: dict[str, Any] = {}
    reasons_seen = 0
    try:
        page = ctx.new_page()
        log = watch(page, base)
        for path in pages:
            response = page.goto(base + path, wait_until="load")
            assert response is not None and response.status == 200, path
            m = page.evaluate(MEASURE_JS)
            reasons_seen += m["reasons"]
            found = {k: m[k] for k in ("wide", "offscreen", "threeLines") if m[k]}
            if m["docWidth"] > m["vw"]:
                found["page"] = f"scrolls sideways: {m['docWidth']} > {m['vw']}"
            if found:
                problems[path] = found
        assert log.problems() == [], log.problems()
    finally:
        ctx.close()
    assert reasons_seen > 50, "the demo pages should show many reasons"
    assert problems == {}, f"at {width} px:\n" + "\n".join(f"{p}: {v}" for p, v in problems.items())


@pytest.mark.lab
@pytest.mark.parametrize("width", (1280, 375))
def test_post_and_target_page_screenshots_are_kept(
    browser: Any, demo_site: tuple[str, list[str]], width: int
) -> None:
    base, _ = demo_site
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = ctx.new_page()
        ARTIFACTS.mkdir(exist_ok=True)
        for name, path in (("post", POST), ("target", TARGET_PAGE)):
            page.goto(base + path, wait_until="load")
            shot = ARTIFACTS / f"layout-{name}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            data = shot.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, shot
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    finally:
        ctx.close()
