"""Every lab profile, scanned for real with sslyze, graded under 2015-03-03's and today's rules.

The lab's servers each show one weakness (tlsreport.lab.profiles); the expected grades follow
reference/grading.md §3 with the choices documented in grade.py. The scan is the shared
session fixture ``lab_snapshot`` (one scan of the whole lab for all lab tests).
"""

from __future__ import annotations

from datetime import date

import pytest
from tlsreport.grading import grade_result

pytestmark = pytest.mark.lab

THEN = date(2015, 3, 3)
TODAY = date(2026, 11, 26)

# profile -> (grade under 2015-03-03 rules, grade under today's rules, reason ids today)
EXPECTED: dict[str, tuple[str, str, set[str]]] = {
    "modern": ("A+", "A+", set()),
    "tls10-only": ("B", "C", {"no-tls12", "tls10-11", "no-fs", "no-aead", "no-tls13"}),
    "tls10-11-12": ("A+", "B", {"tls10-11"}),
    # RC4 offered at TLS 1.2: any RC4 was B in 2015; with TLS 1.1+ it is C since May 2015.
    "rc4": ("B", "C", {"rc4", "rc4-modern"}),
    "sslv3": ("C", "C", {"ssl3", "poodle-ssl3"}),
    # SHA-1 chain: no A+ in 2015 (A), not trusted today (T).
    "sha1-chain": ("A", "T", {"sha1-cert", "sha1-chain"}),
    # 1024-bit DH: a key-exchange score penalty (80) in early 2015 and no A+ (A), B since
    # Logjam (May 2015).
    "weak-dh": ("A", "B", {"weak-dh"}),
    # No FS: a warning (A-) in 2015, B since March 2018; no TLS 1.3 is a warning since 2025.
    "no-fs": ("A-", "B", {"no-fs", "no-tls13"}),
    "no-secure-reneg": ("A-", "A-", {"no-secure-reneg"}),
    # Client renegotiation with RFC 5746: SSL Labs never graded it.
    "client-reneg": ("A+", "A+", set()),
    # No SCSV: no A+ from Oct 2014 to May 2025; its TLS 1.1 is B since 2020.
    "no-fallback-scsv": ("A", "B", {"tls10-11"}),
    "anon": ("F", "F", {"anon"}),
    "self-signed": ("T", "T", {"cert-self-signed"}),
    "expired": ("T", "T", {"cert-expired"}),
    "wrong-name": ("M", "M", {"cert-mismatch"}),
    # Mail services: no HSTS can be read, so A+ cannot be confirmed (not tested, not passed).
    "smtp-starttls": ("A", "A", set()),
    "imap-starttls": ("A", "A", set()),
    "pop3-starttls": ("A", "A", set()),
    "imaps": ("A", "A", set()),
    "pop3s": ("A", "A", set()),
}


@pytest.fixture(scope="module")
def by_profile(lab_snapshot):
    snapshot, _raw = lab_snapshot
    return {r.target.host.split(".", 1)[0]: r for r in snapshot.results}


@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_lab_profile_grades_under_2015_and_today(by_profile, profile):
    then, today, reasons_today = EXPECTED[profile]
    result = by_profile[profile]
    assert result.state == "ok", result.reason
    g_then = grade_result(result, THEN)
    g_today = grade_result(result, TODAY)
    assert (g_then.letter, g_today.letter) == (then, today), (g_then.reasons, g_today.reasons)
    assert {r.id for r in g_today.reasons} == reasons_today
    assert g_then.rules == "2014-12-08" and g_today.rules == "2025-05-16"


def test_trust_grades_keep_the_grade_the_server_would_get_if_trusted(by_profile):
    for profile in ("self-signed", "expired", "wrong-name"):
        assert grade_result(by_profile[profile], TODAY).grade_if_trusted == "A+"
    assert grade_result(by_profile["sha1-chain"], TODAY).grade_if_trusted == "A"


def test_weak_dh_score_penalty_is_in_the_key_exchange_score(by_profile):
    g = grade_result(by_profile["weak-dh"], THEN)
    assert g.scores.key_exchange == 80
    assert grade_result(by_profile["modern"], THEN).scores.key_exchange == 90


def test_anon_zero_key_exchange_makes_the_total_zero(by_profile):
    g = grade_result(by_profile["anon"], TODAY)
    assert (g.scores.key_exchange, g.scores.total) == (0, 0)


def test_modern_profile_has_nothing_scannable_left_untested(by_profile):
    g = grade_result(by_profile["modern"], TODAY)
    # Only what no sslyze scan can do is listed; no AEAD-only server can have CBC oracles.
    assert "POODLE (TLS)" not in g.not_tested
    assert set(g.not_tested) <= {
        "Ticketbleed",
        "revocation (no OCSP stapling)",
        "DROWN on other hosts sharing the key",
        "client simulation (negotiated suites judged from offered ones)",
    }


def test_mail_services_read_hsts_as_not_applicable(by_profile):
    # Issue 14: HSTS does not apply to mail, so it is not "not tested", and A is the top.
    from tlsreport.mailgrade import MAIL_TOP_NOTE

    g = grade_result(by_profile["smtp-starttls"], TODAY)
    assert g.letter == "A"
    assert "HSTS" not in g.not_tested
    assert "A+ not confirmed" not in g.note and MAIL_TOP_NOTE in g.note


@pytest.mark.parametrize("profile", ["silent", "closed"])
def test_unreachable_targets_get_no_grade(by_profile, profile):
    assert by_profile[profile].state != "ok"
    assert grade_result(by_profile[profile], TODAY) is None
