"""The generator: what lives beside the posts — a "latest" page per list, a page per target,
chart SVG files (named by their hash) and each post's data as JSON and CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape
from pelican.generators import Generator

from ..downloads import data_csv, data_json
from ..feeds import feed_files
from ..render import STYLESHEET, TEMPLATES
from . import pages
from .build import BuildState, GeneratedFile, cache_bytecode, state_of


class TlsreportGenerator(Generator):
    """Writes target pages, list "latest" pages, chart SVGs and per-post data files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The theme's tlsreport_list.html / tlsreport_target.html first; a theme without them
        # (Pelican's stock themes) gets the plugin's plain ones, which extend its base.html.
        self.env.loader = jinja2.ChoiceLoader(
            [self.env.loader, jinja2.FileSystemLoader(str(TEMPLATES))]
        )

    def generate_context(self) -> None:
        state = state_of(self.context, self.settings)
        cache_bytecode(self.env, self.settings)  # the theme's list and target page templates
        self.context["TLSREPORT_LISTS"] = lists_context(state)
        self.pages = self._plan_pages(state)
        # Every file we write can be linked from a post as {static}/path.
        files = [*state.charts, *(save_as for save_as, _, _ in self.pages)]
        files += [v.data_base + ext for v in state.post_views for ext in (".json", ".csv")]
        stylesheet = state.stylesheet_url()
        if stylesheet:
            files.append(stylesheet)
        for rel in files:
            self.context["static_content"].setdefault(rel, GeneratedFile(rel))

    def _plan_pages(self, state: BuildState) -> list[tuple[str, str, dict[str, Any]]]:
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
        state = state_of(self.context, self.settings)
        for save_as, template, page in self.pages:
            writer.write_file(
                save_as,
                self.get_template(template),
                self.context,
                relative_urls=self.settings["RELATIVE_URLS"],
                url=save_as,
                tlsreport_page=page,
            )
        out = Path(self.output_path)
        for rel, data in sorted(state.charts.items()):
            _write_bytes(out / rel, data)
        stylesheet = state.stylesheet_url()
        if stylesheet:
            _write_bytes(out / stylesheet, STYLESHEET.read_bytes())
        for view in state.post_views:
            _write_bytes(out / (view.data_base + ".json"), data_json(view))
            _write_bytes(out / (view.data_base + ".csv"), data_csv(view))
        self._write_feeds(state, out)

    def _write_feeds(self, state: BuildState, out: Path) -> None:
        """Issue 14: an Atom feed per list and per target (tlsreport.feeds), beside the pages."""
        lists = [
            (slug, info.title, state.all_snapshots(slug))
            for slug, info in state.lists().items()
            if info.snapshots
        ]
        files = feed_files(
            lists,
            out_dir=state.out_dir,
            site_url=str(self.settings.get("SITEURL") or ""),
            target_stems=state.target_slugs,
            letter=lambda result, on, taken: state.grades.letter(result, on),
            warn_days=int(self.settings["TLSREPORT_EXPIRY_WARN_DAYS"]),
            alert_days=int(self.settings["TLSREPORT_EXPIRY_ALERT_DAYS"]),
        )
        for rel, data in sorted(files.items()):
            _write_bytes(out / rel, data)


def _write_bytes(path: Path, data: bytes) -> None:
    """Write only when the bytes differ, so unchanged files keep their mtime (rsync, devserver)."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def lists_context(state: BuildState) -> list[dict[str, Any]]:
    # Titles come from data files; Markup-escaped here so a theme without autoescape (Pelican's
    # default) still prints them as text, and one with autoescape does not escape them twice.
    return [
        {"slug": i.slug, "title": escape(i.title), "url": state.list_url(i.slug)}
        for i in state.lists().values()
        if i.snapshots
    ]
