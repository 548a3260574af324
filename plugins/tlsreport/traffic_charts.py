"""Traffic charts as deterministic SVG (``charts.Chart``), one per traffic view.

Written by hand through ``svgchart`` with the grade charts' own pieces and sizes (``charts``:
title, count axis, slanted labels, legend, horizontal bars), for the same reasons: the same
report always gives the same bytes and the same file name, a rebuild never changes an old
post, and a chart costs about a millisecond instead of matplotlib's ~180 ms plus its import.
Every chart carries its numbers as a table and a summary as alt text; colour is never the only
carrier (every bar is labelled).

Names in these charts (paths, referrer domains, organisations) come from a log, that is from
strangers: every text goes through ``svgchart.esc`` and stays ``<text>``, shown, never parsed;
the tables are escaped by the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from . import charts, svgchart
from .charts import HEIGHT_PX, WIDTH_PX, Chart

VIEWS = ("daily", "hourly", "referrers", "systems", "pages", "networks")
BARS = 12  # bars drawn in a ranking chart; the table has every row the report kept

_FONT = charts.FONT
_TEXT = charts.TEXT
VIEWS_COLOUR = charts.BAR
VISITORS_COLOUR = "#d9822b"


def chart(view: str, report: dict[str, Any], *, title: str) -> Chart | None:
    """The chart of one view of a (validated) report; None when there is nothing to draw
    (the networks view of a report made without an organisation database)."""
    if view == "daily":
        return daily_chart(report["daily"], title=title)
    if view == "hourly":
        return hourly_chart(report["hourly"], title=title)
    if view == "referrers":
        refs = report["referrers"]
        rows = [(d["domain"], d["views"]) for d in refs["domains"]]
        extra = [
            ("(no referrer: typed, bookmarked, apps)", refs["direct"]),
            ("(from the site itself)", refs["internal"]),
        ]
        return ranking_chart(
            rows, title=title, name="Referrer domain", unit="page views", extra=extra
        )
    if view == "pages":
        return ranking_chart(
            [(p["path"], p["views"]) for p in report["pages"]],
            title=title,
            name="Page",
            unit="page views",
        )
    if view == "networks":
        if report["networks"] is None:
            return None
        return ranking_chart(
            [(n["organisation"], n["views"]) for n in report["networks"]],
            title=title,
            name="Network (organisation)",
            unit="page views",
            more=[n["visitors"] for n in report["networks"]],
        )
    if view == "systems":
        return systems_chart(report["systems"], title=title)
    raise ValueError(f"unknown traffic view {view!r}")


def daily_chart(days: Sequence[dict[str, Any]], *, title: str) -> Chart:
    """Page views per day as bars, visitors per day as dots on the same scale."""
    labels = [d["day"] for d in days]
    views = [int(d["views"]) for d in days]
    visitors = [int(d["visitors"]) for d in days]
    svg = _daily_svg(labels, views, visitors, title)
    if days:
        top = max(range(len(views)), key=lambda i: (views[i], -i))
        alt = (
            f"{title}: bar chart of page views per day from {labels[0]} to {labels[-1]}, "
            f"{sum(views):,} in all; the busiest day was {labels[top]} with "
            f"{views[top]:,} page views by {visitors[top]:,} visitors."
        )
    else:
        alt = f"{title}: no page views."
    rows = tuple((d, f"{v:,}", f"{u:,}") for d, v, u in zip(labels, views, visitors, strict=True))
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, ("Day", "Page views", "Visitors"), rows, title)


def hourly_chart(hours: Sequence[dict[str, Any]], *, title: str) -> Chart:
    """Page views per hour over the whole period, hours without views drawn as zero."""
    counts = {h["hour"]: int(h["views"]) for h in hours}
    times: list[datetime] = []
    if counts:
        first = datetime.strptime(min(counts), "%Y-%m-%dT%H")
        last = datetime.strptime(max(counts), "%Y-%m-%dT%H")
        steps = int((last - first).total_seconds() // 3600)
        times = [first + timedelta(hours=i) for i in range(steps + 1)]
    values = [counts.get(t.strftime("%Y-%m-%dT%H"), 0) for t in times]
    svg = _hourly_svg(times, values, title)
    if times:
        top = max(range(len(values)), key=lambda i: (values[i], -i))
        alt = (
            f"{title}: page views per hour from {times[0]:%Y-%m-%d %H:00} to "
            f"{times[-1]:%Y-%m-%d %H:00}; the busiest hour began {times[top]:%Y-%m-%d %H:00}"
            f" with {values[top]:,} page views."
        )
    else:
        alt = f"{title}: no page views."
    rows = tuple((h["hour"].replace("T", " ") + ":00", f"{int(h['views']):,}") for h in hours)
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, ("Hour", "Page views"), rows, title)


def ranking_chart(
    rows: Sequence[tuple[str, int]],
    *,
    title: str,
    name: str,
    unit: str,
    extra: Sequence[tuple[str, int]] = (),
    more: Sequence[int] | None = None,
) -> Chart:
    """The top ``BARS`` of a ranking as horizontal bars, largest on top, each labelled."""
    shown = list(rows[:BARS])
    svg = _ranking_svg(shown, unit, title)
    if shown:
        alt = (
            f"{title}: horizontal bar chart of {unit} by {name.lower()}, "
            + "; ".join(f"{n}: {v:,}" for n, v in shown[:5])
            + (f"; and {len(rows) - 5} more in the table." if len(rows) > 5 else ".")
        )
    else:
        alt = f"{title}: nothing to rank."
    head: tuple[str, ...] = (name, unit.capitalize())
    table: list[tuple[str, ...]] = [(n, f"{v:,}") for n, v in rows]
    if more is not None:
        head = (*head, "Visitors")
        table = [(*r, f"{m:,}") for r, m in zip(table, more, strict=True)]
    table += [(n, f"{v:,}", *([""] if more is not None else [])) for n, v in extra]
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, head, tuple(table), title)


def systems_chart(systems: dict[str, Any], *, title: str) -> Chart:
    """Operating systems and device types side by side, as shares of visitors."""
    groups = (("Operating system", systems["os"][:8]), ("Device", systems["devices"][:8]))
    svg = _systems_svg(groups, title)
    parts = []
    for heading, rows in groups:
        if rows:
            parts.append(
                f"{heading.lower()}: "
                + ", ".join(f"{r['name']} {r['share']:g} %" for r in rows[:4])
            )
    alt = (
        (f"{title}: shares of {int(systems['visitors']):,} visitors; " + "; ".join(parts) + ".")
        if parts
        else f"{title}: no visitors."
    )
    table = tuple(
        (kind, r["name"], f"{int(r['visitors']):,}", f"{r['share']:g} %")
        for kind, key in (
            ("Operating system", "os"),
            ("Browser", "browsers"),
            ("Device", "devices"),
        )
        for r in systems[key]
    )
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, ("Kind", "Name", "Visitors", "Share"), table, title)


# --- drawing (svgchart, the grade charts' pieces) ----------------------------------------------


def _frame(title: str, left: float) -> tuple[svgchart.Svg, float]:
    """A new picture with its title; returns it and the plot's top."""
    svg = svgchart.Svg(WIDTH_PX, HEIGHT_PX)
    return svg, charts.draw_title(svg, left, title)


def _count_left(ceiling: float) -> tuple[list[int], float]:
    """The count axis' ticks and where the plot starts right of their labels and its name."""
    ticks = svgchart.integer_ticks(ceiling)
    tick_w = max(svgchart.text_width(f"{t:,}", _FONT) for t in ticks)
    return ticks, charts.MARGIN + _FONT * 1.2 + 4 + tick_w + 2 * charts.TICK


def _daily_svg(
    labels: Sequence[str], views: Sequence[int], visitors: Sequence[int], title: str
) -> bytes:
    """Bars of page views per day, visitors as dots on the same scale, the busiest day's
    count above its bar; the legend beside the plot, where no bar can hide it."""
    size = _FONT - 1
    shown = [_short_day(d) for d in labels]
    ceiling = max([*views, *visitors, 1]) * 1.12
    ticks, left = _count_left(ceiling)
    entries = [("page views", f"bar:{VIEWS_COLOUR}"), ("visitors", f"dot:{VISITORS_COLOUR}")]
    right = WIDTH_PX - charts.MARGIN - charts.legend_width([e for e, _ in entries]) - 16
    bottom = HEIGHT_PX - charts.MARGIN - charts.slanted_room(shown or ["0"], size)
    svg, top = _frame(title, left)
    n = len(labels)
    x0, x1 = -0.6, max(n - 0.4, 0.6)

    def x_of(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (right - left)

    def y_of(v: float) -> float:
        return bottom - v / ceiling * (bottom - top)

    charts.count_ticks(svg, left, right, ticks, y_of, fmt=lambda t: f"{t:,}")
    charts.axis_title(svg, top, bottom, "page views")
    half = 0.375 * (x_of(1) - x_of(0))
    svg.rects(
        [(x_of(i) - half, y_of(v), 2 * half, bottom - y_of(v)) for i, v in enumerate(views)],
        fill=VIEWS_COLOUR, stroke=VIEWS_COLOUR, stroke_width=0,
    )  # fmt: skip
    svg.dots(
        [(x_of(i), y_of(v)) for i, v in enumerate(visitors)],
        2.5, fill=VISITORS_COLOUR, stroke=_TEXT, stroke_width=0.6,
    )  # fmt: skip
    if views:
        peak = max(range(n), key=lambda i: (views[i], -i))
        svg.text(
            x_of(peak), y_of(views[peak]) - 4 - 0.24 * size, [f"{views[peak]:,}"], size=size,
            fill=_TEXT, anchor="middle",
        )  # fmt: skip
    else:
        charts.centred_lines(
            svg, (left + right) / 2, (top + bottom) / 2, ["no page views"], size=_FONT,
            anchor="middle",
        )  # fmt: skip
    step = charts.label_step(n, x_of(1) - x_of(0), size)
    charts.slanted_labels(svg, [(x_of(i), shown[i]) for i in range(0, n, step)], bottom, size)
    svg.line(left, top, left, bottom, stroke=charts.EDGE, width=0.8)
    svg.line(left, bottom, right, bottom, stroke=charts.EDGE, width=0.8)
    charts.legend(svg, right + 12, top, entries)
    return svg.bytes()


def _hourly_svg(times: Sequence[datetime], values: Sequence[int], title: str) -> bytes:
    """Page views per hour as a filled step line (each hour a flat step), dated ticks."""
    size = _FONT - 1
    ceiling = max([*values, 1]) * 1.12
    ticks, left = _count_left(ceiling)
    right = WIDTH_PX - charts.MARGIN - 4
    bottom = HEIGHT_PX - charts.MARGIN - size * 1.2 - 2 * charts.TICK
    svg, top = _frame(title, left)

    def y_of(v: float) -> float:
        return bottom - v / ceiling * (bottom - top)

    charts.count_ticks(svg, left, right, ticks, y_of, fmt=lambda t: f"{t:,}")
    charts.axis_title(svg, top, bottom, "page views per hour")
    if times:
        start, end = times[0], times[-1] + timedelta(hours=1)
        span = (end - start).total_seconds()

        def x_of(t: datetime) -> float:
            return left + (t - start).total_seconds() / span * (right - left)

        steps: list[tuple[float, float]] = []
        for i, (t, v) in enumerate(zip(times, values, strict=True)):
            xa = x_of(t)
            xb = x_of(times[i + 1]) if i + 1 < len(times) else right
            steps += [(xa, y_of(v)), (xb, y_of(v))]
        area = [(left, bottom), *steps, (right, bottom)]
        svg.polygon(area, fill=VIEWS_COLOUR, opacity=0.35)
        svg.polyline(steps, stroke=VIEWS_COLOUR, width=1.2)
        for t, text in svgchart.hour_ticks(start, end):
            x = x_of(t)
            svg.line(x, bottom, x, bottom + charts.TICK, stroke=charts.EDGE, width=0.8)
            half = svgchart.text_width(text, size) / 2
            x = min(max(x, half + 1), WIDTH_PX - half - 1)  # a label at the edge stays whole
            baseline = bottom + 2 * charts.TICK + charts.ASCENT * size
            svg.text(x, baseline, [text], size=size, fill=_TEXT, anchor="middle")
    else:
        charts.centred_lines(
            svg, (left + right) / 2, (top + bottom) / 2, ["no page views"], size=_FONT,
            anchor="middle",
        )  # fmt: skip
    svg.line(left, top, left, bottom, stroke=charts.EDGE, width=0.8)
    svg.line(left, bottom, right, bottom, stroke=charts.EDGE, width=0.8)
    return svg.bytes()


def _ranking_svg(shown: Sequence[tuple[str, int]], unit: str, title: str) -> bytes:
    """The ranking's top rows as horizontal bars, largest on top, each with its count."""
    svg = svgchart.Svg(WIDTH_PX, HEIGHT_PX)
    values = [v for _, v in shown]
    names = [_label(n) for n, _ in shown]
    top = charts.draw_title(svg, charts.MARGIN, title)
    charts.hbars(
        svg,
        (charts.MARGIN, top, WIDTH_PX - charts.MARGIN, HEIGHT_PX - charts.MARGIN),
        names,
        values,
        ceiling=max([*values, 1]) * 1.15,
        value_text=lambda v: f"{int(v):,}",
        tick_text=lambda t: f"{t:,}",
        axis=unit,
    )
    return svg.bytes()


def _systems_svg(groups: Sequence[tuple[str, Sequence[dict[str, Any]]]], title: str) -> bytes:
    """Two panels side by side (operating systems, devices): shares of visitors as bars."""
    svg = svgchart.Svg(WIDTH_PX, HEIGHT_PX)
    top = charts.draw_title(svg, charts.MARGIN, title)
    width = (WIDTH_PX - 2 * charts.MARGIN) / len(groups)
    for i, (heading, rows) in enumerate(groups):
        x_lo = charts.MARGIN + i * width
        svg.text(x_lo, top + charts.ASCENT * _FONT, [heading], size=_FONT, fill=_TEXT)
        shares = [float(r["share"]) for r in rows]
        charts.hbars(
            svg,
            (x_lo, top + _FONT * 1.2 + 6, x_lo + width - 8, HEIGHT_PX - charts.MARGIN),
            [_label(r["name"], 18) for r in rows],
            shares,
            ceiling=max([*shares, 1]) * 1.3,
            value_text=lambda v: f"{v:g} %",
            tick_text=str,
            axis="% of visitors",
        )
    return svg.bytes()


# --- internals ------------------------------------------------------------------------------


def _short_day(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.day} {_MONTHS[d.month - 1]}"


# English month names whatever the process's locale: the same report, the same bytes.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _label(text: str, width: int = 34) -> str:
    """A name from a log as a short axis label (escaped when written, like every text)."""
    return text if len(text) <= width else text[: width - 1] + "…"
