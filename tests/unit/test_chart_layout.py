"""Timelines are placed where constrained layout would put them, without laying each one out.

``charts._timeline_box`` works the plot area out once per (title, grade labels, dated) on a
probe timeline; this checks that the probe's answer fits real timelines of many shapes (long
and short ranges, "not tested" rows, trust grades) as closely as laying each out would.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from matplotlib.figure import Figure
from tlsreport import charts

SHAPES = {
    "two days": [(date(2015, 2, 15), "F"), (date(2015, 2, 16), "A-")],
    "a year, not tested": [
        (date(2015, 2, 15), "F"),
        (date(2015, 3, 3), "A-"),
        (date(2015, 12, 30), None),
        (date(2016, 1, 11), "A"),
    ],
    "two years weekly": [
        (date(2015, 1, 1) + timedelta(days=7 * i), "ABF"[i % 3]) for i in range(104)
    ],
    "trust grades": [
        (date(2015, 1, 1) + timedelta(days=30 * i), ("A", "T", "M")[i % 3]) for i in range(10)
    ],
    "one point": [(date(2015, 1, 1), "A")],
    "nothing": [],
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_probe_box_is_where_constrained_layout_puts_the_plot(shape: str, monkeypatch) -> None:
    points = SHAPES[shape]
    labels = [g if g is not None else charts.NOT_TESTED for _, g in points]
    levels = [c for c in charts.ORDER if c in labels or c in charts.ORDER[:8]]
    levels += sorted(set(labels) - set(levels))
    probe = charts._timeline_box("This target", tuple(levels), bool(points))
    chart = charts.timeline_chart(points, title="This target")

    # The same timeline laid out the slow way: constrained layout on this very chart.
    boxes: list[tuple[float, ...]] = []
    real_svg = charts._svg

    def spy(fig: Figure) -> bytes:
        data = real_svg(fig)  # savefig runs the layout engine
        boxes.append(tuple(fig.axes[0].get_position().bounds))
        return data

    monkeypatch.setattr(charts, "_timeline_box", lambda *args: None)
    monkeypatch.setattr(charts, "_svg", spy)
    slow = charts.timeline_chart(points, title="This target")
    assert slow.svg != chart.svg  # really laid out another way
    px = (charts.WIDTH_PX, charts.HEIGHT_PX) * 2
    for got, want, size in zip(probe, boxes[0], px, strict=True):
        assert abs(got - want) * size < 2.5, (shape, probe, boxes[0])
    assert chart.svg.startswith(b"<?xml")


def test_a_timeline_does_not_depend_on_what_was_drawn_before() -> None:
    points = SHAPES["a year, not tested"]
    first = charts.timeline_chart(points, title="This target").svg
    charts._timeline_box.cache_clear()
    for other in SHAPES.values():
        charts.timeline_chart(other, title="This target")
    assert charts.timeline_chart(points, title="This target").svg == first
