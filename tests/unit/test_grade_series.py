"""The example series: recorded 2015 grades regraded from their recorded reasons.

The recorded snapshots in data/history/belgian-banks are the series' published grades and
reasons (reference/example-series.md). Regraded under the rules of their own day, the reasons
must give the recorded grade wherever they determine it; every exception is asserted here with
the reason it is one.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tlsreport.facts import Recorded, Snapshot, TargetRef, TargetResult, from_json
from tlsreport.grading import facts_from_reasons, grade_facts, grade_result

HISTORY = Path(__file__).resolve().parents[2] / "data" / "history" / "belgian-banks"
D = date.fromisoformat


def load(name: str) -> Snapshot:
    return from_json(Snapshot, json.loads((HISTORY / name).read_text()))


def by_name(snapshot: Snapshot) -> dict[str, TargetResult]:
    return {r.target.name: r for r in snapshot.results}


PART4 = "2015-03-03T120000Z.json"
PART5 = "2015-12-30T120000Z.json"

# Part 4 (as of 2015-03-03): the reasons determine these recorded grades.
PART4_DETERMINED = {
    "Argenta": "B",
    "ABK": "B",
    "AXA": "B",
    "Bank Van Breda": "B",
    "beobank": "B",
    "BKCP": "B",
    "CPH": "B",
    "DHB Bank": "B",
    "Fortuneo": "B",
    "KBC": "B",
    "NIBC Direct": "B",
    "VDK": "B",
    "Optima Bank": "F",
    # Recorded A without reasons: nothing capped them, and HSTS/FALLBACK_SCSV (the A+
    # conditions) were not recorded, so the reasons give exactly "A".
    "Crelan": "A",
    "Hello Bank!": "A",
    "Keytrade": "A",
    "MeDirect": "A",
}


@pytest.mark.parametrize(("bank", "expected"), sorted(PART4_DETERMINED.items()))
def test_part4_recorded_reasons_give_the_recorded_grade(bank, expected):
    result = by_name(load(PART4))[bank]
    g = grade_result(result, D("2015-03-03"), taken=D("2015-03-03"))
    assert g is not None
    assert (g.letter, g.determined, g.note) == (expected, True, "")
    assert g.scores is None  # a recorded grade has no measured scores


def test_optima_f_comes_from_poodle_tls():
    result = by_name(load(PART4))["Optima Bank"]
    g = grade_result(result, D("2015-03-03"), taken=D("2015-03-03"))
    assert g.caps[0].rule == "poodle-tls" and g.caps[0].grade == "F"
    assert g.reasons[0].label == "vulnerable to POODLE (TLS)"


def test_psa_c_in_part4_is_not_explained_by_its_reasons():
    # SHA1 (no A+), no TLS 1.2 (B), RC4 (B), no FS (warning): the reasons give B. The C came
    # from something the post did not record.
    result = by_name(load(PART4))["PSA Bank"]
    g = grade_result(result, D("2015-03-03"), taken=D("2015-03-03"))
    assert (g.letter, g.determined) == ("C", False)
    assert "give B" in g.note


@pytest.mark.parametrize("bank", ["ING", "Ogone", "Record Bank"])
def test_recorded_a_minus_without_reasons_is_not_determined(bank):
    # A- comes from a warning; the posts recorded no warnings for A- banks.
    result = by_name(load(PART4))[bank]
    g = grade_result(result, D("2015-03-03"), taken=D("2015-03-03"))
    assert (g.letter, g.determined) == ("A-", False)


def test_grades_not_recorded_and_untested_targets_have_no_grade():
    results = by_name(load(PART4))
    assert grade_result(results["Binck"], D("2015-03-03"), taken=D("2015-03-03")) is None
    assert grade_result(results["Europabank"], D("2015-03-03"), taken=D("2015-03-03")) is None
    # Part 5 recorded Triodos' "no Forward Secrecy" but not its grade: still no made-up letter.
    triodos = by_name(load(PART5))["Triodos"]
    assert grade_result(triodos, D("2015-12-31"), taken=D("2015-12-30")) is None


PART5_DETERMINED = {"PSA Bank": "C", "beobank": "C", "BKCP": "C", "Hello Bank!": "B"}


@pytest.mark.parametrize(("bank", "expected"), sorted(PART5_DETERMINED.items()))
def test_part5_recorded_reasons_give_the_recorded_grade(bank, expected):
    result = by_name(load(PART5))[bank]
    g = grade_result(result, D("2015-12-31"), taken=D("2015-12-30"))
    assert (g.letter, g.determined) == (expected, True)


@pytest.mark.parametrize("bank", ["AXA", "Optima Bank"])
def test_part5_a_plus_and_a_minus_without_reasons_are_not_determined(bank):
    result = by_name(load(PART5))[bank]
    g = grade_result(result, D("2015-12-31"), taken=D("2015-12-30"))
    assert g.determined is False


NO_TLS12 = ["ABK", "Bank Van Breda", "beobank", "BKCP", "CPH", "Fortuneo", "KBC", "VDK"]


@pytest.mark.parametrize("bank", NO_TLS12)
def test_part4_b_without_tls12_is_c_under_end_2015_rules(bank):
    # "Several banks went from B to C only because SSL Labs grew stricter."
    result = by_name(load(PART4))[bank]
    g = grade_result(result, D("2015-12-31"), taken=D("2015-03-03"))
    assert (g.letter, g.rules, g.determined) == ("C", "2015-10-14", True)
    assert g.caps[0].rule == "no-tls12"
    assert "regraded from the reasons recorded on 2015-03-03" in g.note


def test_part4_rc4_banks_are_c_under_end_2015_rules_because_rc4_reaches_tls12():
    # Our reading of a bare "RC4 (insecure)": RC4 accepted on every offered version, so with
    # TLS 1.2 (SSL Labs' "RC4 with TLS 1.1+" → C from May 2015).
    result = by_name(load(PART4))["DHB Bank"]
    g = grade_result(result, D("2015-12-31"), taken=D("2015-03-03"))
    assert g.letter == "C"
    assert g.caps[0].rule == "rc4-modern"


def test_part4_sha1_banks_are_t_under_todays_rules():
    result = by_name(load(PART4))["KBC"]
    g = grade_result(result, D("2026-11-26"), taken=D("2015-03-03"))
    assert (g.letter, g.rules) == ("T", "2025-05-16")
    assert g.grade_if_trusted == "C"
    # 2015 lists never spoke of ROBOT (graded from 2018): unknown, so listed as not tested.
    assert "ROBOT" in g.not_tested


def test_part4_tls12_banks_have_tls13_and_tls10_not_tested_under_todays_rules():
    result = by_name(load(PART4))["DHB Bank"]
    g = grade_result(result, D("2026-11-26"), taken=D("2015-03-03"))
    assert {"TLS 1.3", "TLS 1.0/1.1", "ROBOT"} <= set(g.not_tested)


def test_a_regrade_of_an_unexplained_grade_says_so():
    result = by_name(load(PART4))["PSA Bank"]
    g = grade_result(result, D("2015-12-31"), taken=D("2015-03-03"))
    assert (g.letter, g.determined) == ("C", False)
    assert "give B" in g.note


def test_derived_facts_for_sslv3_without_poodle_offer_rc4_only_on_sslv3():
    facts, unknown = facts_from_reasons(
        ["SSL3 (insecure)", "RC4 (insecure)"], recorded_on=D("2015-03-03")
    )
    assert unknown == []
    assert all(s.rc4 for s in facts.protocols["SSLv3"])


def test_derived_weak_dh_with_no_fs_stays_no_fs():
    facts, _ = facts_from_reasons(
        ["weak DH", "no TLS 1.2", "no Forward Secrecy"], recorded_on=D("2015-12-30")
    )
    ids = {r.id for r in grade_facts(facts, D("2015-12-31")).reasons}
    assert {"weak-dh", "no-tls12", "no-fs"} <= ids


def test_a_recorded_grade_with_an_unknown_label_says_which():
    result = TargetResult(
        target=TargetRef(name="X", host="x.example"),
        recorded=Recorded(grade="B", reasons=("RC4 (insecure)", "bad vibes")),
    )
    g = grade_result(result, D("2015-03-03"), taken=D("2015-03-03"))
    assert g.letter == "B" and g.determined
    assert "labels not understood: bad vibes" in g.note


def test_every_label_in_the_example_history_is_understood():
    for path in sorted(HISTORY.glob("*.json")):
        snapshot = load(path.name)
        for r in snapshot.results:
            if r.recorded:
                _, unknown = facts_from_reasons(r.recorded.reasons)
                assert unknown == [], (path.name, r.target.name)
