"""Traffic charts as deterministic SVG (``charts.Chart``), one per traffic view.

Drawn with the grade charts' own style, plot area and serialiser (``charts.STYLE``,
``new_figure``, ``svg_bytes``), for the same reasons: a bare matplotlib Figure (no pyplot
state), a font shipped with matplotlib drawn as paths, a fixed ``svg.hashsalt``, no date in the
metadata, sizes in px — so the same report always gives the same bytes and the same file name,
and a rebuild never changes an old post. Every chart carries its numbers as a table
and a summary as alt text; colour is never the only carrier (every bar is labelled).

Names in these charts (paths, referrer domains, organisations) come from a log, that is from
strangers: matplotlib would read ``$...$`` in them as maths, so dollars are escaped; the SVG
holds them as drawn paths, never as markup, and the tables are escaped by the templates.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from .charts import HEIGHT_PX, STYLE, WIDTH_PX, Chart, new_figure, svg_bytes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.ticker import MaxNLocator

VIEWS = ("daily", "hourly", "referrers", "systems", "pages", "networks")
BARS = 12  # bars drawn in a ranking chart; the table has every row the report kept

_DPI = 72
_FONT = 13
_TEXT = "#1f2328"
_GRID = "#d0d7de"
VIEWS_COLOUR = "#2f6f9f"
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
    matplotlib = _mpl()
    with matplotlib.rc_context(STYLE):
        fig, ax = new_figure(title)
        xs = list(range(len(days)))
        ax.bar(xs, views, width=0.75, color=VIEWS_COLOUR, label="page views", zorder=2)
        ax.plot(
            xs,
            visitors,
            linestyle="none",
            marker="o",
            markersize=5,
            color=VISITORS_COLOUR,
            markeredgecolor=_TEXT,
            markeredgewidth=0.6,
            label="visitors",
            zorder=3,
        )
        step = max(1, -(-len(days) // 12))
        ax.set_xticks(
            xs[::step],
            [_short_day(d) for d in labels][::step],
            rotation=45,
            ha="right",
            rotation_mode="anchor",
        )
        ax.set_xlim(-0.6, max(len(days) - 0.4, 0.6))
        _count_axis(ax, max([*views, 1]))
        if views:
            top = max(range(len(views)), key=lambda i: (views[i], -i))
            ax.annotate(
                f"{views[top]:,}",
                (top, views[top]),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                fontsize=_FONT - 1,
            )
        ax.legend(loc="upper right", frameon=False)
        svg = svg_bytes(fig)
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
    matplotlib = _mpl()
    with matplotlib.rc_context(STYLE):
        fig, ax = new_figure(title)
        if times:
            xs = [matplotlib.dates.date2num(t) for t in times]
            ax.fill_between(
                xs, values, step="post", color=VIEWS_COLOUR, alpha=0.35, linewidth=0, zorder=2
            )
            ax.step(xs, values, where="post", color=VIEWS_COLOUR, linewidth=1.2, zorder=3)
            ax.set_xlim(xs[0], xs[-1] + 1 / 24)
            locator = matplotlib.dates.AutoDateLocator(minticks=3, maxticks=8)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(
                matplotlib.dates.ConciseDateFormatter(
                    locator,
                    formats=["%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M", "%S"],
                    show_offset=False,
                )
            )
        _count_axis(ax, max([*values, 1]))
        ax.set_ylabel("page views per hour")
        svg = svg_bytes(fig)
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
    matplotlib = _mpl()
    with matplotlib.rc_context(STYLE):
        fig, ax = new_figure(title)
        ys = list(range(len(shown)))[::-1]
        values = [v for _, v in shown]
        bars = ax.barh(ys, values, height=0.7, color=VIEWS_COLOUR, zorder=2)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=_FONT - 1)
        ax.set_yticks(ys, [_label(n) for n, _ in shown])
        ax.set_xlim(0, max([*values, 1]) * 1.15)
        ax.set_xlabel(unit)
        cast("MaxNLocator", ax.xaxis.get_major_locator()).set_params(integer=True)
        ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        ax.grid(axis="x", color=_GRID, linewidth=0.8, zorder=0)
        svg = svg_bytes(fig)
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
    matplotlib = _mpl()
    with matplotlib.rc_context(STYLE):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(WIDTH_PX / _DPI, HEIGHT_PX / _DPI), dpi=_DPI, layout="constrained")
        fig.suptitle(
            textwrap.fill(title, 70), x=0.01, ha="left", fontweight="bold", fontsize=_FONT + 2
        )
        for i, (heading, rows) in enumerate(groups):
            ax = fig.add_subplot(1, 2, i + 1)
            ax.spines[["top", "right"]].set_visible(False)
            ys = list(range(len(rows)))[::-1]
            shares = [float(r["share"]) for r in rows]
            bars = ax.barh(ys, shares, height=0.7, color=VIEWS_COLOUR, zorder=2)
            ax.bar_label(bars, labels=[f"{s:g} %" for s in shares], padding=3, fontsize=_FONT - 1)
            ax.set_yticks(ys, [_label(r["name"], 18) for r in rows])
            ax.set_xlim(0, max([*shares, 1]) * 1.3)
            ax.set_xlabel("% of visitors")
            ax.set_title(heading, loc="left", fontsize=_FONT)
            ax.grid(axis="x", color=_GRID, linewidth=0.8, zorder=0)
        svg = svg_bytes(fig)
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


# --- internals ------------------------------------------------------------------------------


def _mpl() -> Any:
    import matplotlib
    import matplotlib.dates

    return matplotlib


def _short_day(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.day} {d:%b}"


def _label(text: str, width: int = 34) -> str:
    """A name from a log as a safe, short axis label: no maths, no overlong line."""
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.replace("\\", "\\\\").replace("$", r"\$")


def _count_axis(ax: Axes, top: int) -> None:
    cast("MaxNLocator", ax.yaxis.get_major_locator()).set_params(integer=True)
    ax.set_ylim(0, top * 1.12)
    ax.yaxis.set_major_formatter(_mpl().ticker.StrMethodFormatter("{x:,.0f}"))
    ax.grid(axis="y", color=_GRID, linewidth=0.8, zorder=0)
