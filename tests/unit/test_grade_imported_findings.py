"""Findings only an import can supply (SSL Labs / testssl.sh), graded with their dates.

sslyze cannot test POODLE against TLS, the 2019 CBC padding oracles, CVE-2016-2107 or DROWN
through another host sharing the key; an imported result carries them in
``Facts.other_tests``. Pure unit tests: facts built here, graded under dated rules.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from tlsreport.facts import Facts
from tlsreport.grading import facts_from_reasons, grade_facts


def _clean() -> Facts:
    """A clean TLS 1.2 server with CBC suites (so the CBC oracles apply) and no SSL 2."""
    facts, unknown = facts_from_reasons(["no AEAD (GCM) ciphers"])
    assert not unknown
    return facts


def _with(**tests: bool) -> Facts:
    base = _clean()
    return replace(base, other_tests={**base.other_tests, **tests})


@pytest.mark.parametrize(
    ("finding", "day_before", "day_of"),
    [
        ("drown", "2016-03-03", "2016-03-04"),
        ("poodle-tls", "2014-12-07", "2014-12-08"),
        ("cbc-oracles-2019", "2019-05-06", "2019-05-07"),
        ("cve-2016-2107", "2016-05-02", "2016-05-03"),
    ],
)
def test_an_imported_finding_is_f_from_the_day_its_rule_took_effect(finding, day_before, day_of):
    facts = _with(**{finding: True})
    before = grade_facts(facts, date.fromisoformat(day_before))
    after = grade_facts(facts, date.fromisoformat(day_of))
    assert before.letter != "F"
    assert after.letter == "F"
    assert [c.rule for c in after.caps if c.grade == "F"] == [finding]


def test_drown_reported_for_another_host_is_f_without_ssl2_here():
    facts = _with(drown=True)
    assert facts.offered("SSLv2") is False
    g = grade_facts(facts, date(2026, 11, 26))
    assert g.letter == "F" and "drown" in {r.id for r in g.reasons}


def test_drown_tested_and_absent_is_not_a_finding_and_not_untested():
    g = grade_facts(_with(drown=False), date(2026, 11, 26))
    assert "drown" not in {r.id for r in g.reasons}
    assert g.letter == "A"  # HSTS and SCSV unknown here: at most A, and nothing caps it


@pytest.mark.parametrize("finding", ["poodle-tls", "cbc-oracles-2019", "cve-2016-2107"])
def test_an_imported_oracle_tested_absent_leaves_it_out_of_not_tested(finding):
    names = {
        "poodle-tls": "POODLE (TLS)",
        "cbc-oracles-2019": "Zombie POODLE/GOLDENDOODLE",
        "cve-2016-2107": "OpenSSL padding oracle (CVE-2016-2107)",
    }
    absent = grade_facts(_with(**{finding: False}), date(2026, 11, 26))
    assert names[finding] not in absent.not_tested
    unknown = _clean()
    unknown = replace(
        unknown, other_tests={k: v for k, v in unknown.other_tests.items() if k != finding}
    )
    assert names[finding] in grade_facts(unknown, date(2026, 11, 26)).not_tested
