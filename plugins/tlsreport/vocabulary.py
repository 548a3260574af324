"""The reader's words and colours, in one place: every room that shows a state imports them.

Why a module of its own: a reader met one unreachable server as "n/a" (badge), "not tested"
(chart, change list) and "refused" (command line), and a grade's badge and chart dot in two
different colours. Pages, charts, change lists, downloads and the command line now ask this
module, so a word or a colour can only change everywhere at once (tests/unit/test_vocabulary.py
also checks the stylesheet's badge colours against :data:`COLOURS`).

The words:

- a target with a grade shows its letter;
- a target whose scan could not run (any state but ``ok``: refused, timed out, no TLS, …) is
  **not tested**, always followed by the cause in the reader's words ("connection refused");
  the state id (``refused``) stays in the JSON for machines;
- a recorded target whose grade was never published is **not recorded**.

Reasons: the grader lists every finding that holds (diffs and recorded history need each one);
what a reader sees is folded here, at display, to the most specific one (:func:`fold_reasons`):
"RC4 with modern browsers" already says "RC4", so "RC4 (insecure)" is not repeated beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar

from .facts import STATE_OK, UNREACHABLE_STATES, TargetResult
from .grade import GRADES, Grade, Reason
from .rules import EFFECTS

NOT_TESTED = "not tested"
NOT_RECORDED = "not recorded"
SCANNED = "scanned"  # the command line's state column for a target whose scan ran
NO_GRADE_WORDS: tuple[str, ...] = (NOT_TESTED, NOT_RECORDED)
# An imported snapshot's other targets (the import assessed one host): "not recorded" in the
# badge and chart, said as this in the reasons (a recorded grade of None with this source).
NOT_IN_IMPORT = "not in this import"

PROTOCOL_NAMES: dict[str, str] = {
    "SSLv2": "SSL 2",
    "SSLv3": "SSL 3",
    "TLSv1.0": "TLS 1.0",
    "TLSv1.1": "TLS 1.1",
    "TLSv1.2": "TLS 1.2",
    "TLSv1.3": "TLS 1.3",
}

# CSS slug per grade letter or no-grade word (the theme's class contract: .tls-grade-SLUG).
SLUGS: dict[str, str] = {
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
    NOT_TESTED: "na",
    NOT_RECORDED: "not-recorded",
}

# One colour per grade (background, text): the badge's and the chart's. The backgrounds are
# dark enough for white text (or light enough for black) at 4.5:1, which is why the chart uses
# these and not a palette of its own. theme/static/css/style.css repeats them, checked by test.
COLOURS: dict[str, tuple[str, str]] = {
    "A+": ("#14532d", "#ffffff"),
    "A": ("#1e6b34", "#ffffff"),
    "A-": ("#3f6212", "#ffffff"),
    "B": ("#facc15", "#1a1a1a"),
    "C": ("#fb923c", "#1a1a1a"),
    "D": ("#a14a07", "#ffffff"),
    "E": ("#c2410c", "#ffffff"),
    "F": ("#b91c1c", "#ffffff"),
    "T": ("#6b21a8", "#ffffff"),
    "M": ("#1e40af", "#ffffff"),
    NOT_TESTED: ("#525252", "#ffffff"),
    NOT_RECORDED: ("#8a8a8a", "#1a1a1a"),
}
assert set(COLOURS) == set(GRADES) | set(NO_GRADE_WORDS) == set(SLUGS)

# What a certificate problem id (facts.CertificateFacts.problem) means, in words.
TRUST_WORDS: dict[str, str] = {
    "expired": "expired certificate",
    "not-yet-valid": "certificate not yet valid",
    "self-signed": "self-signed certificate",
    "untrusted": "issuer not trusted",
    "mismatch": "name does not match the host",
    "weak-signature": "signed with a weak hash (SHA1 or MD5)",
    "incomplete-chain": "chain incomplete (intermediate missing)",
    "issuer-not-found": "incomplete chain: issuer not found",
}

# A general reason → the more specific reasons that already say it. The general one is left
# out only when a specific one is shown AND weighs at least as much under the day's rules (in
# 2015 "RC4 (insecure)" capped at B while "RC4 with modern browsers" was only a warning: then
# both stay, or the cap would lose its reason).
SUBSUMED_BY: dict[str, tuple[str, ...]] = {
    "rc4": ("rc4-modern", "rc4-only"),
    "rc4-modern": ("rc4-only",),
    "sha1-chain": ("sha1-cert",),
    "ssl3": ("ssl3-only",),
    "hsts-short": ("hsts-disabled",),
    "no-tls13": ("no-tls12",),
}

R = TypeVar("R", bound=Reason)


def state_word(result: TargetResult, letter: str | None) -> str:
    """What stands where the grade would: the letter, else "not tested" / "not recorded"."""
    if letter is not None:
        return letter
    if result.state == STATE_OK and result.recorded is not None and result.recorded.grade is None:
        return NOT_RECORDED
    return NOT_TESTED


def shown_reasons(result: TargetResult, grade: Grade | None) -> list[str]:
    """The reasons shown beside a grade, on pages and in each post's data alike.

    A recorded grade shown on its own day keeps the reasons as published (their words, their
    order); a computed grade lists the grader's labels, the most specific of each pair only
    (``fold_reasons``), after the note on endpoints that differ. No grade: no reasons (the
    word for the state stands instead).
    """
    if grade is None:
        return []
    rec = result.recorded
    if result.facts is None and rec is not None and rec.grade == grade.letter:
        return list(rec.reasons)
    # Endpoints that differ are said first: "1 of 2 addresses; the other A+".
    return [*filter(None, [grade.endpoints_note]), *(r.label for r in fold_reasons(grade.reasons))]


def state_detail(result: TargetResult) -> str:
    """Why a target has no grade, in the reader's words ("connection refused"); "" when ok."""
    if result.state == STATE_OK:
        return ""
    return result.reason or UNREACHABLE_STATES.get(result.state, result.state)


def state_detail_of(state: str) -> str:
    """The reader's words for a state id alone (a change list knows only the id)."""
    return "" if state == STATE_OK else UNREACHABLE_STATES.get(state, state)


def slug(word: str | None) -> str:
    """The CSS slug of a grade or a no-grade word (unknown → ``na``)."""
    return SLUGS.get(word or "", "na")


def colour(word: str) -> str:
    """The background colour of a grade or no-grade word (badge and chart)."""
    return COLOURS.get(word, COLOURS[NOT_TESTED])[0]


def trust_text(problem: str | None, trusted: bool) -> str:
    """A chain's trust in words: "trusted", or "not trusted: <what is wrong>"."""
    if problem == "incomplete-chain":  # trusted only with the issuer fetched through AIA
        return "trusted once the chain was completed through AIA (incomplete chain)"
    if trusted:
        return "trusted"
    if problem is None:
        return "not trusted"
    return f"not trusted: {TRUST_WORDS.get(problem, problem.replace('-', ' '))}"


def _weight(severity: str) -> int:
    """Lower is heavier (EFFECTS order); no longer graded weighs nothing."""
    return EFFECTS.index(severity) if severity in EFFECTS else len(EFFECTS)


def fold_reasons(reasons: Sequence[R]) -> list[R]:
    """The reasons a reader sees: each general one dropped when a specific one says it too.

    Order is kept. A general reason stays when it weighs more than every specific one shown
    (it is then the reason for a cap the specific one does not impose).
    """
    by_id = {r.id: r for r in reasons}
    out = []
    for r in reasons:
        specific = [by_id[s] for s in SUBSUMED_BY.get(r.id, ()) if s in by_id]
        if any(_weight(s.severity) <= _weight(r.severity) for s in specific):
            continue
        out.append(r)
    return out


def expiry_text(expiry: date, on: date) -> str:
    """ "expires on 5 March 2027 (90 days left)" or "expired on 1 May 2026 (218 days before)".

    ``on`` is the snapshot's day, not today: a post keeps saying what was true when it was
    written, and a certificate expired at the time of the scan never "expires" in the past.
    """
    days = (expiry - on).days
    when = human_date(expiry)
    if days < 0:
        return f"expired on {when} ({_days(-days)} before the scan)"
    return f"expires on {when} ({_days(days)} left)"


def days_left_text(days: int) -> str:
    """Days left alone, where the date stands beside it (the expiring view, feeds, the command
    line): 12 → "12 days left"; 1 → "1 day left"; 0 → "expires today"; -3 → "expired 3 days
    ago". ``days`` is counted from the snapshot's day (``tlsreport.expiry``)."""
    if days > 0:
        return f"{_days(days)} left"
    if days == 0:
        return "expires today"
    return f"expired {_days(-days)} ago"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def human_date(d: date) -> str:
    """``2015-02-16`` → ``16 February 2015`` (English, whatever the machine's locale)."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def join_words(items: Iterable[str]) -> str:
    """ "D", "E", "F" → "D, E or F" (for "no D, E or F")."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
