"""Pelican's signals, each wired to the room that does the work.

A conductor, not an orchestra: each handler checks that this build loaded tlsreport, finds the
build's state, and hands over to settings, the build-time scan, placeholder filling or the
page generator. Module-level functions, because Pelican keeps weak references to receivers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tlsreport

from .. import post_dates
from .build import cache_bytecode, finish, state_of
from .build_scan import scan_due_lists
from .fill import DirectiveBuildError, fill_contents, post_id, raise_collected, where
from .generator import TlsreportGenerator
from .markdown_ext import add_markdown_extension
from .settings import ACTIVE, apply_defaults, is_active, timezone

log = logging.getLogger(__name__)

# The modules that load tlsreport: the namespace plugin Pelican discovers when the package is
# installed (PLUGINS = ["tlsreport"] maps to it, or no PLUGINS at all), and the package itself
# when a site names it through PLUGIN_PATHS.
PLUGIN_NAMES = frozenset({"pelican.plugins.tlsreport", tlsreport.__name__})


def initialized(pelican: Any) -> None:
    """Defaults and validation of the settings; the Markdown extension."""
    loaded = any(
        p is tlsreport or getattr(p, "__name__", "") in PLUGIN_NAMES
        for p in getattr(pelican, "plugins", [])
    )
    pelican.settings[ACTIVE] = loaded
    if not loaded:
        return
    apply_defaults(pelican.settings)
    timezone(pelican.settings)
    add_markdown_extension(pelican.settings)
    _warn_history_in_content(pelican.settings)
    quiet_tracebacks()


class _NoDirectiveTraceback(logging.Filter):
    """Drops the traceback Pelican attaches to a DirectiveBuildError.

    ``pelican`` logs any exception that stops a build with ``exc_info=True``; for our block of
    ``file:line: message`` errors the 40 lines of Pelican's own frames hide the message and
    say nothing to a blogger. Kept when asked for: ``pelican -D`` (``make DEBUG=1 html``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, DirectiveBuildError) and not logging.getLogger("pelican").isEnabledFor(
            logging.DEBUG
        ):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_tracebacks() -> None:
    """Install the filter on Pelican's logger once per process."""
    logger = logging.getLogger("pelican")
    if not any(isinstance(f, _NoDirectiveTraceback) for f in logger.filters):
        logger.addFilter(_NoDirectiveTraceback())


def _warn_history_in_content(settings: dict[str, Any]) -> None:
    """History under PATH would make `make devserver` rebuild after every build-time scan."""
    content = Path(str(settings.get("PATH") or ".")).resolve()
    history = Path(settings["TLSREPORT_HISTORY_DIR"]).resolve()
    if history == content or content in history.parents:
        log.warning(
            "tlsreport: TLSREPORT_HISTORY_DIR (%s) is inside the content folder (%s): a scan "
            "during the build changes the content and `pelican -r` rebuilds in a loop; keep "
            "history outside it (the default is data/history)",
            history,
            content,
        )


def generator_ready(generator: Any) -> None:
    """Every generator's templates (the theme's too) keep their compiled form in CACHE_PATH.

    Compiling the theme's templates was the largest part of a warm build after the build cache
    (about a third of a warm example build): Pelican compiles every template again on every
    build. Jinja checks each entry against its template's source, so an edited theme is simply
    compiled again (``build.cache_bytecode``).
    """
    env = getattr(generator, "env", None)
    if env is not None and is_active(generator.settings):
        cache_bytecode(env, generator.settings)


def before_reading(generator: Any) -> None:
    """Scan due lists once per build, before any post is read (TLSREPORT_SCAN).

    ``article_generator_init`` fires on every build (the devserver too), posts or not.
    """
    if not is_active(generator.settings):
        return
    state = state_of(generator.context, generator.settings)
    if state.scanned:
        return
    state.scanned = True
    scan_due_lists(generator.settings, now=datetime.now(UTC))


def articles_finalized(generator: Any) -> None:
    """Fill every article's placeholders with the report its date (or metadata) calls for."""
    if not is_active(generator.settings):
        return
    state = state_of(generator.context, generator.settings)
    published = [*generator.articles, *generator.translations]
    others = [
        *generator.hidden_articles,
        *getattr(generator, "hidden_translations", []),
        *generator.drafts,
        *generator.drafts_translations,
    ]
    items = [(a, True) for a in published] + [(a, False) for a in others]
    _set_series(published)
    fill_contents(state, generator, items)


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
            index = post_dates.parse_series_index(article.metadata.get("series_index"))
        except ValueError as exc:
            raise DirectiveBuildError([f"{where(article, None)}: {exc}"]) from None
        pid = post_id(article)
        by_id[pid] = article
        refs.append(
            post_dates.PostRef(
                pid, article.date, series=str(name), series_index=index, lang=article.lang or ""
            )
        )
    for pid, info in post_dates.series_of(refs).items():
        by_id[pid].tlsreport_series = {
            "name": info.name,
            "index": info.index,
            "articles": [by_id[i] for i in info.ids],
            "previous": by_id[info.previous] if info.previous else None,
            "next": by_id[info.next] if info.next else None,
        }


def pages_finalized(generator: Any) -> None:
    """Pages without a Date are living pages: they show the newest snapshot."""
    if not is_active(generator.settings):
        return
    state = state_of(generator.context, generator.settings)
    items = [
        (p, False)
        for p in [
            *generator.pages,
            *generator.translations,
            *generator.hidden_pages,
            *getattr(generator, "hidden_translations", []),
            *getattr(generator, "draft_pages", []),
            *getattr(generator, "draft_translations", []),
        ]
    ]
    fill_contents(state, generator, items, is_page=True)
    # Pages are read after articles: every directive of the build has been seen now.
    raise_collected(state)


def build_finished(pelican: Any) -> None:
    """Save the post lock file, forget this build's state (the devserver runs many builds in
    one process)."""
    finish(pelican.settings)


def get_generators(pelican: Any) -> type | None:
    return TlsreportGenerator if is_active(pelican.settings) else None
