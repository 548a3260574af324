"""The Pelican glue: the only rooms that know Pelican.

Modules: ``settings`` (every TLSREPORT_* setting), ``markdown_ext`` (directive → placeholder),
``build`` (one build's state: history loaded once, graded once, links), ``build_scan`` (the
scan before reading), ``fill`` (placeholders → HTML), ``pages`` (what the list and target
pages show), ``generator`` (writes those pages, charts and post data), ``signals`` (wires
Pelican's signals to the rest). Nothing outside this package imports it but ``register``.

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

from pelican import signals as pelican_signals

from .signals import (
    articles_finalized,
    before_reading,
    build_finished,
    generator_ready,
    get_generators,
    initialized,
    pages_finalized,
)


def register() -> None:
    """Connect to Pelican's signals (module-level functions: Pelican keeps weak references)."""
    pelican_signals.initialized.connect(initialized)
    pelican_signals.generator_init.connect(generator_ready)
    pelican_signals.article_generator_init.connect(before_reading)
    pelican_signals.article_generator_finalized.connect(articles_finalized)
    pelican_signals.page_generator_finalized.connect(pages_finalized)
    pelican_signals.get_generators.connect(get_generators)
    pelican_signals.finalized.connect(build_finished)
