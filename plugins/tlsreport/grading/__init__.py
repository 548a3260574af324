"""Facts + a date → an SSL Labs-style grade (pure: no clock, no disk, no network).

Why this shape: a post about 2015 must show the grade SSL Labs gave *then*, and the blog also
wants "what would that server get under today's rules". So grading is three pure steps:

1. ``findings(facts)``: which weaknesses the facts show, each True (present), False (absent)
   or None (not tested — never counted as passed);
2. ``rules_of(day)`` (rules.py): which findings count on that day, and how much;
3. the SSL Labs method (Rating Guide §2, reference/grading.md): three category scores weighted
   30/30/40, a zero category makes the total 0, bands 80/65/50/35/20 → A…F; then the lowest cap;
   T/M replace the letter (keeping ``grade_if_trusted``); an A with warnings is A-, an A meeting
   every A+ condition is A+.

**"Negotiated with modern browsers" vs "offered".** SSL Labs judges RC4, 3DES, Forward Secrecy
and AEAD by what its reference browsers *negotiate*; sslyze only sees what the server *accepts*.
One rule, used for every such finding:
- a weakness (RC4, 64-bit block ciphers) counts "with modern browsers" when sslyze saw a suite
  of that kind accepted on TLS 1.1 or TLS 1.2;
- a strength (Forward Secrecy, AEAD) counts as supported when at least one suite of that kind
  is accepted on TLS 1.2 or TLS 1.3 (every TLS 1.3 suite has both). A server without TLS 1.2/1.3
  therefore never "supports FS" here — harmless, its "no TLS 1.2" cap is lower than any FS rule.
This is stricter than SSL Labs for servers that accept a weak suite but always prefer a strong
one; the grade lists "client simulation" as not tested so a reader knows.

**Not tested is not passed.** A finding that is None while a rule for it is in force is listed in
``not_tested``. If it is one sslyze *could* have tested (a scan command failed, HSTS not read,
FALLBACK_SCSV unknown, …), the grade cannot be confirmed as A+ and stays at most A; the letter is
otherwise computed from what was seen (we never invent a cap). Tests no sslyze scan can do
(POODLE-TLS, the 2019 CBC oracles, CVE-2016-2107, Ticketbleed, revocation without stapling,
DROWN via other hosts, client simulation) are always listed when their rule is in force, but do
not hold back an A+ — otherwise no server could ever get one. POODLE-TLS and the CBC oracles need
CBC suites: a server offering none on TLS is known not to have them.

Other choices (documented in README "How grades are computed"): revoked (stapled OCSP says
REVOKED) → F; a server with a single protocol version cannot be tested for TLS_FALLBACK_SCSV and
stays at A while that rule was in force (Oct 2014 – May 2025); M wins over T when both apply.
"""

from __future__ import annotations

from ..grade import GRADES, Cap, Grade, Reason, Scores, grade_rank
from ..rules import RuleSet, rules_of
from .findings import CLIENT_SIMULATION, DROWN_OTHER_HOSTS, HSTS_MIN_AGE, UNTESTABLE, findings
from .labels import LABELS, reason_for
from .recorded import facts_from_reasons
from .result import GradeMemo, grade_result
from .score import grade_facts, letter_for_score, scores

__all__ = [
    "CLIENT_SIMULATION",
    "DROWN_OTHER_HOSTS",
    "GRADES",
    "HSTS_MIN_AGE",
    "LABELS",
    "UNTESTABLE",
    "Cap",
    "Grade",
    "GradeMemo",
    "Reason",
    "RuleSet",
    "Scores",
    "facts_from_reasons",
    "findings",
    "grade_facts",
    "grade_rank",
    "grade_result",
    "letter_for_score",
    "reason_for",
    "rules_of",
    "scores",
]
