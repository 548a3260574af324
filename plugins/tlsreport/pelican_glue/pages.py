"""What the generated pages show: a "latest" page per list and a page per target.

Posts are frozen in time; these pages are where newer data goes. Each function returns plain
data plus HTML fragments already rendered (and escaped) by render.py, which the
``tlsreport_list.html`` / ``tlsreport_target.html`` templates lay out, so a site can override
the page templates without touching Python.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from markupsafe import Markup

from .. import diff, render, vocabulary
from ..downloads import PostView
from ..facts import STATE_OK, Snapshot, TargetResult
from ..grade import Grade
from ..mailgrade import WHY_NOT_A_PLUS, is_mail
from ..mailpolicy import policy_findings
from .build import BuildState, Links, ListInfo


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
    if result.endpoints and f.ip:
        # The rows below are one address's; the grade is the worst address's.
        out.append(
            (
                "Address",
                f"{f.ip} (the first of {len(result.endpoints)} addresses; "
                "every address's grade is listed above)",
            )
        )
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
        out.append(("Trust", vocabulary.trust_text(cert.problem, cert.trusted)))
        if cert.fetched:
            out.append(
                (
                    "Fetched through AIA",
                    "; ".join(c.subject for c in cert.fetched)
                    + f" from {', '.join(cert.fetched_from)}",
                )
            )
        elif cert.fetch_error:
            out.append(("Missing issuer", f"not fetched: {cert.fetch_error[:200]}"))
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


def grades_heading(snapshot: Snapshot) -> str:
    """The heading over a list page's table: what the data is and its date, never "today".

    A list page may show an archive (grades typed in from 2015 posts) or a scan months old;
    "Grades today" over either would claim a freshness nobody measured (issue 15).
    """
    day = render.human_date(snapshot.day)
    if snapshot.kind == "recorded":
        return f"Grades as recorded by hand from published results, as of {day}"
    if snapshot.kind == "scan":
        return f"Grades from tlsreport's scan of {day}"
    return f"Grades as imported, as of {day}"


def _mail_findings(result: TargetResult) -> list[tuple[str, str]]:
    """Issue 14: for a mail target, why A is the top, and what it says before TLS."""
    if not is_mail(result.target.service) or result.facts is None:
        return []
    out = [("HSTS", f"not applicable to mail — {WHY_NOT_A_PLUS}")]
    found = policy_findings(result.facts.mail, result.target.service)
    if found:
        out.append(("Before TLS", "; ".join(f.text for f in found)))
    return out


def _posts(mentions: list[PostView], root: str) -> list[dict[str, Any]]:
    return [
        {"title": v.title, "url": root + v.url, "date": v.date.date().isoformat()} for v in mentions
    ]


def list_page(
    state: BuildState, info: ListInfo, snapshots: list[Snapshot], mentions: list[PostView]
) -> dict[str, Any]:
    """The "latest" page of a list: today's table, charts, changes since the last post."""
    env = state.env()
    save_as = state.list_url(info.slug)
    root = page_root(save_as, state.settings)
    links = Links(state, info.slug, root)
    latest = snapshots[-1]
    on = latest.day
    last_post = mentions[-1] if mentions else None
    since = last_post.lists.get(info.slug) if last_post else None
    changes_html = None
    if since is not None and since.taken < latest.taken:
        window = state.diff_window(info.slug, since.taken_at, latest.taken_at)
        changes = diff.changes_between(window, since, latest, memo=state.grades.memo)
        changes_html = Markup(
            render.changes_view(
                env,
                changes,
                since_label=render.human_date(since.day),
                target_url=links.target_key,
            )
        )
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
        "grades_heading": grades_heading(latest),
        "grades_html": Markup(
            render.grades_view(
                env,
                latest,
                on=on,
                grades=state.grades.of_snapshot(latest),
                compact=True,
                target_url=links.target_ref,
                id_prefix=f"tlsreport-latest-{info.slug}",
            )
        ),
        "distribution_html": Markup(
            render.chart_view(env, distribution, src=root + state.chart_url(distribution))
        ),
        "history_html": Markup(
            render.chart_view(env, history, src=root + state.chart_url(history))
        ),
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
    env = state.env()
    latest = snapshots[-1]
    pages = []
    stems = state.target_slugs(info.slug)
    state.chart_maker.prepare_timelines(snapshots, list(stems))
    for key in sorted(stems, key=lambda k: (stems[k], k)):
        save_as = state.target_url_by_key(info.slug, key)
        assert save_as is not None
        root = page_root(save_as, state.settings)
        history: list[tuple[datetime, Grade | None, TargetResult]] = []
        last: tuple[Snapshot, TargetResult] | None = None
        for snap in snapshots:
            r = snap.result_for(key)
            if r is None:
                continue
            day = snap.day
            history.append((snap.taken_at, state.grades.grade(r, day), r))
            last = (snap, r)
        assert last is not None
        last_snap, result = last
        name = result.target.name
        last_day = last_snap.day
        timeline = state.chart_maker.timeline(snapshots, key)
        grade = state.grades.grade(result, last_day)
        links = Links(state, info.slug, root)
        # A timeline needs two days to say anything: one snapshot (or several on one day)
        # would be a lone dot on an empty axis, so the page says it in words instead.
        days_seen = {w.date() for w, _, _ in history}
        pages.append(
            {
                "kind": "target",
                "save_as": save_as,
                "slug": info.slug,
                "list_title": info.title,
                "list_url": links.list(),
                "name": name,
                "target": result.target,
                "on_list": latest.result_for(key) is not None,
                "taken": last_snap.taken,
                "taken_date": render.human_date(last_day),
                # A recorded snapshot's hour is nominal (noon): only a scan's time is shown.
                "taken_time": (
                    render.human_time(last_snap.taken_at)
                    if last_snap.kind == "scan"
                    else render.human_date(last_day)
                ),
                "taken_day": last_day,
                "card_html": Markup(render.target_card(env, result, grade, on=last_day)),
                "report_html": Markup(render.target_report(env, result, grade, on=last_day)),
                "endpoints_html": Markup(render.endpoints_table(env, grade)),
                "expiry": render.cert_expiry(result),
                "expiry_text": render.expiry_text(result, last_day),
                # Issue 14: this target's Atom feed (tlsreport.feeds), beside its page.
                "feed_url": save_as[: -len(".html")] + ".atom.xml"
                if save_as.endswith(".html")
                else None,
                "findings": findings(result),
                "snapshots_seen": len(history),
                "history_html": Markup(render.target_history_table(env, history)),
                "timeline_html": Markup(
                    render.chart_view(env, timeline, src=root + state.chart_url(timeline))
                )
                if len(days_seen) > 1
                else None,
                "posts": _posts(_showing(mentions, info.slug, key), root),
                "root": root,
            }
        )
    return pages


def _showing(mentions: list[PostView], slug: str, key: str) -> list[PostView]:
    """The posts whose snapshot of the list holds this target: the ones that mention it.

    A post that showed the list before the target was on it never named it (part 4 and
    Triodos, issue 15), so it is not listed on the target's page.
    """
    out = []
    for view in mentions:
        snap = view.lists.get(slug)
        if snap is not None and snap.result_for(key) is not None:
            out.append(view)
    return out
