"""HTML fragments for posts and pages: grades, changes, charts, target cards (Jinja2).

Why templates and not string building: a theme must be able to restyle or reword a fragment by
dropping a same-named file into ``theme/templates/tlsreport/``, and Jinja2's autoescape makes
every value coming from a scanned server (certificate subjects, header values, target names)
text, never markup — a lab server whose certificate subject is ``<script>`` must show up as
those characters. Python here only shapes plain data for the templates; the class names are
the contract the theme styles (see the package README / issue 5).

Decisions stay elsewhere: grades come from ``grade.grade_result``, changes from ``diff``;
this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .charts import Chart
from .diff import ADDED, CAUSE_RULES, CHANGED, REMOVED, Change
from .facts import PROTOCOLS, STATE_OK, UNREACHABLE_STATES, Facts, Snapshot, TargetRef, TargetResult
from .grade import GRADES, Grade, grade_result

TEMPLATES = Path(__file__).resolve().parent / "templates"

NOT_TESTED = "not tested"
NOT_RECORDED = "not recorded"
RULES_CHANGED = "the rules changed, not the bank"

# Badge class slug per grade letter (the CSS contract).
GRADE_SLUGS: dict[str, str] = {
    "A+": "a-plus",
    "A": "a",
    "A-": "a-minus",
    "B": "b",
    "C": "c",
    "D": "d",
    "E": "e",
    "F": "f",
    "T": "t",
    "M": "m",
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_PROTOCOL_NAMES = {"SSLv2": "SSL 2", "SSLv3": "SSL 3", "TLSv1.0": "TLS 1.0",
                   "TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}
DASH = "—"

TargetUrl = Callable[[TargetRef], str | None]
# grade_result, or a build's GradeMemo.grade: (result, on, *, taken) -> Grade | None
Grader = Callable[..., Grade | None]


def _no_url(target: TargetRef) -> str | None:
    return None


# --- the environment ------------------------------------------------------------------------


def environment(theme_templates: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment with autoescape on, theme templates first, then ours.

    ``theme_templates`` is a theme's ``templates`` folder: a file
    ``theme_templates/tlsreport/grades.html`` replaces our ``tlsreport/grades.html``. An
    override that only wants to wrap ours can ``{% extends "tlsreport-default/grades.html" %}``.
    """
    loaders: list[jinja2.BaseLoader] = []
    if theme_templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(theme_templates)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    loaders.append(jinja2.PrefixLoader(
        {"tlsreport-default": jinja2.FileSystemLoader(str(TEMPLATES / "tlsreport"))}))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["tls_badge"] = badge
    env.filters["human_date"] = human_date
    env.globals["RULES_CHANGED"] = RULES_CHANGED
    return env


# --- small helpers (also filters) -----------------------------------------------------------


def grade_slug(letter: str | None) -> str:
    """The CSS slug of a grade: ``A+`` → ``a-plus``; no grade (or an unknown one) → ``na``."""
    return GRADE_SLUGS.get(letter or "", "na")


def badge(letter: str | None) -> Markup:
    """A grade badge: colour from the class, the letter as text, the full name as title."""
    if letter is None:
        return Markup('<span class="tls-grade tls-grade-na" title="No grade">n/a</span>')
    return Markup('<span class="tls-grade tls-grade-{}" title="Grade {}">{}</span>').format(
        grade_slug(letter), letter, letter)


def human_date(value: date | datetime | str) -> str:
    """``2015-02-16`` → ``16 February 2015`` (English, whatever the machine's locale)."""
    d = _as_date(value)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def cert_expiry(result: TargetResult) -> date | None:
    """The leaf certificate's expiry date, None when no certificate was seen."""
    from .expiry import not_after_of  # one reading of not_after for dates and days left

    return not_after_of(result)


def protocols_summary(facts: Facts | None) -> str:
    """The protocols a server offers, shortest readable form: ``SSL 3, TLS 1.0–1.2``.

    Protocols whose test did not complete are named as such, never silently dropped: "not
    tested" is not "not offered".
    """
    if facts is None:
        return DASH
    offered = [p for p in PROTOCOLS if facts.offered(p)]
    parts: list[str] = []
    tls = [p for p in offered if p.startswith("TLS")]
    parts += [_PROTOCOL_NAMES[p] for p in offered if p.startswith("SSL")]
    if tls:
        # A run of consecutive TLS versions reads as a range.
        idx = [PROTOCOLS.index(p) for p in tls]
        run_start = prev = idx[0]
        for i in [*idx[1:], None]:
            if i is not None and i == prev + 1:
                prev = i
                continue
            first, last = _PROTOCOL_NAMES[PROTOCOLS[run_start]], _PROTOCOL_NAMES[PROTOCOLS[prev]]
            parts.append(first if run_start == prev else f"{first}–{last.removeprefix('TLS ')}")
            if i is not None:
                run_start = prev = i
    text = ", ".join(parts) if parts else "none"
    untested = [_PROTOCOL_NAMES[p] for p in PROTOCOLS if facts.offered(p) is None]
    if untested:
        text += f" ({', '.join(untested)} not tested)"
    return text


def forward_secrecy_summary(facts: Facts | None) -> str:
    """``yes`` when every accepted suite has forward secrecy, ``partly``, ``no``, or a dash."""
    if facts is None:
        return DASH
    suites = [s for _, s in facts.all_suites()]
    if not suites:
        return DASH
    fs = sum(1 for s in suites if s.forward_secrecy)
    if fs == len(suites):
        return "yes"
    return "partly" if fs else "no"


def key_summary(result: TargetResult) -> str:
    """The leaf certificate's key: ``RSA 2048``, ``EC 256 (prime256v1)``, or a dash."""
    facts = result.facts
    leaf = facts.certificate.leaf if facts and facts.certificate else None
    if leaf is None or not leaf.key_type:
        return DASH
    text = f"{leaf.key_type} {leaf.key_bits}" if leaf.key_bits else leaf.key_type
    if leaf.curve:
        text += f" ({leaf.curve})"
    return text


def reasons_of(result: TargetResult, grade: Grade | None) -> list[str]:
    """What to write next to a target: its grade's reasons, or why it has no grade.

    A recorded grade shown as it was published keeps the reasons as published (their words,
    their order); the grader's labels are used once the rules of another day regrade it.
    """
    rec = result.recorded
    if grade is not None and result.facts is None and rec is not None and rec.grade == grade.letter:
        return list(rec.reasons)
    if grade is not None:
        return [r.label for r in grade.reasons]
    return [state_text(result)]


def state_text(result: TargetResult) -> str:
    """Why a target has no grade, in the reader's words."""
    if result.state != STATE_OK:
        return result.reason or UNREACHABLE_STATES.get(result.state, result.state)
    if result.recorded is not None and result.recorded.grade is None:
        return NOT_RECORDED
    return NOT_TESTED


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One target as a fragment shows it (plain data for the templates)."""

    name: str
    url: str | None
    letter: str | None
    reasons: tuple[str, ...]
    protocols: str
    forward_secrecy: str
    key: str
    expiry: date | None
    note: str
    expiry_text: str = ""  # issue 14: "23 days left" on the snapshot's day, "" if unknown


@dataclass(frozen=True)
class Section:
    """A grade heading of the series format with its targets."""

    label: str  # "A+" … "M", or "not tested"
    letter: str | None
    anchor: str
    rows: tuple[Row, ...]


def grade_rows(
    snapshot: Snapshot,
    *,
    on: date,
    group: str | None = None,
    target_url: TargetUrl = _no_url,
    grader: Grader = grade_result,
) -> list[Row]:
    """Every (matching) target of a snapshot graded under the rules of ``on``, by name.

    ``grader`` is ``grade_result`` or a build's ``GradeMemo.grade`` (same answers, graded once).
    """
    taken = _as_date(snapshot.taken)
    rows = []
    for result in snapshot.results:
        if group is not None and group not in result.target.group:
            continue
        grade = _grade(result, on, taken, grader)
        rows.append(_row(result, grade, target_url(result.target), day=taken))
    rows.sort(key=lambda r: (r.name.casefold(), r.name))
    return rows


def grades_view(
    env: jinja2.Environment,
    snapshot: Snapshot,
    *,
    on: date,
    compact: bool = False,
    group: str | None = None,
    target_url: TargetUrl = _no_url,
    id_prefix: str | None = None,
    grader: Grader = grade_result,
) -> str:
    """The grades of a list: the series' format (a heading per grade) or a compact table.

    ``id_prefix`` keeps the headings' anchors unique when a page shows the same list twice
    (default: ``tlsreport-<list>``).
    """
    rows = grade_rows(snapshot, on=on, group=group, target_url=target_url, grader=grader)
    ctx: dict[str, Any] = {"snapshot": snapshot, "taken": _as_datetime(snapshot.taken),
                           "group": group, "on": on}
    if compact:
        order = {g: i for i, g in enumerate(GRADES)}
        ranked = sorted(rows, key=lambda r: order.get(r.letter or "", len(order)))
        return env.get_template("tlsreport/grades_compact.html").render(rows=ranked, **ctx)
    prefix = id_prefix or f"tlsreport-{snapshot.list_slug}"
    sections = []
    for letter in GRADES:
        sections.append(Section(letter, letter, f"{prefix}-{grade_slug(letter)}",
                                tuple(r for r in rows if r.letter == letter)))
    sections.append(Section(NOT_TESTED, None, f"{prefix}-not-tested",
                            tuple(r for r in rows if r.letter not in GRADES)))
    return env.get_template("tlsreport/grades.html").render(sections=sections, **ctx)


def changes_view(
    env: jinja2.Environment,
    changes: Sequence[Change],
    *,
    since_label: str,
    target_url: Callable[[str], str | None] = lambda key: None,
) -> str:
    """"Changed since the last post", grouped under the date each change was first seen.

    ``target_url`` takes the target's key (``Change.key``, ``host:port/service``): a removed
    target is known by its key alone, and the key is what target pages are indexed by.
    """
    by_date: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        by_date.setdefault(change.first_seen, []).append({
            "change": change,
            "url": target_url(change.key),
            "old_text": _change_side(change.old_grade, change.old_state),
            "new_text": _change_side(change.new_grade, change.new_state),
            "rules_only": change.cause == CAUSE_RULES,
        })
    days = [(d, by_date[d]) for d in sorted(by_date)]
    return env.get_template("tlsreport/changes.html").render(
        days=days, since_label=since_label, CHANGED=CHANGED, ADDED=ADDED, REMOVED=REMOVED)


def chart_view(env: jinja2.Environment, chart: Chart, *, src: str) -> str:
    """A chart as a figure: the image, a caption, and its data as a table for screen readers."""
    return env.get_template("tlsreport/chart.html").render(chart=chart, src=src)


def target_card(
    env: jinja2.Environment, result: TargetResult, grade: Grade | None, *, url: str | None = None,
    day: date | None = None,
) -> str:
    """One target inline (inside a sentence): badge, name, reasons, certificate expiry
    (with the days left on ``day``, the snapshot's day, when given)."""
    return env.get_template("tlsreport/card.html").render(row=_row(result, grade, url, day=day))


def target_history_table(
    env: jinja2.Environment, rows: Sequence[tuple[date, Grade | None, TargetResult]]
) -> str:
    """A target's grade at each snapshot, newest first, for its own page."""
    shaped = [(d, _row(result, grade, None, day=d)) for d, grade, result in rows]
    shaped.sort(key=lambda p: p[0], reverse=True)
    return env.get_template("tlsreport/target_history.html").render(rows=shaped)


def target_findings(
    env: jinja2.Environment, result: TargetResult, grade: Grade | None, *,
    taken: date | datetime | str | None = None,
) -> str:
    """A target's latest findings for its own page: what the grade rests on, in full.

    Everything here may come from the server (certificate subject, names, header values): the
    template prints it as text, so a subject of ``<script>`` shows as those characters.
    """
    facts = result.facts
    cert = facts.certificate if facts is not None else None
    leaf = cert.leaf if cert is not None else None
    items: list[tuple[str, Any]] = [("Grade", badge(grade.letter if grade else None))]
    if grade is not None and grade.letter in ("T", "M") and grade.grade_if_trusted:
        items.append(("If the certificate were trusted", badge(grade.grade_if_trusted)))
    items.append(("Reasons", reasons_of(result, grade)))
    if facts is not None:
        items += [("Protocols", protocols_summary(facts)),
                  ("Forward secrecy", forward_secrecy_summary(facts))]
    if leaf is not None:
        items += [
            ("Certificate subject", leaf.subject),
            ("Issuer", leaf.issuer),
            ("Names", ", ".join(leaf.sans) or DASH),
            ("Key", key_summary(result)),
            ("Signature", (leaf.signature_hash or DASH).upper()),
            ("Valid until", cert_expiry(result) or DASH),
            *([("Days left", days_left_text(result, _as_date(taken)))] if taken is not None
              and cert_expiry(result) is not None else []),
        ]
    if cert is not None:
        trusted_by = [t.store for t in cert.trust if t.trusted]
        trust = f"trusted ({', '.join(trusted_by)})" if trusted_by else (
            f"not trusted: {cert.problem}" if cert.problem else "not trusted")
        items.append(("Trust", trust if cert.trust else NOT_TESTED))
    if facts is not None:
        items += [
            ("HSTS", _hsts_text(facts) if result.target.service == "https"
             else "not applicable (not HTTPS)"),
            ("Secure renegotiation", _tri(
                facts.renegotiation.secure if facts.renegotiation else None)),
            ("TLS compression", _tri(facts.compression)),
            ("Downgrade protection (TLS_FALLBACK_SCSV)", _tri(facts.fallback_scsv)),
            ("Heartbleed", _tri(facts.heartbleed, "vulnerable", "not vulnerable")),
            ("CCS injection", _tri(facts.ccs_injection, "vulnerable", "not vulnerable")),
            ("ROBOT", facts.robot.replace("_", " ").lower() if facts.robot else NOT_TESTED),
        ]
        if facts.errors:
            items.append(("Tests that did not complete", ", ".join(sorted(facts.errors))))
    if grade is not None and grade.not_tested:
        items.append(("Not tested", ", ".join(grade.not_tested)))
    suites = [(_PROTOCOL_NAMES[p], s) for p, s in facts.all_suites()] if facts else []
    return env.get_template("tlsreport/findings.html").render(
        items=items, suites=suites, name=result.target.name,
        taken=_as_date(taken) if taken is not None else None)


def error_box(env: jinja2.Environment, message: str) -> str:
    """A visible warning where a directive could not be rendered (TLSREPORT_ERRORS = "warn")."""
    return env.get_template("tlsreport/error.html").render(message=message)


# --- internals ------------------------------------------------------------------------------


def days_left_text(result: TargetResult, day: date) -> str:
    """Issue 14: "23 days left (warning)" on ``day`` (tlsreport.expiry's words)."""
    from .mailview import expiry_words

    return expiry_words(result, day)


def _row(result: TargetResult, grade: Grade | None, url: str | None, *,
         day: date | None = None) -> Row:
    return Row(
        expiry_text=days_left_text(result, day) if day is not None else "",
        name=result.target.name,
        url=url,
        letter=grade.letter if grade is not None else None,
        reasons=tuple(reasons_of(result, grade)),
        protocols=protocols_summary(result.facts),
        forward_secrecy=forward_secrecy_summary(result.facts),
        key=key_summary(result),
        expiry=cert_expiry(result),
        note=result.target.note,
    )


def _grade(result: TargetResult, on: date, taken: date, grader: Grader = grade_result
           ) -> Grade | None:
    if result.state != STATE_OK:
        return None
    if result.recorded is not None and result.recorded.grade is None and result.facts is None:
        return None
    return grader(result, on, taken=taken)


def _tri(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    """A yes/no fact where None means "not tested", never "no"."""
    return NOT_TESTED if value is None else (yes if value else no)


def _hsts_text(facts: Facts) -> str:
    if facts.hsts is None:
        return f"not read: {facts.http_error}" if facts.http_error else NOT_TESTED
    if not facts.hsts.present:
        return "none"
    parts = [f"max-age={facts.hsts.max_age}" if facts.hsts.max_age is not None else "max-age?"]
    if facts.hsts.include_subdomains:
        parts.append("includeSubDomains")
    if facts.hsts.preload:
        parts.append("preload")
    return "; ".join(parts)


def _change_side(letter: str | None, state: str | None) -> Markup:
    """One side of "B → A": a badge, or the reason there is no grade."""
    if state is None:
        return Markup("")
    if state != STATE_OK:
        return escape(f"{NOT_TESTED} ({UNREACHABLE_STATES.get(state, state)})")
    if letter is None:
        return escape(NOT_RECORDED)
    return badge(letter)


def _as_datetime(value: date | datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _as_datetime(value).date()
