"""The SSL Labs method: category scores, then the caps of the rules in force, then A+/A-/T/M.

Pure: findings, a score and a rule set in, a ``Grade`` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from ..facts import PROTOCOLS, Facts
from ..grade import GRADES, Cap, Grade, Reason, Scores, grade_rank
from ..rules import EFFECTS, Rule, RuleSet, rules_of
from .findings import (
    CLIENT_SIMULATION,
    DROWN_OTHER_HOSTS,
    NEGOTIATED,
    TEST_NAMES,
    UNTESTABLE,
    Tri,
    findings,
)
from .labels import LABELS

# --- scores (Rating Guide §2) -------------------------------------------------------------

_PROTOCOL_POINTS = {
    "SSLv2": 0,
    "SSLv3": 80,
    "TLSv1.0": 90,
    "TLSv1.1": 95,
    "TLSv1.2": 100,
    "TLSv1.3": 100,
}


def _ff_points(bits: int) -> int:
    """RSA/DSA/DH key (or DH group) size → key-exchange points."""
    for limit, points in ((512, 20), (1024, 40), (2048, 80), (4096, 90)):
        if bits < limit:
            return points
    return 100


def _ec_points(bits: int) -> int:
    """EC key/curve size → points, with the same security bands as the finite-field table."""
    for limit, points in ((110, 20), (123, 40), (163, 80), (225, 90)):
        if bits < limit:
            return points
    return 100


def _cipher_points(bits: int) -> int:
    if bits <= 0:
        return 0
    return 20 if bits < 128 else 80 if bits < 256 else 100


def _half(a: int, b: int) -> int:
    return (a + b + 1) // 2  # (best + worst) / 2, halves rounded up


def letter_for_score(total: int) -> str:
    for limit, letter in ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E")):
        if total >= limit:
            return letter
    return "F"


def scores(facts: Facts) -> Scores:
    """The three category scores and the weighted total (Rating Guide §2). Pure."""
    offered = [p for p in PROTOCOLS if facts.protocols.get(p)]
    points = [_PROTOCOL_POINTS[p] for p in offered]
    protocol = _half(max(points), min(points)) if points else 0

    kex = 100
    leaf = facts.certificate.leaf if facts.certificate else None
    if leaf is not None and leaf.key_bits:
        ec = leaf.key_type.upper() in ("EC", "ECDSA", "ED25519", "ED448")
        kex = _ec_points(leaf.key_bits) if ec else _ff_points(leaf.key_bits)
    suites = [s for _, s in facts.all_suites()]
    for s in suites:
        if s.anonymous:
            kex = 0
        elif s.export:
            kex = min(kex, 40)
        if s.dh_key_unreadable:
            kex = min(kex, 40)
        elif s.kex_bits:
            kex = min(kex, _ff_points(s.kex_bits) if s.kex == "DHE" else _ec_points(s.kex_bits))

    bits = [0 if s.null else s.bits for s in suites]
    cipher = _half(_cipher_points(max(bits)), _cipher_points(min(bits))) if bits else 0

    if 0 in (protocol, kex, cipher):
        total = 0
    else:
        total = (30 * protocol + 30 * kex + 40 * cipher + 50) // 100
    return Scores(protocol, kex, cipher, total)


# --- grading ------------------------------------------------------------------------------


def _severity_order(effect: str) -> int:
    return EFFECTS.index(effect)


@dataclass
class _Tally:
    caps: list[tuple[Rule, str]] = field(default_factory=list)  # (rule, label)
    reasons: dict[str, Reason] = field(default_factory=dict)
    silent: list[Rule] = field(default_factory=list)  # method state ("_…"), not shown


def grade_facts(facts: Facts, on: date, *, hostname: str | None = None) -> Grade:
    """Grade ``facts`` under the rules in force on ``on``. Pure: same input, same Grade."""
    ruleset = rules_of(on)
    found = findings(facts, hostname)
    if facts.all_suites():
        return _grade(found, scores(facts), ruleset)
    # Every protocol scan failed (or nothing was accepted): zero scores would say F, but that
    # is "not tested", not a measured F. Keep the caps, flag the grade as undetermined.
    grade = _grade(found, scores(facts), ruleset, score_known=False)
    return replace(
        grade,
        determined=False,
        note="no cipher suite could be tested: the grade rests on incomplete facts",
    )


def _grade(
    found: dict[str, Tri], score: Scores, ruleset: RuleSet, *, score_known: bool = True
) -> Grade:
    """Apply ``ruleset`` to the findings and the score: the SSL Labs combination (§3.2)."""
    tally = _Tally()
    unknown_blocking: list[str] = []
    not_tested: list[str] = []
    for rule in ruleset.rules:
        value = found.get(rule.finding)
        if value is None:
            name = TEST_NAMES.get(rule.finding, "certificate")
            if name not in not_tested:
                not_tested.append(name)
            if rule.finding not in UNTESTABLE:
                unknown_blocking.append(rule.finding)
            continue
        if not value:
            continue
        if rule.finding.startswith("_"):
            tally.silent.append(rule)
            continue
        label = LABELS[rule.finding]
        old = tally.reasons.get(rule.finding)
        if old is None or _severity_order(rule.effect) < _severity_order(old.severity):
            tally.reasons[rule.finding] = Reason(rule.finding, label, rule.effect)
        tally.caps.append((rule, label))

    # Always-listed limits of an sslyze scan (when the rules they concern are in force).
    if any(ruleset.graded(f) for f in NEGOTIATED):
        not_tested.append(CLIENT_SIMULATION)
    if ruleset.graded("drown"):
        not_tested.append(DROWN_OTHER_HOSTS)

    letter_caps = [r for r, _ in tally.caps if r.effect in GRADES and r.effect not in ("T", "M")]
    trust = [r.effect for r, _ in tally.caps if r.effect in ("T", "M")]
    warnings = tuple(tally.reasons[r.finding] for r, _ in tally.caps if r.effect == "warning")
    no_aplus = any(r.effect == "no-A+" for r, _ in tally.caps) or bool(tally.silent)

    letter = letter_for_score(score.total) if score_known else "A"
    for r in letter_caps:
        if grade_rank(r.effect) > grade_rank(letter):
            letter = r.effect
    if letter == "A":
        if warnings:
            letter = "A-"
        elif not no_aplus and not unknown_blocking:
            letter = "A+"
    if_trusted = letter
    if trust:
        letter = "M" if "M" in trust else "T"

    caps = tuple(
        Cap(r.effect, r.finding, label, r.since)
        for r, label in sorted(
            ((r, lab) for r, lab in tally.caps if r.effect in GRADES),
            key=lambda x: _severity_order(x[0].effect),
        )
    )
    reasons = tuple(sorted(tally.reasons.values(), key=lambda x: _severity_order(x.severity)))
    note = ""
    if if_trusted == "A" and unknown_blocking and not no_aplus:
        note = (
            "A+ not confirmed: "
            + ", ".join(dict.fromkeys(TEST_NAMES.get(f, "certificate") for f in unknown_blocking))
            + " not tested"
        )
    return Grade(
        letter=letter,
        grade_if_trusted=if_trusted,
        scores=score,
        caps=caps,
        warnings=tuple(dict.fromkeys(warnings)),
        reasons=reasons,
        not_tested=tuple(dict.fromkeys(not_tested)),
        rules=ruleset.id,
        note=note,
    )
