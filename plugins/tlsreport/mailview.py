"""How reports show the mail findings and certificate expiry: HTML fragments and JSON. Pure.

Two directive views use the HTML here: ``[tlsreport mail list=… target=…]`` (the mail policy
of each mail target, beside its grade, and the list's mail-domain checks) and
``[tlsreport expiring list=… within=30]`` (certificates ending soon). The command line's
``show`` and ``grade`` use the JSON and the one-line summaries.

Everything a server or a list file said (names, capabilities, the server's replies) is
escaped with MarkupSafe before it becomes HTML; the fragments are built in Python rather
than in templates so this module carries no template of its own through the merge.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from . import expiry
from .facts import Snapshot, TargetResult
from .maildns import domain_findings
from .mailpolicy import MailFinding, policy_findings, policy_summary
from .render import badge
from .vocabulary import days_left_text

Grader = Callable[[TargetResult, date], Any]  # -> Grade | None


def expiry_json(
    result: TargetResult,
    on: date,
    *,
    warn_days: int = expiry.WARN_DAYS,
    alert_days: int = expiry.ALERT_DAYS,
) -> dict[str, Any]:
    """``not_after``, ``days_left``, ``expiry`` (level) and its words; nulls without a cert."""
    exp = expiry.expiry_of(result, on, warn_days=warn_days, alert_days=alert_days)
    if exp is None:
        return {"not_after": None, "days_left": None, "expiry": None, "expiry_text": None}
    return {
        "not_after": exp.not_after.isoformat(),
        "days_left": exp.days_left,
        "expiry": exp.level,
        "expiry_text": days_left_text(exp.days_left),
    }


def _finding_json(found: tuple[MailFinding, ...]) -> list[dict[str, str]]:
    return [{"id": f.id, "level": f.level, "text": f.text} for f in found]


def mail_json(result: TargetResult) -> dict[str, Any]:
    """The mail findings of one result (empty lists for https or unscanned targets)."""
    facts = result.facts
    policy = facts.mail if facts is not None else None
    domain = facts.mail_domain if facts is not None else None
    return {
        "mail_policy": _finding_json(policy_findings(policy, result.target.service)),
        "mail_domain": _finding_json(domain_findings(domain)),
    }


def expiry_words(result: TargetResult, on: date) -> str:
    """ "23 days left (warning)", "90 days left", or "" without a certificate."""
    exp = expiry.expiry_of(result, on)
    if exp is None:
        return ""
    text = days_left_text(exp.days_left)
    return text if exp.level == "ok" else f"{text} ({exp.level})"


def mail_words(result: TargetResult) -> str:
    """The mail policy's few words for a table cell ("" for https)."""
    facts = result.facts
    return policy_summary(facts.mail if facts is not None else None, result.target.service)


# --- HTML --------------------------------------------------------------------------------------


def _findings_list(found: tuple[MailFinding, ...]) -> Markup:
    items = Markup("").join(
        Markup('<li class="tlsreport-mail-{}">{}</li>').format(f.level, f.text) for f in found
    )
    return Markup('<ul class="tlsreport-mail-findings">{}</ul>').format(items)


def mail_view(
    snapshot: Snapshot,
    *,
    on: date,
    grader: Grader,
    target: str | None = None,
    group: str | None = None,
    target_url: Callable[[Any], str | None] = lambda _: None,
) -> str:
    """The mail-policy section: per mail target its grade, days left and policy findings,
    then the mail domain's DNS findings. SSL Labs does not grade mail policy: the findings
    sit beside the grade and never change it (the section says so)."""
    rows = []
    domains = []
    for result in snapshot.results:
        t = result.target
        if target is not None and t.name != target:
            continue
        if group is not None and group not in t.group:
            continue
        facts = result.facts
        if facts is None or facts.mail is None:
            continue
        grade = grader(result, on)
        letter = badge(grade.letter if grade is not None else None)
        url = target_url(t)
        name = Markup('<a href="{}">{}</a>').format(url, t.name) if url else escape(t.name)
        rows.append(
            Markup(
                '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>'
            ).format(
                name,
                t.service,
                letter,
                expiry_words(result, on) or "—",
                _findings_list(policy_findings(facts.mail, t.service)),
            )
        )
        if facts.mail_domain is not None:
            domains.append(facts.mail_domain)
    if not rows:
        return str(
            Markup(
                '<p class="tlsreport-mail tlsreport-empty">No mail target with '
                "mail-policy facts in this snapshot.</p>"
            )
        )
    head = Markup(
        "<thead><tr><th>Target</th><th>Service</th><th>Grade</th>"
        "<th>Certificate</th><th>Policy before TLS</th></tr></thead>"
    )
    parts = [
        Markup('<div class="tlsreport-mail">'),
        # In the theme's scroll box, like the grades tables: never wider than a phone.
        Markup(
            '<div class="tlsreport-scroll"><table class="tlsreport-table '
            'tlsreport-mail-table">{}<tbody>{}</tbody></table></div>'
        ).format(head, Markup("").join(rows)),
        Markup(
            '<p class="tlsreport-mail-note">These findings are not part of the grade: '
            "SSL Labs grades the TLS a server negotiates, not its mail policy. HSTS does "
            "not apply to mail, so A is a mail server's best grade.</p>"
        ),
    ]
    for found in domains:
        parts.append(
            Markup('<h4 class="tlsreport-mail-domain">Mail domain {}</h4>{}').format(
                found.domain, _findings_list(domain_findings(found))
            )
        )
    parts.append(Markup("</div>"))
    return str(Markup("").join(parts))


def expiring_view(
    snapshot: Snapshot,
    *,
    on: date,
    within: int = expiry.WARN_DAYS,
    alert_days: int = expiry.ALERT_DAYS,
    group: str | None = None,
    target_url: Callable[[Any], str | None] = lambda _: None,
) -> str:
    """Certificates ending within ``within`` days of ``on`` (or already ended), soonest first."""
    rows = []
    for result, exp in expiry.expiring(snapshot, on, within=within, alert_days=alert_days):
        t = result.target
        if group is not None and group not in t.group:
            continue
        url = target_url(t)
        name = Markup('<a href="{}">{}</a>').format(url, t.name) if url else escape(t.name)
        rows.append(
            Markup(
                '<tr class="tlsreport-expiry-{}"><th scope="row">{}</th><td>{}</td><td>{}</td></tr>'
            ).format(exp.level, name, exp.not_after.isoformat(), days_left_text(exp.days_left))
        )
    if not rows:
        return str(
            Markup(
                '<p class="tlsreport-expiring tlsreport-empty">No certificate ends '
                "within {} days of {}.</p>"
            ).format(within, on.isoformat())
        )
    return str(
        Markup(
            '<div class="tlsreport-scroll"><table class="tlsreport-table '
            'tlsreport-expiring">'
            "<thead><tr><th>Target</th><th>Valid until</th><th>Days left on {}</th>"
            "</tr></thead><tbody>{}</tbody></table></div>"
        ).format(on.isoformat(), Markup("").join(rows))
    )
