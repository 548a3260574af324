"""Two grading rules no other test pinned (their mutants survived, issue 11).

Why each matters: SSL Labs counts TLS 1.1 among the protocols modern clients use, so RC4 or
3DES accepted on TLS 1.1 alone reaches them just as on TLS 1.2 and must be capped the same;
and "RC4 only" is a claim about *every* protocol, so it cannot be concluded while one of them
was not tested (a protocol that was never scanned may well offer a strong suite).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from gradekit import DES3, RC4, TLS12, TLS13, make_facts
from tlsreport.facts import Facts
from tlsreport.grading import grade_facts
from tlsreport.grading.findings import findings

D = date.fromisoformat


def _ids(facts, day: str) -> list[str]:
    return [r.id for r in grade_facts(facts, D(day)).reasons]


# --- RC4 / 3DES on TLS 1.1 only ------------------------------------------------------------


def test_rc4_on_tls11_only_is_capped_like_on_tls12():
    # TLS 1.2 and 1.3 stay clean: the RC4 suite is accepted on TLS 1.1 and nowhere else.
    facts = make_facts(protocols={"TLSv1.1": (RC4,)})
    assert findings(facts)["rc4-modern"] is True
    assert grade_facts(facts, D("2014-01-20")).letter == "A"  # before the rule: score only
    assert grade_facts(facts, D("2014-01-21")).letter == "A-"  # warning (2009e)
    assert grade_facts(facts, D("2015-05-20")).letter == "C"  # cap C (2009j)
    assert "rc4-modern" in _ids(facts, "2015-05-20")


def test_3des_on_tls11_only_is_the_sweet32_cap():
    facts = make_facts(protocols={"TLSv1.1": (DES3,)})
    assert findings(facts)["3des"] is True
    assert "3des" not in _ids(facts, "2017-04-02")
    assert "3des" in _ids(facts, "2017-04-03")
    assert grade_facts(facts, D("2017-04-03")).letter == "C"


def test_rc4_and_3des_on_tls10_only_are_not_the_modern_client_caps():
    # The other side of the line: TLS 1.0 is not a protocol of modern clients.
    facts = make_facts(protocols={"TLSv1.0": (RC4, DES3)})
    found = findings(facts)
    assert (found["rc4-modern"], found["3des"]) == (False, False)


# --- "RC4 only" needs every protocol tested -------------------------------------------------


def _rc4_everywhere(untested: str | None) -> Facts:
    facts = make_facts(
        protocols={p: (RC4,) for p in ("TLSv1.0", "TLSv1.1", "TLSv1.2")} | {"TLSv1.3": ()}
    )
    if untested is not None:
        facts = replace(
            facts, protocols={p: s for p, s in facts.protocols.items() if p != untested}
        )
    return facts


def test_rc4_only_is_concluded_when_every_protocol_was_tested():
    facts = _rc4_everywhere(None)
    assert findings(facts)["rc4-only"] is True
    assert grade_facts(facts, D("2015-10-14")).letter == "F"


def test_rc4_only_is_not_concluded_while_tls13_was_not_tested():
    facts = _rc4_everywhere("TLSv1.3")
    assert "TLSv1.3" not in facts.protocols
    assert findings(facts)["rc4-only"] is None
    g = grade_facts(facts, D("2015-10-14"))
    assert g.letter != "F" and "rc4-only" not in [r.id for r in g.reasons]
    assert "cipher suites" in g.not_tested


def test_rc4_only_is_not_concluded_while_sslv3_was_not_tested():
    facts = _rc4_everywhere("SSLv3")
    assert findings(facts)["rc4-only"] is None
    assert grade_facts(facts, D("2026-11-26")).letter != "F"


def test_a_strong_suite_on_an_untested_neighbour_does_not_matter_once_seen():
    # One strong suite anywhere tested rules "RC4 only" out, tested or not elsewhere.
    facts = make_facts(protocols={"TLSv1.2": (RC4, *TLS12), "TLSv1.3": TLS13})
    assert findings(facts)["rc4-only"] is False
