"""One build's shared state: history loaded once, graded once, and the links between pages.

Every signal of a build (reading posts, filling placeholders, generating pages) asks this
object; it holds the build's one grader (``BuildGrades``), so a result shown in a post, a
chart and a target page is graded once, and renderers receive ``Grade`` objects instead of
grading themselves.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from pelican.utils import slugify

from .. import charts, render
from ..chartmaker import ChartMaker
from ..downloads import PostView
from ..facts import STATE_OK, Snapshot, TargetRef, TargetResult
from ..grade import Grade
from ..grading import GradeMemo
from ..history import History, SnapshotError, SnapshotInfo
from ..post_lock import PostLock, lock_path_for
from ..targets import TargetList, load_target_lists
from .cache import SnapshotCache
from .settings import timezone

log = logging.getLogger(__name__)


def gradable(result: TargetResult) -> bool:
    """Whether a result can have a grade: reachable, and scanned or recorded with a letter.

    Unreachable is never a grade, and a recorded target whose grade was not recorded gets
    none — never a made-up one.
    """
    if result.state != STATE_OK:
        return False
    return result.facts is not None or (
        result.recorded is not None and result.recorded.grade is not None
    )


class BuildGrades:
    """The build's one grader: each (result, rule set, day) graded once, for every room.

    A site shows the same result many times — in every post's history chart, on its target
    page, in the "latest" page, in change lists — and grading is pure, so the answer is kept.
    The memo (a ``grading.GradeMemo``) is the one ``diff.changes_between`` is given too.
    """

    def __init__(self, memo: GradeMemo | None = None) -> None:
        self.memo = memo if memo is not None else GradeMemo()

    def grade(self, result: TargetResult, on: date, *, taken: date | None = None) -> Grade | None:
        """The grade under ``on``'s rules of a result taken on ``taken`` (default: ``on``)."""
        if not gradable(result):
            return None
        return self.memo.grade(result, on, taken=on if taken is None else taken)

    def letter(self, result: TargetResult, on: date) -> str | None:
        g = self.grade(result, on)
        return g.letter if g is not None else None

    def of_snapshot(self, snapshot: Snapshot, on: date | None = None) -> Mapping[str, Grade | None]:
        """target key → grade of every result of a snapshot, under ``on``'s rules (default:
        the snapshot's own day)."""
        day = snapshot.day
        rules_day = day if on is None else on
        return {r.target.key: self.grade(r, rules_day, taken=day) for r in snapshot.results}


@dataclass
class GeneratedFile:
    """Stands in for a static file in Pelican's context so ``{static}/...`` links resolve.

    Pelican rewrites ``{static}`` links for every page that shows a post (index pages, feeds,
    relative URLs) but only for files its StaticGenerator knows; charts are written by our
    generator, so we register them by hand with the one attribute the link code reads.
    """

    url: str


@dataclass
class ListInfo:
    slug: str
    title: str
    snapshots: list[SnapshotInfo]
    scan: bool = False
    source: Path | None = None  # the target list's TOML file, when there is one


class BuildState:
    """Everything one build shares between signals: history, charts to write, what posts showed.

    Kept out of Pelican's context (which the content cache pickles) in a module-level table
    keyed by the context's id and dropped at ``finalized``.
    """

    def __init__(self, settings: dict[str, Any], context: dict[str, Any]) -> None:
        self.settings = settings
        self.context = context
        self.tz = timezone(settings)
        self.history = History(Path(settings["TLSREPORT_HISTORY_DIR"]))
        self.out_dir = str(settings["TLSREPORT_OUTPUT_DIR"]).strip("/")
        self.errors_mode = settings["TLSREPORT_ERRORS"]
        self._broken: set[Path] = set()
        self._lists: dict[str, ListInfo] | None = None
        self.charts: dict[str, bytes] = {}  # output-relative path -> SVG bytes
        self.post_views: list[PostView] = []
        self.scanned = False
        self._target_slugs: dict[str, dict[str, str]] = {}
        self._groups: dict[str, frozenset[str]] = {}
        cache = settings.get("CACHE_PATH")
        self.grades = BuildGrades()
        self.chart_maker = ChartMaker(
            Path(cache) / "tlsreport-charts" if cache else None, self.grades.letter
        )
        self.snapshot_cache = SnapshotCache(
            Path(cache) if cache and settings.get("TLSREPORT_BUILD_CACHE", True) else None,
            self.history,
        )
        self._env: Any = None
        self._lock: PostLock | None = None
        # Every directive error of the build, "file:line: message" (reported in one block).
        self.errors: list[str] = []

    def lock(self) -> PostLock:
        """The post lock file (``TLSREPORT_LOCK_FILE``, default beside the history folder)."""
        if self._lock is None:
            configured = self.settings.get("TLSREPORT_LOCK_FILE")
            path = (
                Path(configured)
                if configured
                else lock_path_for(self.settings["TLSREPORT_HISTORY_DIR"])
            )
            self._lock = PostLock.load(path)
        return self._lock

    def post_key(self, source_path: str | None) -> str | None:
        """A post's name in the lock file: its source path inside PATH, with ``/``."""
        if not source_path:
            return None
        content = Path(str(self.settings.get("PATH") or ".")).resolve()
        try:
            return Path(source_path).resolve().relative_to(content).as_posix()
        except ValueError:
            return Path(source_path).resolve().as_posix()

    def save_lock(self) -> None:
        """Write the lock file when this build chose a snapshot for a post for the first time."""
        if self._lock is None:
            return
        content = Path(str(self.settings.get("PATH") or ".")).resolve()
        for post, key, locked, newest in self._lock.held_back:
            log.info(
                "tlsreport: %s keeps %s for %s (locked in %s); %s is newer: delete the "
                "post's entry there to show it",
                post,
                f"{locked:%Y-%m-%dT%H:%M:%SZ}",
                key,
                self._lock.path,
                f"{newest:%Y-%m-%dT%H:%M:%SZ}",
            )
        fresh = sorted(set(self._lock.changed_posts))
        if self._lock.save(lambda post: (content / post).exists()) and fresh:
            log.info(
                "tlsreport: locked the snapshot of %s in %s", ", ".join(fresh), self._lock.path
            )

    # history access, each snapshot parsed once per build
    def lists(self) -> dict[str, ListInfo]:
        if self._lists is None:
            found: dict[str, ListInfo] = {}
            for target_list in target_lists(self.settings):
                found[target_list.slug] = ListInfo(
                    target_list.slug,
                    target_list.title,
                    [],
                    scan=target_list.scan,
                    source=target_list.path,
                )
            for slug in self.history.lists():
                found.setdefault(slug, ListInfo(slug, slug, []))
            for slug, info in found.items():
                info.snapshots = self.history.infos(slug)
                if info.snapshots and info.title == slug:
                    # A broken file is reported where a post or page needs that snapshot.
                    with contextlib.suppress(SnapshotError):
                        info.title = self.load(info.snapshots[-1]).title or slug
            self._lists = dict(sorted(found.items()))
        return self._lists

    def load(self, info: SnapshotInfo) -> Snapshot:
        """A snapshot, read once per build; what an earlier build derived from the same file
        (its grades, its chart counts) comes with it from the build cache."""
        entry = self.snapshot_cache.entries.get(info.path)
        if entry is None:
            entry = self.snapshot_cache.load(info)
            results = entry.snapshot.results
            for (index, rules, taken), grade in entry.grades.items():
                self.grades.memo.seed(results[index], rules, taken, grade)
            for group, counts in entry.counts.items():
                self.chart_maker.seed_counts(entry.snapshot, group, counts)
            # History lives as long as the build: out of the garbage collector's sight, a full
            # collection no longer walks every result of every snapshot again and again.
            gc.freeze()
        return entry.snapshot

    def save_cache(self) -> None:
        """Give each snapshot's entry what this build derived from it, and write the cache."""
        if self.grades.memo.calls or self.chart_maker.counts_made:
            self._attach_derived()
        every = {i.path for slug_info in (self._lists or {}).values() for i in slug_info.snapshots}
        self.snapshot_cache.save(prune=bool(every) and every <= set(self.snapshot_cache.entries))

    def _attach_derived(self) -> None:
        """Hand each grade and count made in this build to the entry of its snapshot file."""
        entries = self.snapshot_cache.entries.values()
        by_snapshot = {id(e.snapshot): e for e in entries}
        by_result = {id(r): (e, i) for e in entries for i, r in enumerate(e.snapshot.results)}
        for result, rules, taken, grade in self.grades.memo.answers():
            found = by_result.get(id(result))
            if found is None or found[0].snapshot.results[found[1]] is not result:
                continue  # a result built on the fly, not read from a snapshot file
            entry, index = found
            if (index, rules, taken) not in entry.grades:
                entry.grades[(index, rules, taken)] = grade
                entry.dirty = True
        for snapshot, group, counts in self.chart_maker.counted():
            owner = by_snapshot.get(id(snapshot))
            if owner is not None and owner.snapshot is snapshot and group not in owner.counts:
                owner.counts[group] = counts
                owner.dirty = True

    def all_snapshots(self, slug: str) -> list[Snapshot]:
        """Every readable snapshot of a list, oldest first; a broken file is logged, skipped."""
        out = []
        for info in self.lists()[slug].snapshots:
            try:
                out.append(self.load(info))
            except SnapshotError as exc:
                if info.path not in self._broken:
                    self._broken.add(info.path)
                    log.warning("tlsreport: skipping a snapshot: %s", exc)
        return out

    def groups(self, slug: str) -> frozenset[str]:
        """Every group a target of the list was ever in, read once per build: each
        ``group=`` directive asks, and reading them means every result of every snapshot
        (100,000 on a big list, for each of twenty posts)."""
        if slug not in self._groups:
            self._groups[slug] = frozenset().union(
                *(r.target.group for snap in self.all_snapshots(slug) for r in snap.results)
            )
        return self._groups[slug]

    def diff_window(self, slug: str, since: datetime, until: datetime) -> list[Snapshot]:
        """The snapshots a change list between ``since`` and ``until`` needs.

        Scanned history: just (since, until] and ``since`` itself — a long history must not
        be regraded for every post. Recorded history (typed in, with grades left out) and
        imports (targets not in the import) also need what came before, where a target's last
        known grade is carried forward from.
        """
        infos = self.lists()[slug].snapshots
        window = [self.load(i) for i in infos if since <= i.taken <= until]
        if any(s.kind in ("recorded", "imported") for s in window):  # imports skip targets
            window = [self.load(i) for i in infos if i.taken <= until]
        return window

    def chart_url(self, chart: charts.Chart) -> str:
        """Register a chart for writing; return its output-relative path."""
        rel = f"{self.out_dir}/charts/{chart.name()}"
        self.charts[rel] = chart.svg
        return rel

    def stylesheet_url(self) -> str | None:
        """The plugin's stylesheet, output-relative; None when TLSREPORT_STYLESHEET is off."""
        return f"{self.out_dir}/tlsreport.css" if self.settings["TLSREPORT_STYLESHEET"] else None

    def list_url(self, slug: str) -> str:
        return f"{self.out_dir}/{slug}/index.html"

    def target_slugs(self, slug: str) -> dict[str, str]:
        """target key -> page file stem, for every target ever on the list.

        By name (the latest name a key had); two targets with the same name (a mail host on
        several ports) get their service and port appended so their pages never collide.
        """
        if slug not in self._target_slugs:
            names: dict[str, str] = {}
            for snap in self.all_snapshots(slug):
                for r in snap.results:
                    names[r.target.key] = r.target.name
            stems: dict[str, list[str]] = {}
            for key, name in names.items():
                stems.setdefault(target_slug(name), []).append(key)
            out: dict[str, str] = {}
            for stem, keys in stems.items():
                for key in keys:
                    if len(keys) == 1:
                        out[key] = stem
                    else:
                        host_port, _, service = key.partition("/")
                        port = host_port.rsplit(":", 1)[-1]
                        out[key] = f"{stem}-{target_slug(service)}-{port}"
            self._target_slugs[slug] = out
        return self._target_slugs[slug]

    def target_url_by_key(self, slug: str, key: str) -> str | None:
        stem = self.target_slugs(slug).get(key)
        return f"{self.out_dir}/{slug}/{stem}.html" if stem else None

    def env(self) -> Any:
        """The fragment templates: the theme's ``templates/tlsreport/`` first, then ours."""
        if self._env is None:
            theme = self.settings.get("THEME")
            templates = Path(theme) / "templates" if theme else None
            self._env = render.environment(
                templates if templates is not None and templates.is_dir() else None
            )
            cache_bytecode(self._env, self.settings)
        return self._env


def cache_bytecode(env: Any, settings: dict[str, Any]) -> None:
    """Keep compiled templates in ``CACHE_PATH/tlsreport-jinja`` between builds.

    Why: compiling the plugin's templates was the largest part of a warm build's extra cost
    over plain Pelican. Jinja checks each entry against its template's source (and Python
    version), so an edited template is simply compiled again; no cache path, no cache.
    """
    cache = settings.get("CACHE_PATH")
    if not cache:
        return
    folder = Path(cache) / "tlsreport-jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only cache only costs time
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


_STATES: dict[int, BuildState] = {}


def state_of(context: dict[str, Any], settings: dict[str, Any]) -> BuildState:
    key = id(context)
    state = _STATES.get(key)
    # The state holds its context, so a context id can't be reused while the state lives;
    # the identity check guards against a state left behind by a build that failed.
    if state is None or state.context is not context:
        # A new build of the same site (devserver): drop what an earlier build that failed
        # before ``finalized`` left behind.
        for other in [k for k, v in _STATES.items() if v.settings is settings]:
            del _STATES[other]
            gc.unfreeze()
        state = _STATES[key] = BuildState(settings, context)
    return state


def finish(settings: dict[str, Any]) -> None:
    """A build that finished: save its lock file, then forget its state."""
    for state in [v for v in _STATES.values() if v.settings is settings]:
        state.save_lock()
        state.save_cache()
    forget(settings)


def forget(settings: dict[str, Any]) -> None:
    """Drop the state of a build of ``settings`` (the devserver runs many builds per process)."""
    for key in [k for k, v in _STATES.items() if v.settings is settings]:
        del _STATES[key]
    gc.unfreeze()  # what the build held may now be collected (see BuildState.load)


def target_slug(name: str) -> str:
    """A file name for a target page: lower case ASCII letters, digits and dashes."""
    return (
        slugify(
            name,
            regex_subs=[
                (r"[^\w\s-]", ""),
                (r"(?u)\A\s*", ""),
                (r"(?u)\s*\Z", ""),
                (r"[-\s]+", "-"),
            ],
        )
        or "target"
    )


def target_lists(settings: dict[str, Any]) -> list[TargetList]:
    """The site's target lists (none when the folder does not exist)."""
    directory = Path(settings["TLSREPORT_TARGETS_DIR"])
    if not directory.is_dir():
        return []
    return load_target_lists(directory)


class Links:
    """URLs to a list's generated pages, from a post (``{static}/`` form) or a page (root)."""

    def __init__(self, state: BuildState, slug: str, root: str) -> None:
        self.state = state
        self.slug = slug
        self.root = root

    def target_key(self, key: str) -> str | None:
        rel = self.state.target_url_by_key(self.slug, key)
        return self.root + rel if rel else None

    def target_ref(self, ref: TargetRef) -> str | None:
        return self.target_key(ref.key)

    def list(self) -> str:
        return self.root + self.state.list_url(self.slug)
