"""The example site in a real browser: what a reader of the series actually sees.

The repository's own site is built once for this module into a temporary folder, served by a
plain HTTP server on 127.0.0.1, and opened in Debian's headless Chromium through Playwright.
HTML parsing (tests/site/test_example_site.py) cannot see a console error, an image the browser
cannot decode, a table that pushes a phone screen sideways or a link to a page that was never
written; these tests can. A screenshot of part 4 is kept in test-artifacts/ for a human look.

Chromium missing is a failure, not a skip: CI installs it (.ci/run), and a skipped browser
test would hide exactly what it is here to catch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import (
    ARTIFACTS,
    IMAGES_JS,
    INDEX,
    LATEST,
    PART4,
    SIDEWAYS_JS,
    TARGET,
    build_example_site,
    chromium,
    crawl,
    serve,
    watch,
)

READER_PAGES = [INDEX, PART4, TARGET, LATEST]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = build_example_site(
        tmp_path_factory.mktemp("browser-site"), tmp_path_factory.mktemp("browser-cache")
    )
    with serve(out) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as started:
        yield started


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def site_crawl(base_url: str) -> Any:
    return crawl(base_url)


def _open(context: Any, base_url: str, path: str) -> tuple[Any, Any]:
    page = context.new_page()
    log = watch(page, base_url)
    response = page.goto(base_url + path, wait_until="load")
    status = response.status if response is not None else None
    assert status == 200, f"{path}: HTTP {status}"
    return page, log


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_page_loads_with_no_console_errors_and_no_outside_requests(
    context: Any, base_url: str, path: str
) -> None:
    page, log = _open(context, base_url, path)
    page.wait_for_load_state("networkidle")
    assert page.title(), f"{path}: empty <title>"
    assert log.problems() == [], f"{path}:\n" + "\n".join(log.problems())


@pytest.mark.parametrize("path", [PART4, TARGET, LATEST])
def test_every_chart_image_loads_with_a_real_size(context: Any, base_url: str, path: str) -> None:
    page, log = _open(context, base_url, path)
    images = page.evaluate(IMAGES_JS)
    charts = [img for img in images if "/tlsreport/charts/" in img["src"]]
    assert charts, f"{path}: no chart image at all ({len(images)} images)"
    bad = [
        img
        for img in images
        if not img["complete"] or img["naturalWidth"] <= 0 or img["naturalHeight"] <= 0
    ]
    assert bad == [], f"{path}: images that did not load: {bad}"
    assert all(img["alt"].strip() for img in charts), f"{path}: a chart without alt text"
    assert log.problems() == [], f"{path}:\n" + "\n".join(log.problems())


def test_no_page_scrolls_sideways_on_a_375px_phone(
    browser: Any, base_url: str, site_crawl: Any
) -> None:
    """Every HTML page of the site, not just the four: a target page has the widest tables."""
    ctx = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = ctx.new_page()
        wide: dict[str, Any] = {}
        for url in sorted(site_crawl.pages):
            page.goto(url, wait_until="load")
            m = page.evaluate(SIDEWAYS_JS)
            if m["scrollWidth"] > m["clientWidth"]:
                wide[url.removeprefix(base_url)] = m
        assert len(site_crawl.pages) >= 20, sorted(site_crawl.pages)
        assert wide == {}, "pages wider than a 375 px screen:\n" + "\n".join(
            f"{p}: scrollWidth {m['scrollWidth']} > {m['clientWidth']}; widest: {m['wide']}"
            for p, m in wide.items()
        )
    finally:
        ctx.close()


def test_every_internal_link_from_the_index_resolves(base_url: str, site_crawl: Any) -> None:
    reached = {url.removeprefix(base_url) for url in site_crawl.pages}
    for path in READER_PAGES:
        assert path in reached, f"{path} is not reachable by links from the index"
    assert site_crawl.broken() == {}, (
        "broken internal links (url: status, linked from):\n"
        + "\n".join(f"{u}: {c} from {refs}" for u, (c, refs) in site_crawl.broken().items())
    )
    assert site_crawl.missing_fragments == [], (
        f"links to anchors that do not exist: {site_crawl.missing_fragments}"
    )


def test_part4_screenshot_is_kept_as_a_test_artifact(context: Any, base_url: str) -> None:
    page, log = _open(context, base_url, PART4)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "part4.png"
    page.screenshot(path=str(shot), full_page=True)
    data = Path(shot).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, f"{shot}: not a real PNG"
    assert log.problems() == [], "\n".join(log.problems())
