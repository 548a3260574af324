"""From snapshots to charts: the numbers each chart plots, and a cache so each is drawn once.

Grades come from the build's grader (a ``letter`` function): this room never grades.

A chart costs about a millisecond to draw (written as SVG directly, svgchart.py), but a site
draws one timeline per target page and a chart per post, and reading a drawn chart back costs
less than drawing it. The same numbers always give the same bytes (charts.py is
deterministic), so a chart is keyed by what it plots plus the drawing code's own fingerprint:
within a build it is drawn once however many pages show it, and across builds it is read back
from ``CACHE_PATH`` (when the site has one) instead of being redrawn.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from . import charts, svgchart, vocabulary
from .facts import Snapshot, TargetResult

# The drawing code's fingerprint: charts.py, its SVG writer (svgchart.py) and the colours
# (vocabulary.py). Everything that draws is our own code, so its bytes are the whole key.
_CODE = hashlib.sha256(
    Path(charts.__file__).read_bytes()
    + Path(svgchart.__file__).read_bytes()
    + Path(vocabulary.__file__).read_bytes()
).hexdigest()[:16]


# A target's letter under a day's rules (None: no grade to give), from the build's grader.
Letter = Callable[[TargetResult, date], str | None]


TIMELINE_TITLE = "Grade over time"  # drawn in the image; the caption names the target


def _draw_timeline(points: list[tuple[date, str | None]]) -> charts.Chart:
    """One timeline under the neutral title (module level: bench/bench_charts.py times it)."""
    return charts.timeline_chart(points, title=TIMELINE_TITLE)


class ChartMaker:
    """Draws the three chart kinds from snapshots, each distinct chart only once."""

    def __init__(self, cache_dir: Path | None, letter: Letter) -> None:
        self.cache_dir = cache_dir
        self.letter = letter
        self._memo: dict[str, charts.Chart] = {}
        self._counts: dict[tuple[int, str | None], tuple[Snapshot, dict[str, int]]] = {}
        self.counts_made = 0  # counted in this build, not seeded from the build cache
        self._points: dict[
            tuple[int, str], tuple[list[Snapshot], tuple[tuple[date, str | None], ...], str]
        ] = {}

    def counts(self, snapshot: Snapshot, group: str | None = None) -> dict[str, int]:
        """How many targets (of ``group``) had each grade in a snapshot, by its own date.

        Kept per snapshot and group: every post's history chart counts every snapshot before
        it again, and the answer depends on the snapshot alone (its own day's rules).
        """
        key = (id(snapshot), group)
        hit = self._counts.get(key)
        if hit is not None and hit[0] is snapshot:
            return dict(hit[1])
        out: dict[str, int] = {}
        for r in snapshot.results:
            if group is None or group in r.target.group:
                cat = vocabulary.state_word(r, self.letter(r, snapshot.day))
                out[cat] = out.get(cat, 0) + 1
        self._counts[key] = (snapshot, dict(out))
        self.counts_made += 1
        return out

    def seed_counts(self, snapshot: Snapshot, group: str | None, counts: dict[str, int]) -> None:
        """Counts an earlier build made of this snapshot (the build cache keeps them)."""
        self._counts[(id(snapshot), group)] = (snapshot, dict(counts))

    def counted(self) -> list[tuple[Snapshot, str | None, dict[str, int]]]:
        """Every (snapshot, group, counts) made or seeded in this build, for the build cache."""
        return [(snap, key[1], dict(c)) for key, (snap, c) in self._counts.items()]

    def distribution(self, snapshot: Snapshot, group: str | None = None) -> charts.Chart:
        day = snapshot.day
        title = f"{snapshot.title}: grades on {day.isoformat()}"
        data = self.counts(snapshot, group)
        return self._make(
            "distribution", data, title, lambda: charts.distribution_chart(data, title=title)
        )

    def history(self, snapshots: list[Snapshot], group: str | None = None) -> charts.Chart:
        points = [(s.day, self.counts(s, group)) for s in snapshots]
        title = f"{snapshots[-1].title}: grades over time" if snapshots else "grades over time"
        data = [(d.isoformat(), c) for d, c in points]
        return self._make("history", data, title, lambda: charts.history_chart(points, title=title))

    def timeline(self, snapshots: list[Snapshot], name: str) -> charts.Chart:
        """One target's grade at each snapshot; ``name`` is its name, key or host.

        Drawn under a neutral title and then given the target's name in its caption and alt
        text: targets with the same grade history (common on a long list) share one SVG
        file, drawn once.
        """
        points, shown = self._timeline_points(snapshots, name)
        data = [(d.isoformat(), g) for d, g in points]
        chart = self._make(
            "timeline",
            data,
            TIMELINE_TITLE,
            lambda: charts.timeline_chart(points, title=TIMELINE_TITLE),
        )
        return dataclasses.replace(
            chart,
            alt=chart.alt.replace(TIMELINE_TITLE, shown, 1),
            title=f"{shown}: grade over time",
        )

    def prepare_timelines(self, snapshots: list[Snapshot], names: list[str]) -> int:
        """Draw the timelines of many targets ahead; return how many were drawn.

        A list's target pages need one timeline each; each distinct one is drawn once (or
        read from the cache) and kept like any other chart. They are drawn one by one: a
        timeline is hand-written SVG now (under 1 ms), and a process pool cost more than it
        saved (``bench/bench_charts.py --pool 280`` on 2 cores: 280 timelines in 0.17 s of
        wall and CPU one by one, 0.24 s of each through the pool).
        """
        drawn = 0
        for name in names:
            points, _ = self._timeline_points(snapshots, name)
            key = self._key("timeline", [(d.isoformat(), g) for d, g in points], TIMELINE_TITLE)
            if key in self._memo:
                continue
            cached = self._read(key)
            if cached is None:
                cached = _draw_timeline(points)
                self._write(key, cached)
                drawn += 1
            self._memo[key] = cached
        return drawn

    def _timeline_points(
        self, snapshots: list[Snapshot], name: str
    ) -> tuple[list[tuple[date, str | None]], str]:
        # Asked twice per target page (drawn ahead, then shown): worked out once per list.
        memo = self._points.get((id(snapshots), name))
        if memo is not None and memo[0] is snapshots:
            return list(memo[1]), memo[2]
        key = self._key_of(snapshots, name)
        points: list[tuple[date, str | None]] = []
        shown = name
        for s in snapshots:
            r = s.result_for(key) if key is not None else None
            if r is not None:
                day = s.day
                points.append((day, vocabulary.state_word(r, self.letter(r, day))))
                shown = r.target.name
        self._points[(id(snapshots), name)] = (snapshots, tuple(points), shown)
        return points, shown

    def _key_of(self, snapshots: list[Snapshot], name: str) -> str | None:
        """The key of the target a directive names (newest snapshot that has it wins)."""
        for s in reversed(snapshots):
            if s.result_for(name) is not None:
                return name
            for r in s.results:
                if r.target.is_named(name):
                    return r.target.key
        return None

    @staticmethod
    def _key(kind: str, data: Any, title: str) -> str:
        return hashlib.sha256(
            json.dumps([_CODE, kind, data, title], sort_keys=True).encode()
        ).hexdigest()

    def _make(
        self, kind: str, data: Any, title: str, draw: Callable[[], charts.Chart]
    ) -> charts.Chart:
        key = self._key(kind, data, title)
        if key in self._memo:
            return self._memo[key]
        chart = self._read(key)
        if chart is None:
            chart = draw()
            self._write(key, chart)
        self._memo[key] = chart
        return chart

    def _path(self, key: str) -> Path | None:
        return self.cache_dir / f"{key}.json" if self.cache_dir is not None else None

    def _read(self, key: str) -> charts.Chart | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return charts.Chart(
                **{
                    **raw,
                    "svg": raw["svg"].encode("utf-8"),
                    "table_head": tuple(raw["table_head"]),
                    "table_rows": tuple(tuple(r) for r in raw["table_rows"]),
                }
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no cache entry, or a damaged one: draw again

    def _write(self, key: str, chart: charts.Chart) -> None:
        path = self._path(key)
        if path is None:
            return
        doc = {**dataclasses.asdict(chart), "svg": chart.svg.decode("utf-8")}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(doc), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs time
