"""HTML fragments for posts and pages: grades, changes, charts, target cards (Jinja2).

Why templates and not string building: a theme must be able to restyle or reword a fragment by
dropping a same-named file into ``theme/templates/tlsreport/``, and Jinja2's autoescape makes
every value coming from a scanned server (certificate subjects, header values, target names)
text, never markup — a lab server whose certificate subject is ``<script>`` must show up as
those characters. Python here only shapes plain data for the templates; the class names are
the contract the theme styles (see the package README / issue 5).

Decisions stay elsewhere: grades come from the build's grader (handed in as ``Grade``
objects; this module cannot grade), changes from ``diff``; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import jinja2
from markupsafe import Markup, escape

from . import suites, vocabulary
from .charts import Chart
from .diff import ADDED, CAUSE_RULES, CHANGED, REMOVED, Change
from .expiry import not_after_of
from .facts import PROTOCOLS, STATE_OK, Facts, Snapshot, TargetRef, TargetResult
from .grade import GRADES, Grade
from .imports.compare import said
from .mailgrade import WHY_NOT_A_PLUS, is_mail
from .mailpolicy import policy_findings
from .vocabulary import NOT_RECORDED, NOT_TESTED

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The plugin's own stylesheet, for themes that do not style the classes below (Pelican's stock
# themes); the build writes it beside the charts when TLSREPORT_STYLESHEET is on.
STYLESHEET = Path(__file__).resolve().parent / "static" / "tlsreport.css"

RULES_CHANGED = "the rules changed, not the bank"

# Badge class slug per grade letter (the CSS contract), from the one vocabulary.
GRADE_SLUGS: dict[str, str] = {g: vocabulary.SLUGS[g] for g in GRADES}
_PROTOCOL_NAMES = vocabulary.PROTOCOL_NAMES
DASH = "—"
__all__ = ["NOT_RECORDED", "NOT_TESTED"]  # re-exported: pages and themes read them from here

TargetUrl = Callable[[TargetRef], str | None]


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
    loaders.append(
        jinja2.PrefixLoader(
            {"tlsreport-default": jinja2.FileSystemLoader(str(TEMPLATES / "tlsreport"))}
        )
    )
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
    env.filters["human_time"] = human_time
    env.globals["RULES_CHANGED"] = RULES_CHANGED
    return env


# --- small helpers (also filters) -----------------------------------------------------------


def grade_slug(letter: str | None) -> str:
    """The CSS slug of a grade: ``A+`` → ``a-plus``; no grade (or an unknown one) → ``na``."""
    return vocabulary.slug(letter)


def badge(letter: str | None, word: str = NOT_TESTED) -> Markup:
    """A grade badge: colour from the class, the letter as text, the full name as title.

    Without a letter the badge carries the vocabulary's word ("not tested", "not recorded"),
    the same word the chart and the change list use.
    """
    if letter is None:
        return Markup('<span class="tls-grade tls-grade-{}" title="No grade: {}">{}</span>').format(
            vocabulary.slug(word), word, word
        )
    return Markup('<span class="tls-grade tls-grade-{}" title="Grade {}">{}</span>').format(
        grade_slug(letter), letter, letter
    )


def stylesheet_link(href: str) -> Markup:
    """``<link rel="stylesheet">`` to the plugin's stylesheet, put before a page's first fragment.

    A link, not a ``<style>`` block: body-ok in HTML5, and a page under a strict
    Content-Security-Policy (``style-src 'self'``, no inline style) still gets its styles.
    """
    return Markup('<link rel="stylesheet" href="{}">').format(href)


def human_date(value: date | datetime | str) -> str:
    """``2015-02-16`` → ``16 February 2015`` (English, whatever the machine's locale)."""
    return vocabulary.human_date(_as_date(value))


def human_time(value: datetime | str) -> str:
    """``2026-12-05T08:23:58Z`` → ``5 December 2026, 08:23 UTC``: same-day snapshots differ."""
    d = _as_datetime(value)
    return f"{human_date(d)}, {d:%H:%M} UTC"


def cert_expiry(result: TargetResult) -> date | None:
    """The leaf certificate's expiry date, None when no certificate was seen."""
    return not_after_of(result)  # one reading of not_after for dates and days left


def expiry_text(result: TargetResult, on: date) -> str:
    """ "expires on … (N days left)" / "expired on …" for the leaf, as of ``on``; "" if none."""
    expiry = cert_expiry(result)
    return vocabulary.expiry_text(expiry, on) if expiry is not None else ""


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
    """``no`` exactly when the grader's "no Forward Secrecy" holds (same code, suites.py),
    else ``yes`` (every suite) or ``partly``; ``not tested`` or a dash without suites."""
    if facts is None or not facts.all_suites():
        return DASH
    return suites.forward_secrecy_summary(facts)


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

    Only the most specific reason of a pair is shown ("RC4 with modern browsers", not also
    "RC4 (insecure)"): the grader keeps both, the fold is made here (vocabulary.fold_reasons).
    """
    if grade is not None:
        return [*vocabulary.shown_reasons(result, grade), *said(result, grade)]
    return [state_text(result)]


def state_text(result: TargetResult) -> str:
    """Why a target has no grade, in the reader's words (the cause, or the vocabulary word)."""
    if result.state != STATE_OK:
        return vocabulary.state_detail(result)
    if result.recorded is not None and result.recorded.source == vocabulary.NOT_IN_IMPORT:
        # An imported snapshot lists the list's other targets this way: say which it is.
        return vocabulary.NOT_IN_IMPORT
    return vocabulary.state_word(result, None)


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One target as a fragment shows it (plain data for the templates)."""

    name: str
    url: str | None
    letter: str | None
    reasons: tuple[str, ...]
    expiry: date | None
    note: str
    word: str = NOT_TESTED  # what stands where the grade would (vocabulary.state_word)
    expiry_text: str = ""  # "expires on … (N days left)" / "expired on …", as of the scan
    when: datetime | None = None  # the snapshot's time, for same-day rows
    # The result the setup summaries below are read from, when a template asks for them: a
    # target page's history has a row per snapshot (100,000 on a big list) and its default
    # template shows none of them.
    result: TargetResult | None = field(default=None, repr=False, compare=False)

    @cached_property
    def protocols(self) -> str:
        return protocols_summary(self.result.facts if self.result else None)

    @cached_property
    def forward_secrecy(self) -> str:
        return forward_secrecy_summary(self.result.facts if self.result else None)

    @cached_property
    def key(self) -> str:
        return key_summary(self.result) if self.result else "—"

    @property
    def not_recorded(self) -> bool:
        """Listed, but its grade was never written down (a gap, not "not tested")."""
        return self.letter is None and self.word == vocabulary.NOT_RECORDED

    @property
    def badge_reasons(self) -> tuple[str, ...]:
        """The reasons beside a badge: without the badge's own word ("not recorded" is not
        said twice); the series format, which has no badge per row, uses ``reasons``."""
        if self.letter is None:
            return tuple(r for r in self.reasons if r != self.word)
        return self.reasons


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
    grades: Mapping[str, Grade | None],
    group: str | None = None,
    target_url: TargetUrl = _no_url,
) -> list[Row]:
    """Every (matching) target of a snapshot with its grade, by name.

    ``grades``: target key → grade (None: no grade to give), from the build's grader.
    """
    rows = []
    for result in snapshot.results:
        if group is not None and group not in result.target.group:
            continue
        rows.append(
            _row(result, grades.get(result.target.key), target_url(result.target), on=snapshot.day)
        )
    rows.sort(key=lambda r: (r.name.casefold(), r.name))
    return rows


def grades_view(
    env: jinja2.Environment,
    snapshot: Snapshot,
    *,
    on: date,
    grades: Mapping[str, Grade | None],
    compact: bool = False,
    group: str | None = None,
    target_url: TargetUrl = _no_url,
    id_prefix: str | None = None,
) -> str:
    """The grades of a list: the series' format (a heading per grade) or a compact table.

    ``id_prefix`` keeps the headings' anchors unique when a page shows the same list twice
    (default: ``tlsreport-<list>``).
    """
    rows = grade_rows(snapshot, grades=grades, group=group, target_url=target_url)
    ctx: dict[str, Any] = {
        "snapshot": snapshot,
        "taken": _as_datetime(snapshot.taken),
        "group": group,
        "on": on,
    }
    if compact:
        order = {g: i for i, g in enumerate(GRADES)}
        ranked = sorted(rows, key=lambda r: order.get(r.letter or "", len(order)))
        return env.get_template("tlsreport/grades_compact.html").render(rows=ranked, **ctx)
    prefix = id_prefix or f"tlsreport-{snapshot.list_slug}"
    sections = []
    for letter in GRADES:
        sections.append(
            Section(
                letter,
                letter,
                f"{prefix}-{grade_slug(letter)}",
                tuple(r for r in rows if r.letter == letter),
            )
        )
    sections.append(
        Section(
            NOT_TESTED,
            None,
            f"{prefix}-not-tested",
            tuple(r for r in rows if r.letter not in GRADES and not r.not_recorded),
        )
    )
    gaps = tuple(r for r in rows if r.letter not in GRADES and r.not_recorded)
    if gaps:  # a gap in a recorded list is not a test that could not be made (issue 15)
        sections.append(Section(NOT_RECORDED, None, f"{prefix}-not-recorded", gaps))
    return env.get_template("tlsreport/grades.html").render(
        sections=sections, groups=collapse_empty(sections), **ctx
    )


def collapse_empty(sections: Sequence[Section]) -> list[tuple[str, Any, list[str]]]:
    """Headings with targets stay; each run of empty grade headings becomes one line.

    Why: a five-target list printed seven headings saying only "n/a"; now the reader sees
    ``("none", "no D, E or F", [anchors])`` once. An empty "not tested" group is left out (there
    is nothing to say), and every anchor is kept so links to ``#…-d`` still land.
    """
    out: list[tuple[str, Any, list[str]]] = []
    run: list[Section] = []

    def flush() -> None:
        if run:
            letters = [x.label for x in run if x.letter is not None]
            if letters:
                out.append(
                    ("none", "no " + vocabulary.join_words(letters), [x.anchor for x in run])
                )
            run.clear()

    for section in sections:
        if section.rows:
            flush()
            out.append(("section", section, []))
        else:
            run.append(section)
    flush()
    return out


def changes_view(
    env: jinja2.Environment,
    changes: Sequence[Change],
    *,
    since_label: str,
    target_url: Callable[[str], str | None] = lambda key: None,
) -> str:
    """ "Changed since the last post", grouped under the date each change was first seen.

    ``target_url`` takes the target's key (``Change.key``, ``host:port/service``): a removed
    target is known by its key alone, and the key is what target pages are indexed by.
    """
    by_date: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        by_date.setdefault(change.first_seen, []).append(
            {
                "change": change,
                "url": target_url(change.key),
                "old_text": _change_side(change.old_grade, change.old_state),
                "new_text": _change_side(change.new_grade, change.new_state),
                "rules_only": change.cause == CAUSE_RULES,
            }
        )
    days = [(d, by_date[d]) for d in sorted(by_date)]
    return env.get_template("tlsreport/changes.html").render(
        days=days, since_label=since_label, CHANGED=CHANGED, ADDED=ADDED, REMOVED=REMOVED
    )


def chart_view(env: jinja2.Environment, chart: Chart, *, src: str) -> str:
    """A chart as a figure: the image, a caption, and its data as a table for screen readers."""
    template = env.get_template("tlsreport/chart.html")
    return template.render(chart=chart, src=src, memo=_CellMemo(_CELLS.setdefault(template, {})))


def target_card(
    env: jinja2.Environment,
    result: TargetResult,
    grade: Grade | None,
    *,
    url: str | None = None,
    on: date | None = None,
) -> str:
    """One target inline (inside a sentence): badge, name, reasons, certificate expiry.

    ``on`` (the snapshot's day) lets the card say "expired on" for a certificate already
    expired at the scan; without it the card says only the date.
    """
    return env.get_template("tlsreport/card.html").render(row=_row(result, grade, url, on=on))


def target_history_table(
    env: jinja2.Environment,
    rows: Sequence[tuple[date | datetime, Grade | None, TargetResult]],
) -> str:
    """A target's grade at each snapshot, newest first, for its own page.

    Give each row the snapshot's time (a ``datetime``) and days with several snapshots show
    the time of each ("5 December 2026, 08:23 UTC"), instead of three identical date rows.
    """
    shaped = []
    for when, grade, result in rows:
        day = _as_date(when)
        at = when if isinstance(when, datetime) else None
        shaped.append((day, at, _row(result, grade, None, on=day, when=at)))
    per_day: dict[date, int] = {}
    for day, _, _ in shaped:
        per_day[day] = per_day.get(day, 0) + 1
    shaped.sort(key=lambda p: (p[0], p[1].timestamp() if p[1] else 0.0), reverse=True)
    out = [(day, row, at is not None and per_day[day] > 1) for day, at, row in shaped]
    template = env.get_template("tlsreport/target_history.html")
    return template.render(rows=out, memo=_CellMemo(_CELLS.setdefault(template, {})))


# Rendered cells of the target history, per template (a theme's template has its own, a
# build's environment its own templates): a big list renders a thousand pages of a hundred rows
# and the cells repeat across them (same days, same grades and reasons), so each distinct cell
# is rendered once per build; the markup still comes from the template a theme can override.
_CELLS: WeakKeyDictionary[jinja2.Template, dict[tuple[Any, ...], Markup]] = WeakKeyDictionary()


class _CellMemo:
    """``memo(macro, args…)`` in a template: the macro's output for these arguments, rendered
    once. Keyed by the macro's name and its arguments, so a macro handed to it must depend on
    its arguments alone (not on the row it came from)."""

    __slots__ = ("_done",)

    def __init__(self, done: dict[tuple[Any, ...], Markup]) -> None:
        self._done = done

    def __call__(self, macro: jinja2.runtime.Macro, *args: Any) -> Markup:
        key = (macro.name, *args)
        html = self._done.get(key)
        if html is None:
            html = self._done[key] = Markup(macro(*args))
        return html


@dataclass(frozen=True)
class EndpointRow:
    """One address of a target on its page: its own grade, or why it has none."""

    address: str
    letter: str | None
    reasons: tuple[str, ...]


def endpoints_table(env: jinja2.Environment, grade: Grade | None) -> str:
    """Every address of a target with its own grade (a target page); "" for one address."""
    if grade is None or len(grade.endpoints) < 2:
        return ""
    rows = [
        EndpointRow(
            e.address,
            e.letter,
            tuple(r.label for r in vocabulary.fold_reasons(e.grade.reasons))
            if e.grade is not None
            else (e.reason or vocabulary.state_detail_of(e.state),),
        )
        for e in grade.endpoints
    ]
    return env.get_template("tlsreport/endpoints.html").render(endpoints=rows)


def error_box(env: jinja2.Environment, message: str) -> str:
    """A visible warning where a directive could not be rendered (TLSREPORT_ERRORS = "warn")."""
    return env.get_template("tlsreport/error.html").render(message=message)


# --- internals ------------------------------------------------------------------------------


def _row(
    result: TargetResult,
    grade: Grade | None,
    url: str | None,
    *,
    on: date | None = None,
    when: datetime | None = None,
) -> Row:
    """One target as the templates show it; ``on``: the snapshot's day (for "expired on")."""
    expiry = cert_expiry(result)
    return Row(
        name=result.target.name,
        url=url,
        letter=grade.letter if grade is not None else None,
        reasons=tuple(reasons_of(result, grade)),
        expiry=expiry,
        note=result.target.note,
        word=vocabulary.state_word(result, grade.letter if grade is not None else None),
        expiry_text=vocabulary.expiry_text(expiry, on) if expiry and on else "",
        when=when,
        result=result,
    )


def _change_side(letter: str | None, state: str | None) -> Markup:
    """One side of "B → A": a badge, or the reason there is no grade."""
    if state is None:
        return Markup("")
    if state != STATE_OK:
        return badge(None, NOT_TESTED) + escape(f" ({vocabulary.state_detail_of(state)})")
    if letter is None:
        return badge(None, NOT_RECORDED)
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


# --- the target page's report (what SSL Labs shows for one host) ---------------------------

MAX_SAN_NAMES = 10  # certificate names shown before "and N more": a hostile cert has hundreds


def target_report(
    env: jinja2.Environment,
    result: TargetResult,
    grade: Grade | None,
    *,
    on: date,
) -> str:
    """The target page's body: grade and grade-if-trusted, scores as bars, caps with their
    reason and rule date, protocols, suites per protocol (weak ones marked), the certificate
    chain, HSTS and what was not tested — the parts of an SSL Labs report a scan can back.

    Plain data for the template only: every string from the server (subjects, suite names,
    header values) is escaped there.
    """
    return env.get_template("tlsreport/target_report.html").render(
        **report_data(result, grade, on=on)
    )


def report_data(result: TargetResult, grade: Grade | None, *, on: date) -> dict[str, Any]:
    """What :func:`target_report` lays out, as plain data (tests read it too)."""
    facts = result.facts
    letter = grade.letter if grade is not None else None
    data: dict[str, Any] = {
        "letter": letter,
        "word": vocabulary.state_word(result, letter),
        "detail": vocabulary.state_detail(result),
        "if_trusted": None,
        "scores": [],
        "caps": [],
        "warnings": [],
        "note": "",
        "reasons": reasons_of(result, grade) if grade is not None else [],
        "protocols": [],
        "suites": [],
        "chain": [],
        "trust": None,
        "hsts": None,
        "ocsp": None,
        "not_tested": [],
        "recorded": None,
        "address": None,
        "fetched": None,
        "fetch_error": None,
        "hsts_not_applicable": None,
        "mail_policy": [],
    }
    if grade is not None:
        if grade.grade_if_trusted != grade.letter:
            data["if_trusted"] = grade.grade_if_trusted
        if grade.scores is not None:
            sc = grade.scores
            data["scores"] = [
                ("Protocol support", sc.protocol),
                ("Key exchange", sc.key_exchange),
                ("Cipher strength", sc.cipher),
                ("Overall", sc.total),
            ]
        data["caps"] = [
            {"grade": c.grade, "reason": c.reason, "since": _as_date(c.since) if c.since else None}
            for c in _fold_caps(grade)
        ]
        kept = {r.id for r in vocabulary.fold_reasons(grade.reasons)}
        data["warnings"] = [w.label for w in grade.warnings if w.id in kept]
        data["not_tested"] = list(grade.not_tested)
        data["note"] = grade.note
    if facts is None:
        if result.recorded is not None:
            data["recorded"] = {
                "grade": result.recorded.grade or NOT_RECORDED,
                "reasons": list(result.recorded.reasons),
                "source": result.recorded.source,
            }
        return data
    for p in PROTOCOLS:
        offered = facts.offered(p)
        word = NOT_TESTED if offered is None else ("yes" if offered else "no")
        data["protocols"].append((_PROTOCOL_NAMES[p], word))
    for p in reversed(PROTOCOLS):
        listed = facts.protocols.get(p)
        if not listed:
            continue
        data["suites"].append(
            (
                _PROTOCOL_NAMES[p],
                [
                    {
                        "name": s.name,
                        "bits": s.bits,
                        "kex": _kex_text(s.kex, s.kex_bits, s.curve),
                        "weak": suites.weaknesses(s),
                    }
                    for s in listed
                ],
            )
        )
    if result.endpoints and facts.ip:
        # The facts below are one address's; the grade is the worst address's.
        data["address"] = (
            f"{facts.ip} (the first of {len(result.endpoints)} addresses; "
            "every address's grade is listed above)"
        )
    cert = facts.certificate
    if cert is not None:
        for i, c in enumerate(cert.chain):
            data["chain"].append(_chain_entry(i, c, on))
        data["trust"] = vocabulary.trust_text(cert.problem, cert.trusted)
        if cert.fetched:  # an incomplete chain completed through the leaf's AIA URL
            data["fetched"] = (
                "; ".join(c.subject for c in cert.fetched) + f" from {', '.join(cert.fetched_from)}"
            )
        elif cert.fetch_error:
            data["fetch_error"] = cert.fetch_error[:200]
        if cert.ocsp_stapled is not None:
            data["ocsp"] = (
                "stapled" + (f" ({cert.ocsp_status.lower()})" if cert.ocsp_status else "")
                if cert.ocsp_stapled
                else "not stapled"
            )
    if facts.hsts is not None:
        h = facts.hsts
        if h.present:
            text = f"max-age={h.max_age}" if h.max_age is not None else "sent"
            if h.max_age:
                text += f" ({h.max_age // 86400} days)"
            text += "; includeSubDomains" if h.include_subdomains else ""
            text += "; preload" if h.preload else ""
        else:
            text = "not sent"
        data["hsts"] = text
    elif facts.http_error:
        data["hsts"] = f"not read: {facts.http_error[:200]}"
    if is_mail(result.target.service):  # issue 14: HSTS is a web header; what mail says first
        data["hsts_not_applicable"] = f"HSTS not applicable to mail — {WHY_NOT_A_PLUS}"
        data["mail_policy"] = [
            (f.level, f.text) for f in policy_findings(facts.mail, result.target.service)
        ]
    if facts.errors:
        data["not_tested"] = [
            *data["not_tested"],
            *(f"{name} (did not complete)" for name in sorted(facts.errors)),
        ]
    return data


def _fold_caps(grade: Grade) -> list[Any]:
    """Caps, each reason once, the specific one of a pair (as the reasons are folded)."""
    kept = {r.id for r in vocabulary.fold_reasons(grade.reasons)}
    seen: set[tuple[str, str]] = set()
    out = []
    for c in grade.caps:
        if c.rule not in kept or (c.grade, c.rule) in seen:
            continue
        seen.add((c.grade, c.rule))
        out.append(c)
    return out


def _kex_text(kex: str, bits: int | None, curve: str | None) -> str:
    if kex == "TLS13":
        kex = "ECDHE" if curve else "TLS 1.3"
    text = kex or DASH
    if curve:
        text += f" {curve}"
    elif bits:
        text += f" {bits}-bit"
    return text


def _chain_entry(index: int, c: Any, on: date) -> dict[str, Any]:
    """One certificate of the chain as the page lists it (validity counted from the scan)."""
    key = f"{c.key_type} {c.key_bits}" if c.key_bits else (c.key_type or DASH)
    if c.curve:
        key += f" ({c.curve})"
    validity = ""
    try:
        start = _as_date(c.not_before) if c.not_before else None
        end = _as_date(c.not_after) if c.not_after else None
    except ValueError:
        start = end = None
    if end is not None:
        validity = vocabulary.expiry_text(end, on)
        if start is not None:
            validity = f"from {human_date(start)}; {validity}"
        if start is not None and start > on:
            validity = f"not valid before {human_date(start)}; {vocabulary.expiry_text(end, on)}"
    names = list(c.sans[:MAX_SAN_NAMES])
    more = len(c.sans) - len(names)
    return {
        "role": "server certificate" if index == 0 else f"chain certificate {index}",
        "subject": c.subject,
        "issuer": c.issuer,
        "key": key,
        "signature": c.signature_hash.upper() if c.signature_hash else DASH,
        "validity": validity or DASH,
        "names": ", ".join(names) + (f" and {more} more" if more else ""),
        "self_signed": bool(c.subject) and c.subject == c.issuer,
        "expired": end is not None and end < on,
    }
