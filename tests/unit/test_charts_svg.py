"""The hand-written charts (timeline, distribution, history): bytes, escaping, colours, the
two no-grade states, edge cases, and no matplotlib on their path (svgchart.py, charts.py)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from tlsreport import charts, svgchart
from tlsreport.charts import (
    NOT_RECORDED,
    NOT_TESTED,
    distribution_chart,
    history_chart,
    timeline_chart,
)

ROOT = Path(__file__).resolve().parents[2]
NS = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & Co'

EVERY = {c: i + 1 for i, c in enumerate(charts.ORDER)}
TIMELINE = [
    (date(2015, 2, 15), "F"),
    (date(2015, 2, 16), "A-"),
    (date(2015, 12, 30), None),
    (date(2016, 1, 4), NOT_RECORDED),
    (date(2016, 1, 11), "A"),
]
HISTORY = [
    (date(2015, 2, 15), {"B": 9, "C": 4, "F": 5, NOT_TESTED: 2}),
    (date(2015, 2, 16), {"A": 2, "A-": 2, "B": 9, "C": 3, "F": 3, NOT_TESTED: 2}),
    (date(2015, 12, 30), {"A": 4, "B": 12, NOT_TESTED: 1, NOT_RECORDED: 3}),
]


def _root(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)


def _dots(svg: bytes) -> list[tuple[str | None, str | None]]:
    """(fill, dash) of each timeline dot: dots of one style share a group that carries it."""
    return [
        (g.get("fill"), g.get("stroke-dasharray"))
        for g in _root(svg).iter(f"{NS}g")
        for _ in g.iter(f"{NS}circle")
    ]


def _texts(svg: bytes) -> list[str]:
    return ["".join(t.itertext()) for t in _root(svg).iter(f"{NS}text")]


def test_same_data_same_bytes_and_no_varying_ids() -> None:
    for draw in (
        lambda: timeline_chart(TIMELINE, title="ING"),
        lambda: distribution_chart(EVERY, title="Banks"),
        lambda: history_chart(HISTORY, title="Banks"),
    ):
        a, b = draw(), draw()
        assert a.svg == b.svg and a.name() == b.name()
        ids = [el.get("id") for el in _root(a.svg).iter() if el.get("id")]
        assert all(i.startswith("hatch") for i in ids), ids


def test_no_chart_imports_matplotlib() -> None:
    """Every chart a site draws, the grade charts and each traffic view, in a fresh process."""
    code = (
        "import sys, json; from datetime import date;"
        "from tlsreport import charts, traffic_charts;"
        "charts.timeline_chart([(date(2015, 1, 1), 'A')], title='t');"
        "charts.distribution_chart({'A': 1}, title='t');"
        "charts.history_chart([(date(2015, 1, 1), {'A': 1})], title='t');"
        "r = json.load(open('data/traffic/belgian-banks-traffic.json'));"
        "[traffic_charts.chart(v, r, title='t') for v in traffic_charts.VIEWS];"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "plugins")},
    ).stdout.strip()
    assert out == "False"


@pytest.mark.parametrize("kind", ["timeline", "distribution", "history"])
def test_text_from_data_is_escaped_and_stays_text(kind: str) -> None:
    if kind == "timeline":
        chart = timeline_chart([(date(2015, 1, 1), EVIL)], title=EVIL)
    elif kind == "history":
        chart = history_chart([(date(2015, 1, 1), {EVIL: 2, "A": 1})], title=EVIL)
        assert EVIL in _texts(chart.svg)  # the legend shows a category whole
    else:
        chart = distribution_chart({EVIL: 2, "A": 1}, title=EVIL)
    assert b"<script" not in chart.svg
    root = _root(chart.svg)  # still well-formed XML
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    shown = _texts(chart.svg)
    assert EVIL in shown  # the title, as text
    assert 'alert("x")</script>' in " ".join(shown)  # the category label, split on spaces


def test_control_characters_in_a_title_do_not_break_the_file() -> None:
    chart = distribution_chart({"A": 1}, title="Banks\x00\x1b today")
    assert "Banks today" in _texts(chart.svg)


def test_every_category_gets_its_own_colour_in_the_distribution() -> None:
    svg = distribution_chart(EVERY, title="All").svg.decode()
    for cat in charts.ORDER:
        assert f'fill="{charts.colour(cat)}"' in svg, cat
    assert 'fill="url(#hatch0)"' in svg  # "not recorded": the hatch, filled with its colour


def test_every_grade_gets_its_colour_in_the_timeline() -> None:
    grades = [c for c in charts.ORDER if c not in (NOT_TESTED, NOT_RECORDED)]
    points = [(date(2015, 1, 1) + timedelta(days=30 * i), g) for i, g in enumerate(grades)]
    dots = _dots(timeline_chart(points, title="All").svg)
    assert dots == [(charts.colour(g), None) for g in grades]


def _bar(root: ET.Element, index: int) -> ET.Element:
    """The ``index``-th bar (rect with a stroke, after the grid) of a distribution chart."""
    return [r for r in root.iter(f"{NS}rect") if r.get("stroke") == charts._TEXT][index]


def test_the_two_no_grade_states_look_different_from_each_other_and_from_grades() -> None:
    counts = {"A": 3, NOT_TESTED: 2, NOT_RECORDED: 1}
    root = _root(distribution_chart(counts, title="x").svg)
    a, tested, recorded = (_bar(root, i) for i in range(3))
    assert tested.get("fill") == charts.colour(NOT_TESTED)
    assert recorded.get("fill") == "url(#hatch0)"
    assert len({a.get("fill"), tested.get("fill"), recorded.get("fill")}) == 3
    assert root.find(f".//{NS}pattern") is not None

    points = [(date(2015, 1, 1), "A"), (date(2015, 2, 1), None), (date(2015, 3, 1), NOT_RECORDED)]
    grade, untested, unrecorded = _dots(timeline_chart(points, title="x").svg)
    assert untested == (charts.colour(NOT_TESTED), None)  # a grey dot
    assert unrecorded == ("white", "3,2")  # an empty dashed ring
    assert len({grade, untested, unrecorded}) == 3


def test_a_distribution_without_not_recorded_has_no_pattern() -> None:
    assert b"<pattern" not in distribution_chart({"A": 1, NOT_TESTED: 1}, title="x").svg


def test_an_empty_timeline_says_so() -> None:
    chart = timeline_chart([], title="Nothing")
    root = _root(chart.svg)
    assert root.get("viewBox") == f"0 0 {charts.WIDTH_PX} {charts.HEIGHT_PX}"
    assert not list(root.iter(f"{NS}circle")) and not list(root.iter(f"{NS}polyline"))
    assert "no grades yet" in _texts(chart.svg)


def test_a_one_point_timeline_has_one_dot_and_dated_ticks() -> None:
    chart = timeline_chart([(date(2015, 6, 15), "B")], title="One")
    root = _root(chart.svg)
    (dot,) = root.iter(f"{NS}circle")
    assert _dots(chart.svg) == [(charts.colour("B"), None)]
    assert 0 < float(dot.get("cx", "0")) < charts.WIDTH_PX
    shown = _texts(chart.svg)
    assert any(t.endswith("Jun") or t == "Jun 2015" for t in shown), shown


def test_the_grade_axis_keeps_its_order_best_on_top() -> None:
    root = _root(timeline_chart(TIMELINE, title="x").svg)
    labels = [
        (float(t.get("y", "0")), "".join(t.itertext()))
        for t in root.iter(f"{NS}text")
        if t.get("text-anchor") == "end"
    ]
    order = [text for _, text in sorted(labels)]
    assert order == [*charts.ORDER[:8], "nottested", "notrecorded"]


@pytest.mark.parametrize("span", [30, 45, 90, 200, 365, 700, 1100, 3650, 11000])
def test_date_ticks_are_few_round_and_in_range(span: int) -> None:
    lo = date(2015, 2, 15)
    hi = lo + timedelta(days=span)
    ticks = svgchart.date_ticks(lo, hi)
    assert 2 <= len(ticks) <= 8, ticks
    assert all(lo <= d <= hi for d, _ in ticks)
    assert [d for d, _ in ticks] == sorted({d for d, _ in ticks})


def test_date_tick_labels_read_like_before() -> None:
    year = svgchart.date_ticks(date(2015, 1, 31), date(2016, 1, 26))
    assert [t for _, t in year] == [
        "Mar 2015",
        "May 2015",
        "Jul 2015",
        "Sep 2015",
        "Nov 2015",
        "2016",
    ]
    weeks = svgchart.date_ticks(date(2015, 5, 31), date(2015, 6, 30))
    assert [t for _, t in weeks] == ["Jun 2015", "08 Jun", "15 Jun", "22 Jun"]


def test_integer_ticks_use_a_round_step() -> None:
    assert svgchart.integer_ticks(22.4) == [0, 5, 10, 15, 20]
    assert svgchart.integer_ticks(1.18) == [0, 1]
    assert svgchart.integer_ticks(1180) == list(range(0, 1001, 200))


def test_esc_and_num() -> None:
    assert svgchart.esc('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert [svgchart.num(x) for x in (1.0, 0.126, -0.001, 12.5)] == ["1", "0.13", "0", "12.5"]


# --- the history chart ------------------------------------------------------------------------


def _pieces(svg: bytes) -> dict[str, list[ET.Element]]:
    """The bar pieces of a history chart by fill: each category's pieces share a group."""
    return {
        g.get("fill", ""): list(g.iter(f"{NS}rect"))
        for g in _root(svg).iter(f"{NS}g")
        if g.find(f"{NS}rect") is not None
    }


def _slanted(svg: bytes) -> list[tuple[float, str]]:
    """(x, text) of each date label under the history chart's axis (slanted at 45 degrees)."""
    return [
        (float(t.get("x", "0")), "".join(t.itertext()))
        for t in _root(svg).iter(f"{NS}text")
        if "rotate(-45" in (t.get("transform") or "")
    ]


def test_history_stacks_every_category_in_its_colour_with_a_legend() -> None:
    counts = {c: 1 for c in charts.ORDER}
    chart = history_chart([(date(2015, 1, 1), counts), (date(2015, 2, 1), counts)], title="x")
    pieces = _pieces(chart.svg)
    for cat in charts.ORDER:
        if cat == NOT_RECORDED:
            assert len(pieces["url(#hatch0)"]) == 2
        else:
            assert len(pieces[charts.colour(cat)]) == 2, cat
    shown = _texts(chart.svg)
    assert "grade" in shown and all(c in shown for c in charts.ORDER)  # the legend, whole
    # Best grade at the bottom of each stack: A+'s piece lies below (larger y than) F's.
    a_plus = float(pieces[charts.colour("A+")][0].get("y", "0"))
    f = float(pieces[charts.colour("F")][0].get("y", "0"))
    assert a_plus > f


def test_history_not_tested_and_not_recorded_look_different() -> None:
    chart = history_chart(HISTORY, title="x")
    pieces = _pieces(chart.svg)
    assert len(pieces[charts.colour(NOT_TESTED)]) == 3  # grey bars, like the distribution
    (_hatched,) = pieces["url(#hatch0)"]  # hatched, like the distribution
    assert _root(chart.svg).find(f".//{NS}pattern") is not None
    assert charts.colour(NOT_TESTED) != "url(#hatch0)"
    assert b"<pattern" not in history_chart(HISTORY[:2], title="x").svg


def test_history_pieces_are_as_tall_as_their_counts() -> None:
    chart = history_chart(HISTORY, title="x")
    pieces = _pieces(chart.svg)
    b_first, b_last = (float(r.get("height", "0")) for r in pieces[charts.colour("B")][::2])
    assert b_last == pytest.approx(b_first * 12 / 9, abs=0.05)
    assert chart.table_rows[-1] == ("2015-12-30", "4", "0", "12", "0", "0", "1", "3", "20")


def test_a_one_snapshot_history_has_one_bar_and_its_date() -> None:
    chart = history_chart([(date(2015, 6, 15), {"B": 3})], title="One")
    (piece,) = _pieces(chart.svg)[charts.colour("B")]
    assert 0 < float(piece.get("x", "0")) < charts.WIDTH_PX
    assert [t for _, t in _slanted(chart.svg)] == ["2015-06-15"]


def test_an_empty_history_says_so() -> None:
    chart = history_chart([], title="Nothing")
    assert "no snapshots yet" in _texts(chart.svg)
    assert not _pieces(chart.svg)


@pytest.mark.parametrize("n", [2, 12, 13, 40, 100, 400])
def test_history_date_labels_never_overlap_and_stay_inside(n: int) -> None:
    points = [(date(2015, 1, 1) + timedelta(days=7 * i), {"A": 1, "B": i % 5}) for i in range(n)]
    chart = history_chart(points, title="Many")
    labels = _slanted(chart.svg)
    assert 2 <= len(labels) <= 12
    assert labels[0][1] == "2015-01-01"
    size = charts._FONT - 1
    for (xa, _), (xb, _) in itertools.pairwise(labels):
        # Parallel lines at 45 degrees: the distance between baselines is dx * sin 45.
        assert (xb - xa) * math.sqrt(0.5) >= 1.2 * size
    x, text = labels[0]  # the first label hangs left of its bar and stays in the picture
    assert x - math.sqrt(0.5) * svgchart.text_width(text, size) >= 0
