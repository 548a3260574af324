"""Atom feeds from history: one per list and one per target, so a reader can subscribe to
their own mail server and hear about a grade change or a certificate about to expire.

Entries come only from the snapshots: a grade change, an endpoint that appeared or
disappeared, and a certificate crossing the warning or alert threshold (``tlsreport.expiry``)
or expiring. Each entry's id and date are the snapshot's (``taken``), never the build's clock,
so rebuilding the site gives byte-identical feeds and a feed reader never sees an entry twice.

Pure: snapshots in, XML text out. The XML is built with ElementTree, which escapes every
text it is given; characters XML 1.0 cannot carry at all are replaced first, since list
names and reasons may come from anywhere.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .expiry import ALERT_DAYS, LEVELS, WARN_DAYS, expiry_of
from .facts import Snapshot, TargetResult
from .vocabulary import days_left_text

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Grader = Callable[[TargetResult, date, date], "str | None"]


@dataclass(frozen=True)
class Entry:
    """One feed entry; ``kind`` is "grade", "new", "lost" or "expiry"."""

    id: str
    updated: str  # the snapshot's taken, ISO 8601 UTC
    kind: str
    key: str  # the target's key
    title: str
    summary: str
    url: str | None = None


def _day(taken: str) -> date:
    return date.fromisoformat(taken[:10])


def entries(
    snapshots: Iterable[Snapshot],
    *,
    id_base: str,
    target_url: Callable[[TargetResult], str | None] = lambda _: None,
    letter: Grader,
    warn_days: int = WARN_DAYS,
    alert_days: int = ALERT_DAYS,
) -> list[Entry]:
    """Every entry the snapshots of one list give, newest first (then by kind and target).

    The first snapshot announces every endpoint as new; later ones only what changed since
    the one before. An expiry entry is written when a certificate's level (warning, alert,
    expired) gets worse than it was in the previous snapshot, or when a renewal puts it back
    to ok after a warning. ``letter`` gives each result's letter (the build's grader): feeds
    show grades, they never grade.
    """
    ordered = sorted(snapshots, key=lambda s: s.taken)
    out: list[Entry] = []
    before: dict[str, tuple[TargetResult, str | None, str]] = {}
    for snap in ordered:
        day = _day(snap.taken)
        now: dict[str, tuple[TargetResult, str | None, str]] = {}
        for result in snap.results:
            exp = expiry_of(result, day, warn_days=warn_days, alert_days=alert_days)
            now[result.target.key] = (
                result,
                letter(result, day, day),
                exp.level if exp is not None else "ok",
            )

        def add(
            kind: str,
            key: str,
            result: TargetResult,
            title: str,
            summary: str,
            snap: Snapshot = snap,
        ) -> None:
            out.append(
                Entry(
                    id=f"{id_base}#{snap.taken}/{kind}/{key}",
                    updated=snap.taken,
                    kind=kind,
                    key=key,
                    title=title,
                    summary=summary,
                    url=target_url(result),
                )
            )

        for key, (result, grade, level) in now.items():
            name = result.target.name
            old = before.get(key)
            if old is None:
                add(
                    "new",
                    key,
                    result,
                    f"{name}: new endpoint" + (f", graded {grade}" if grade else ""),
                    f"{name} ({key}) appears in {snap.title}.",
                )
            elif old[1] != grade:
                was, new = old[1] or "no grade", grade or "no grade"
                why = f" ({result.reason})" if result.reason else ""
                add(
                    "grade",
                    key,
                    result,
                    f"{name}: {was} → {new}",
                    f"The grade of {name} changed from {was} to {new}{why}.",
                )
            old_level = old[2] if old is not None else "ok"
            if level != old_level and (_rank(level) < _rank(old_level) or level == "ok"):
                exp = expiry_of(result, day, warn_days=warn_days, alert_days=alert_days)
                if level == "ok" or exp is None:
                    add(
                        "expiry",
                        key,
                        result,
                        f"{name}: certificate renewed",
                        f"The certificate of {name} no longer expires within {warn_days} days.",
                    )
                else:
                    left = days_left_text(exp.days_left)
                    add(
                        "expiry",
                        key,
                        result,
                        f"{name}: certificate {left}",
                        f"The certificate of {name} ends on {exp.not_after.isoformat()} "
                        f"({left}; {level}).",
                    )
        for key, (result, _, _) in before.items():
            if key not in now:
                add(
                    "lost",
                    key,
                    result,
                    f"{result.target.name}: endpoint gone",
                    f"{result.target.name} ({key}) is no longer in {snap.title}.",
                )
        before = now
    kinds = ("grade", "expiry", "lost", "new")
    out.sort(key=lambda e: (e.updated, -kinds.index(e.kind), e.key), reverse=True)
    return out


def _rank(level: str) -> int:
    return LEVELS.index(level)  # worst first


def _text(value: str) -> str:
    return _XML_BAD.sub("\ufffd", value)


def atom(
    feed_entries: list[Entry],
    *,
    feed_id: str,
    title: str,
    self_url: str,
    site_url: str | None = None,
    updated: str | None = None,
    max_entries: int = MAX_ENTRIES,
) -> str:
    """The Atom document (RFC 4287) for ``feed_entries`` (already newest first)."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = _text(text)
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    # Atom requires <updated>: the newest entry's date, else the caller's (a snapshot's).
    sub(
        feed,
        "updated",
        feed_entries[0].updated if feed_entries else (updated or "1970-01-01T00:00:00Z"),
    )
    sub(feed, "link", rel="self", href=_text(self_url), type="application/atom+xml")
    if site_url:
        sub(feed, "link", rel="alternate", href=_text(site_url), type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "tlsreport")
    sub(feed, "generator", "tlsreport")
    for entry in feed_entries[:max_entries]:
        item = sub(feed, "entry")
        sub(item, "id", entry.id)
        sub(item, "title", entry.title)
        sub(item, "updated", entry.updated)
        sub(item, "category", term=entry.kind)
        if entry.url:
            sub(item, "link", rel="alternate", href=_text(entry.url), type="text/html")
        sub(item, "summary", entry.summary)
    ET.indent(feed)
    body = ET.tostring(feed, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'


def _id_base(site_url: str, path: str) -> str:
    """An absolute IRI for ids: the feed's URL, or a tag URI when the site has no URL yet
    (a development build), since an Atom id must be absolute."""
    return f"{site_url.rstrip('/')}/{path}" if site_url else f"tag:tlsreport,2026:{path}"


def list_feed(
    snapshots: list[Snapshot], *, base_url: str, slug: str, title: str, **options: Any
) -> str:
    """The feed of one list: ``{base_url}/{slug}.atom.xml``."""
    url = f"{base_url.rstrip('/')}/{slug}.atom.xml"
    found = entries(snapshots, id_base=url, **options)
    return atom(
        found,
        feed_id=url,
        title=f"{title}: TLS report",
        self_url=url,
        updated=max((s.taken for s in snapshots), default=None),
    )


def target_feed(
    snapshots: list[Snapshot],
    key: str,
    *,
    base_url: str,
    slug: str,
    target_slug: str,
    name: str,
    **options: Any,
) -> str:
    """The feed of one target of a list: ``{base_url}/{slug}/{target_slug}.atom.xml``."""
    url = f"{base_url.rstrip('/')}/{slug}/{target_slug}.atom.xml"
    found = [e for e in entries(snapshots, id_base=url, **options) if e.key == key]
    return atom(
        found,
        feed_id=url,
        title=f"{name}: TLS report",
        self_url=url,
        updated=max((s.taken for s in snapshots), default=None),
    )


def feed_files(
    lists: Iterable[tuple[str, str, list[Snapshot]]],
    *,
    out_dir: str,
    site_url: str,
    target_stems: Callable[[str], dict[str, str]],
    **options: Any,
) -> dict[str, bytes]:
    """Every feed of a site build: output-relative path -> bytes.

    ``lists`` gives (slug, title, snapshots) per list; ``target_stems(slug)`` maps target key
    to the file stem of its page, and its feed sits beside it. Entries are computed once per
    list (the per-target feeds are filtered from them) and keep the list feed's ids, so an
    entry read in both feeds is one entry.
    """
    files: dict[str, bytes] = {}
    for slug, title, snapshots in lists:
        if not snapshots:
            continue
        path = f"{out_dir}/{slug}.atom.xml"
        id_base = _id_base(site_url, path)
        stems = target_stems(slug)

        def page(
            result: TargetResult, slug: str = slug, stems: dict[str, str] = stems
        ) -> str | None:
            stem = stems.get(result.target.key)
            return (
                f"{site_url.rstrip('/')}/{out_dir}/{slug}/{stem}.html"
                if stem and site_url
                else None
            )

        found = entries(snapshots, id_base=id_base, target_url=page, **options)
        updated = max(s.taken for s in snapshots)
        files[path] = atom(
            found,
            feed_id=id_base,
            title=f"{title}: TLS report",
            self_url=f"{site_url.rstrip('/')}/{path}",
            updated=updated,
        ).encode()
        names = {r.target.key: r.target.name for s in snapshots for r in s.results}
        by_key: dict[str, list[Entry]] = {}
        for e in found:  # one pass: filtering per target was targets x entries
            by_key.setdefault(e.key, []).append(e)
        for key, stem in sorted(stems.items()):
            own = f"{out_dir}/{slug}/{stem}.atom.xml"
            files[own] = atom(
                by_key.get(key, []),
                feed_id=_id_base(site_url, own),
                title=f"{names.get(key, key)}: TLS report",
                self_url=f"{site_url.rstrip('/')}/{own}",
                updated=updated,
            ).encode()
    return files
