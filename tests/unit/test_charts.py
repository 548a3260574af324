"""Charts: same data gives the same bytes, no scripts or external references, accessible text."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from tlsreport import charts
from tlsreport.charts import Chart, distribution_chart, history_chart, timeline_chart

ROOT = Path(__file__).resolve().parents[2]

HISTORY = [
    (date(2015, 2, 15), {"B": 9, "C": 4, "F": 5, "not tested": 2}),
    (date(2015, 2, 16), {"A": 2, "A-": 2, "B": 9, "C": 3, "F": 3, "not tested": 2}),
    (date(2015, 3, 3), {"A": 4, "A-": 3, "B": 12, "C": 1, "F": 1, "not tested": 7}),
]
TIMELINE = [
    (date(2015, 2, 15), "F"),
    (date(2015, 2, 16), "A-"),
    (date(2015, 3, 3), "A-"),
    (date(2015, 12, 30), None),
    (date(2016, 1, 11), "A"),
]
COUNTS = {"A": 4, "A-": 3, "B": 12, "C": 1, "F": 1, "not tested": 7}


def _all() -> list[Chart]:
    return [
        history_chart(HISTORY, title="Belgian banks"),
        timeline_chart(TIMELINE, title="ING"),
        distribution_chart(COUNTS, title="Belgian banks on 2015-03-03"),
    ]


@pytest.fixture(scope="module")
def rendered() -> list[Chart]:
    return _all()


def test_same_data_gives_byte_identical_svg(rendered: list[Chart]) -> None:
    again = _all()
    for a, b in zip(rendered, again, strict=True):
        assert a.svg == b.svg
        assert a.name() == b.name()


def test_svg_bytes_do_not_depend_on_the_process() -> None:
    """Element ids come from a fixed hash salt, not from the process's random state."""
    code = (
        "import sys; sys.path.insert(0, 'tests/unit'); sys.path.insert(0, 'plugins');"
        "import hashlib, test_charts as t;"
        "print(' '.join(hashlib.sha256(c.svg).hexdigest() for c in t._all()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    ).stdout.split()
    assert out == [hashlib.sha256(c.svg).hexdigest() for c in _all()]


def test_different_data_gives_a_different_file_name(rendered: list[Chart]) -> None:
    other = distribution_chart({**COUNTS, "F": 2}, title="Belgian banks on 2015-03-03")
    assert other.name() != rendered[2].name()
    assert rendered[2].name() == hashlib.sha256(rendered[2].svg).hexdigest()[:12] + ".svg"


def test_svg_has_no_script_and_no_external_reference(rendered: list[Chart]) -> None:
    for chart in rendered:
        assert b"<script" not in chart.svg
        assert b'xlink:href="http' not in chart.svg
        root = ET.fromstring(chart.svg)
        for el in root.iter():
            assert not el.tag.endswith("script")
            assert not el.tag.endswith("foreignObject")
            for attr, value in el.attrib.items():
                if attr.endswith("href"):
                    assert value.startswith("#"), (attr, value)
                assert not attr.startswith("on"), attr


def test_svg_scales_with_a_viewbox_and_pixel_size(rendered: list[Chart]) -> None:
    for chart in rendered:
        root = ET.fromstring(chart.svg)
        assert root.get("viewBox") == f"0 0 {chart.width} {chart.height}"
        assert root.get("width") == str(chart.width)
        assert root.get("height") == str(chart.height)


def test_svg_has_no_date_in_its_metadata(rendered: list[Chart]) -> None:
    for chart in rendered:
        assert b"<dc:date>" not in chart.svg


def test_history_alt_text_and_table_carry_the_numbers(rendered: list[Chart]) -> None:
    chart = rendered[0]
    assert "2015-02-15" in chart.alt and "2015-03-03" in chart.alt
    assert "12 B" in chart.alt and "5 F" in chart.alt
    assert chart.table_head == ("Date", "A", "A-", "B", "C", "F", "not tested", "Total")
    assert chart.table_rows[0] == ("2015-02-15", "0", "0", "9", "4", "5", "2", "20")
    assert chart.table_rows[-1][-1] == "28"


def test_timeline_alt_text_lists_each_grade_change_once(rendered: list[Chart]) -> None:
    chart = rendered[1]
    assert chart.alt == (
        "ING: grade over time. F from 2015-02-15; A- from 2015-02-16; "
        "not tested from 2015-12-30; A from 2016-01-11."
    )
    assert chart.table_head == ("Date", "Grade")
    assert chart.table_rows[3] == ("2015-12-30", "not tested")


def test_distribution_shows_every_grade_a_plus_to_f(rendered: list[Chart]) -> None:
    chart = rendered[2]
    grades = [row[0] for row in chart.table_rows]
    assert grades == ["A+", "A", "A-", "B", "C", "D", "E", "F", "not tested"]
    assert dict(chart.table_rows)["D"] == "0"
    assert "28 targets" in chart.alt and "12 B" in chart.alt


def test_every_grade_has_its_own_colour() -> None:
    colours = [charts.colour(g) for g in charts.ORDER]
    assert len(set(colours)) == len(colours)


def test_empty_data_still_gives_a_chart() -> None:
    for chart in (
        history_chart([], title="x"),
        timeline_chart([], title="x"),
        distribution_chart({}, title="x"),
    ):
        assert chart.svg.startswith(b"<?xml")
        assert chart.alt
