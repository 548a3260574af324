"""The Pelican glue, end to end: real builds of small sites, the HTML read back with bs4.

Each test writes a post or two and a hand-made history (through the real History class),
builds with the real plugin and theme, and checks what a reader would see.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sitekit import build, post, recorded, run_pelican, snapshot, soup, tree_bytes, write_history
from tlsreport.facts import (
    Certificate,
    CertificateFacts,
    Facts,
    Hsts,
    Snapshot,
    TargetRef,
    TargetResult,
    TrustResult,
)
from tlsreport.pelican_glue.fill import DirectiveBuildError
from tlsreport.pelican_glue.settings import SettingsError

FEB = [
    snapshot(
        "2015-02-15T12:00:00Z",
        [recorded("ING", "F", "SSL3 (insecure)"), recorded("KBC", "B", "RC4 (insecure)")],
    ),
    snapshot(
        "2015-02-16T12:00:00Z", [recorded("ING", "A-"), recorded("KBC", "B", "RC4 (insecure)")]
    ),
    snapshot(
        "2015-03-03T12:00:00Z",
        [recorded("ING", "A-"), recorded("KBC", "B", "RC4 (insecure)"), recorded("Crelan", "A")],
    ),
]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_history(tmp_path / "history", FEB)
    return tmp_path


def grades_of(page: Path) -> dict[str, list[str]]:
    """Grade heading -> target names, from the series-format grades view."""
    out: dict[str, list[str]] = {}
    for h in soup(page).select(".tlsreport-grades .tlsreport-grade-heading"):
        ul = h.find_next_sibling()
        names = []
        if ul is not None and ul.name == "ul":
            names = [li.find(["a", "span"]).get_text(strip=True) for li in ul.find_all("li")]
        out[h.get_text(" ", strip=True)] = names
    return out


def test_directive_in_code_stays_text_and_the_real_one_renders(site: Path) -> None:
    post(
        site,
        "code",
        """
        Inline `[tlsreport grades list=banks]` is code.

        ```
        [tlsreport grades list=banks]
        ```

            [tlsreport grades list=banks]

        [tlsreport grades list=banks]
        """,
        Date="2015-02-16",
    )
    out = build(site)
    page = soup(out / "code.html")
    assert len(page.select("div.tlsreport-grades")) == 1
    code = [c.get_text() for c in page.select(".post-content code")]
    assert sum("[tlsreport grades list=banks]" in c for c in code) == 3
    assert not page.select(".tlsreport-placeholder")


def test_post_shows_the_snapshot_of_its_own_date(site: Path) -> None:
    post(site, "feb15", "[tlsreport grades list=banks]\n", Date="2015-02-15 23:00")
    post(site, "feb16", "[tlsreport grades list=banks]\n", Date="2015-02-16 14:00")
    post(
        site,
        "mod",
        "[tlsreport grades list=banks]\n",
        Date="2015-02-15",
        Modified="2015-03-03 21:00",
    )
    post(
        site,
        "named",
        "[tlsreport grades list=banks]\n",
        Date="2015-03-10",
        Tlsreport_snapshot="2015-02-16T12:00:00Z",
    )
    out = build(site)
    # Dated the 15th: ING still F. The 16th (any hour of that day): A-.
    assert grades_of(out / "feb15.html")["F"] == ["ING"]
    assert grades_of(out / "feb16.html")["A-"] == ["ING"]
    # Modified: the list as it stood on 3 March, Crelan included.
    assert grades_of(out / "mod.html")["A"] == ["Crelan"]
    # Metadata names a snapshot: that one, although the post is newer.
    named = grades_of(out / "named.html")
    assert named["A-"] == ["ING"] and named.get("A", []) == []  # an empty grade is no heading


def test_end_of_day_is_in_the_site_time_zone(tmp_path: Path) -> None:
    # 23:30 UTC on the 15th is already the 16th in Brussels: a post of the 15th must not show it.
    write_history(
        tmp_path / "history",
        [
            snapshot("2015-02-14T12:00:00Z", [recorded("ING", "F")]),
            snapshot("2015-02-15T23:30:00Z", [recorded("ING", "A-")]),
        ],
    )
    post(tmp_path, "p", "[tlsreport grades list=banks]\n", Date="2015-02-15 10:00")
    out = build(tmp_path)
    assert grades_of(out / "p.html")["F"] == ["ING"]


def test_changes_since_the_previous_post_on_the_same_list(site: Path) -> None:
    post(site, "first", "[tlsreport grades list=banks]\n", Date="2015-02-15 20:00")
    post(site, "second", "[tlsreport changes list=banks]\n", Date="2015-03-03 20:00")
    out = build(site)
    changes = soup(out / "second.html").select_one(".tlsreport-changes")
    dates = [t["datetime"] for t in changes.select(".tlsreport-changes-date time")]
    assert dates == ["2015-02-16", "2015-03-03"]
    text = changes.get_text(" ", strip=True)
    assert "ING" in text and "Crelan" in text and "KBC" not in text


def test_unknown_list_stops_the_pelican_command_with_file_and_line(site: Path) -> None:
    post(
        site,
        "bad",
        """
        Some text.

        [tlsreport grades list=bankz]
        """,
        Date="2015-03-03",
    )
    proc = run_pelican(site)
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert "content/posts/bad.md:6: unknown list 'bankz'" in log
    assert not (site / "output" / "bad.html").exists()


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("Intro.\n\n[tlsreport grades lst=banks]\n", 6, "unknown option 'lst'"),
        ("[tlsreport charts list=banks]\n", 4, "unknown view 'charts'"),
        (
            "x\n\n\n[tlsreport grades list=banks\n  as_of=2014-01-01]\n",
            7,
            "no snapshot of 'banks' on or before 2014-01-01",
        ),
        ("[tlsreport target list=banks target=Nobody]\n", 4, "no target 'Nobody'"),
    ],
)
def test_bad_directive_fails_the_build_naming_file_and_line(
    site: Path, body: str, line: int, message: str
) -> None:
    post(site, "bad", body, Date="2015-03-03")
    with pytest.raises(DirectiveBuildError) as exc:
        build(site)
    assert f"content/posts/bad.md:{line}: " in str(exc.value)
    assert message in str(exc.value)


def test_a_post_dated_before_any_snapshot_fails(site: Path) -> None:
    post(site, "early", "[tlsreport grades list=banks]\n", Date="2014-12-31")
    with pytest.raises(
        DirectiveBuildError,
        match=r"early\.md:4: no snapshot of 'banks' on or "
        r"before 2014-12-31",
    ):
        build(site)


def test_warn_mode_renders_a_visible_box_and_builds_the_rest(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    post(
        site,
        "warn",
        "[tlsreport grades list=bankz]\n\n[tlsreport grades list=banks]\n",
        Date="2015-03-03",
    )
    out = build(site, TLSREPORT_ERRORS="warn")
    page = soup(out / "warn.html")
    box = page.select_one(".tlsreport-error[role=alert]")
    assert box is not None and "warn.md:4: unknown list 'bankz'" in box.get_text()
    assert page.select_one(".tlsreport-grades") is not None
    assert any("unknown list 'bankz'" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("TLSREPORT_SCAN", "sometimes", "TLSREPORT_SCAN: 'sometimes' is not one of"),
        ("TLSREPORT_MAX_AGE", "1 day", "TLSREPORT_MAX_AGE: expected a number of seconds"),
        ("TLSREPORT_MAX_AGE", -5, "TLSREPORT_MAX_AGE"),
        ("TLSREPORT_ERRORS", "ignore", "TLSREPORT_ERRORS"),
        ("TLSREPORT_OUTPUT_DIR", "../out", "TLSREPORT_OUTPUT_DIR"),
    ],
)
def test_bad_settings_are_named(site: Path, setting: str, value: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        build(site, **{setting: value})


def test_bad_setting_makes_the_pelican_command_fail(site: Path) -> None:
    proc = run_pelican(site, TLSREPORT_SCAN="sometimes")
    assert proc.returncode != 0
    assert "TLSREPORT_SCAN: 'sometimes' is not one of" in proc.stdout + proc.stderr


def test_two_builds_give_byte_identical_output(site: Path, tmp_path: Path) -> None:
    post(
        site,
        "all",
        """
        [tlsreport grades list=banks]

        [tlsreport grades list=banks compact=yes]

        [tlsreport changes list=banks since=2015-02-15]

        [tlsreport chart list=banks kind=history]

        [tlsreport chart list=banks kind=timeline target=ING]

        [tlsreport chart list=banks kind=distribution]

        ING today: [tlsreport target list=banks target=ING]
        """,
        Date="2015-03-03",
    )
    first = tree_bytes(build(site, OUTPUT_PATH=str(tmp_path / "one")))
    second = tree_bytes(build(site, OUTPUT_PATH=str(tmp_path / "two")))
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert any(k.startswith("tlsreport/charts/") and k.endswith(".svg") for k in first)


def test_charts_are_files_named_by_hash_and_linked_relative(site: Path) -> None:
    post(
        site,
        "c",
        "[tlsreport chart list=banks kind=history]\n",
        Date="2015-03-03",
        Slug="c",
        Save_as="2015/c.html",
        URL="2015/c.html",
    )
    out = build(site)
    fig = soup(out / "2015" / "c.html").select_one("figure.tlsreport-chart")
    src = fig.img["src"]
    assert src.startswith("../tlsreport/charts/") and src.endswith(".svg")
    svg = (out / "2015" / src).resolve()
    assert svg.is_file() and b"<script" not in svg.read_bytes()
    assert fig.img["alt"] and fig.select_one("details table.tlsreport-table") is not None


def test_list_and_target_pages_and_post_data(site: Path) -> None:
    post(site, "p4", "[tlsreport grades list=banks]\n", Date="2015-02-16", Slug="p4")
    out = build(site)
    latest = soup(out / "tlsreport" / "banks" / "index.html")
    assert "Crelan" in latest.select_one("table.tlsreport-table").get_text()
    assert len(latest.select("figure.tlsreport-chart")) == 2  # distribution + history
    # Changes since the last post (p4 showed 16 Feb): Crelan added.
    assert "Crelan" in latest.select_one(".tlsreport-changes").get_text()
    ing = soup(out / "tlsreport" / "banks" / "ing.html")
    history = ing.get_text(" ", strip=True)
    assert "F" in history and "A-" in history
    assert [a.get_text() for a in ing.select("#posts ~ ul a")] == ["P4"]
    assert ing.select_one("figure.tlsreport-chart") is not None
    data = json.loads((out / "tlsreport" / "data" / "p4.json").read_text())
    assert {r["target"]: r["grade"] for r in data["rows"]} == {"ING": "A-", "KBC": "B"}
    rows = list(csv.DictReader(io.StringIO((out / "tlsreport/data/p4.csv").read_text())))
    assert rows[1]["target"] == "KBC" and rows[1]["grade"] == "B"
    assert rows[1]["reasons"].startswith("RC4 (insecure)")
    assert rows[1]["snapshot"] == "2015-02-16T12:00:00Z"
    # The post links its data, and the theme's menu links the latest page.
    p4 = soup(out / "p4.html")
    hrefs = {a["href"] for a in p4.find_all("a", href=True)}
    assert "./tlsreport/banks/index.html" in hrefs


def test_series_navigation_from_metadata(site: Path) -> None:
    for i, day in ((1, "2015-02-15"), (2, "2015-02-16"), (3, "2015-03-03")):
        post(
            site,
            f"part-{i}",
            "Text.\n",
            Date=day,
            Series="Banks",
            Series_index=str(i),
            Title=f"Part {i}",
        )
    out = build(site)
    nav = soup(out / "part-2.html").select_one(".series-nav")
    assert "Part 2 of the series" in nav.get_text(" ", strip=True)
    assert nav.select_one("[rel=prev]").get_text() == "Previous: Part 1"
    assert nav.select_one("[rel=next]").get_text() == "Next: Part 3"


def _hostile_snapshot() -> Snapshot:
    evil = "<script>alert(1)</script>"
    cert = Certificate(
        subject=f"CN={evil}",
        issuer=f"CN={evil}",
        sans=(evil,),
        signature_hash="sha256",
        key_type="RSA",
        key_bits=2048,
        not_before="2026-01-01T00:00:00Z",
        not_after="2027-01-01T00:00:00Z",
    )
    facts = Facts(
        certificate=CertificateFacts(
            chain=(cert,),
            trust=(TrustResult("Mozilla", False, error=evil),),
            hostname=evil,
            hostname_matches=False,
            problem="mismatch",
        ),
        hsts=Hsts(present=True, max_age=1),
        http_error=evil,
    )
    ref = TargetRef(name=f"Evil {evil}", host="evil.lab.test", note=evil)
    return Snapshot(
        list_slug="banks",
        title=f"Banks {evil}",
        taken="2015-03-04T12:00:00Z",
        kind="scan",
        results=(TargetResult(target=ref, facts=facts),),
    )


def test_server_supplied_text_is_escaped_everywhere(site: Path) -> None:
    write_history(site / "history", [_hostile_snapshot()])
    post(
        site,
        "x",
        """
        [tlsreport grades list=banks]

        [tlsreport grades list=banks compact=yes]

        [tlsreport changes list=banks since=2015-03-03]

        [tlsreport chart list=banks]

        [tlsreport target list=banks target=evil.lab.test]
        """,
        Date="2015-03-04",
    )
    out = build(site)
    for page in sorted(out.rglob("*.html")):
        assert soup(page).find("script") is None, page
        assert "<script>alert" not in page.read_text(encoding="utf-8"), page
    shown = soup(out / "x.html").select_one(".post-content").get_text()
    assert "Evil <script>alert(1)</script>" in shown
    (target_page,) = (out / "tlsreport" / "banks").glob("evil*.html")
    findings = soup(target_page).select_one(".tlsreport-findings").get_text()
    assert "CN=<script>alert(1)</script>" in findings


def test_drafts_and_pages_are_not_listed_as_posts_that_mention_a_target(site: Path) -> None:
    post(site, "published", "[tlsreport grades list=banks]\n", Date="2015-02-16", Slug="pub")
    post(
        site,
        "draft",
        "[tlsreport grades list=banks]\n",
        Date="2015-03-01",
        Slug="drf",
        Status="draft",
    )
    page = site / "content" / "pages" / "about.md"
    page.parent.mkdir(parents=True)
    page.write_text("Title: About\n\n[tlsreport grades list=banks compact=yes]\n")
    out = build(site)
    ing = soup(out / "tlsreport" / "banks" / "ing.html")
    assert [a.get_text() for a in ing.select("#posts ~ ul a")] == ["Published"]
    # The page is a living page: it shows the newest snapshot (Crelan came on 3 March).
    assert "Crelan" in soup(out / "pages" / "about.html").select_one("table").get_text()


def test_a_broken_snapshot_is_named_and_the_others_still_build(site: Path) -> None:
    broken = site / "history" / "banks" / "2015-03-04T120000Z.json"
    broken.write_text("{ not json")
    post(site, "ok", "[tlsreport grades list=banks]\n", Date="2015-03-03")
    post(site, "bad", "[tlsreport grades list=banks]\n", Date="2015-03-04")
    with pytest.raises(DirectiveBuildError, match=r"bad\.md:4: .*2015-03-04T120000Z\.json"):
        build(site)
    post(site, "bad", "[tlsreport grades list=banks]\n", Date="2015-03-04")
    out = build(site, TLSREPORT_ERRORS="warn")
    assert grades_of(out / "ok.html")["A"] == ["Crelan"]
    assert soup(out / "tlsreport" / "banks" / "index.html").select_one("table") is not None


def test_bad_snapshot_metadata_names_its_line(site: Path) -> None:
    post(
        site,
        "meta",
        "[tlsreport grades list=banks]\n",
        Date="2015-03-04",
        Tlsreport_snapshot="last week",
    )
    with pytest.raises(DirectiveBuildError, match=r"meta\.md:2: Tlsreport_snapshot: expected"):
        build(site)


def test_a_later_build_without_the_plugin_is_left_alone(site: Path, tmp_path: Path) -> None:
    post(site, "p", "[tlsreport grades list=banks]\n", Date="2015-03-03")
    build(site)  # connects the plugin's signal receivers in this process
    out = build(site, PLUGINS=[], OUTPUT_PATH=str(tmp_path / "plain"))
    assert not (out / "tlsreport").exists()
    assert soup(out / "p.html").select_one(".post-content").get_text(strip=True) == (
        "[tlsreport grades list=banks]"
    )


def test_output_dir_and_absolute_urls_are_honoured(site: Path) -> None:
    post(
        site,
        "p",
        "[tlsreport chart list=banks kind=history]\n\n[tlsreport grades list=banks]\n",
        Date="2015-03-03",
        Slug="p",
    )
    out = build(
        site, TLSREPORT_OUTPUT_DIR="reports", RELATIVE_URLS=False, SITEURL="https://blog.example"
    )
    img = soup(out / "p.html").select_one("figure.tlsreport-chart img")["src"]
    assert img.startswith("https://blog.example/reports/charts/")
    assert (out / img.removeprefix("https://blog.example/")).is_file()
    link = soup(out / "p.html").select_one(".tlsreport-grades a")["href"]
    assert link.startswith("https://blog.example/reports/banks/")
    latest = soup(out / "reports" / "banks" / "index.html")
    assert latest.select_one("figure img")["src"].startswith("https://blog.example/reports/charts/")
    assert not (out / "tlsreport").exists()
    # The feed carries the same absolute links.
    assert "https://blog.example/reports/charts/" in (out / "feeds" / "all.atom.xml").read_text()


def test_changes_between_posts_over_a_scanned_history(tmp_path: Path) -> None:
    from gradekit import RC4, make_facts
    from tlsreport.facts import Hsts

    def scan(taken: str, **servers: Facts) -> Snapshot:
        return Snapshot(
            list_slug="banks",
            title="Banks",
            taken=taken,
            kind="scan",
            results=tuple(
                TargetResult(target=TargetRef(name=n, host=f"{n.lower()}.example"), facts=f)
                for n, f in servers.items()
            ),
        )

    good, rc4 = make_facts(), make_facts(add={"TLSv1.2": (RC4,)})
    no_hsts = make_facts(hsts=Hsts(present=False))
    write_history(
        tmp_path / "history",
        [
            scan("2026-01-05T06:00:00Z", ING=rc4, KBC=good),
            scan("2026-01-12T06:00:00Z", ING=rc4, KBC=no_hsts),  # KBC loses HSTS here ...
            scan("2026-01-19T06:00:00Z", ING=good, KBC=no_hsts),  # ... and ING drops RC4 here
            scan("2026-01-26T06:00:00Z", ING=good, KBC=no_hsts),
        ],
    )
    post(tmp_path, "a", "[tlsreport grades list=banks]\n", Date="2026-01-05 12:00")
    post(tmp_path, "b", "[tlsreport changes list=banks]\n", Date="2026-01-13 12:00")
    post(tmp_path, "c", "[tlsreport changes list=banks]\n", Date="2026-01-27 12:00")
    out = build(tmp_path)

    def changed(name: str) -> dict[str, str]:
        section = soup(out / name).select(".tlsreport-changes-date")
        return {
            li.get_text(" ", strip=True).split(":")[0].strip(): s.time["datetime"]
            for s in section
            for li in s.select("li")
        }

    assert changed("b.html") == {"KBC": "2026-01-12"}
    assert changed("c.html") == {"ING": "2026-01-19"}  # only since post b's snapshot


def test_post_links_its_data_files_and_the_latest_page(site: Path) -> None:
    post(site, "p", "[tlsreport grades list=banks]\n", Date="2015-02-16", Slug="p")
    out = build(site)
    links = {
        a.get_text(strip=True): a["href"] for a in soup(out / "p.html").select(".tlsreport-data a")
    }
    assert links == {
        "JSON": "./tlsreport/data/p.json",
        "CSV": "./tlsreport/data/p.csv",
        "latest Banks": "./tlsreport/banks/index.html",
    }
    assert all((out / href).is_file() for href in links.values())
