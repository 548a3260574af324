"""A small SVG writer for the simple charts: shapes and text in, deterministic bytes out.

Why not matplotlib here: a timeline or a bar chart is a few dozen shapes, and matplotlib takes
~40-75 ms of CPU to lay one out and serialise it; a long list redraws hundreds of timelines
when one snapshot arrives. Written by hand it takes well under a millisecond.

Why deterministic: chart files are named by the hash of their bytes (``charts.Chart.name``),
so the same shapes must always give the same bytes: numbers are printed with a fixed number of
decimals, element order is the caller's call order, and the only id is a fixed one.

Why text stays text: an SVG ``<text>`` with a font stack is small and readable by machines;
every text goes through :func:`esc` (titles and names come from data files), so a name like
``<script>`` is shown, never parsed. Text widths are estimated from DejaVu Sans's advance
widths (the first font of the stack, the one matplotlib drew with), only to lay labels out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

FONT_STACK = "DejaVu Sans, Verdana, sans-serif"

# Advance widths of printable ASCII (32 … 126) in DejaVu Sans, thousandths of an em; read
# once from the font that ships with matplotlib. Other characters count as ``_WIDE``.
_ADVANCE = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698,
    770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732,
    684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
    525, 636, 337, 636, 838,
)  # fmt: skip
_ADVANCE_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734,
    830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812,
    774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
    712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
    582, 712, 365, 712, 838,
)  # fmt: skip
_WIDE = 1000

# Characters XML 1.0 cannot carry at all (a control character in a title would make the
# whole file unreadable): dropped before escaping.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(text: str) -> str:
    """``text`` as XML character data or an attribute value: shown, never parsed."""
    text = _NOT_XML.sub("", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def num(x: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: stable across runs."""
    s = f"{x:.2f}"
    if s.endswith("00"):
        s = s[:-3]
    elif s.endswith("0"):
        s = s[:-1]
    return "0" if s == "-0" else s


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """About how wide ``text`` is in px at ``size`` px, in DejaVu Sans (for layout only)."""
    table = _ADVANCE_BOLD if bold else _ADVANCE
    units = sum(table[o - 32] if 32 <= (o := ord(c)) <= 126 else _WIDE for c in text)
    return units * size / 1000


def integer_ticks(top: float, bins: int = 9) -> list[int]:
    """Whole-number ticks from 0 to ``top``: the smallest 1-2-5 step giving at most ``bins``
    intervals (matplotlib's integer MaxNLocator on a chart this tall)."""
    scale = 1
    while True:
        for mult in (1, 2, 5):
            step = scale * mult
            if step * bins >= top:
                return list(range(0, int(top // step) * step + 1, step))
        scale *= 10


# Month names in English whatever the process's locale (Pelican sets one from its settings):
# the same data must give the same bytes on every machine.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_year(d: date) -> str:
    return f"{_MONTHS[d.month - 1]} {d.year}"


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def date_ticks(lo: date, hi: date) -> list[tuple[date, str]]:
    """Dates to mark between ``lo`` and ``hi``, each with its label: 3 to 7 of them.

    The way matplotlib's AutoDateLocator and ConciseDateFormatter did it for these charts:
    the coarsest unit (years, months, days) that gives at least three ticks, at the smallest
    interval that gives at most seven, on round dates (months 1, 3, 5 … for every second
    month); labels "2016", "Mar 2015" (January shows the year alone), "08 Mar" (the first of
    a month shows "Mar 2015").
    """
    years = hi.year - lo.year
    months = years * 12 + hi.month - lo.month
    days = (hi - lo).days
    ticks: list[date] = []
    if years >= 3:
        every = next((i for i in (1, 2, 4, 5, 10, 20, 50, 100, 200, 500) if years <= i * 6), 1000)
        ticks = [date(y, 1, 1) for y in range(lo.year, hi.year + 1) if y % every == 0]
        return [(d, str(d.year)) for d in ticks if lo <= d <= hi]
    if months >= 3:
        every = next(i for i in (1, 2, 3, 4, 6) if months <= i * 6)
        d = date(lo.year, lo.month, 1)
        while d <= hi:
            if (d.month - 1) % every == 0 and d >= lo:
                ticks.append(d)
            d = _add_months(d, 1)
        return [(d, str(d.year) if d.month == 1 else _month_year(d)) for d in ticks]
    every = next((i for i in (1, 2, 3, 7, 14) if days <= i * 6), 14)
    d = lo
    while d <= hi:
        # Days 1, 8, 15, 22 (29 would sit next to the next month's 1st, labels overlapping).
        if (d.day - 1) % every == 0 and (d.day == 1 or (_add_months(d, 1) - d).days >= every):
            ticks.append(d)
        d = date.fromordinal(d.toordinal() + 1)
    return [
        (d, _month_year(d) if d.day == 1 else f"{d.day:02d} {_MONTHS[d.month - 1]}") for d in ticks
    ]


def hour_ticks(lo: datetime, hi: datetime) -> list[tuple[datetime, str]]:
    """Times to mark between ``lo`` and ``hi`` (whole hours), each with its label.

    Three days or more: midnights, as :func:`date_ticks` marks days. Shorter: every 1, 2, 3,
    4, 6 or 12 hours, the smallest step giving at most seven ticks, labelled "14:00"
    (midnight shows the day, "09 Feb"), as matplotlib's ConciseDateFormatter did.
    """
    if hi - lo >= timedelta(days=3):
        first = lo.date() if lo.hour == 0 else date.fromordinal(lo.toordinal() + 1)
        return [
            (datetime(d.year, d.month, d.day), text) for d, text in date_ticks(first, hi.date())
        ]
    hours = (hi - lo).total_seconds() / 3600
    every = next((i for i in (1, 2, 3, 4, 6) if hours <= i * 6), 12)
    ticks: list[tuple[datetime, str]] = []
    t = lo.replace(minute=0, second=0, microsecond=0)
    if t < lo:
        t += timedelta(hours=1)
    while t <= hi:
        if t.hour % every == 0:
            text = f"{t.day:02d} {_MONTHS[t.month - 1]}" if t.hour == 0 else f"{t.hour:02d}:00"
            ticks.append((t, text))
        t += timedelta(hours=1)
    return ticks


class Svg:
    """Shapes appended in drawing order (later on top), serialised to bytes once."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self._defs: list[str] = []
        self._body: list[str] = []

    def _el(self, tag: str, attrs: Iterable[tuple[str, str | float | None]], text: str = "") -> str:
        parts = [tag]
        for name, value in attrs:
            if value is None:
                continue
            shown = num(value) if isinstance(value, int | float) else esc(value)
            parts.append(f'{name}="{shown}"')
        head = " ".join(parts)
        return f"<{head}>{text}</{tag}>" if text else f"<{head}/>"

    def define(self, markup: str) -> None:
        """A definition (a hatch pattern): the caller's fixed markup, written once in <defs>."""
        self._defs.append(markup)

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: str,
        stroke: str | None = None,
        stroke_width: float | None = None,
        rx: float | None = None,
        dash: str | None = None,
        opacity: float | None = None,
    ) -> None:
        self._body.append(
            self._el(
                "rect",
                [
                    ("x", x),
                    ("y", y),
                    ("width", max(w, 0.0)),
                    ("height", max(h, 0.0)),
                    ("rx", rx),
                    ("fill", fill),
                    ("fill-opacity", opacity),
                    ("stroke", stroke),
                    ("stroke-width", stroke_width),
                    ("stroke-dasharray", dash),
                ],
            )
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, stroke: str, width: float
    ) -> None:
        self._body.append(
            self._el(
                "line",
                [
                    ("x1", x1),
                    ("y1", y1),
                    ("x2", x2),
                    ("y2", y2),
                    ("stroke", stroke),
                    ("stroke-width", width),
                ],
            )
        )

    def polyline(self, points: Sequence[tuple[float, float]], *, stroke: str, width: float) -> None:
        pts = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        self._body.append(
            self._el(
                "polyline",
                [
                    ("points", pts),
                    ("fill", "none"),
                    ("stroke", stroke),
                    ("stroke-width", width),
                    ("stroke-linejoin", "round"),
                ],
            )
        )

    def polygon(
        self, points: Sequence[tuple[float, float]], *, fill: str, opacity: float | None = None
    ) -> None:
        """A filled shape without an edge (the area under a step line)."""
        pts = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        self._body.append(
            self._el("polygon", [("points", pts), ("fill", fill), ("fill-opacity", opacity)])
        )

    def dots(
        self,
        centres: Sequence[tuple[float, float]],
        r: float,
        *,
        fill: str,
        stroke: str,
        stroke_width: float,
        dash: str | None = None,
    ) -> None:
        """Circles of one style, as one group: the style is written once, not per dot (a
        timeline of a weekly scan over two years has a hundred dots)."""
        head = self._el(
            "g",
            [
                ("fill", fill),
                ("stroke", stroke),
                ("stroke-width", stroke_width),
                ("stroke-dasharray", dash),
            ],
        )[:-2]
        radius = num(r)
        body = "".join(f'<circle cx="{num(x)}" cy="{num(y)}" r="{radius}"/>' for x, y in centres)
        self._body.append(f"{head}>{body}</g>")

    def rects(
        self,
        boxes: Sequence[tuple[float, float, float, float]],
        *,
        fill: str,
        stroke: str,
        stroke_width: float,
    ) -> None:
        """Rectangles (x, y, w, h) of one style, as one group: a stacked history of a long
        list is thousands of bar pieces, and the style is written once per colour."""
        if not boxes:
            return
        head = self._el("g", [("fill", fill), ("stroke", stroke), ("stroke-width", stroke_width)])[
            :-2
        ]
        body = "".join(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0.0))}" '
            f'height="{num(max(h, 0.0))}"/>'
            for x, y, w, h in boxes
        )
        self._body.append(f"{head}>{body}</g>")

    def text(
        self,
        x: float,
        y: float,
        lines: Sequence[str],
        *,
        size: float,
        fill: str,
        anchor: str = "start",
        bold: bool = False,
        rotate: float | None = None,
        leading: float = 1.2,
    ) -> None:
        """Lines of text, the first line's baseline at ``y`` (escaped here, always)."""
        spans = "".join(
            f'<tspan x="{num(x)}" dy="{num(0 if i == 0 else size * leading)}">{esc(t)}</tspan>'
            for i, t in enumerate(lines)
        )
        self._body.append(
            self._el(
                "text",
                [
                    ("x", x),
                    ("y", y),
                    ("font-size", size),
                    ("font-weight", "bold" if bold else None),
                    ("text-anchor", anchor if anchor != "start" else None),
                    ("fill", fill),
                    ("transform", f"rotate({num(rotate)} {num(x)} {num(y)})" if rotate else None),
                ],
                spans,
            )
        )

    def bytes(self) -> bytes:
        """The document: an XML declaration, the size in px and a viewBox so it scales."""
        head = (
            '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
            f'font-family="{esc(FONT_STACK)}">\n'
        )
        defs = f"<defs>{''.join(self._defs)}</defs>\n" if self._defs else ""
        return (head + defs + "\n".join(self._body) + "\n</svg>\n").encode("utf-8")
