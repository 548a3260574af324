"""Grade charts as deterministic SVG bytes, each with alt text and its data as a table.

Why deterministic: chart files are named by the hash of their bytes and a rebuild of the site
must give byte-identical output (old posts never change, `make regenerate` never loops). So we
draw on a bare ``matplotlib.figure.Figure`` (no pyplot global state), with a fixed font that
ships inside matplotlib, fixed sizes, a fixed ``svg.hashsalt`` for element ids and no date in
the metadata. Text is drawn as paths so the chart looks the same in every browser and needs no
font files.

Why a table: a chart is an image; screen-reader users and feed readers get the same numbers
from ``Chart.table_head``/``table_rows`` (rendered next to the image) and a summary in ``alt``.
Colour is never the only carrier: every colour comes with its grade letter (legend or axis).

Why matplotlib is imported inside the drawing functions: importing it costs about half a second
of CPU, more than a whole plain Pelican build of a small blog, and a warm build reads every
chart back from the chart cache without drawing one. Only a build that must draw pays for it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from . import vocabulary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

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
_DPI = 72  # 1 pt = 1 px, so the SVG's size in pt is its size in CSS px
_FONT = 13
_TEXT = "#1f2328"
_GRID = "#d0d7de"

_RC = {
    "svg.hashsalt": "tlsreport",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": _FONT,
    "axes.titlesize": _FONT + 2,
    "axes.labelsize": _FONT,
    "xtick.labelsize": _FONT - 1,
    "ytick.labelsize": _FONT,
    "legend.fontsize": _FONT - 1,
    "text.color": _TEXT,
    "axes.labelcolor": _TEXT,
    "xtick.color": _TEXT,
    "ytick.color": _TEXT,
    "axes.edgecolor": "#8c959f",
    "path.simplify": False,
}


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


def _mpl() -> Any:
    """matplotlib with the date helpers loaded, imported on the first chart actually drawn."""
    import matplotlib
    import matplotlib.dates  # a submodule: ``import matplotlib`` alone does not load it

    return matplotlib


def colour(category: str) -> str:
    """The chart colour of a grade (or of "not tested")."""
    return COLOURS.get(category, OTHER_COLOUR)


def history_chart(points: Sequence[tuple[date, Mapping[str, int]]], *, title: str) -> Chart:
    """How many targets had each grade at each snapshot, as stacked bars (one per snapshot).

    Snapshots are spaced evenly, not by time: a series' snapshots bunch up (part 4 has six in
    two weeks, then nothing for nine months) and proportional spacing would hide the bunch.
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
    matplotlib = _mpl()
    with matplotlib.rc_context(_RC):
        fig, ax = _figure(title)
        xs = list(range(len(points)))
        bottoms = [0] * len(points)
        for cat in cats:
            heights = [counts.get(cat, 0) for _, counts in points]
            hatch = HATCHES.get(cat)
            bars = ax.bar(
                xs,
                heights,
                bottom=bottoms,
                width=0.72,
                color=colour(cat),
                label=cat,
                edgecolor=_HATCH_EDGE if hatch else "white",
                linewidth=0.6,
                hatch=hatch,
            )
            # Bars lie inside the plot area (ylim is above the tallest stack), so layout
            # need not measure each one: a year of a long list is a thousand of them.
            for bar in bars:
                bar.set_in_layout(False)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        step = max(1, -(-len(points) // 12))  # at most 12 date labels, each under its bar
        ax.set_xticks(
            xs[::step],
            [d.isoformat() for d, _ in points][::step],
            rotation=45,
            ha="right",
            rotation_mode="anchor",
        )
        ax.set_xlim(-0.6, max(len(points) - 0.4, 0.6))
        ax.set_ylabel("targets")
        cast("MaxNLocator", ax.yaxis.get_major_locator()).set_params(integer=True)
        ax.set_ylim(0, max([*bottoms, 1]) * 1.05)
        _legend(ax, cats)
        svg = _svg(fig)
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
    """
    points = sorted(points, key=lambda p: p[0])
    labels = [g if g is not None else NOT_TESTED for _, g in points]
    levels = [c for c in ORDER if c in labels or c in ORDER[:8]]
    levels += sorted(set(labels) - set(levels))
    box = _timeline_box(title, tuple(levels), bool(points))
    with _mpl().rc_context(_RC):
        fig, ax = _figure(title, box=box)
        _draw_timeline(ax, [d for d, _ in points], labels, levels)
        svg = _svg(fig)
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


def _draw_timeline(
    ax: Axes, days: Sequence[date], labels: Sequence[str], levels: Sequence[str]
) -> None:
    """A timeline's step line, dots, date axis and grade axis (``labels``: one per day)."""
    matplotlib = _mpl()
    y_of = {c: len(levels) - 1 - i for i, c in enumerate(levels)}  # best grade on top
    if days:
        xs = [matplotlib.dates.date2num(d) for d in days]
        ys = [y_of[g] for g in labels]
        ax.plot(xs, ys, drawstyle="steps-post", color="#57606a", linewidth=2, zorder=2)
        filled = [i for i, g in enumerate(labels) if g not in HATCHES]
        hollow = [i for i, g in enumerate(labels) if g in HATCHES]
        if filled:
            ax.scatter(
                [xs[i] for i in filled],
                [ys[i] for i in filled],
                s=110,
                c=[colour(labels[i]) for i in filled],
                edgecolors=_TEXT,
                linewidths=0.8,
                zorder=3,
            )
        if hollow:  # no data: an empty ring, dashed, never a coloured dot
            ax.scatter(
                [xs[i] for i in hollow],
                [ys[i] for i in hollow],
                s=110,
                c="white",
                edgecolors=_HATCH_EDGE,
                linewidths=1.2,
                linestyle="--",
                zorder=3,
            )
        lo, hi = min(xs), max(xs)
        pad = max((hi - lo) * 0.05, 15)
        ax.set_xlim(lo - pad, hi + pad)
        locator = matplotlib.dates.AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(
            matplotlib.dates.ConciseDateFormatter(
                locator, formats=["%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M", "%S"], show_offset=False
            )
        )
    ax.set_yticks([y_of[c] for c in levels], [c.replace(" ", "\n") for c in levels])
    for tick, cat in zip(ax.get_yticklabels(), levels, strict=True):
        if cat in HATCHES:
            tick.set_bbox(
                {
                    "boxstyle": "round,pad=0.25",
                    "facecolor": "white",
                    "edgecolor": _HATCH_EDGE,
                    "linestyle": "--",
                }
            )
            continue
        tick.set_bbox(
            {
                "boxstyle": "round,pad=0.25",
                "facecolor": colour(cat),
                "edgecolor": "none",
                "alpha": 0.35,
            }
        )
    ax.set_ylim(-0.6, len(levels) - 0.4)
    ax.grid(axis="y", color=_GRID, linewidth=0.8, zorder=0)


@functools.lru_cache(maxsize=128)
def _timeline_box(
    title: str, levels: tuple[str, ...], dated: bool
) -> tuple[float, float, float, float]:
    """Where constrained layout puts a timeline's plot area, worked out once per label set.

    Why: constrained layout measures every text and draws the figure twice; for a timeline it
    was ~45 % of the drawing time, and a site draws one timeline per target page. What it
    decides depends on the title, the grade labels on the y axis (one line or two) and whether
    there are dates at all (every date label is one line of the same font), so it is computed
    on a probe timeline with those labels and the result reused. The probe depends only on
    these arguments, never on which chart came first, so the bytes stay deterministic.
    """
    days = [date(2000, 1, 1), date(2000, 12, 31)] if dated else []
    labels = [levels[0], levels[-1]] if dated else []
    with _mpl().rc_context(_RC):
        fig, ax = _figure(title)
        _draw_timeline(ax, days, labels, levels)
        fig.draw_without_rendering()
        x0, y0, width, height = ax.get_position().bounds
    return (float(x0), float(y0), float(width), float(height))


def distribution_chart(counts: Mapping[str, int], *, title: str) -> Chart:
    """How many targets have each grade now: one bar per grade, every grade A+ … F shown."""
    present = [c for c, v in counts.items() if v]
    cats = [c for c in ORDER if c in ORDER[:8] or c in present]
    cats += sorted(set(present) - set(cats))
    values = [int(counts.get(c, 0)) for c in cats]
    matplotlib = _mpl()
    with matplotlib.rc_context(_RC):
        fig, ax = _figure(title)
        xs = list(range(len(cats)))
        bars = ax.bar(
            xs,
            values,
            width=0.7,
            color=[colour(c) for c in cats],
            edgecolor=_TEXT,
            linewidth=0.6,
            zorder=2,
        )
        for bar, cat in zip(bars, cats, strict=True):
            if cat in HATCHES:
                bar.set_hatch(HATCHES[cat])
        ax.bar_label(bars, labels=[str(v) for v in values], padding=3, fontsize=_FONT)
        ax.set_xticks(xs, [c.replace(" ", "\n") for c in cats])
        ax.set_ylabel("targets")
        cast("MaxNLocator", ax.yaxis.get_major_locator()).set_params(integer=True)
        ax.set_ylim(0, max([*values, 1]) * 1.18)
        ax.grid(axis="y", color=_GRID, linewidth=0.8, zorder=0)
        svg = _svg(fig)
    total = sum(values)
    alt = (
        f"{title}: bar chart of {total} target{'s' if total != 1 else ''} by grade: "
        f"{_counts_text(counts, cats)}."
    )
    rows = tuple((c, str(v)) for c, v in zip(cats, values, strict=True))
    return Chart(svg, alt, WIDTH_PX, HEIGHT_PX, ("Grade", "Targets"), rows, title)


# --- internals ------------------------------------------------------------------------------


def _categories(keys: object) -> list[str]:
    seen = set(keys)  # type: ignore[call-overload]
    return [c for c in ORDER if c in seen] + sorted(seen - set(ORDER))


def _counts_text(counts: Mapping[str, int], cats: Sequence[str]) -> str:
    parts = [f"{counts[c]} {c}" for c in cats if counts.get(c)]
    return ", ".join(parts) if parts else "no targets"


def _figure(
    title: str, *, box: tuple[float, float, float, float] | None = None
) -> tuple[Figure, Axes]:
    """A bare figure with one plot area: laid out by constrained layout, or at ``box``
    (figure fractions) when the caller already knows where it goes."""
    from matplotlib.figure import Figure

    fig = Figure(
        figsize=(WIDTH_PX / _DPI, HEIGHT_PX / _DPI),
        dpi=_DPI,
        layout="constrained" if box is None else None,
    )
    ax = fig.add_subplot()
    if box is not None:
        ax.set_position(box)
    ax.set_title(textwrap.fill(title, 70), loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _legend(ax: Axes, cats: Sequence[str]) -> None:
    """A legend beside the plot, best grade on top like the stack it explains."""
    handles, labels = ax.get_legend_handles_labels()
    order = {c: i for i, c in enumerate(cats)}
    pairs = sorted(zip(handles, labels, strict=True), key=lambda p: order.get(p[1], 0))
    ax.legend(
        [h for h, _ in pairs],
        [lab for _, lab in pairs],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="grade",
        handlelength=1.2,
        borderaxespad=0.0,
    )


_SIZE = re.compile(rb'(<svg[^>]*?) width="([0-9.]+)pt" height="([0-9.]+)pt"')


def _svg(fig: Figure) -> bytes:
    """Serialise a figure to SVG with nothing that varies between runs or machines."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    data = buf.getvalue()
    # Sizes in px, not pt, so the file's intrinsic size is the size we tell <img>.
    data = _SIZE.sub(
        lambda m: (
            m.group(1)
            + b' width="%d" height="%d"' % (round(float(m.group(2))), round(float(m.group(3))))
        ),
        data,
        count=1,
    )
    if b"<script" in data or b'xlink:href="http' in data or b'href="http' in data:
        raise ValueError("chart SVG contains a script or an external reference")
    return data


# Public for other chart modules (traffic_charts.py): the same style, the same plot area and
# the same byte-stable SVG, so every chart on the site looks alike and rebuilds identically.
STYLE = _RC
new_figure = _figure
svg_bytes = _svg
