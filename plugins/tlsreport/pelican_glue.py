"""The Pelican glue: settings, the post directive, signals and generated pages.

How a directive becomes HTML, and why in two steps (see reference notes §1.4–1.5):

1. While Pelican reads a Markdown post, a ``BlockProcessor`` turns a paragraph that is exactly
   ``[tlsreport ...]`` into an empty placeholder ``<div class="tlsreport-placeholder">``.
   Nothing else happens at read time, because Pelican caches what readers return: scan data
   put in here would go stale. Code blocks never reach a block processor, so a directive shown
   inside one stays text.
2. At ``article_generator_finalized`` (and ``page_generator_finalized``), which fire after the
   content cache is saved and even for cached posts, each placeholder is parsed, located in the
   source file (``file:line`` for errors), and filled from history: the snapshot the post shows
   is chosen by its date, so old posts stay frozen in time.

A plugin ``Generator`` then writes what lives beside the posts: a page per target, a "latest"
page per list, chart SVG files (named by their hash) and each post's data as JSON and CSV.

Build-time scanning happens once per build, before the posts are read, and only writes
history (outside ``content/``, so ``make devserver`` does not rebuild in a loop).
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markdown import Extension, Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.inlinepatterns import InlineProcessor
from markupsafe import escape
from pelican import signals
from pelican.generators import Generator

from . import charts, diff, directive, posts
from .chartdata import ChartMaker, Grades, matches
from .facts import Snapshot, TargetRef, TargetResult
from .history import History, SnapshotError, SnapshotInfo, needs_scan, pick_as_of
from .postdata import PostView, data_csv, data_json, record_rows

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "TLSREPORT_TARGETS_DIR": "data/targets",
    "TLSREPORT_HISTORY_DIR": "data/history",
    "TLSREPORT_SCAN": "auto",
    "TLSREPORT_MAX_AGE": 24 * 3600,
    "TLSREPORT_ERRORS": "fail",
    "TLSREPORT_OUTPUT_DIR": "tlsreport",
    # Issue 14: a certificate is a warning this many days before it ends, an alert at the second.
    "TLSREPORT_EXPIRY_WARN_DAYS": 30,
    "TLSREPORT_EXPIRY_ALERT_DAYS": 7,
}
SCAN_VALUES = ("auto", "never", "always")
ERROR_VALUES = ("fail", "warn")

PLACEHOLDER_CLASS = "tlsreport-placeholder"
_PLACEHOLDER_RE = re.compile(
    r'<(?P<tag>div|span) class="' + PLACEHOLDER_CLASS
    + r'" data-tlsreport="(?P<text>[^"]*)"></(?P=tag)>'
)


class SettingsError(ValueError):
    """A TLSREPORT_* setting with a value the plugin cannot use; names the setting."""


class DirectiveBuildError(RuntimeError):
    """A directive that cannot be rendered while TLSREPORT_ERRORS = "fail".

    Raised from a signal handler after reading, where Pelican does not swallow exceptions:
    the build stops and ``pelican`` exits non-zero with ``file:line: message``.
    """


# --- settings ----------------------------------------------------------------------------


def apply_defaults(settings: dict[str, Any]) -> None:
    """Fill in missing TLSREPORT_* settings and reject values the plugin cannot use.

    Checked once when Pelican starts so a typo fails the build at once, naming the setting,
    instead of surfacing as an odd scan schedule hours later.
    """
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    scan = settings["TLSREPORT_SCAN"]
    if scan not in SCAN_VALUES:
        raise SettingsError(
            f"TLSREPORT_SCAN: {scan!r} is not one of {', '.join(map(repr, SCAN_VALUES))}"
        )
    errors = settings["TLSREPORT_ERRORS"]
    if errors not in ERROR_VALUES:
        raise SettingsError(
            f"TLSREPORT_ERRORS: {errors!r} is not one of {', '.join(map(repr, ERROR_VALUES))}"
        )
    max_age = settings["TLSREPORT_MAX_AGE"]
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age <= 0:
        raise SettingsError(
            f"TLSREPORT_MAX_AGE: expected a number of seconds above 0, got {max_age!r}"
        )
    out = settings["TLSREPORT_OUTPUT_DIR"]
    parts = Path(str(out)).parts
    if not isinstance(out, str) or not out or Path(out).is_absolute() or ".." in parts:
        raise SettingsError(
            f"TLSREPORT_OUTPUT_DIR: expected a relative folder inside the output, got {out!r}"
        )
    warn, alert = settings["TLSREPORT_EXPIRY_WARN_DAYS"], settings["TLSREPORT_EXPIRY_ALERT_DAYS"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (warn, alert)) or \
            not 0 <= alert <= warn:
        raise SettingsError(
            f"TLSREPORT_EXPIRY_WARN_DAYS / TLSREPORT_EXPIRY_ALERT_DAYS: expected whole days "
            f"with 0 <= alert <= warn, got {warn!r} / {alert!r}"
        )
    for key in ("TLSREPORT_TARGETS_DIR", "TLSREPORT_HISTORY_DIR"):
        if not isinstance(settings[key], (str, os.PathLike)) or not str(settings[key]):
            raise SettingsError(f"{key}: expected a folder path, got {settings[key]!r}")


def _timezone(settings: dict[str, Any]) -> tzinfo:
    name = settings.get("TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError
        raise SettingsError(f"TIMEZONE: unknown time zone {name!r}") from exc


# --- Markdown: directive paragraph -> placeholder ------------------------------------------


class DirectiveProcessor(BlockProcessor):
    """A paragraph that is exactly one directive becomes an empty placeholder element."""

    def test(self, parent: etree.Element, block: str) -> bool:
        # A leading newline is Markdown's EmptyBlockProcessor's to strip (it hands the rest
        # back); indented by a tab stop is a code block (priority 80). Neither is ours yet.
        if block.startswith(("\n", " " * self.tab_length, "\t")):
            return False
        return directive.looks_like_directive(block)

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        block = blocks.pop(0)
        div = etree.SubElement(parent, "div")
        div.set("class", PLACEHOLDER_CLASS)
        div.set("data-tlsreport", directive.normalise(block))


class InlineTargetProcessor(InlineProcessor):
    """``[tlsreport target ...]`` inside a sentence becomes an inline placeholder.

    Only the target card is meant to sit in running text; Markdown never runs inline
    patterns inside code, and this one runs after code spans and backslash escapes.
    """

    def handleMatch(
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        span = etree.Element("span")
        span.set("class", PLACEHOLDER_CLASS)
        span.set("data-tlsreport", directive.normalise(m.group(0)))
        return span, m.start(0), m.end(0)


class TlsreportExtension(Extension):
    """Registers DirectiveProcessor at priority 105 (before paragraphs, like admonition) and
    the inline target card after code spans and escapes.

    Stateless on purpose: Pelican keeps this instance in its settings, which its content cache
    pickles.
    """

    def extendMarkdown(self, md: Markdown) -> None:
        md.parser.blockprocessors.register(DirectiveProcessor(md.parser), "tlsreport", 105)
        md.inlinePatterns.register(
            InlineTargetProcessor(directive.INLINE_PATTERN, md), "tlsreport-target", 175
        )


def _add_markdown_extension(settings: dict[str, Any]) -> None:
    md = dict(settings.get("MARKDOWN") or {})
    exts = [e for e in md.get("extensions", []) if not isinstance(e, TlsreportExtension)]
    md["extensions"] = [*exts, TlsreportExtension()]
    settings["MARKDOWN"] = md


# --- per-build state ---------------------------------------------------------------------


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


class BuildState:
    """Everything one build shares between signals: history, charts to write, what posts showed.

    Kept out of Pelican's context (which the content cache pickles) in a module-level table
    keyed by the context's id and dropped at ``finalized``.
    """

    def __init__(self, settings: dict[str, Any], context: dict[str, Any]) -> None:
        self.settings = settings
        self.context = context
        self.tz = _timezone(settings)
        self.history = History(Path(settings["TLSREPORT_HISTORY_DIR"]))
        self.out_dir = str(settings["TLSREPORT_OUTPUT_DIR"]).strip("/")
        self.errors_mode = settings["TLSREPORT_ERRORS"]
        self._loaded: dict[Path, Snapshot] = {}
        self._broken: set[Path] = set()
        self._lists: dict[str, ListInfo] | None = None
        self.charts: dict[str, bytes] = {}  # output-relative path -> SVG bytes
        self.post_views: list[PostView] = []
        self.scanned = False
        self._target_slugs: dict[str, dict[str, str]] = {}
        cache = settings.get("CACHE_PATH")
        self.grades = Grades()
        self.chart_maker = ChartMaker(Path(cache) / "tlsreport-charts" if cache else None,
                                      self.grades)
        self._env: Any = None

    # history access, each snapshot parsed once per build
    def lists(self) -> dict[str, ListInfo]:
        if self._lists is None:
            found: dict[str, ListInfo] = {}
            for target_list in _target_lists(self.settings):
                found[target_list.slug] = ListInfo(
                    target_list.slug, target_list.title, [], scan=target_list.scan
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
        if info.path not in self._loaded:
            self._loaded[info.path] = self.history.load(info)
        return self._loaded[info.path]

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

    def diff_window(self, slug: str, since: datetime, until: datetime) -> list[Snapshot]:
        """The snapshots a change list between ``since`` and ``until`` needs.

        Scanned history: just (since, until] and ``since`` itself — a long history must not
        be regraded for every post. Recorded history (typed in, with grades left out) also
        needs what came before, where a target's last known grade is carried forward from.
        """
        infos = self.lists()[slug].snapshots
        window = [self.load(i) for i in infos if since <= i.taken <= until]
        if any(s.kind == "recorded" for s in window):
            window = [self.load(i) for i in infos if i.taken <= until]
        return window

    def chart_url(self, chart: charts.Chart) -> str:
        """Register a chart for writing; return its output-relative path."""
        rel = f"{self.out_dir}/charts/{chart.name()}"
        self.charts[rel] = chart.svg
        return rel

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
            from . import render

            theme = self.settings.get("THEME")
            templates = Path(theme) / "templates" if theme else None
            self._env = render.environment(
                templates if templates is not None and templates.is_dir() else None
            )
            _cache_bytecode(self._env, self.settings)
        return self._env


def _cache_bytecode(env: Any, settings: dict[str, Any]) -> None:
    """Keep compiled templates in ``CACHE_PATH/tlsreport-jinja`` between builds.

    Why: compiling the plugin's templates was the largest part of a warm build's extra cost
    over plain Pelican. Jinja checks each entry against its template's source (and Python
    version), so an edited template is simply compiled again; no cache path, no cache.
    """
    cache = settings.get("CACHE_PATH")
    if not cache:
        return
    import jinja2

    folder = Path(cache) / "tlsreport-jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only cache only costs time
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


_STATES: dict[int, BuildState] = {}


def _state(context: dict[str, Any], settings: dict[str, Any]) -> BuildState:
    key = id(context)
    state = _STATES.get(key)
    # The state holds its context, so a context id can't be reused while the state lives;
    # the identity check guards against a state left behind by a build that failed.
    if state is None or state.context is not context:
        # A new build of the same site (devserver): drop what an earlier build that failed
        # before ``finalized`` left behind.
        for other in [k for k, v in _STATES.items() if v.settings is settings]:
            del _STATES[other]
        state = _STATES[key] = BuildState(settings, context)
    return state


def target_slug(name: str) -> str:
    """A file name for a target page: lower case ASCII letters, digits and dashes."""
    from pelican.utils import slugify

    return slugify(name, regex_subs=[(r"[^\w\s-]", ""), (r"(?u)\A\s*", ""),
                                     (r"(?u)\s*\Z", ""), (r"[-\s]+", "-")]) or "target"


def _target_lists(settings: dict[str, Any]) -> list[Any]:
    from .targets import load_target_lists

    directory = Path(settings["TLSREPORT_TARGETS_DIR"])
    if not directory.is_dir():
        return []
    return load_target_lists(directory)


# --- signals -----------------------------------------------------------------------------


ACTIVE = "TLSREPORT_ACTIVE"


def _active(settings: dict[str, Any]) -> bool:
    """Whether this build loaded the plugin.

    Signal receivers are process-wide: once any Pelican in a process has loaded tlsreport,
    they fire for every later Pelican too (tests, tools that build several sites). Each
    handler therefore acts only for a build whose PLUGINS include tlsreport.
    """
    return bool(settings.get(ACTIVE))


def initialized(pelican: Any) -> None:
    """Defaults and validation of the settings; the Markdown extension."""
    import tlsreport

    loaded = any(p is tlsreport or getattr(p, "__name__", "") == tlsreport.__name__
                 for p in getattr(pelican, "plugins", []))
    pelican.settings[ACTIVE] = loaded
    if not loaded:
        return
    apply_defaults(pelican.settings)
    _timezone(pelican.settings)
    _add_markdown_extension(pelican.settings)
    _warn_history_in_content(pelican.settings)


def _warn_history_in_content(settings: dict[str, Any]) -> None:
    """History under PATH would make `make devserver` rebuild after every build-time scan."""
    content = Path(str(settings.get("PATH") or ".")).resolve()
    history = Path(settings["TLSREPORT_HISTORY_DIR"]).resolve()
    if history == content or content in history.parents:
        log.warning(
            "tlsreport: TLSREPORT_HISTORY_DIR (%s) is inside the content folder (%s): a scan "
            "during the build changes the content and `pelican -r` rebuilds in a loop; keep "
            "history outside it (the default is data/history)", history, content,
        )


def before_reading(generator: Any) -> None:
    """Scan due lists once per build, before any post is read (TLSREPORT_SCAN).

    ``article_generator_init`` fires on every build (the devserver too), posts or not.
    """
    if not _active(generator.settings):
        return
    state = _state(generator.context, generator.settings)
    if state.scanned:
        return
    state.scanned = True
    scan_due_lists(generator.settings, now=datetime.now(UTC))


def scan_due_lists(settings: dict[str, Any], *, now: datetime) -> list[Path]:
    """Scan each list with ``scan = true`` that TLSREPORT_SCAN says is due; return new files."""
    mode = settings["TLSREPORT_SCAN"]
    if mode == "never":
        return []
    history = History(Path(settings["TLSREPORT_HISTORY_DIR"]))
    written: list[Path] = []
    for target_list in _target_lists(settings):
        if not needs_scan(
            history, target_list, now=now, max_age=float(settings["TLSREPORT_MAX_AGE"]),
            mode=mode,
        ):
            continue
        from .scan import scan_list

        log.info("tlsreport: scanning %s (%d targets)", target_list.slug,
                 len(target_list.targets))
        written.append(_scan_into(scan_list, target_list, history))
    return written


def _scan_into(scan_list: Any, target_list: Any, history: History) -> Path:
    snapshot, raw = scan_list(target_list)
    return history.write(snapshot, raw)


def articles_finalized(generator: Any) -> None:
    """Fill every article's placeholders with the report its date (or metadata) calls for."""
    if not _active(generator.settings):
        return
    state = _state(generator.context, generator.settings)
    published = [*generator.articles, *generator.translations]
    others = [
        *generator.hidden_articles, *getattr(generator, "hidden_translations", []),
        *generator.drafts, *generator.drafts_translations,
    ]
    items = [(a, True) for a in published] + [(a, False) for a in others]
    _set_series(published)
    _fill_contents(state, generator, items)


def _set_series(articles: list[Any]) -> None:
    """``article.tlsreport_series`` from ``Series``/``Series_index`` metadata (no extra plugin).

    The theme's series navigation reads {"name", "index", "articles", "previous", "next"}
    with Pelican article objects, so it can link to them with their URLs and titles.
    """
    refs = []
    by_id: dict[str, Any] = {}
    for article in articles:
        name = article.metadata.get("series")
        if not name:
            continue
        try:
            index = posts.parse_series_index(article.metadata.get("series_index"))
        except ValueError as exc:
            raise DirectiveBuildError(f"{_where(article, None)}: {exc}") from None
        pid = _post_id(article)
        by_id[pid] = article
        refs.append(posts.PostRef(pid, article.date, series=str(name), series_index=index,
                                  lang=article.lang or ""))
    for pid, info in posts.series_of(refs).items():
        by_id[pid].tlsreport_series = {
            "name": info.name,
            "index": info.index,
            "articles": [by_id[i] for i in info.ids],
            "previous": by_id[info.previous] if info.previous else None,
            "next": by_id[info.next] if info.next else None,
        }


def pages_finalized(generator: Any) -> None:
    """Pages without a Date are living pages: they show the newest snapshot."""
    if not _active(generator.settings):
        return
    state = _state(generator.context, generator.settings)
    items = [
        (p, False)
        for p in [
            *generator.pages, *generator.translations, *generator.hidden_pages,
            *getattr(generator, "hidden_translations", []),
            *getattr(generator, "draft_pages", []),
            *getattr(generator, "draft_translations", []),
        ]
    ]
    _fill_contents(state, generator, items, is_page=True)


def build_finished(pelican: Any) -> None:
    """Forget this build's state (the devserver runs many builds in one process)."""
    for key in list(_STATES):
        if _STATES[key].settings is pelican.settings:
            del _STATES[key]


def get_generators(pelican: Any) -> type | None:
    return TlsreportGenerator if _active(pelican.settings) else None


def register() -> None:
    """Connect to Pelican's signals (module-level functions: Pelican keeps weak references)."""
    signals.initialized.connect(initialized)
    signals.article_generator_init.connect(before_reading)
    signals.article_generator_finalized.connect(articles_finalized)
    signals.page_generator_finalized.connect(pages_finalized)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(build_finished)


def _lists_context(state: BuildState) -> list[dict[str, Any]]:
    # Titles come from data files; Markup-escaped here so a theme without autoescape (Pelican's
    # default) still prints them as text, and one with autoescape does not escape them twice.
    return [
        {"slug": i.slug, "title": escape(i.title), "url": state.list_url(i.slug)}
        for i in state.lists().values()
        if i.snapshots
    ]


# --- filling placeholders ----------------------------------------------------------------


@dataclass
class _Found:
    """One placeholder of one post, parsed and located."""

    text: str
    line: int | None
    parsed: directive.Directive | None = None
    error: str | None = None


def _fill_contents(
    state: BuildState, generator: Any, items: list[tuple[Any, bool]], *, is_page: bool = False
) -> None:
    """Parse, locate and render every placeholder of ``items`` ((content, is_published)).

    Only published posts take part in "the previous post on the same list" and in the
    "posts that mention it" lists of the generated pages; drafts, hidden posts and pages
    render too but are nobody's previous post.
    """
    found: dict[int, list[_Found]] = {}
    for content, _ in items:
        text = getattr(content, "_content", None) or ""
        if PLACEHOLDER_CLASS in text:
            found[id(content)] = _locate(content, text)
    if not found:
        return
    lists = state.lists()
    refs: list[posts.PostRef] = []
    by_id: dict[str, Any] = {}
    for content, is_published in items:
        if id(content) not in found:
            continue
        slugs = tuple(
            sorted({f.parsed.list_slug for f in found[id(content)] if f.parsed is not None})
        )
        pid = _post_id(content)
        by_id[pid] = content
        if is_published and getattr(content, "date", None) is not None:
            refs.append(posts.PostRef(pid, content.date, slugs, lang=content.lang or ""))
    previous = posts.previous_on_list(refs)

    for content, is_published in items:
        if id(content) not in found:
            continue
        pid = _post_id(content)
        try:
            moment = _moment_of(content, state)
        except posts.SnapshotChoiceError as exc:
            _raise_or_warn(state, content, _meta_line(content, "tlsreport_snapshot"), str(exc))
            moment = None
        is_article = getattr(content, "date", None) is not None and not is_page
        view = PostView(
            id=pid,
            title=str(getattr(content, "title", "")),
            url=content.url,
            date=getattr(content, "date", None) or datetime.min.replace(tzinfo=UTC),
            data_base=f"{state.out_dir}/data/{'page-' if is_page else ''}{_data_slug(content)}",
            listed=is_published and is_article,
        )
        html_parts: dict[int, str] = {}
        for n, item in enumerate(found[id(content)]):
            html_parts[n] = _render_one(
                state, content, item, moment, view, lists,
                previous=lambda slug, pid=pid: _previous_snapshot(
                    state, by_id, previous.get((pid, slug)), slug
                ),
            )
        content._content = _fill(content._content, html_parts)
        if isinstance(getattr(content, "_summary", None), str) and PLACEHOLDER_CLASS in (
            content._summary
        ):
            content._summary = _PLACEHOLDER_RE.sub("", content._summary)
        # Cached posts keep the context of the build that cached them; links to our files
        # must be resolved against this build's context.
        content._context = generator.context
        if view.lists:
            state.post_views.append(view)
            content.tlsreport = {
                "lists": [
                    {
                        "slug": slug,
                        "title": escape(lists[slug].title if slug in lists else slug),
                        "url": state.list_url(slug),
                        "snapshot": snap.taken if snap else None,
                    }
                    for slug, snap in view.lists.items()
                ],
                "data_json": view.data_base + ".json",
                "data_csv": view.data_base + ".csv",
                "series": getattr(content, "tlsreport_series", None),
            }


def _fill(text: str, parts: dict[int, str]) -> str:
    """Replace the n-th placeholder of ``text`` with ``parts[n]``."""
    counter = iter(range(len(parts)))
    return _PLACEHOLDER_RE.sub(lambda _m: parts[next(counter)], text)


def _post_id(content: Any) -> str:
    return str(getattr(content, "source_path", None) or id(content))


def _data_slug(content: Any) -> str:
    slug = getattr(content, "slug", None) or "post"
    lang = getattr(content, "lang", "") or ""
    default = content.settings.get("DEFAULT_LANG", "")
    return slug if not lang or lang == default else f"{slug}-{lang}"


def _locate(content: Any, text: str) -> list[_Found]:
    """Parse every placeholder and find its line in the post's source file."""
    source_path = getattr(content, "source_path", None)
    lines: list[tuple[int, str]] = []
    if source_path:
        try:
            lines = directive.directive_lines(Path(source_path).read_text(encoding="utf-8"))
        except OSError:
            lines = []
    seen: dict[str, int] = {}
    out: list[_Found] = []
    for m in _PLACEHOLDER_RE.finditer(text):
        raw = html.unescape(m.group("text"))
        k = seen.get(raw, 0)
        seen[raw] = k + 1
        at = [ln for ln, t in lines if t == raw]
        item = _Found(raw, at[k] if k < len(at) else None)
        try:
            item.parsed = directive.parse_directive(raw)
        except directive.DirectiveError as exc:
            item.error = str(exc)
        out.append(item)
    return out


def _meta_line(content: Any, key: str) -> int | None:
    """The line of a metadata field (``Key: value``) in the post's source, for errors."""
    try:
        text = Path(content.source_path).read_text(encoding="utf-8")
    except (OSError, TypeError, AttributeError):
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lower().startswith(key.lower() + ":"):
            return number
    return None


def _where(content: Any, line: int | None) -> str:
    path = str(getattr(content, "source_path", "") or "?")
    try:
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            path = rel
    except ValueError:
        pass
    return f"{path}:{line}" if line else path


def _raise_or_warn(state: BuildState, content: Any, line: int | None, message: str) -> str:
    where = f"{_where(content, line)}: {message}"
    if state.errors_mode == "fail":
        raise DirectiveBuildError(where)
    log.warning("tlsreport: %s", where)
    from . import render

    return render.error_box(state.env(), where)


def _moment_of(content: Any, state: BuildState) -> posts.Moment | None:
    meta = getattr(content, "metadata", {}) or {}
    if meta.get("tlsreport_snapshot"):
        return posts.moment_from_metadata(str(meta["tlsreport_snapshot"]), state.tz)
    published = getattr(content, "date", None)
    if published is None:
        return None  # a page without a date: the newest snapshot
    return posts.post_moment(published, getattr(content, "modified", None), state.tz)


def _pick(info: ListInfo, moment: posts.Moment | None) -> SnapshotInfo | None:
    if not info.snapshots:
        return None
    if moment is None:
        return info.snapshots[-1]
    if moment.exact:
        return next((i for i in info.snapshots if i.taken == moment.at), None)
    return pick_as_of(info.snapshots, moment.at)


def _previous_snapshot(
    state: BuildState, by_id: dict[str, Any], prev_id: str | None, slug: str
) -> SnapshotInfo | None:
    """The snapshot of ``slug`` the previous post on that list showed (None: no such post)."""
    if prev_id is None or prev_id not in by_id:
        return None
    try:
        moment = _moment_of(by_id[prev_id], state)
    except posts.SnapshotChoiceError:
        return None
    return _pick(state.lists()[slug], moment)


def _render_one(
    state: BuildState,
    content: Any,
    item: _Found,
    moment: posts.Moment | None,
    view: PostView,
    lists: dict[str, ListInfo],
    *,
    previous: Any,
) -> str:
    if item.error is not None or item.parsed is None:
        return _raise_or_warn(state, content, item.line, item.error or "bad directive")
    d = item.parsed
    slug = d.list_slug
    if slug not in lists or not lists[slug].snapshots:
        known = ", ".join(s for s, i in lists.items() if i.snapshots) or "none"
        return _raise_or_warn(
            state, content, item.line,
            f"unknown list {slug!r} (lists with history: {known})",
        )
    info = lists[slug]
    as_of = d.options.get("as_of")
    here = posts.Moment(posts.end_of_day(as_of, state.tz)) if isinstance(as_of, date) else moment
    chosen = _pick(info, here)
    if chosen is None:
        if here is not None and here.exact:
            msg = (f"Tlsreport_snapshot: no snapshot of {slug!r} taken at "
                   f"{here.at:%Y-%m-%dT%H:%M:%SZ}")
        else:
            msg = (f"no snapshot of {slug!r} on or before "
                   f"{here.at.astimezone(state.tz):%Y-%m-%d} (the first is from "
                   f"{info.snapshots[0].taken:%Y-%m-%d})" if here else "no snapshot")
        return _raise_or_warn(state, content, item.line, msg)
    try:
        snapshot = state.load(chosen)
    except SnapshotError as exc:
        return _raise_or_warn(state, content, item.line, str(exc))
    view.lists.setdefault(slug, snapshot)
    try:
        fragment = _render_view(state, d, snapshot, chosen, previous, item, content)
    except _ViewError as exc:
        return _raise_or_warn(state, content, item.line, str(exc))
    if d.view in ("grades", "target"):
        target = d.options.get("target") if d.view == "target" else None
        group = d.options.get("group")
        record_rows(view, snapshot, target=str(target) if target is not None else None,
                    group=str(group) if group is not None else None, grades=state.grades)
    return fragment


class _ViewError(ValueError):
    """A directive that parsed but asks for something the data does not have."""


def _render_view(
    state: BuildState,
    d: directive.Directive,
    snapshot: Snapshot,
    chosen: SnapshotInfo,
    previous: Any,
    item: _Found,
    content: Any,
) -> str:
    from . import render

    slug = d.list_slug
    links = Links(state, slug, "{static}/")
    env = state.env()
    on = diff.snapshot_date(snapshot)
    group = d.options.get("group")
    group_s = str(group) if group is not None else None
    if d.view == "grades":
        return render.grades_view(
            env, snapshot, on=on, compact=bool(d.options["compact"]), group=group_s,
            target_url=links.target_ref, grader=state.grades.memo.grade,
        )
    if d.view == "target":
        result = _find_target(snapshot, str(d.options["target"]))
        assert result is not None
        grade = state.grades.grade(result, on)
        return render.target_card(env, result, grade, url=links.target_ref(result.target),
                                  day=on)
    if d.view in ("mail", "expiring"):
        return _mail_view(state, d, snapshot, on, group_s, links)
    infos = state.lists()[slug].snapshots
    upto = [i for i in infos if i.taken <= chosen.taken]
    if d.view == "changes":
        since = d.options["since"]
        if since == "previous":
            base = previous(slug)
            prev_post = base is not None
            if base is None:
                base = infos[0]
        else:
            prev_post = False
            base = pick_as_of(infos, posts.end_of_day(since, state.tz))
            if base is None:
                raise _ViewError(
                    f"since: no snapshot of {slug!r} on or before {since.isoformat()} "
                    f"(the first is from {infos[0].taken:%Y-%m-%d})"
                )
        snaps = state.diff_window(slug, base.taken, chosen.taken)
        base_snapshot = state.load(base)
        changes = (
            diff.changes_between(snaps, base_snapshot, snapshot, memo=state.grades.memo)
            if base.taken < chosen.taken else []
        )
        if group_s is not None:
            changes = [c for c in changes if group_s in _groups_of(snaps, c.key)]
        label = _since_label(base_snapshot, prev_post)
        return render.changes_view(env, changes, since_label=label, target_url=links.target_key)
    # chart
    kind = d.options["kind"]
    if kind == "distribution":
        chart = state.chart_maker.distribution(snapshot, group=group_s)
    elif kind == "history":
        chart = state.chart_maker.history([state.load(i) for i in upto], group=group_s)
    else:
        name = str(d.options["target"])
        snaps = [state.load(i) for i in upto]
        _find_target(snapshot, name, among=snaps)
        chart = state.chart_maker.timeline(snaps, name)
    return render.chart_view(env, chart, src="{static}/" + state.chart_url(chart))


def _mail_view(state: BuildState, d: directive.Directive, snapshot: Snapshot, on: date,
               group: str | None, links: Links) -> str:
    """The issue-14 views (tlsreport.mailview): mail policy, and certificates ending soon."""
    from . import mailview

    if d.view == "mail":
        name = d.options.get("target")
        if name is not None:
            _find_target(snapshot, str(name))
        return mailview.mail_view(snapshot, on=on, grader=state.grades.grade,
                                  target=str(name) if name is not None else None, group=group,
                                  target_url=links.target_ref)
    warn = int(state.settings["TLSREPORT_EXPIRY_WARN_DAYS"])
    within = d.options.get("within")
    return mailview.expiring_view(
        snapshot, on=on, within=int(within) if isinstance(within, int) else warn,
        alert_days=int(state.settings["TLSREPORT_EXPIRY_ALERT_DAYS"]), group=group,
        target_url=links.target_ref)


def _since_label(base: Snapshot, previous_post: bool) -> str:
    from .render import human_date

    day = human_date(diff.snapshot_date(base))
    return f"the previous post ({day})" if previous_post else day


def _groups_of(snapshots: list[Snapshot], key: str) -> tuple[str, ...]:
    for snap in reversed(snapshots):
        r = snap.result_for(key)
        if r is not None:
            return r.target.group
    return ()


def _find_target(
    snapshot: Snapshot, name: str, among: list[Snapshot] | None = None
) -> TargetResult | None:
    """The result for a target named (or keyed) ``name``; _ViewError naming the known ones."""
    for snap in [snapshot, *(among or [])]:
        for r in snap.results:
            if matches(r, name):
                return r if snap is snapshot else None
    names = ", ".join(sorted({r.target.name for r in snapshot.results}))
    raise _ViewError(f"target: no target {name!r} in list {snapshot.list_slug!r} "
                     f"(targets: {names})")


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


# --- per-post data -----------------------------------------------------------------------


# --- the generator: pages and files beside the posts -------------------------------------


class TlsreportGenerator(Generator):
    """Writes target pages, list "latest" pages, chart SVGs and per-post data files."""

    def generate_context(self) -> None:
        state = _state(self.context, self.settings)
        _cache_bytecode(self.env, self.settings)  # the theme's list and target page templates
        self.context["TLSREPORT_LISTS"] = _lists_context(state)
        self.pages = self._plan_pages(state)
        # Every file we write can be linked from a post as {static}/path.
        files = [*state.charts, *(save_as for save_as, _, _ in self.pages)]
        files += [v.data_base + ext for v in state.post_views for ext in (".json", ".csv")]
        for rel in files:
            self.context["static_content"].setdefault(rel, GeneratedFile(rel))

    def _plan_pages(self, state: BuildState) -> list[tuple[str, str, dict[str, Any]]]:
        from . import pages

        planned: list[tuple[str, str, dict[str, Any]]] = []
        for slug, info in state.lists().items():
            if not info.snapshots:
                continue
            snapshots = state.all_snapshots(slug)
            if not snapshots:
                continue
            mentions = [v for v in state.post_views if slug in v.lists and v.listed]
            mentions.sort(key=lambda v: (v.date, v.id))
            list_page = pages.list_page(state, info, snapshots, mentions)
            planned.append((state.list_url(slug), "tlsreport_list", list_page))
            for target_page in pages.target_pages(state, info, snapshots, mentions):
                planned.append((target_page["save_as"], "tlsreport_target", target_page))
        return planned

    def generate_output(self, writer: Any) -> None:
        state = _state(self.context, self.settings)
        for save_as, template, page in self.pages:
            writer.write_file(
                save_as, self.get_template(template), self.context,
                relative_urls=self.settings["RELATIVE_URLS"], url=save_as,
                tlsreport_page=page,
            )
        out = Path(self.output_path)
        for rel, data in sorted(state.charts.items()):
            _write_bytes(out / rel, data)
        for view in state.post_views:
            _write_bytes(out / (view.data_base + ".json"), data_json(view))
            _write_bytes(out / (view.data_base + ".csv"), data_csv(view))
        self._write_feeds(state, out)

    def _write_feeds(self, state: BuildState, out: Path) -> None:
        """Issue 14: an Atom feed per list and per target (tlsreport.feeds), beside the pages."""
        from .feeds import feed_files

        lists = [(slug, info.title, state.all_snapshots(slug))
                 for slug, info in state.lists().items() if info.snapshots]
        files = feed_files(
            lists, out_dir=state.out_dir, site_url=str(self.settings.get("SITEURL") or ""),
            target_stems=state.target_slugs,
            letter=lambda result, on, taken: state.grades.letter(result, on),
            warn_days=int(self.settings["TLSREPORT_EXPIRY_WARN_DAYS"]),
            alert_days=int(self.settings["TLSREPORT_EXPIRY_ALERT_DAYS"]))
        for rel, data in sorted(files.items()):
            _write_bytes(out / rel, data)


def _write_bytes(path: Path, data: bytes) -> None:
    """Write only when the bytes differ, so unchanged files keep their mtime (rsync, devserver)."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


