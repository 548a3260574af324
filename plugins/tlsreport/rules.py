"""SSL Labs' grading rules by date, as data.

Why a table and not code: SSL Labs changed its rules a dozen times (Rating Guide 2009c … 2009r)
and the blog regrades old snapshots under the rules of any date ("what would part 4's banks get
today?"). Every rule below is one row: the *finding* it reacts to (a stable id, shared with the
reasons shown under a grade), the *effect* it has, the date it took effect and, where SSL Labs
dropped or changed it, the date it ended. ``rules_of(day)`` keeps the rows in force on that day;
grade.py detects the findings and applies whatever rows it is handed. Adding a rule change is
adding (or closing) a row here — no code changes.

Effects:
- a cap letter ("A-", "B", "C", "F"): the grade is at most that letter ("F" = grade set to F);
- "T" / "M": the grade is replaced by T (not trusted) / M (name mismatch); the grade the server
  would get if trusted is still computed;
- "warning": turns an A into A- (never lowers a B or worse);
- "no-A+": the best possible grade is A.

Dates are the day SSL Labs production applied a rule (see reference/grading.md §3). Where the
notes give only a month, the choice made here is written next to the row. A rule set's id is
the ISO date of the last change on or before the asked day, so two days with the same rules
share an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

EFFECTS: tuple[str, ...] = ("M", "T", "F", "E", "D", "C", "B", "A-", "warning", "no-A+")


@dataclass(frozen=True)
class Rule:
    """One dated row: while in force, ``finding`` has ``effect`` on the grade."""

    finding: str  # stable reason id, e.g. "rc4"
    effect: str  # one of EFFECTS
    since: str  # ISO date the rule took effect
    until: str | None = None  # ISO date it stopped applying (exclusive), None = still in force
    source: str = ""  # guide version / blog post, for the curious reader

    def in_force(self, on: date) -> bool:
        """True when the rule applied on day ``on`` (``since`` inclusive, ``until`` exclusive)."""
        day = on.isoformat()
        return self.since <= day and (self.until is None or day < self.until)


@dataclass(frozen=True)
class RuleSet:
    """The rules in force on one day, keyed for quick look-up by finding."""

    id: str  # ISO date of the last change on or before the asked day
    rules: tuple[Rule, ...]

    def effects(self, finding: str) -> tuple[str, ...]:
        """Every effect ``finding`` has under this rule set (usually one, none when not graded)."""
        return tuple(r.effect for r in self.rules if r.finding == finding)

    def graded(self, finding: str) -> bool:
        return any(r.finding == finding for r in self.rules)

    def rule(self, finding: str) -> Rule | None:
        """The most severe rule for ``finding`` (first in EFFECTS order), None if not graded."""
        found = [r for r in self.rules if r.finding == finding]
        if not found:
            return None
        return min(found, key=lambda r: EFFECTS.index(r.effect))


# Milestones (Rating Guide versions / SSL Labs releases).
ORIGINAL = "2013-02-07"  # 2009c: the first version whose rules we carry (the guide's base method)
BEAST_DROPPED = "2013-09-09"  # 2009d
Y2014 = "2014-01-21"  # 2009e "Stricter Security Requirements for 2014"
HEARTBLEED = "2014-04-08"  # no first-party date (notes §7.3): the day after disclosure
CCS = "2014-06-05"  # CVE-2014-0224 disclosure; notes say only "Jun 2014"
TRUST_GRADES = "2014-06-17"  # SSL Labs 1.10: T and M instead of F
SHA1_LEAF = "2014-09-04"  # 2009f
POODLE = "2014-10-15"  # 2009g
SSL3 = "2014-10-30"  # 2009h
END_2014 = "2014-12-08"  # 2009i
LOGJAM = "2015-05-20"  # 2009j
RC4_ONLY = "2015-10-14"  # 2009k (SSL Labs 1.20.28, "Oct 2015")
DROWN = "2016-03-04"  # 2009l
LUCKY_MINUS_20 = "2016-05-03"  # 2009m "May 2016": CVE-2016-2107 disclosure day
# SHA-1 leaf → T: SSL Labs' exact day was not read (notes §7.2); browsers distrusted SHA-1 in
# January 2017, so we take the first day of 2017.
SHA1_DISTRUST = "2017-01-01"
Y2017 = "2017-04-03"  # SSL Labs 1.28.3: 3DES with TLS 1.1+, < 112-bit suites, Ticketbleed
Y2018 = "2018-03-01"  # SSL Labs 1.31.0: FS, AEAD, ROBOT
CBC_2019 = "2019-05-07"  # Zombie POODLE & co. (API fields added that day; notes: "Apr/May 2019")
TLS10 = "2020-01-31"  # 2009q
Y2025 = "2025-05-16"  # 2009r

# Certificate trust failures: F under the original guide, T/M from SSL Labs 1.10.
# "issuer-not-found": an incomplete chain whose missing issuer could not be fetched (AIA):
# the chain cannot be trusted, as SSL Labs grades a chain it cannot complete.
_TRUST = (
    "cert-expired",
    "cert-not-yet-valid",
    "cert-self-signed",
    "cert-untrusted",
    "issuer-not-found",
)

RULES: tuple[Rule, ...] = (
    # A+ (and A-) exist since 2009e; before that the best grade is A. "_"-findings are the
    # method's own state, always present and never shown as a reason.
    Rule("_no-a-plus-yet", "no-A+", ORIGINAL, Y2014, "A+ introduced in 2009e"),
    # --- certificate -------------------------------------------------------------------
    *(Rule(f, "F", ORIGINAL, TRUST_GRADES, "guide: score 0") for f in _TRUST),
    *(Rule(f, "T", TRUST_GRADES, None, "SSL Labs 1.10") for f in _TRUST),
    Rule("cert-mismatch", "F", ORIGINAL, TRUST_GRADES, "guide: score 0"),
    Rule("cert-mismatch", "M", TRUST_GRADES, None, "SSL Labs 1.10"),
    Rule("revoked", "F", ORIGINAL, None, "guide: score 0; CertView"),
    Rule("md5-cert", "F", ORIGINAL, None, "guide: insecure signature"),
    Rule("insecure-key", "F", Y2014, None, "2009e"),
    Rule("weak-key", "B", Y2014, None, "2009e"),
    Rule("rsa-e1", "F", DROWN, None, "fix shipped with 2009l"),
    # The no-A+ rules stay after 2017 so that "grade if trusted" is never A+ with SHA-1.
    Rule("sha1-cert", "no-A+", SHA1_LEAF, None, "2009f"),
    Rule("sha1-cert", "T", SHA1_DISTRUST, None, "browsers distrust SHA-1 (date chosen)"),
    Rule("sha1-chain", "no-A+", END_2014, None, "SHA-2 chain needed for A+"),
    Rule("sha1-chain", "T", SHA1_DISTRUST, None, "browsers distrust SHA-1 (date chosen)"),
    Rule("incomplete-chain", "B", END_2014, None, "2009i"),
    # --- protocols ---------------------------------------------------------------------
    Rule("ssl2", "F", ORIGINAL, None, "2009c"),
    Rule("drown", "F", DROWN, None, "2009l"),
    Rule("beast", "B", ORIGINAL, BEAST_DROPPED, "2009c, removed in 2009d"),
    Rule("poodle-ssl3", "C", POODLE, None, "2009g"),
    Rule("ssl3", "B", SSL3, None, "2009h"),
    Rule("ssl3-only", "F", END_2014, None, "2009i"),
    Rule("poodle-tls", "F", END_2014, None, "2009g note, Dec 2014"),
    Rule("no-tls12", "B", Y2014, LOGJAM, "2009e"),
    Rule("no-tls12", "C", LOGJAM, None, "2009j"),
    Rule("tls10-11", "B", TLS10, None, "2009q"),
    Rule("no-tls13", "warning", Y2025, None, "2009r"),
    # --- cipher suites -----------------------------------------------------------------
    Rule("rc4-modern", "warning", Y2014, LOGJAM, "2009e"),
    Rule("rc4-modern", "C", LOGJAM, None, "2009j"),
    Rule("rc4", "B", END_2014, None, "2009i"),
    Rule("rc4-only", "F", RC4_ONLY, None, "2009k"),
    Rule("anon", "F", ORIGINAL, None, "guide: anonymous key exchange scores 0"),
    Rule("3des", "C", Y2017, None, "SSL Labs 1.28.3"),
    Rule("weak-cipher", "F", Y2017, None, "SSL Labs 1.28.3"),
    Rule("no-fs", "warning", Y2014, Y2018, "2009e"),
    Rule("no-fs", "B", Y2018, None, "SSL Labs 1.31.0"),
    Rule("no-aead", "B", Y2018, None, "SSL Labs 1.31.0"),
    # Before Logjam a 1024-bit group only cost key-exchange points (80); we also withhold A+,
    # since SSL Labs' A+ was for configurations without a known weakness (choice, see README).
    Rule("weak-dh", "no-A+", Y2014, LOGJAM, "score penalty; A+ withheld (chosen)"),
    Rule("weak-dh", "B", LOGJAM, None, "2009j (Logjam)"),
    Rule("insecure-dh", "F", LOGJAM, None, "inferred: < 1024 is an insecure key"),
    # --- handshake and implementation flaws --------------------------------------------
    Rule("insecure-reneg", "F", ORIGINAL, None, "2009c"),
    Rule("no-secure-reneg", "warning", Y2014, None, "2009e"),
    Rule("compression", "B", ORIGINAL, LOGJAM, "2009c (CRIME)"),
    Rule("compression", "C", LOGJAM, None, "2009j"),
    Rule("heartbleed", "F", HEARTBLEED, None, "date chosen"),
    Rule("ccs", "F", CCS, None, "SSL Labs, June 2014"),
    Rule("cve-2016-2107", "F", LUCKY_MINUS_20, None, "2009m"),
    Rule("ticketbleed", "F", Y2017, None, "2017"),
    Rule("robot", "F", Y2018, None, "SSL Labs 1.31.0"),
    Rule("cbc-oracles-2019", "F", CBC_2019, None, "2019 padding oracles"),
    # --- A+ conditions -----------------------------------------------------------------
    Rule("no-hsts", "no-A+", Y2014, None, "2009e"),
    Rule("hsts-short", "no-A+", Y2014, None, "2009e: max-age >= 180 days"),
    Rule("hsts-disabled", "warning", Y2025, None, "2009r"),
    Rule("no-fallback-scsv", "no-A+", SSL3, Y2025, "2009h, dropped in 2009r"),
    Rule("fallback-untestable", "no-A+", SSL3, Y2025, "single protocol: stays A (#815)"),
)

# Every day on which the rule set changed, oldest first.
CHANGE_DATES: tuple[str, ...] = tuple(
    sorted({r.since for r in RULES} | {r.until for r in RULES if r.until})
)


def rule_set_id(on: date) -> str:
    """ISO date of the last rule change on or before ``on``.

    Raises ValueError for days before the oldest rule set we carry: grading a 2012 scan under
    rules we do not have would be a guess.
    """
    day = on.isoformat()
    earlier = [d for d in CHANGE_DATES if d <= day]
    if not earlier:
        raise ValueError(f"no rule set before {CHANGE_DATES[0]} (asked for {day})")
    return earlier[-1]


@lru_cache(maxsize=128)
def _rules_by_id(set_id: str) -> RuleSet:
    on = date.fromisoformat(set_id)
    return RuleSet(id=set_id, rules=tuple(r for r in RULES if r.in_force(on)))


def rules_of(on: date) -> RuleSet:
    """The rules in force on day ``on`` (pure; cached by rule-set id)."""
    return _rules_by_id(rule_set_id(on))


def latest() -> RuleSet:
    """The newest rule set we carry (what "today's rules" means)."""
    return _rules_by_id(CHANGE_DATES[-1])
