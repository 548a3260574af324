"""What the generated pages show: a "latest" page per list and a page per target.

Posts are frozen in time; these pages are where newer data goes. Each function returns plain
data plus HTML fragments already rendered (and escaped) by render.py, which the
``tlsreport_list.html`` / ``tlsreport_target.html`` templates lay out, so a site can override
the page templates without touching Python.
"""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from . import diff, render
from .facts import STATE_OK, Snapshot, TargetResult
from .grade import Grade
from .history import taken_to_datetime

if TYPE_CHECKING:
    from .pelican_glue import BuildState, ListInfo, PostView


def page_root(save_as: str, settings: dict[str, Any]) -> str:
    """How a page at ``save_as`` reaches the site root, the way Pelican's writer does it."""
    if settings.get("RELATIVE_URLS"):
        depth = os.path.dirname(save_as)
        rel = os.path.relpath(".", depth) if depth else "."
        return rel.replace(os.sep, "/") + "/"
    return str(settings.get("SITEURL") or "") + "/"


MAX_NAMES = 10  # certificate names shown before "and N more"


def findings(result: TargetResult) -> list[tuple[str, str]]:
    """What the last scan found, as (label, plain text) pairs for the target page.

    Plain text only: the template escapes it, so a certificate subject such as
    ``CN=<script>…`` reaches the reader as those characters. Long server-supplied lists are
    cut short so a hostile 100-name certificate cannot blow up the page.
    """
    if result.state != STATE_OK:
        return [("State", render.state_text(result))]
    out: list[tuple[str, str]] = []
    if result.facts is None:
        if result.recorded is not None:
            out.append(("Grade as published", result.recorded.grade or render.NOT_RECORDED))
            if result.recorded.reasons:
                out.append(("Reasons as published", ", ".join(result.recorded.reasons)))
            if result.recorded.source:
                out.append(("Source", result.recorded.source))
        return out
    f = result.facts
    out.append(("Protocols", render.protocols_summary(f)))
    out.append(("Forward secrecy", render.forward_secrecy_summary(f)))
    out.append(("Key", render.key_summary(result)))
    cert = f.certificate
    if cert is not None and cert.leaf is not None:
        out.append(("Certificate subject", cert.leaf.subject))
        out.append(("Issuer", cert.leaf.issuer))
        names = list(cert.leaf.sans[:MAX_NAMES])
        more = len(cert.leaf.sans) - len(names)
        if names:
            out.append(("Names", ", ".join(names) + (f" and {more} more" if more else "")))
        if cert.leaf.signature_hash:
            out.append(("Signature hash", cert.leaf.signature_hash.upper()))
        trust = "trusted" if cert.trusted else f"not trusted ({cert.problem or 'untrusted'})"
        out.append(("Trust", trust))
        if cert.ocsp_stapled is not None:
            out.append(("OCSP stapling", "yes" if cert.ocsp_stapled else "no"))
    if f.hsts is not None:
        if f.hsts.present:
            hsts = f"max-age={f.hsts.max_age}" if f.hsts.max_age is not None else "present"
            hsts += "; includeSubDomains" if f.hsts.include_subdomains else ""
            hsts += "; preload" if f.hsts.preload else ""
        else:
            hsts = "not sent"
        out.append(("HSTS", hsts))
    elif f.http_error:
        out.append(("HSTS", f"not read: {f.http_error[:200]}"))
    out += _mail_findings(result)
    if f.errors:
        out.append(("Tests that did not complete", ", ".join(sorted(f.errors))))
    return out


def _mail_findings(result: TargetResult) -> list[tuple[str, str]]:
    """Issue 14: for a mail target, why A is the top, and what it says before TLS."""
    from .mailgrade import WHY_NOT_A_PLUS, is_mail
    from .mailpolicy import policy_findings

    if not is_mail(result.target.service) or result.facts is None:
        return []
    out = [("HSTS", f"not applicable to mail — {WHY_NOT_A_PLUS}")]
    found = policy_findings(result.facts.mail, result.target.service)
    if found:
        out.append(("Before TLS", "; ".join(f.text for f in found)))
    return out


def _posts(mentions: list[PostView], root: str) -> list[dict[str, Any]]:
    return [
        {"title": v.title, "url": root + v.url, "date": v.date.date().isoformat()}
        for v in mentions
    ]


def list_page(
    state: BuildState, info: ListInfo, snapshots: list[Snapshot], mentions: list[PostView]
) -> dict[str, Any]:
    """The "latest" page of a list: today's table, charts, changes since the last post."""
    from .pelican_glue import Links

    env = state.env()
    save_as = state.list_url(info.slug)
    root = page_root(save_as, state.settings)
    links = Links(state, info.slug, root)
    latest = snapshots[-1]
    on = diff.snapshot_date(latest)
    last_post = mentions[-1] if mentions else None
    since = last_post.lists.get(info.slug) if last_post else None
    changes_html = None
    if since is not None and since.taken < latest.taken:
        window = state.diff_window(
            info.slug, taken_to_datetime(since.taken), taken_to_datetime(latest.taken)
        )
        changes = diff.changes_between(window, since, latest, memo=state.grades.memo)
        changes_html = Markup(render.changes_view(
            env, changes, since_label=render.human_date(diff.snapshot_date(since)),
            target_url=links.target_key,
        ))
    distribution = state.chart_maker.distribution(latest)
    history = state.chart_maker.history(snapshots)
    return {
        "kind": "list",
        "save_as": save_as,
        "slug": info.slug,
        "title": info.title,
        "feed_url": f"{state.out_dir}/{info.slug}.atom.xml",  # issue 14 (tlsreport.feeds)
        "taken": latest.taken,
        "taken_date": render.human_date(on),
        "grades_html": Markup(render.grades_view(
            env, latest, on=on, compact=True, target_url=links.target_ref,
            id_prefix=f"tlsreport-latest-{info.slug}", grader=state.grades.memo.grade,
        )),
        "distribution_html": Markup(render.chart_view(
            env, distribution, src=root + state.chart_url(distribution)
        )),
        "history_html": Markup(render.chart_view(
            env, history, src=root + state.chart_url(history)
        )),
        "changes_html": changes_html,
        "since_post": (
            {"title": last_post.title, "url": root + last_post.url} if last_post else None
        ),
        "posts": _posts(mentions, root),
        "root": root,
    }


def target_pages(
    state: BuildState, info: ListInfo, snapshots: list[Snapshot], mentions: list[PostView]
) -> list[dict[str, Any]]:
    """One page per target ever on the list: grade history, timeline, latest findings."""
    from .pelican_glue import Links

    env = state.env()
    latest = snapshots[-1]
    pages = []
    stems = state.target_slugs(info.slug)
    state.chart_maker.prepare_timelines(snapshots, list(stems))
    for key in sorted(stems, key=lambda k: (stems[k], k)):
        save_as = state.target_url_by_key(info.slug, key)
        assert save_as is not None
        root = page_root(save_as, state.settings)
        history: list[tuple[date, Grade | None, TargetResult]] = []
        last: tuple[Snapshot, TargetResult] | None = None
        for snap in snapshots:
            r = state.grades.by_key(snap).get(key)
            if r is None:
                continue
            day = diff.snapshot_date(snap)
            history.append((day, state.grades.grade(r, day), r))
            last = (snap, r)
        assert last is not None
        last_snap, result = last
        name = result.target.name
        last_day = diff.snapshot_date(last_snap)
        timeline = state.chart_maker.timeline(snapshots, key)
        links = Links(state, info.slug, root)
        pages.append({
            "kind": "target",
            "save_as": save_as,
            "slug": info.slug,
            "list_title": info.title,
            "list_url": links.list(),
            "name": name,
            "target": result.target,
            "on_list": key in state.grades.by_key(latest),
            "taken": last_snap.taken,
            "taken_date": render.human_date(last_day),
            "card_html": Markup(render.target_card(
                env, result, state.grades.grade(result, last_day), day=last_day
            )),
            "expiry": render.cert_expiry(result),
            # Issue 14: days left on the latest snapshot's day, and this target's Atom feed.
            "expiry_text": render.days_left_text(result, last_day),
            "feed_url": save_as[:-len(".html")] + ".atom.xml" if save_as.endswith(".html")
            else None,
            "findings": findings(result),
            "history_html": Markup(render.target_history_table(env, history)),
            "timeline_html": Markup(render.chart_view(
                env, timeline, src=root + state.chart_url(timeline)
            )),
            "posts": _posts(mentions, root),
            "root": root,
        })
    return pages
