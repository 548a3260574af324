"""The traffic directive in real Pelican builds, and the example traffic post over its
generated log.

``[tlsreport traffic data=NAME view=...]`` reads ``TLSREPORT_TRAFFIC_DIR/NAME.json``; these
tests write such reports with the real aggregator (from log lines), build small sites with the
real theme and plugin, and read the HTML and SVG that come out.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from sitekit import ROOT, build, post, soup, tree_bytes
from tlsreport import directive, traffic
from tlsreport.pelican_glue.fill import DirectiveBuildError

EXAMPLE = ROOT / "data" / "traffic" / "belgian-banks-traffic.json"
WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


# --- the directive ---------------------------------------------------------------------------


def test_traffic_directive_options() -> None:
    d = directive.parse_directive("[tlsreport traffic data=spike-2015]")
    assert d.view == "traffic" and d.options == {"data": "spike-2015", "view": "daily"}
    d = directive.parse_directive("[tlsreport traffic data=spike view=networks]")
    assert d.options["view"] == "networks"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tlsreport traffic view=daily]", "needs data=NAME"),
        ("[tlsreport traffic data=spike view=weekly]", "unknown traffic view 'weekly'"),
        ("[tlsreport traffic data=../etc/passwd]", "is not a report name"),
        ("[tlsreport traffic data=Spike]", "is not a report name"),
        ("[tlsreport traffic data=spike list=banks]", "unknown option 'list'"),
        ("[tlsreport traffic data=spike view=daily view=pages]", "given twice"),
    ],
)
def test_bad_traffic_directives_are_errors(text: str, message: str) -> None:
    with pytest.raises(directive.DirectiveError, match=message):
        directive.parse_directive(text)


# --- small sites -------------------------------------------------------------------------------


def _line(ip: str, when: str, path: str, ref: str = "-", ua: str = WIN) -> bytes:
    return f'{ip} - - [{when}] "GET {path} HTTP/1.1" 200 10 "{ref}" "{ua}"\n'.encode()


def _write_report(folder: Path, name: str, *, label: str = "test log") -> dict:
    agg = traffic.Aggregator()
    agg.read_lines(
        [
            _line(
                "192.0.2.1",
                "16/Feb/2015:10:00:00 +0100",
                "/a.html",
                ref="https://<img src=x onerror=alert(1)>.example/",
            ),
            _line(
                "192.0.2.2",
                "16/Feb/2015:10:01:00 +0100",
                "/a.html",
                ref="https://$\\alpha$.example/",
            ),
            _line("192.0.2.3", "16/Feb/2015:11:00:00 +0100", "/b.html"),
            _line("192.0.2.3", "17/Feb/2015:09:00:00 +0100", "/a.html"),
        ]
    )
    report = agg.report(label=label)
    folder.mkdir(parents=True, exist_ok=True)
    traffic.write_report(report, folder / f"{name}.json")
    return report


VIEWS = ("daily", "hourly", "referrers", "systems", "pages", "networks")


def _site_with_all_views(site: Path) -> None:
    body = "\n\n".join(f"[tlsreport traffic data=spike view={v}]" for v in VIEWS)
    post(site, "spike", "Readers.\n\n" + body + "\n", Date="2015-02-26 20:00")


def test_every_view_renders_a_chart_or_a_note_with_escaped_names(tmp_path: Path) -> None:
    _write_report(tmp_path / "traffic", "spike", label="<b>generated</b> log")
    _site_with_all_views(tmp_path)
    out = build(tmp_path, TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"))
    page = out / "spike.html"
    html = soup(page)
    blocks = html.select("div.tlsreport-traffic")
    assert [b["class"][-1] for b in blocks] == [f"tlsreport-traffic-{v}" for v in VIEWS]
    for block in blocks[:-1]:
        img = block.select_one("figure.tlsreport-chart img")
        assert img is not None and img["alt"].strip()
        svg = (page.parent / img["src"]).resolve()
        assert svg.is_file() and b"<script" not in svg.read_bytes()
        assert block.select_one("details table.tlsreport-table") is not None
        assert (
            "Data: <b>generated</b> log, 16 February"
            in block.select_one("p.tlsreport-source").get_text()
        )
    networks = blocks[-1]
    assert networks.select_one("img") is None
    assert "No networks table: no IP-to-organisation database" in networks.get_text()
    referrers = blocks[2].select_one("table").get_text()
    assert "<img src=x onerror=alert(1)>.example" in referrers  # shown as text ...
    assert "$\\alpha$.example" in referrers
    raw = page.read_text(encoding="utf-8")
    assert "<img src=x" not in raw and "<b>generated" not in raw  # ... never as markup
    daily = blocks[0].select_one("table").get_text(" ", strip=True)
    assert "2015-02-16 3 3" in daily and "2015-02-17 1 1" in daily
    assert "readers at once" in blocks[0].select_one("p.tlsreport-note").get_text()


def test_charts_are_the_same_bytes_on_every_build(tmp_path: Path) -> None:
    _write_report(tmp_path / "traffic", "spike")
    _site_with_all_views(tmp_path)
    first = tree_bytes(
        build(
            tmp_path,
            TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"),
            CACHE_PATH=str(tmp_path / "cache-1"),
        )
        / "tlsreport"
        / "charts"
    )
    shutil.rmtree(tmp_path / "output")
    again = tree_bytes(
        build(
            tmp_path,
            TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"),
            CACHE_PATH=str(tmp_path / "cache-2"),
        )
        / "tlsreport"
        / "charts"
    )
    assert len(first) == 5 and first == again
    # Warm: from the chart cache, the same files again.
    shutil.rmtree(tmp_path / "output")
    warm = tree_bytes(
        build(
            tmp_path,
            TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"),
            CACHE_PATH=str(tmp_path / "cache-2"),
        )
        / "tlsreport"
        / "charts"
    )
    assert warm == first


def test_an_unknown_report_fails_the_build_naming_post_and_line(tmp_path: Path) -> None:
    _write_report(tmp_path / "traffic", "spike")
    post(tmp_path, "x", "Text.\n\n[tlsreport traffic data=nope view=daily]\n", Date="2015-02-26")
    with pytest.raises(
        DirectiveBuildError,
        match=r"x\.md:6: data: no traffic report 'nope'.*"
        r"reports: spike",
    ):
        build(tmp_path, TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"))


def test_a_bad_view_fails_the_build_naming_post_and_line(tmp_path: Path) -> None:
    _write_report(tmp_path / "traffic", "spike")
    post(tmp_path, "x", "Text.\n\n[tlsreport traffic data=spike view=weekly]\n", Date="2015-02-26")
    with pytest.raises(DirectiveBuildError, match=r"x\.md:6: .*unknown traffic view 'weekly'"):
        build(tmp_path, TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: r["daily"][0].__setitem__("views", "many"),
            r"daily\[0\]\.views: expected a "
            r"whole number",
        ),
        (
            lambda r: r["daily"][1].__setitem__("day", "17/02/2015"),
            r"daily\[1\]\.day: expected a "
            r"date",
        ),
        (lambda r: r.__setitem__("format", "goaccess"), r"format: expected 'tlsreport-traffic'"),
        (lambda r: r["systems"].pop("os"), r"systems\.os: expected a field 'os'"),
        (lambda r: r.__setitem__("networks", {"a": 1}), r"networks: expected a list or null"),
    ],
)
def test_a_damaged_report_fails_the_build_naming_file_and_field(
    tmp_path: Path, edit: object, message: str
) -> None:
    report = _write_report(tmp_path / "traffic", "spike")
    edit(report)  # type: ignore[operator]
    (tmp_path / "traffic" / "spike.json").write_text(json.dumps(report), encoding="utf-8")
    post(tmp_path, "x", "[tlsreport traffic data=spike view=daily]\n", Date="2015-02-26")
    with pytest.raises(DirectiveBuildError, match=r"spike\.json: " + message):
        build(tmp_path, TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"))


def test_a_truncated_report_names_the_json_line(tmp_path: Path) -> None:
    _write_report(tmp_path / "traffic", "spike")
    path = tmp_path / "traffic" / "spike.json"
    path.write_bytes(path.read_bytes()[:300])
    post(tmp_path, "x", "[tlsreport traffic data=spike view=pages]\n", Date="2015-02-26")
    with pytest.raises(DirectiveBuildError, match=r"spike\.json:\d+: not valid JSON"):
        build(tmp_path, TLSREPORT_TRAFFIC_DIR=str(tmp_path / "traffic"))


# --- the example post ------------------------------------------------------------------------


def _generator() -> object:
    spec = importlib.util.spec_from_file_location(
        "make_traffic_log", ROOT / "bench" / "make_traffic_log.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_report_is_what_the_generated_log_gives(tmp_path: Path) -> None:
    """data/traffic/belgian-banks-traffic.json is reproducible: regenerate the log and the
    networks database with the repo's script, report them, compare every field."""
    gen = _generator()
    log, db = tmp_path / "example.log", tmp_path / "example.mmdb"
    gen.write_log(log)  # type: ignore[attr-defined]
    gen.write_mmdb(db)  # type: ignore[attr-defined]
    committed = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    fresh = traffic.build_report(
        [log],
        site_hosts=[gen.SITE],
        asn_db=db,  # type: ignore[attr-defined]
        label=committed["label"],
    )
    assert json.loads(traffic.dumps(fresh)) == committed
    # ... and it follows the original post's figures where the generator aimed at them.
    peak = max(committed["daily"], key=lambda d: d["views"])
    assert peak == {**peak, "day": "2015-02-16", "views": 12000}
    assert committed["referrers"]["domains"][0]["domain"] == "news.broadcaster.example"
    shares = {r["name"]: r["share"] for r in committed["systems"]["os"]}
    assert abs(shares["Windows"] - 60) < 2 and abs(shares["iOS"] - 10) < 2
    devices = {r["name"]: r["share"] for r in committed["systems"]["devices"]}
    assert abs(devices["desktop"] - 79) < 2 and abs(devices["tablet"] - 6) < 2
    assert 80 <= committed["readers_at_once"]["max"] <= 120
    assert "generated" in committed["label"]


def test_the_example_post_builds_and_says_its_log_is_generated(tmp_path: Path) -> None:
    source = ROOT / "content" / "posts" / "2015-02-26-belgian-banks-ssl-traffic.md"
    (tmp_path / "content" / "posts").mkdir(parents=True)
    shutil.copy(source, tmp_path / "content" / "posts" / source.name)
    out = build(tmp_path, TLSREPORT_TRAFFIC_DIR=str(ROOT / "data" / "traffic"))
    html = soup(out / "belgian-banks-ssl-traffic.html")
    blocks = html.select("div.tlsreport-traffic")
    assert len(blocks) == 6
    assert all(
        "generated by bench/make_traffic_log.py" in b.select_one("p.tlsreport-source").get_text()
        for b in blocks
    )
    intro = html.select_one("div.post-content p").get_text(" ", strip=True)
    assert "re-creation" in intro and "generated" in intro
    networks = blocks[-1].select_one("table").get_text(" ", strip=True)
    assert "Bank Van Breda" in networks
