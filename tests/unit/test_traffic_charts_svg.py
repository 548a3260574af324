"""The traffic charts written as SVG directly (traffic_charts.py through charts' pieces):
bytes, names from a log shown as text, the edge cases, no matplotlib, the chart cache's key."""

from __future__ import annotations

import itertools
import json
import math
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tlsreport import charts, svgchart, traffic_charts, traffic_view

ROOT = Path(__file__).resolve().parents[2]
NS = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & $\\alpha$'
REPORT: dict[str, Any] = json.loads(
    (ROOT / "data" / "traffic" / "belgian-banks-traffic.json").read_text(encoding="utf-8")
)


def _texts(svg: bytes) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{NS}text")]


def _all() -> list[bytes]:
    drawn = [traffic_charts.chart(v, REPORT, title=v) for v in traffic_charts.VIEWS]
    return [c.svg for c in drawn if c is not None]


def test_every_view_gives_the_same_bytes_twice_and_well_formed_svg() -> None:
    first = _all()
    assert len(first) == len(traffic_charts.VIEWS)  # the example report has networks
    assert first == _all()
    for svg in first:
        root = ET.fromstring(svg)
        assert root.get("viewBox") == f"0 0 {charts.WIDTH_PX} {charts.HEIGHT_PX}"
        assert b"<script" not in svg and b"href=" not in svg


def test_names_from_a_log_are_escaped_shown_whole_and_long_ones_cut() -> None:
    long = "/" + "a" * 60
    chart = traffic_charts.ranking_chart(
        [(EVIL, 5), (long, 3)], title=EVIL, name="Page", unit="page views"
    )
    assert b"<script" not in chart.svg
    shown = _texts(chart.svg)
    assert EVIL in shown  # the title and the first name: text, dollars and all
    assert "/" + "a" * 32 + "…" in shown  # cut to 34 characters
    assert chart.table_rows[1][0] == long  # the table keeps the whole name


def test_a_ranking_shows_the_top_bars_largest_on_top_with_their_counts() -> None:
    rows = [(f"/p{i}", 1000 * (20 - i)) for i in range(20)]
    chart = traffic_charts.ranking_chart(rows, title="t", name="Page", unit="page views")
    bars = [r for r in ET.fromstring(chart.svg).iter(f"{NS}rect")]
    assert len(bars) == traffic_charts.BARS
    widths = [float(b.get("width", "0")) for b in bars]
    ys = [float(b.get("y", "0")) for b in bars]
    assert widths == sorted(widths, reverse=True) and ys == sorted(ys)
    shown = _texts(chart.svg)
    assert "20,000" in shown and "/p0" in shown and "/p12" not in shown
    assert len(chart.table_rows) == 20


def test_empty_views_say_so() -> None:
    assert "no page views" in _texts(traffic_charts.daily_chart([], title="d").svg)
    assert "no page views" in _texts(traffic_charts.hourly_chart([], title="h").svg)
    ranking = traffic_charts.ranking_chart([], title="r", name="Page", unit="page views")
    assert "nothing to show" in _texts(ranking.svg)


@pytest.mark.parametrize("n", [1, 7, 30, 100])
def test_daily_labels_never_touch_and_the_peak_is_labelled(n: int) -> None:
    days = [
        {"day": (date(2015, 2, 9) + timedelta(days=i)).isoformat(), "views": i + 1, "visitors": 1}
        for i in range(n)
    ]
    chart = traffic_charts.daily_chart(days, title="d")
    root = ET.fromstring(chart.svg)
    labels = [
        float(t.get("x", "0"))
        for t in root.iter(f"{NS}text")
        if "rotate(-45" in (t.get("transform") or "")
    ]
    assert 1 <= len(labels) <= 12
    for xa, xb in itertools.pairwise(labels):
        assert (xb - xa) * math.sqrt(0.5) >= 1.2 * (charts.FONT - 1)
    assert f"{n:,}" in _texts(chart.svg)  # the busiest day's count above its bar
    assert len(list(root.iter(f"{NS}circle"))) == n + 1  # a visitors dot a day, one in the legend
    assert {"page views", "visitors"} <= set(_texts(chart.svg))  # the legend


def test_hour_ticks_for_short_and_long_periods() -> None:
    day = svgchart.hour_ticks(datetime(2015, 2, 9, 5), datetime(2015, 2, 10, 5))
    assert [t for _, t in day] == ["08:00", "12:00", "16:00", "20:00", "10 Feb", "04:00"]
    weeks = svgchart.hour_ticks(datetime(2015, 2, 9, 0), datetime(2015, 2, 27, 0))
    assert 3 <= len(weeks) <= 7 and all(d.hour == 0 for d, _ in weeks)
    assert weeks[0][1].endswith("Feb")


def test_the_systems_chart_has_both_panels() -> None:
    chart = traffic_charts.systems_chart(REPORT["systems"], title="s")
    shown = _texts(chart.svg)
    assert "Operating system" in shown and "Device" in shown
    assert shown.count("% of visitors") == 2


def test_the_chart_cache_key_follows_the_drawing_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"CACHE_PATH": str(tmp_path)}
    traffic_view._cached_chart(settings, "daily", REPORT, "t")
    traffic_view._cached_chart(settings, "daily", REPORT, "t")  # read back: no new entry
    assert len(list((tmp_path / "tlsreport-traffic").glob("*.json"))) == 1
    monkeypatch.setattr(traffic_view, "_CODE", "edited-code")
    traffic_view._cached_chart(settings, "daily", REPORT, "t")
    assert len(list((tmp_path / "tlsreport-traffic").glob("*.json"))) == 2
