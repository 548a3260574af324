"""Output safety: what a scanned server says is text, never markup, and the site runs under a
strict Content-Security-Policy (no inline script or style, nothing fetched from elsewhere).

Two real sites are built: one from history in which every field a server (or a hand-edited
snapshot) can fill carries ``<script>`` and attribute-breaking markup, shown through every
view, list and target page and the feed; and the repository's own example site. Both are
checked file by file (``safetykit``), then served on 127.0.0.1 *with the policy as an HTTP
header* and opened in headless Chromium: a policy violation is a console error there, so
"works under the CSP" is observed, not assumed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import IMAGES_JS, _QuietHandler, build_example_site, chromium, serve, watch
from safetykit import CSP, CSP_SVG, css_problems, html_problems, svg_problems
from sitekit import build, post, soup, write_history
from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    CipherSuite,
    Facts,
    Hsts,
    Recorded,
    Snapshot,
    TargetRef,
    TargetResult,
    TrustResult,
)
from tlsreport.lab.profiles import HOSTILE_ATTRIBUTE, HOSTILE_SCRIPT

EVIL = f"{HOSTILE_SCRIPT}{HOSTILE_ATTRIBUTE}"
# The hostile group as a directive's quoted value (an unknown group is an error, so the filter
# names the group the targets really have).
EVIL_QUOTED = EVIL.replace("\\", "\\\\").replace('"', '\\"')
pytestmark = pytest.mark.xdist_group("output-safety")


def _evil_ref(name: str, *, note: str = EVIL) -> TargetRef:
    return TargetRef(
        name=f"{name} {EVIL}",
        host=f"{name.lower()}.example",
        path=f"/{EVIL}",
        group=(f"group {EVIL}",),
        note=note,
    )


def _evil_facts() -> Facts:
    cert = Certificate(
        subject=f"CN={EVIL}",
        issuer=f"O={EVIL}",
        sans=(EVIL, "evil.example"),
        signature_hash="sha256",
        key_type="RSA",
        key_bits=2048,
        not_before="2015-01-01T00:00:00Z",
        not_after="2016-01-01T00:00:00Z",
    )
    suite = CipherSuite(
        name="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        bits=128,
        kex="ECDHE",
        kex_bits=256,
        curve=EVIL,
        forward_secrecy=True,
        aead=True,
    )
    return Facts(
        protocols={"TLSv1.2": (suite,), "TLSv1.3": ()},
        certificate=CertificateFacts(
            chain=(cert,),
            trust=(TrustResult("Mozilla", False, error=EVIL),),
            hostname=EVIL,
            hostname_matches=False,
            problem="mismatch",
        ),
        hsts=None,
        http_error=EVIL,
        curves=(EVIL,),
        errors={"robot": EVIL},
        highest_version="TLSv1.2",
    )


RECORDED = Snapshot(
    list_slug="evil",
    title=f"Evil list {EVIL}",
    taken="2015-03-03T12:00:00Z",
    kind="recorded",
    note=EVIL,
    results=(
        TargetResult(_evil_ref("Bank"), recorded=Recorded("B", (f"RC4 {EVIL}",), EVIL)),
        TargetResult(_evil_ref("Gone"), state="untestable", reason=EVIL),
        TargetResult(_evil_ref("Quiet"), recorded=Recorded(None, (), EVIL)),
    ),
)
SCANNED = Snapshot(
    list_slug="evil",
    title=f"Evil list {EVIL}",
    taken="2015-03-04T12:00:00Z",
    kind="scan",
    versions={"tlsreport": EVIL},
    results=(
        TargetResult(_evil_ref("Bank"), facts=_evil_facts()),
        TargetResult(_evil_ref("Gone"), state="error", reason=EVIL),
        TargetResult(
            _evil_ref("Quiet"),
            facts=Facts(
                protocols={"TLSv1.2": ()}, hsts=Hsts(present=True, max_age=1), http_error=EVIL
            ),
        ),
    ),
)


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("evil-site")
    write_history(site / "history", [RECORDED, SCANNED])
    views = f"""
        [tlsreport grades list=evil]

        [tlsreport grades list=evil compact=yes]

        [tlsreport grades list=evil group="group {EVIL_QUOTED}"]

        [tlsreport changes list=evil since=2015-03-03]

        [tlsreport chart list=evil kind=history]

        [tlsreport chart list=evil kind=distribution]

        [tlsreport chart list=evil kind=timeline target=bank.example:443/https]

        Bank: [tlsreport target list=evil target=bank.example:443/https]
        """
    post(site, "first", "[tlsreport grades list=evil]\n", Date="2015-03-03 20:00", Slug="first")
    # Titles and summaries are the author's own HTML in Pelican (trusted, like the post body);
    # everything hostile here comes from history, i.e. from servers or hand-edited snapshots.
    post(site, "evil", views, Date="2015-03-05", Slug="evil", Title="Evil post")
    return build(site, TLSREPORT_ERRORS="warn")


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example_site(
        tmp_path_factory.mktemp("example-out"), tmp_path_factory.mktemp("example-cache")
    )


def _sites(evil_site: Path, example_site: Path) -> list[Path]:
    return [evil_site, example_site]


# --- the checks can fail ---------------------------------------------------------------------


def test_the_checks_find_what_they_look_for() -> None:
    bad_html = (
        '<base href="/"><script>x()</script><style>p{}</style><p style="color:red" '
        'onclick="x()">a</p><a href="javascript:x()">b</a><img src="https://t.example/'
        'p.gif"><link rel="stylesheet" href="//cdn.example/s.css"><iframe src="f">'
        '</iframe><form action="/x"></form><img srcset="a.png 1x, http://t.example/b.png'
        ' 2x">'
    )
    assert len(html_problems(bad_html)) == 11
    assert (
        html_problems(
            '<a href="https://getpelican.com/">Pelican</a><img src="c.svg">'
            '<link rel="stylesheet" href="../theme/css/site.css">'
        )
        == []
    )
    bad_svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/'
        b'xlink"><script>alert(1)</script><a xlink:href="https://evil.example/">x</a>'
        b'<rect onload="alert(2)" style="fill: url(https://evil.example/p.svg)"/>'
        b'<use href="#ok"/></svg>'
    )
    assert len(svg_problems(bad_svg)) == 4
    assert (
        len(
            css_problems(
                '@import "https://fonts.example/a.css"; p{background:'
                "url('http://t.example/x.png')} q{width:expression(1)}"
            )
        )
        == 3
    )
    assert css_problems("p{background:url(../img/x.svg)} q{background:url(data:,)}") == []


# --- file by file ----------------------------------------------------------------------------


def test_no_page_has_inline_script_style_handlers_or_outside_resources(
    evil_site: Path, example_site: Path
) -> None:
    for out in _sites(evil_site, example_site):
        pages = sorted(out.rglob("*.html"))
        assert len(pages) > 5
        found = {
            str(p.relative_to(out)): html_problems(p.read_text(encoding="utf-8")) for p in pages
        }
        assert {k: v for k, v in found.items() if v} == {}


def test_stylesheets_and_charts_load_nothing_from_elsewhere(
    evil_site: Path, example_site: Path
) -> None:
    for out in _sites(evil_site, example_site):
        sheets = sorted(out.rglob("*.css"))
        charts = sorted(out.rglob("*.svg"))
        assert sheets and charts
        assert {
            str(s): css_problems(s.read_text(encoding="utf-8"))
            for s in sheets
            if css_problems(s.read_text(encoding="utf-8"))
        } == {}
        assert {
            str(c): svg_problems(c.read_bytes()) for c in charts if svg_problems(c.read_bytes())
        } == {}


def test_every_field_a_server_fills_is_shown_as_escaped_text(evil_site: Path) -> None:
    pages = sorted(evil_site.rglob("*.html"))
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        assert "<script>alert" not in raw and "<img src=x" not in raw, page
        assert soup(page).find("img", attrs={"onerror": True}) is None, page
    post_page = soup(evil_site / "evil.html")
    text = post_page.select_one(".post-content").get_text(" ")
    assert text.count(HOSTILE_SCRIPT) >= 5  # list title, names, reasons, cert names, errors
    raw = (evil_site / "evil.html").read_text(encoding="utf-8")
    assert (
        "&lt;script&gt;alert(&#39;tlsreport&#39;)&lt;/script&gt;" in raw
        or "&lt;script&gt;alert('tlsreport')&lt;/script&gt;" in raw
    )
    assert not post_page.select(".tlsreport-error")  # every view rendered, none fell over


def test_the_feed_carries_escaped_text_only(evil_site: Path) -> None:
    feed = evil_site / "feeds" / "all.atom.xml"
    root = ET.parse(feed).getroot()
    bodies = [el.text or "" for el in root.iter() if el.tag.endswith(("content", "summary"))]
    # The XML holds HTML; in that HTML the server's markup is escaped text.
    assert bodies and any("&lt;script&gt;alert(" in b for b in bodies)
    for body in bodies:
        assert html_problems(body) == []


# --- in a real browser, under the policy ---------------------------------------------------------


class _CspHandler(_QuietHandler):
    """A static host configured as the README says: CSP on every file, CSP_SVG on charts."""

    def end_headers(self) -> None:
        svg = self.path.split("?", 1)[0].endswith(".svg")
        self.send_header("Content-Security-Policy", CSP_SVG if svg else CSP)
        super().end_headers()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as started:
        yield started


def _reader_pages(out: Path, limit: int) -> list[str]:
    """The index and the pages with a tlsreport view (tables, charts): what a reader opens."""
    chosen = [
        str(p.relative_to(out))
        for p in sorted(out.rglob("*.html"))
        if 'class="tlsreport' in p.read_text(encoding="utf-8")
    ]
    return ["index.html", *chosen[:limit]]


@pytest.mark.parametrize("which", ["evil", "example"])
def test_pages_work_under_the_strict_policy_in_chromium(
    browser: Any, evil_site: Path, example_site: Path, which: str
) -> None:
    """Any blocked script, style, image or fetch is a console error in Chromium: none may occur.

    Charts are also opened on their own (as a reader's "open image in new tab" does), under
    their own policy.
    """
    out = evil_site if which == "evil" else example_site
    pages = _reader_pages(out, limit=5 if which == "evil" else 4)
    charts: set[str] = set()
    with serve(out, _CspHandler) as base:
        context = browser.new_context()
        try:
            for path in pages:
                page = context.new_page()
                log = watch(page, base)
                response = page.goto(base + path, wait_until="load")
                assert response is not None and response.status == 200, path
                assert response.headers["content-security-policy"] == CSP
                images = page.evaluate(IMAGES_JS)
                assert [i for i in images if not i["naturalWidth"]] == [], path
                charts |= {i["src"] for i in images if i["src"].endswith(".svg")}
                sheets = page.evaluate(
                    "() => Array.from(document.styleSheets).map(s => s.cssRules.length)"
                )
                assert sheets and all(n > 0 for n in sheets), path  # the theme's CSS applied
                assert log.problems() == [], f"{path}: {log.problems()}"
                page.close()
            assert charts, pages
            for url in sorted(charts)[:3]:
                page = context.new_page()
                log = watch(page, base)
                response = page.goto(url, wait_until="load")
                assert response is not None and response.status == 200, url
                assert response.headers["content-security-policy"] == CSP_SVG
                assert log.problems() == [], f"{url}: {log.problems()}"
                page.close()
        finally:
            context.close()
