"""The Markdown extension: a directive paragraph (or inline target card) → an empty placeholder.

Nothing is looked up at read time, because Pelican caches what readers return: scan data put
in here would go stale. The placeholder is filled after reading (fill.py).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any

from markdown import Extension, Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.inlinepatterns import InlineProcessor

from .. import directive

PLACEHOLDER_CLASS = "tlsreport-placeholder"
PLACEHOLDER_RE = re.compile(
    r'<(?P<tag>div|span) class="'
    + PLACEHOLDER_CLASS
    + r'" data-tlsreport="(?P<text>[^"]*)"></(?P=tag)>'
)


class DirectiveProcessor(BlockProcessor):
    """A paragraph that is exactly one directive becomes an empty placeholder element."""

    def test(self, parent: etree.Element, block: str) -> bool:
        # A leading newline is Markdown's EmptyBlockProcessor's to strip (it hands the rest
        # back); indented by a tab stop is a code block (priority 80). Neither is ours yet.
        if block.startswith(("\n", " " * self.tab_length, "\t")):
            return False
        # Also a paragraph that only *starts* like one (unclosed, ``[Tlsreport``, words after
        # the ``]``): it becomes a placeholder whose parse error names file:line, instead of
        # being published as text.
        return directive.looks_like_directive(block) or directive.starts_like_directive(block)

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

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
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


def add_markdown_extension(settings: dict[str, Any]) -> None:
    md = dict(settings.get("MARKDOWN") or {})
    exts = [e for e in md.get("extensions", []) if not isinstance(e, TlsreportExtension)]
    md["extensions"] = [*exts, TlsreportExtension()]
    settings["MARKDOWN"] = md
