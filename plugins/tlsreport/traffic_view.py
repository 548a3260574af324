"""The post directive ``[tlsreport traffic data=NAME view=daily|hourly|...]``: load, check, show.

Reads ``TLSREPORT_TRAFFIC_DIR/NAME.json`` (default ``data/traffic``, written by
``python -m tlsreport traffic``), checks it field by field — a hand-edited or truncated file
must fail the build naming the file and the field, not draw a wrong chart — and renders one
view: a chart with its data table (``traffic_charts``) and a line saying what the data is
(the report's own label, e.g. "generated log", its period and what was left out).

Charts are cached on disk (``CACHE_PATH/tlsreport-traffic``), keyed by the report's content,
the view, the title and the drawing code's fingerprint (``_CODE``): a warm build of an
unchanged report reads its charts back (same reason as the grade chart cache), and a change
to the drawing code draws them afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from . import charts, svgchart, traffic, traffic_charts, vocabulary
from .charts import Chart

DEFAULT_DIR = "data/traffic"
CACHE_VERSION = "1"
# The drawing code's fingerprint, like chartmaker's: the traffic charts, the grade charts'
# pieces they draw with, the SVG writer and the colours. Any edit to them draws afresh.
_CODE = hashlib.sha256(
    b"".join(
        Path(m.__file__).read_bytes()
        for m in (traffic_charts, charts, svgchart, vocabulary)
        if m.__file__ is not None
    )
).hexdigest()[:16]
TITLES = {
    "daily": "Page views and visitors per day",
    "hourly": "Page views per hour",
    "referrers": "Where readers came from",
    "systems": "Systems and devices of readers",
    "pages": "Most read pages",
    "networks": "Networks readers came from",
}


class TrafficViewError(ValueError):
    """A traffic directive that cannot be shown: missing or invalid report (file: field)."""


def traffic_dir(settings: dict[str, Any]) -> Path:
    return Path(settings.get("TLSREPORT_TRAFFIC_DIR") or DEFAULT_DIR)


def render(
    settings: dict[str, Any], env: Any, options: dict[str, object], register: Callable[[Chart], str]
) -> str:
    """HTML for one traffic directive; ``register`` stores a chart and returns its URL."""
    name, view = str(options["data"]), str(options.get("view") or "daily")
    report = load_report(traffic_dir(settings), name)
    title = TITLES[view]
    chart = _cached_chart(settings, view, report, title)
    period = _period(report)
    note = ""
    if view == "networks" and report["networks"] is None:
        note = f"No networks table: {report['networks_note']}."
    elif view == "daily" and report["peak_minute"]:
        ra = report["readers_at_once"]
        note = (
            f"Busiest minute: {_when(report['peak_minute']['at'])}, "
            f"{report['peak_minute']['views']:,} page views. About {ra['max']:,} readers "
            f"at once at {_when(ra['at'])} — an {ra['method']}."
        )
    elif view == "systems":
        note = (
            "Counted per visitor and day, from the families ua-parser names in the user "
            "agent; crawlers and bots are not readers and are left out."
        )
    src = "{static}/" + register(chart) if chart is not None else ""
    return str(
        env.get_template("tlsreport/traffic.html").render(
            view=view,
            chart=chart,
            src=src,
            note=note,
            period=period,
            report=report,
            label=report.get("label") or "",
        )
    )


def _period(report: dict[str, Any]) -> str:
    first, last = report["period"]["first"], report["period"]["last"]
    if not first:
        return "no page views"
    return _day(first) if first == last else f"{_day(first)} to {_day(last)}"


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


def _when(minute: str) -> str:
    return f"{_day(minute[:10])} {minute[11:16]}"


# --- the report file -------------------------------------------------------------------------


def load_report(directory: Path, name: str) -> dict[str, Any]:
    """Read and check ``directory/NAME.json``; TrafficViewError names the file and field."""
    path = directory / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.json")) if directory.is_dir() else []
        raise TrafficViewError(
            f"data: no traffic report {name!r} ({path} does not exist; reports: "
            f"{', '.join(known) or 'none'}; make one with python -m tlsreport traffic LOG... "
            f"--out {path})"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TrafficViewError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise TrafficViewError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    check_report(data, str(path))
    return data


def check_report(data: Any, where: str) -> None:
    """Every field the views read, with its type; raise TrafficViewError at the first bad."""

    def fail(field: str, expected: str) -> None:
        raise TrafficViewError(f"{where}: {field}: expected {expected}")

    def need(obj: Any, key: str, kind: type | tuple[type, ...], field: str, expected: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            fail(field, f"a field {key!r}")
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            fail(field, expected)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            fail(field, expected)
        return value

    if not isinstance(data, dict):
        fail("(top)", "a JSON object")
    if data.get("format") != traffic.FORMAT:
        fail("format", f"{traffic.FORMAT!r} (a file written by python -m tlsreport traffic)")
    if data.get("version") != traffic.VERSION:
        fail("version", f"{traffic.VERSION}")
    count = "a whole number ≥ 0"
    text = "a string"
    need(data, "label", str, "label", text)
    need(data, "page_views", int, "page_views", count)
    need(data, "visitors", int, "visitors", count)
    period = need(data, "period", dict, "period", "an object")
    for key in ("first", "last"):
        need(period, key, (str, type(None)), f"period.{key}", "a date or null")
    for i, row in enumerate(need(data, "daily", list, "daily", "a list")):
        day = need(row, "day", str, f"daily[{i}].day", "a date YYYY-MM-DD")
        try:
            date.fromisoformat(day)
        except ValueError:
            fail(f"daily[{i}].day", "a date YYYY-MM-DD")
        need(row, "views", int, f"daily[{i}].views", count)
        need(row, "visitors", int, f"daily[{i}].visitors", count)
    for i, row in enumerate(need(data, "hourly", list, "hourly", "a list")):
        hour = need(row, "hour", str, f"hourly[{i}].hour", "an hour YYYY-MM-DDTHH")
        if len(hour) != 13 or hour[10] != "T" or not hour[11:].isdigit():
            fail(f"hourly[{i}].hour", "an hour YYYY-MM-DDTHH")
        need(row, "views", int, f"hourly[{i}].views", count)
    for i, row in enumerate(need(data, "pages", list, "pages", "a list")):
        need(row, "path", str, f"pages[{i}].path", text)
        need(row, "views", int, f"pages[{i}].views", count)
    refs = need(data, "referrers", dict, "referrers", "an object")
    need(refs, "direct", int, "referrers.direct", count)
    need(refs, "internal", int, "referrers.internal", count)
    for i, row in enumerate(need(refs, "domains", list, "referrers.domains", "a list")):
        need(row, "domain", str, f"referrers.domains[{i}].domain", text)
        need(row, "views", int, f"referrers.domains[{i}].views", count)
    systems = need(data, "systems", dict, "systems", "an object")
    need(systems, "visitors", int, "systems.visitors", count)
    for key in ("os", "browsers", "devices"):
        for i, row in enumerate(need(systems, key, list, f"systems.{key}", "a list")):
            need(row, "name", str, f"systems.{key}[{i}].name", text)
            need(row, "visitors", int, f"systems.{key}[{i}].visitors", count)
            need(row, "share", (int, float), f"systems.{key}[{i}].share", "a number")
    networks = data.get("networks")
    if networks is not None:
        if not isinstance(networks, list):
            fail("networks", "a list or null")
        for i, row in enumerate(networks):
            need(row, "organisation", str, f"networks[{i}].organisation", text)
            need(row, "views", int, f"networks[{i}].views", count)
            need(row, "visitors", int, f"networks[{i}].visitors", count)
    need(data, "networks_note", str, "networks_note", text)
    peak = data.get("peak_minute")
    if peak is not None:
        need(peak, "at", str, "peak_minute.at", text)
        need(peak, "views", int, "peak_minute.views", count)
    ra = need(data, "readers_at_once", dict, "readers_at_once", "an object")
    need(ra, "max", int, "readers_at_once.max", count)
    need(ra, "method", str, "readers_at_once.method", text)
    if peak is not None:
        need(ra, "at", str, "readers_at_once.at", text)
    bots = need(data, "bots", dict, "bots", "an object")
    need(bots, "requests", int, "bots.requests", count)
    lines = need(data, "lines", dict, "lines", "an object")
    need(lines, "unreadable", int, "lines.unreadable", count)


# --- chart cache -------------------------------------------------------------------------------


def _cached_chart(
    settings: dict[str, Any], view: str, report: dict[str, Any], title: str
) -> Chart | None:
    cache = settings.get("CACHE_PATH")
    key = hashlib.sha256(
        json.dumps([CACHE_VERSION, _CODE, view, title, report], sort_keys=True).encode()
    ).hexdigest()
    folder = Path(cache) / "tlsreport-traffic" if cache else None
    if folder is not None:
        try:
            entry = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
            if entry is None:
                return None
            return Chart(
                entry["svg"].encode(),
                entry["alt"],
                entry["width"],
                entry["height"],
                tuple(entry["head"]),
                tuple(tuple(r) for r in entry["rows"]),
                entry["title"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            pass
    chart = traffic_charts.chart(view, report, title=title)
    if folder is not None:
        entry = (
            None
            if chart is None
            else {
                "svg": chart.svg.decode(),
                "alt": chart.alt,
                "width": chart.width,
                "height": chart.height,
                "head": chart.table_head,
                "rows": chart.table_rows,
                "title": chart.title,
            }
        )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f)
            os.replace(tmp, folder / f"{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time
    return chart
