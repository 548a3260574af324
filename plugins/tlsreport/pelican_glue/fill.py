"""Filling placeholders: each directive of each post becomes HTML from history.

Runs at ``article_generator_finalized`` (and ``page_generator_finalized``), which fire after
the content cache is saved and even for cached posts: each placeholder is parsed, located in
the source file (``file:line`` for errors), and filled from the snapshot the post's date
calls for, so old posts stay frozen in time.
"""

from __future__ import annotations

import difflib
import html
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from markupsafe import escape

from .. import diff, directive, mailview, post_dates, render, traffic_view
from ..downloads import PostView, record_rows
from ..facts import Snapshot, TargetResult
from ..history import SnapshotError, SnapshotInfo, pick_as_of
from .build import BuildState, Links, ListInfo
from .markdown_ext import PLACEHOLDER_CLASS, PLACEHOLDER_RE

log = logging.getLogger(__name__)


class DirectiveBuildError(RuntimeError):
    """The directives that cannot be rendered while TLSREPORT_ERRORS = "fail", all of them.

    Raised once, from a signal handler after every post and page was read (where Pelican does
    not swallow exceptions): the build stops and ``pelican`` exits non-zero with one block of
    ``file:line: message`` lines, so a blogger fixes every mistake in one go instead of one
    per build. ``signals.quiet_tracebacks`` keeps Pelican from printing a traceback under it.
    """

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        head = (
            f"{count} tlsreport directive error{'s' if count != 1 else ''}; nothing was "
            'published (TLSREPORT_ERRORS = "warn" publishes with an error box instead):'
        )
        super().__init__("\n".join([head, *(f"  {e}" for e in self.errors)]))


def raise_collected(state: BuildState) -> None:
    """Stop the build with every error collected so far (TLSREPORT_ERRORS = "fail")."""
    if state.errors:
        errors, state.errors = state.errors, []
        raise DirectiveBuildError(errors)


# --- filling placeholders ----------------------------------------------------------------


@dataclass
class _Found:
    """One placeholder of one post, parsed and located."""

    text: str
    line: int | None
    parsed: directive.Directive | None = None
    error: str | None = None


def fill_contents(
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
    refs: list[post_dates.PostRef] = []
    by_id: dict[str, Any] = {}
    for content, is_published in items:
        if id(content) not in found:
            continue
        slugs = tuple(
            sorted(
                {
                    f.parsed.list_slug
                    for f in found[id(content)]
                    if f.parsed is not None and "list" in f.parsed.options  # traffic has no list
                }
            )
        )
        pid = post_id(content)
        by_id[pid] = content
        if is_published and getattr(content, "date", None) is not None:
            refs.append(post_dates.PostRef(pid, content.date, slugs, lang=content.lang or ""))
    previous = post_dates.previous_on_list(refs)

    for content, is_published in items:
        if id(content) not in found:
            continue
        pid = post_id(content)
        try:
            moment = _moment_of(content, state)
        except post_dates.SnapshotChoiceError as exc:
            _raise_or_warn(state, content, _meta_line(content, "tlsreport_snapshot"), str(exc))
            moment = None
        is_article = _is_article(content, is_page)
        lockable = is_published and is_article
        post_key = state.post_key(getattr(content, "source_path", None))
        if lockable and post_key is not None:
            state.lock().mark_seen(post_key)
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
                state,
                content,
                item,
                moment,
                view,
                lists,
                lockable=lockable,
                previous=lambda slug, pid=pid: _previous_snapshot(
                    state, by_id, previous.get((pid, slug)), slug
                ),
            )
        stylesheet = state.stylesheet_url()
        if stylesheet and html_parts:
            # Once per page, before its first fragment: the page's theme may not style ours.
            # str() first: Markup + str would escape the (already rendered) fragment.
            html_parts[0] = str(render.stylesheet_link("{static}/" + stylesheet)) + html_parts[0]
        content._content = _fill(content._content, html_parts)
        if isinstance(getattr(content, "_summary", None), str) and PLACEHOLDER_CLASS in (
            content._summary
        ):
            content._summary = PLACEHOLDER_RE.sub("", content._summary)
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
    return PLACEHOLDER_RE.sub(lambda _m: parts[next(counter)], text)


def post_id(content: Any) -> str:
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
    for m in PLACEHOLDER_RE.finditer(text):
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


def where(content: Any, line: int | None) -> str:
    path = str(getattr(content, "source_path", "") or "?")
    try:
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            path = rel
    except ValueError:
        pass
    return f"{path}:{line}" if line else path


def _raise_or_warn(state: BuildState, content: Any, line: int | None, message: str) -> str:
    """Record an error (TLSREPORT_ERRORS = "fail": reported with all others at the end of
    reading) or log it ("warn"); either way the post gets an error box in its place."""
    located = f"{where(content, line)}: {message}"
    if state.errors_mode == "fail":
        state.errors.append(located)
    else:
        log.warning("tlsreport: %s", located)
    return render.error_box(state.env(), located)


def _raw_meta(content: Any, key: str) -> str | None:
    """A metadata value as written in the source (``Date: 2026-12-05 09:30``), or None."""
    try:
        text = Path(content.source_path).read_text(encoding="utf-8")
    except (OSError, TypeError, AttributeError):
        return None
    for line in text.splitlines():
        if not line.strip():
            break  # the metadata header ends at the first blank line
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == key:
            return value.strip()
    return None


def _moment_of(content: Any, state: BuildState) -> post_dates.Moment | None:
    meta = getattr(content, "metadata", {}) or {}
    if meta.get("tlsreport_snapshot"):
        return post_dates.moment_from_metadata(str(meta["tlsreport_snapshot"]), state.tz)
    published = getattr(content, "date", None)
    if published is None:
        return None  # a page without a date: the newest snapshot
    modified = getattr(content, "modified", None)
    written = _raw_meta(content, "modified" if modified is not None else "date")
    return post_dates.post_moment(
        published,
        modified,
        state.tz,
        honour_time=written is not None and post_dates.has_time_of_day(written),
    )


def _pick(info: ListInfo, moment: post_dates.Moment | None) -> SnapshotInfo | None:
    if not info.snapshots:
        return None
    if moment is None:
        return info.snapshots[-1]
    if moment.exact:
        return next((i for i in info.snapshots if i.taken == moment.at), None)
    return pick_as_of(info.snapshots, moment.at)


def _choose(
    state: BuildState,
    content: Any,
    info: ListInfo,
    moment: post_dates.Moment | None,
    *,
    lockable: bool,
    key: str | None = None,
) -> SnapshotInfo | None:
    """The snapshot a post shows: pinned, else locked (published posts), else picked by date.

    A published post's first choice is kept in the lock file (post_lock), so a second scan on
    the post's day never changes it, nor the next post's "since the previous post".
    """
    post = state.post_key(getattr(content, "source_path", None))
    if not lockable or moment is None or moment.exact or post is None:
        return _pick(info, moment)
    taken = state.lock().choose(
        post, key or info.slug, moment.at, [i.taken for i in info.snapshots]
    )
    return next((i for i in info.snapshots if i.taken == taken), None)


def _is_article(content: Any, is_page: bool) -> bool:
    return getattr(content, "date", None) is not None and not is_page


def _previous_snapshot(
    state: BuildState, by_id: dict[str, Any], prev_id: str | None, slug: str
) -> SnapshotInfo | None:
    """The snapshot of ``slug`` the previous post on that list showed (None: no such post)."""
    if prev_id is None or prev_id not in by_id:
        return None
    try:
        moment = _moment_of(by_id[prev_id], state)
    except post_dates.SnapshotChoiceError:
        return None
    # The previous post is a published article (only those are anyone's previous post).
    return _choose(state, by_id[prev_id], state.lists()[slug], moment, lockable=True)


def _render_one(
    state: BuildState,
    content: Any,
    item: _Found,
    moment: post_dates.Moment | None,
    view: PostView,
    lists: dict[str, ListInfo],
    *,
    previous: Any,
    lockable: bool = False,
) -> str:
    if item.error is not None or item.parsed is None:
        return _raise_or_warn(state, content, item.line, item.error or "bad directive")
    d = item.parsed
    if d.view == "traffic":  # a traffic report, not a list: traffic_view does it all
        try:
            return traffic_view.render(state.settings, state.env(), d.options, state.chart_url)
        except traffic_view.TrafficViewError as exc:
            return _raise_or_warn(state, content, item.line, str(exc))
    slug = d.list_slug
    if slug not in lists or not lists[slug].snapshots:
        return _raise_or_warn(state, content, item.line, unknown_list_message(slug, lists))
    info = lists[slug]
    as_of = d.options.get("as_of")
    here = (
        post_dates.Moment(post_dates.end_of_day(as_of, state.tz))
        if isinstance(as_of, date)
        else moment
    )
    chosen = _choose(
        state,
        content,
        info,
        here,
        lockable=lockable,
        key=f"{slug} as_of={as_of.isoformat()}" if isinstance(as_of, date) else slug,
    )
    if chosen is None:
        return _raise_or_warn(state, content, item.line, _no_snapshot_message(state, info, here))
    group = d.options.get("group")
    if group is not None:
        problem = _unknown_group(state, info, str(group), d)
        if problem:
            return _raise_or_warn(state, content, item.line, problem)
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
        record_rows(
            view,
            snapshot,
            state.grades.of_snapshot(snapshot),
            target=str(target) if target is not None else None,
            group=str(group) if group is not None else None,
        )
    return fragment


def unknown_list_message(slug: str, lists: dict[str, ListInfo]) -> str:
    """ "unknown list", or "no snapshot yet" with the command that takes the first one."""
    info = lists.get(slug)
    if info is not None and info.source is not None:
        return (
            f"list {slug!r} has no snapshot yet; scan it first: "
            f"python -m tlsreport scan {_shown(info.source)} (or make scan)"
        )
    known = ", ".join(s for s, i in lists.items() if i.snapshots) or "none"
    close = difflib.get_close_matches(slug, list(lists), n=1)
    hint = f"; did you mean list={close[0]}?" if close else ""
    return f"unknown list {slug!r} (lists with history: {known}){hint}"


def _shown(path: Path) -> str:
    """A path as the blogger would type it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
        return path.as_posix() if rel.startswith("..") else rel
    except ValueError:
        return path.as_posix()


def _no_snapshot_message(state: BuildState, info: ListInfo, here: post_dates.Moment | None) -> str:
    """Why no snapshot fits, the nearest ones, and the line that would pick one."""
    taken = [i.taken for i in info.snapshots]
    if here is not None and here.exact:
        return (
            f"Tlsreport_snapshot: no snapshot of {info.slug!r} taken at "
            f"{here.at:%Y-%m-%dT%H:%M:%SZ}; " + post_dates.describe_choices(taken, here.at)
        )
    if here is None:
        return f"no snapshot of {info.slug!r}"
    first = info.snapshots[0].taken
    return (
        f"no snapshot of {info.slug!r} on or before "
        f"{here.at.astimezone(state.tz):%Y-%m-%d} (the first is from {first:%Y-%m-%d}); "
        f"date the post on or after that day, pin one with "
        f"'{post_dates.pin_text(first)}', or drop the directive"
    )


def _unknown_group(
    state: BuildState, info: ListInfo, group: str, d: directive.Directive
) -> str | None:
    """``group=wek`` on a list without that group: the groups it has, and the fix."""
    groups = state.groups(info.slug)
    if group in groups:
        return None
    valid = ", ".join(sorted(groups)) or "none (the list's targets have no group)"
    message = f"option 'group': list {info.slug!r} has no group {group!r} (groups: {valid})"
    close = difflib.get_close_matches(group, sorted(groups), n=1)
    if close:
        message += f"; write: {directive.with_option(d.text, 'group', close[0])}"
    return message


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
    slug = d.list_slug
    links = Links(state, slug, "{static}/")
    env = state.env()
    on = snapshot.day
    group = d.options.get("group")
    group_s = str(group) if group is not None else None
    if d.view == "grades":
        return render.grades_view(
            env,
            snapshot,
            on=on,
            grades=state.grades.of_snapshot(snapshot),
            compact=bool(d.options["compact"]),
            group=group_s,
            target_url=links.target_ref,
        )
    if d.view == "target":
        result = _find_target(snapshot, str(d.options["target"]))
        assert result is not None
        grade = state.grades.grade(result, on)
        return render.target_card(env, result, grade, url=links.target_ref(result.target), on=on)
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
            assert isinstance(since, date)  # the directive parser gives "previous" or a date
            base = pick_as_of(infos, post_dates.end_of_day(since, state.tz))
            if base is None:
                raise _ViewError(
                    f"since: no snapshot of {slug!r} on or before {since.isoformat()} "
                    f"(the first is from {infos[0].taken:%Y-%m-%d})"
                )
        snaps = state.diff_window(slug, base.taken, chosen.taken)
        base_snapshot = state.load(base)
        changes = (
            diff.changes_between(snaps, base_snapshot, snapshot, memo=state.grades.memo)
            if base.taken < chosen.taken
            else []
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


def _mail_view(
    state: BuildState,
    d: directive.Directive,
    snapshot: Snapshot,
    on: date,
    group: str | None,
    links: Links,
) -> str:
    """The issue-14 views (tlsreport.mailview): mail policy, and certificates ending soon."""
    if d.view == "mail":
        name = d.options.get("target")
        if name is not None:
            _find_target(snapshot, str(name))
        return mailview.mail_view(
            snapshot,
            on=on,
            grader=state.grades.grade,
            target=str(name) if name is not None else None,
            group=group,
            target_url=links.target_ref,
        )
    warn = int(state.settings["TLSREPORT_EXPIRY_WARN_DAYS"])
    within = d.options.get("within")
    return mailview.expiring_view(
        snapshot,
        on=on,
        within=int(within) if isinstance(within, int) else warn,
        alert_days=int(state.settings["TLSREPORT_EXPIRY_ALERT_DAYS"]),
        group=group,
        target_url=links.target_ref,
    )


def _since_label(base: Snapshot, previous_post: bool) -> str:
    day = render.human_date(base.day)
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
            if r.target.is_named(name):
                return r if snap is snapshot else None
    names = ", ".join(sorted({r.target.name for r in snapshot.results}))
    raise _ViewError(
        f"target: no target {name!r} in list {snapshot.list_slug!r} (targets: {names})"
    )
