"""Grade charts as deterministic SVG bytes, each with alt text and its data as a table.

Why deterministic: chart files are named by the hash of their bytes and a rebuild of the site
must give byte-identical output (old posts never change, `make regenerate` never loops).

Written by hand. The grade charts (a timeline per target page, the distribution bar chart
per list, the stacked history per series post) are written as SVG directly (``svgchart``): a
few dozen to a few thousand shapes, about a millisecond each, where matplotlib took 40-390 ms;
text stays ``<text>`` (escaped) in a font stack led by DejaVu Sans. The traffic charts
(``traffic_charts``) are drawn with the same pieces, made public at the end of the drawing
section. No matplotlib: importing it alone cost about 0.2 s of CPU, more than half of a whole
plain Pelican build of a small blog.

Why a table: a chart is an image; screen-reader users and feed readers get the same numbers
from ``Chart.table_head``/``table_rows`` (rendered next to the image) and a summary in ``alt``.
Colour is never the only carrier: every colour comes with its grade letter (legend or axis).
"""

from __future__ import annotations

import hashlib
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from . import svgchart, vocabulary

NOT_TESTED = vocabulary.NOT_TESTED
# A target that was on a recorded list but whose grade nobody wrote down: a gap in the record,
# not a test that could not be made. Drawn apart from "not tested" (hatched, hollow), so a
# chart never reads "nobody could test these" where the truth is "nobody noted their grade".
NOT_RECORDED = vocabulary.NOT_RECORDED

# Chart order of the categories: best grade first, then the out-of-scope grades, then targets
# without a grade. Kept here (not imported from grade.py) only as the drawing order; any other
# category a caller passes is drawn after these, sorted.
ORDER: tuple[str, ...] = (
    "A+",
    "A",
    "A-",
    "B",
    "C",
    "D",
    "E",
    "F",
    "T",
    "M",
    NOT_TESTED,
    NOT_RECORDED,
)

# One colour per grade, the badge's own (vocabulary.COLOURS): a reader who learnt that the
# B badge is yellow finds the same yellow in the chart. The letter is always printed next to
# the colour (legend, axis), so colour is never the only carrier.
COLOURS: dict[str, str] = {c: vocabulary.colour(c) for c in ORDER}
OTHER_COLOUR = "#5f6368"
# Categories drawn hatched (bars) and hollow (timeline dots): no data, rather than a result.
HATCHES: dict[str, str] = {NOT_RECORDED: "///"}
_HATCH_EDGE = "#57606a"

WIDTH_PX = 700
HEIGHT_PX = 360
_FONT = 13
_TEXT = "#1f2328"
_GRID = "#d0d7de"


@dataclass(frozen=True)
class Chart:
    """An SVG chart plus everything needed to show it accessibly."""

    svg: bytes
    alt: str
    width: int
    height: int
    table_head: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]
    title: str = ""  # the caption under the image

    def name(self) -> str:
        """The file name the chart is written to: the same data always gives the same name."""
        return hashlib.sha256(self.svg).hexdigest()[:12] + ".svg"


def colour(category: str) -> str:
    """The chart colour of a grade (or of "not tested")."""
    return COLOURS.get(category, OTHER_COLOUR)


def history_chart(points: Sequence[tuple[date, Mapping[str, int]]], *, title: str) -> Chart:
    """How many targets had each grade at each snapshot, as stacked bars (one per snapshot).

    Snapshots are spaced evenly, not by time: a series' snapshots bunch up (part 4 has six in
    two weeks, then nothing for nine months) and proportional spacing would hide the bunch.
    Written as SVG by hand (svgchart.py): no matplotlib on this path.
    """
    points = sorted(points, key=lambda p: p[0])
    cats = _categories(k for _, counts in points for k, v in counts.items() if v)
    head = ("Date", *cats, "Total")
    rows = tuple(
        (
            d.isoformat(),
            *(str(counts.get(c, 0)) for c in cats),
            str(sum(counts.get(c, 0) for c in cats)),
        )
        for d, counts in points
    )
    svg = _history_svg([d for d, _ in points], [counts for _, counts in points], cats, title)
    if points:
        first, last = points[0], points[-1]
        alt = (
            f"{title}: stacked bar chart of the number of targets per grade in "
            f"{len(points)} snapshot{'s' if len(points) != 1 else ''} from "
            f"{first[0].isoformat()} to {last[0].isoformat()}. "
            f"{first[0].isoformat()}: {_counts_text(first[1], cats)}."
        )
        if len(points) > 1:
            alt += f" {last[0].isoformat()}: {_counts_text(last[1], cats)}."
    else:
        alt = f"{title}: no snapshots yet."
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, head, rows, title)


def timeline_chart(points: Sequence[tuple[date, str | None]], *, title: str) -> Chart:
    """One target's grade over time, as a step line on a grade axis (best at the top).

    None means the target had no grade on that date (unreachable, untestable) and is drawn on
    a "not tested" row, not as a gap, so the reader sees it. A recorded target whose grade was
    not written down comes as ``NOT_RECORDED`` and gets its own row, drawn as an empty ring.
    Written as SVG by hand (svgchart.py): no matplotlib on this path.
    """
    points = sorted(points, key=lambda p: p[0])
    labels = [g if g is not None else NOT_TESTED for _, g in points]
    levels = [c for c in ORDER if c in labels or c in ORDER[:8]]
    levels += sorted(set(labels) - set(levels))
    svg = _timeline_svg([d for d, _ in points], labels, levels, title)
    runs: list[tuple[date, str]] = []
    for (d, _), g in zip(points, labels, strict=True):
        if not runs or runs[-1][1] != g:
            runs.append((d, g))
    if runs:
        alt = (
            f"{title}: grade over time. "
            + "; ".join(f"{g} from {d.isoformat()}" for d, g in runs)
            + "."
        )
    else:
        alt = f"{title}: no grades yet."
    rows = tuple((d.isoformat(), g) for (d, _), g in zip(points, labels, strict=True))
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, ("Date", "Grade"), rows, title)


def distribution_chart(counts: Mapping[str, int], *, title: str) -> Chart:
    """How many targets have each grade now: one bar per grade, every grade A+ … F shown.

    Written as SVG by hand (svgchart.py): no matplotlib on this path.
    """
    present = [c for c, v in counts.items() if v]
    cats = [c for c in ORDER if c in ORDER[:8] or c in present]
    cats += sorted(set(present) - set(cats))
    values = [int(counts.get(c, 0)) for c in cats]
    svg = _distribution_svg(cats, values, title)
    total = sum(values)
    alt = (
        f"{title}: bar chart of {total} target{'s' if total != 1 else ''} by grade: "
        f"{_counts_text(counts, cats)}."
    )
    rows = tuple((c, str(v)) for c, v in zip(cats, values, strict=True))
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, ("Grade", "Targets"), rows, title)


# --- the hand-written charts (svgchart) -----------------------------------------------------
# Sizes in px, chosen to look like the matplotlib charts they replaced (same fonts, colours,
# tick lengths and paddings), so a page mixing both kinds looks like one family.

_EDGE = "#8c959f"  # the axis lines
_MARGIN = 4.0  # around the figure (constrained layout's pad)
_TICK = 3.5  # tick length, and the gap between a tick and its label
_ASCENT = 0.76  # a line's baseline below its top, in ems (DejaVu Sans)
_CAP = 0.36  # half the height of a capital, in ems: centres a line on a point
_DOT_R = 5.25  # a timeline dot's radius (matplotlib's s=110 pt²)
_HATCH_IDS: dict[str, str] = {c: f"hatch{i}" for i, c in enumerate(HATCHES)}


def _title(svg: svgchart.Svg, x: float, title: str) -> float:
    """The bold title at the top left (wrapped like before); returns where the plot may start."""
    lines = textwrap.fill(title, 70).split("\n") if title else []
    size = _FONT + 2
    if lines:
        svg.text(x, _MARGIN + _ASCENT * size, lines, size=size, fill=_TEXT, bold=True)
    return _MARGIN + len(lines) * size * 1.2 + 6


def _centred_lines(
    svg: svgchart.Svg, x: float, cy: float, lines: Sequence[str], *, size: float, anchor: str
) -> None:
    """Lines of text whose block is centred on ``cy``."""
    first = cy - (len(lines) - 1) * size * 1.2 / 2 + _CAP * size
    svg.text(x, first, lines, size=size, fill=_TEXT, anchor=anchor)


def _hatches(svg: svgchart.Svg, cats: Sequence[str]) -> None:
    """One fixed pattern per hatched category shown: grey with dark diagonals, like ``///``."""
    for cat in cats:
        if cat in _HATCH_IDS:
            svg.define(
                f'<pattern id="{_HATCH_IDS[cat]}" patternUnits="userSpaceOnUse" width="10" '
                f'height="10"><rect width="10" height="10" fill="{colour(cat)}"/>'
                f'<path d="M-2,2 l4,-4 M0,10 l10,-10 M8,12 l4,-4" stroke="{_HATCH_EDGE}" '
                f'stroke-width="1"/></pattern>'
            )


def _timeline_svg(
    days: Sequence[date], labels: Sequence[str], levels: Sequence[str], title: str
) -> bytes:
    """A timeline's step line, dots, date axis and grade axis (``labels``: one per day)."""
    svg = svgchart.Svg(WIDTH_PX, HEIGHT_PX)
    tick_size = _FONT - 1
    pad = 0.25 * _FONT  # around a grade label, inside its box
    lines = {c: c.split(" ") for c in levels}
    label_w = max(svgchart.text_width(t, _FONT) for c in levels for t in lines[c])
    left = _MARGIN + 2 * pad + label_w + 2 * _TICK
    right = WIDTH_PX - _MARGIN - 4
    bottom = HEIGHT_PX - _MARGIN - tick_size * 1.2 - 2 * _TICK
    top = _title(svg, left, title)
    n = len(levels)

    def y_of(cat: str) -> float:  # best grade on top; half a row above and below
        return top + (levels.index(cat) + 0.5) * (bottom - top) / n

    for cat in levels:
        y = y_of(cat)
        svg.line(left, y, right, y, stroke=_GRID, width=0.8)
    svg.line(left, top, left, bottom, stroke=_EDGE, width=0.8)
    svg.line(left, bottom, right, bottom, stroke=_EDGE, width=0.8)
    text_right = left - 2 * _TICK
    for cat in levels:
        y = y_of(cat)
        svg.line(left - _TICK, y, left, y, stroke=_EDGE, width=0.8)
        w = max(svgchart.text_width(t, _FONT) for t in lines[cat])
        h = _FONT * (1.2 * len(lines[cat]) - 0.2) + 2 * pad
        box = (text_right - w - pad, y - h / 2, w + 2 * pad, h)
        if cat in HATCHES:  # no data: a white box with a dashed edge, never a colour
            svg.rect(*box, fill="white", stroke=_HATCH_EDGE, stroke_width=0.8, rx=3, dash="3,2")
        else:
            svg.rect(*box, fill=colour(cat), opacity=0.35, rx=3)
        _centred_lines(svg, text_right, y, lines[cat], size=_FONT, anchor="end")
    if not days:
        _centred_lines(
            svg,
            (left + right) / 2,
            (top + bottom) / 2,
            ["no grades yet"],
            size=_FONT,
            anchor="middle",
        )
        return svg.bytes()
    lo, hi = days[0].toordinal(), days[-1].toordinal()
    margin = max((hi - lo) * 0.05, 15)
    x0, x1 = lo - margin, hi + margin

    def x_of(day: date) -> float:
        return left + (day.toordinal() - x0) / (x1 - x0) * (right - left)

    for day, text in svgchart.date_ticks(
        date.fromordinal(math.ceil(x0)), date.fromordinal(math.floor(x1))
    ):
        x = x_of(day)
        svg.line(x, bottom, x, bottom + _TICK, stroke=_EDGE, width=0.8)
        half = svgchart.text_width(text, tick_size) / 2
        x = min(max(x, half + 1), WIDTH_PX - half - 1)  # a label at the edge stays whole
        baseline = bottom + 2 * _TICK + _ASCENT * tick_size
        svg.text(x, baseline, [text], size=tick_size, fill=_TEXT, anchor="middle")
    xs = [x_of(d) for d in days]
    ys = [y_of(g) for g in labels]
    steps = [(xs[0], ys[0])]
    for i in range(1, len(xs)):  # steps-post: along at the old grade, then up or down
        steps += [(xs[i], ys[i - 1]), (xs[i], ys[i])]
    svg.polyline(steps, stroke=_HATCH_EDGE, width=2)
    by_style: dict[str, list[tuple[float, float]]] = {}  # first seen first: deterministic
    for x, y, g in zip(xs, ys, labels, strict=True):
        by_style.setdefault(g, []).append((x, y))
    for g, centres in by_style.items():
        if g in HATCHES:  # no data: an empty ring, dashed, never a coloured dot
            svg.dots(
                centres, _DOT_R, fill="white", stroke=_HATCH_EDGE, stroke_width=1.2, dash="3,2"
            )
        else:
            svg.dots(centres, _DOT_R, fill=colour(g), stroke=_TEXT, stroke_width=0.8)
    return svg.bytes()


def _distribution_svg(cats: Sequence[str], values: Sequence[int], title: str) -> bytes:
    """One bar per category with its count above it; hatched bars for "no data" states."""
    svg = svgchart.Svg(WIDTH_PX, HEIGHT_PX)
    _hatches(svg, cats)
    tick_size = _FONT - 1
    ceiling = max([*values, 1]) * 1.18
    ticks = svgchart.integer_ticks(ceiling)
    tick_w = max(svgchart.text_width(str(t), _FONT) for t in ticks)
    left = _MARGIN + _FONT * 1.2 + 4 + tick_w + 2 * _TICK
    right = WIDTH_PX - _MARGIN - 4
    rows = max(len(c.split(" ")) for c in cats)
    bottom = HEIGHT_PX - _MARGIN - rows * tick_size * 1.2 - 2 * _TICK
    top = _title(svg, left, title)
    n = len(cats)
    spread = 0.05 * (n - 0.3)  # matplotlib's 5 % margins around the bars
    x0, x1 = -0.35 - spread, n - 0.65 + spread

    def x_of(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (right - left)

    def y_of(v: float) -> float:
        return bottom - v / ceiling * (bottom - top)

    for t in ticks:
        y = y_of(t)
        svg.line(left, y, right, y, stroke=_GRID, width=0.8)
        svg.line(left - _TICK, y, left, y, stroke=_EDGE, width=0.8)
        _centred_lines(svg, left - 2 * _TICK, y, [str(t)], size=_FONT, anchor="end")
    svg.text(
        _MARGIN + _ASCENT * _FONT,
        (top + bottom) / 2,
        ["targets"],
        size=_FONT,
        fill=_TEXT,
        anchor="middle",
        rotate=-90,
    )
    for i, (cat, v) in enumerate(zip(cats, values, strict=True)):
        xa, xb = x_of(i - 0.35), x_of(i + 0.35)
        fill = f"url(#{_HATCH_IDS[cat]})" if cat in _HATCH_IDS else colour(cat)
        if v:
            svg.rect(
                xa, y_of(v), xb - xa, bottom - y_of(v), fill=fill, stroke=_TEXT, stroke_width=0.6
            )
        else:  # an empty bar is a flat line on the axis, as matplotlib drew it
            svg.line(xa, bottom, xb, bottom, stroke=_TEXT, width=0.6)
        cx = x_of(i)
        svg.text(cx, y_of(v) - 3 - 0.24 * _FONT, [str(v)], size=_FONT, fill=_TEXT, anchor="middle")
        svg.line(cx, bottom, cx, bottom + _TICK, stroke=_EDGE, width=0.8)
        svg.text(
            cx,
            bottom + 2 * _TICK + _ASCENT * tick_size,
            cat.split(" "),
            size=tick_size,
            fill=_TEXT,
            anchor="middle",
        )
    svg.line(left, top, left, bottom, stroke=_EDGE, width=0.8)
    svg.line(left, bottom, right, bottom, stroke=_EDGE, width=0.8)
    return svg.bytes()


_LEGEND_ROW = 1.5  # a legend row's height, in ems of its font
_SIN45 = math.sqrt(0.5)


def _count_ticks(
    svg: svgchart.Svg,
    left: float,
    right: float,
    ticks: Sequence[int],
    y_of: Callable[[float], float],
    *,
    fmt: Callable[[int], str] = str,
) -> None:
    """Horizontal grid lines with their counts on the left axis (grid first, bars on top)."""
    for t in ticks:
        y = y_of(t)
        svg.line(left, y, right, y, stroke=_GRID, width=0.8)
        svg.line(left - _TICK, y, left, y, stroke=_EDGE, width=0.8)
        _centred_lines(svg, left - 2 * _TICK, y, [fmt(t)], size=_FONT, anchor="end")


def _axis_title(svg: svgchart.Svg, top: float, bottom: float, text: str) -> None:
    """The left axis' name, turned a quarter, centred on the plot's height."""
    svg.text(
        _MARGIN + _ASCENT * _FONT,
        (top + bottom) / 2,
        [text],
        size=_FONT,
        fill=_TEXT,
        anchor="middle",
        rotate=-90,
    )


def _slanted_room(labels: Sequence[str], size: float) -> float:
    """The height that labels slanted at 45 degrees need under the axis."""
    widest = max((svgchart.text_width(t, size) for t in labels), default=0.0)
    return _TICK + _SIN45 * (widest + size)


def _label_step(count: int, slot: float, size: float, most: int = 12) -> int:
    """Show every n-th label so that at most ``most`` are shown and slanted labels never
    touch: two parallel labels at 45 degrees need ``1.3 * size`` between their baselines."""
    if count <= 0:
        return 1
    need = 1.3 * size / _SIN45
    return max(1, -(-count // most), math.ceil(need / slot) if slot > 0 else count)


def _slanted_labels(
    svg: svgchart.Svg, marks: Sequence[tuple[float, str]], bottom: float, size: float
) -> None:
    """A tick and a label slanted up to the right under each mark, the label's top right
    corner at the tick (matplotlib's ``rotation=45, ha="right", rotation_mode="anchor"``)."""
    shift = _SIN45 * _ASCENT * size  # from the top corner to the end of the baseline
    for x, text in marks:
        svg.line(x, bottom, x, bottom + _TICK, stroke=_EDGE, width=0.8)
        svg.text(
            x + shift,
            bottom + _TICK + 2 + shift,
            [text],
            size=size,
            fill=_TEXT,
            anchor="end",
            rotate=-45,
        )


def _legend_width(labels: Sequence[str], title: str = "") -> float:
    """How wide :func:`_legend` draws these labels: handle, gap, longest text."""
    size = _FONT - 1
    widest = max((svgchart.text_width(t, size) for t in labels), default=0.0)
    return max(1.2 * size + 0.8 * size + widest, svgchart.text_width(title, size))


def _legend(
    svg: svgchart.Svg,
    x: float,
    y: float,
    entries: Sequence[tuple[str, str]],
    *,
    title: str = "",
) -> None:
    """A legend without a frame, top left at (x, y): each entry a label and how its mark is
    drawn ("dot:COLOUR", "bar:COLOUR" or a hatched category), in the order given."""
    size = _FONT - 1
    row = _LEGEND_ROW * size
    if title:
        svg.text(x, y + _ASCENT * size, [title], size=size, fill=_TEXT)
        y += row
    handle = 1.2 * size
    for label, mark in entries:
        cy = y + row / 2
        if mark.startswith("dot:"):
            svg.dots([(x + handle / 2, cy)], 2.5, fill=mark[4:], stroke=_TEXT, stroke_width=0.6)
        elif mark in _HATCH_IDS:
            svg.rect(
                x, cy - 0.35 * size, handle, 0.7 * size,
                fill=f"url(#{_HATCH_IDS[mark]})", stroke=_HATCH_EDGE, stroke_width=0.6,
            )  # fmt: skip
        else:
            svg.rect(x, cy - 0.35 * size, handle, 0.7 * size, fill=mark.removeprefix("bar:"))
        svg.text(x + handle + 0.8 * size, cy + _CAP * size, [label], size=size, fill=_TEXT)
        y += row


def _history_svg(
    days: Sequence[date], counts: Sequence[Mapping[str, int]], cats: Sequence[str], title: str
) -> bytes:
    """Stacked bars, one per snapshot (best grade at the bottom of each stack, as the legend
    reads from the top: the legend lists them best first, beside the plot)."""
    svg = svgchart.Svg(WIDTH_PX, HEIGHT_PX)
    _hatches(svg, cats)
    size = _FONT - 1
    labels = [d.isoformat() for d in days]
    totals = [sum(c.get(cat, 0) for cat in cats) for c in counts]
    ceiling = max([*totals, 1]) * 1.05
    ticks = svgchart.integer_ticks(ceiling)
    tick_w = max(svgchart.text_width(str(t), _FONT) for t in ticks)
    left = _MARGIN + _FONT * 1.2 + 4 + tick_w + 2 * _TICK
    legend_w = _legend_width(cats, "grade") if cats else 0.0
    right = WIDTH_PX - _MARGIN - (legend_w + 16 if cats else 4)
    bottom = HEIGHT_PX - _MARGIN - _slanted_room(labels or ["0"], size)
    n = len(days)
    x0, x1 = -0.6, max(n - 0.4, 0.6)
    if labels:  # the first label hangs left of its bar: room for it inside the picture
        hang = _SIN45 * svgchart.text_width(labels[0], size) + _MARGIN
        first = left + (0 - x0) / (x1 - x0) * (right - left)
        if first < hang:
            left = (hang * (x1 - x0) + x0 * right) / (x1 - x0 + x0)  # puts the first bar at hang
    top = _title(svg, left, title)

    def x_of(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (right - left)

    def y_of(v: float) -> float:
        return bottom - v / ceiling * (bottom - top)

    _count_ticks(svg, left, right, ticks, y_of)
    _axis_title(svg, top, bottom, "targets")
    if not n:
        _centred_lines(
            svg, (left + right) / 2, (top + bottom) / 2, ["no snapshots yet"], size=_FONT,
            anchor="middle",
        )  # fmt: skip
    half = 0.36 * (x_of(1) - x_of(0))  # bars 0.72 of a slot wide
    base = [0] * n
    for cat in cats:
        boxes = []
        for i, c in enumerate(counts):
            v = c.get(cat, 0)
            if v > 0:
                boxes.append(
                    (x_of(i) - half, y_of(base[i] + v), 2 * half, y_of(base[i]) - y_of(base[i] + v))
                )
                base[i] += v
        if cat in _HATCH_IDS:
            svg.rects(boxes, fill=f"url(#{_HATCH_IDS[cat]})", stroke=_HATCH_EDGE, stroke_width=0.6)
        else:
            svg.rects(boxes, fill=colour(cat), stroke="white", stroke_width=0.6)
    step = _label_step(n, x_of(1) - x_of(0), size)
    _slanted_labels(svg, [(x_of(i), labels[i]) for i in range(0, n, step)], bottom, size)
    svg.line(left, top, left, bottom, stroke=_EDGE, width=0.8)
    svg.line(left, bottom, right, bottom, stroke=_EDGE, width=0.8)
    if cats:
        _legend(
            svg,
            right + 12,
            top,
            [(c, c if c in _HATCH_IDS else f"bar:{colour(c)}") for c in cats],
            title="grade",
        )
    return svg.bytes()


def _hbars(
    svg: svgchart.Svg,
    box: tuple[float, float, float, float],
    names: Sequence[str],
    values: Sequence[float],
    *,
    ceiling: float,
    value_text: Callable[[float], str],
    tick_text: Callable[[int], str],
    axis: str,
) -> None:
    """Horizontal bars in ``box`` (left, top, right, bottom): a name left of each bar, its
    value after it, the first bar on top, a count axis with vertical grid lines below."""
    x_lo, top, x_hi, y_hi = box
    size = _FONT - 1
    name_w = max((svgchart.text_width(t, _FONT) for t in names), default=0.0)
    left = x_lo + name_w + 2 * _TICK
    right = x_hi - 4
    bottom = y_hi - (2 * _TICK + size * 1.2) - (_FONT * 1.2 + 2)
    ticks = svgchart.integer_ticks(ceiling, 6)

    def x_of(v: float) -> float:
        return left + v / ceiling * (right - left)

    for t in ticks:
        x = x_of(t)
        svg.line(x, top, x, bottom, stroke=_GRID, width=0.8)
        svg.line(x, bottom, x, bottom + _TICK, stroke=_EDGE, width=0.8)
        svg.text(
            x, bottom + 2 * _TICK + _ASCENT * size, [tick_text(t)], size=size, fill=_TEXT,
            anchor="middle",
        )  # fmt: skip
    svg.text(
        (left + right) / 2, y_hi - 0.24 * _FONT, [axis], size=_FONT, fill=_TEXT, anchor="middle"
    )
    slot = (bottom - top) / max(len(names), 1)
    boxes = []
    for i, (name, v) in enumerate(zip(names, values, strict=True)):
        cy = top + (i + 0.5) * slot
        boxes.append((left, cy - 0.35 * slot, x_of(v) - left, 0.7 * slot))
        svg.line(left - _TICK, cy, left, cy, stroke=_EDGE, width=0.8)
        _centred_lines(svg, left - 2 * _TICK, cy, [name], size=_FONT, anchor="end")
    svg.rects(boxes, fill=BAR, stroke=BAR, stroke_width=0)
    for (_, cy_top, w, h), v in zip(boxes, values, strict=True):
        _centred_lines(
            svg, left + w + 3, cy_top + h / 2, [value_text(v)], size=size, anchor="start"
        )
    if not names:
        _centred_lines(
            svg, (left + right) / 2, (top + bottom) / 2, ["nothing to show"], size=_FONT,
            anchor="middle",
        )  # fmt: skip
    svg.line(left, top, left, bottom, stroke=_EDGE, width=0.8)
    svg.line(left, bottom, right, bottom, stroke=_EDGE, width=0.8)


# Public for traffic_charts.py: the same sizes, colours and pieces, so every chart on the site
# looks like one family.
BAR = "#2f6f9f"  # the traffic charts' one bar colour (page views)
FONT = _FONT
TEXT = _TEXT
EDGE = _EDGE
GRID = _GRID
MARGIN = _MARGIN
TICK = _TICK
ASCENT = _ASCENT
draw_title = _title
centred_lines = _centred_lines
count_ticks = _count_ticks
axis_title = _axis_title
slanted_room = _slanted_room
label_step = _label_step
slanted_labels = _slanted_labels
legend = _legend
legend_width = _legend_width
hbars = _hbars


# --- internals ------------------------------------------------------------------------------


def _categories(keys: object) -> list[str]:
    seen = set(keys)  # type: ignore[call-overload]
    return [c for c in ORDER if c in seen] + sorted(seen - set(ORDER))


def _counts_text(counts: Mapping[str, int], cats: Sequence[str]) -> str:
    parts = [f"{counts[c]} {c}" for c in cats if counts.get(c)]
    return ", ".join(parts) if parts else "no targets"
