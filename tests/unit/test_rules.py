"""One test per grading rule: both sides of its date(s) and of its threshold(s).

Each server is the clean A+ server of gradekit with exactly one weakness added, so a failing
test names the rule that broke.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from gradekit import CBC, DES3, RC4, RSA_GCM, TLS12, TLS13, cert, certificate, make_facts, suite
from tlsreport.facts import Hsts, Renegotiation
from tlsreport.grading import (
    GRADES,
    Cap,
    facts_from_reasons,
    grade_facts,
    grade_rank,
    letter_for_score,
    reason_for,
    rules_of,
    scores,
)
from tlsreport.rules import CHANGE_DATES, RULES, rule_set_id

D = date.fromisoformat


def letter(facts, day: str) -> str:
    return grade_facts(facts, D(day)).letter


def day_before(day: str) -> str:
    return (D(day) - timedelta(days=1)).isoformat()


# --- the rule sets themselves ------------------------------------------------------------

REQUIRED_STATES = [
    "2014-01-21",
    "2014-10-15",
    "2014-10-30",
    "2014-12-08",
    "2015-05-20",
    "2015-10-14",
    "2016-03-04",
    "2017-04-03",
    "2018-03-01",
    "2020-01-31",
    "2025-05-16",
]


@pytest.mark.parametrize("day", REQUIRED_STATES)
def test_each_required_state_is_a_rule_set_of_its_own(day):
    assert rules_of(D(day)).id == day
    assert rules_of(D(day_before(day))).id != day


def test_rule_set_id_is_the_last_change_on_or_before_the_day():
    assert rule_set_id(D("2015-03-03")) == "2014-12-08"
    assert rule_set_id(D("2015-12-31")) == "2015-10-14"
    assert rule_set_id(D("2026-11-26")) == "2025-05-16"


def test_days_before_the_oldest_rule_set_are_refused():
    with pytest.raises(ValueError, match="no rule set before 2013-02-07"):
        rules_of(D("2012-12-31"))


def test_every_rule_has_a_valid_effect_and_ordered_dates():
    for r in RULES:
        assert r.effect in ("M", "T", "F", "E", "D", "C", "B", "A-", "warning", "no-A+")
        assert r.until is None or r.since < r.until
    assert list(CHANGE_DATES) == sorted(CHANGE_DATES)


def test_a_finding_never_has_the_same_effect_twice_at_a_time():
    for day in CHANGE_DATES:
        rs = rules_of(D(day))
        pairs = [(r.finding, r.effect) for r in rs.rules]
        assert len(pairs) == len(set(pairs)), day


# --- the method: scores, bands, A-/A+ ----------------------------------------------------


def test_the_2015_bank_worked_example_scores_92_and_a():
    facts = make_facts(
        protocols={
            "TLSv1.0": (suite("TLS_RSA_WITH_AES_256_CBC_SHA"), RC4),
            "TLSv1.1": (suite("TLS_RSA_WITH_AES_256_CBC_SHA"), RC4),
            "TLSv1.2": (suite("TLS_RSA_WITH_AES_256_CBC_SHA"), RC4),
            "TLSv1.3": (),
        }
    )
    s = scores(facts)
    assert (s.protocol, s.key_exchange, s.cipher, s.total) == (95, 90, 90, 92)
    assert letter_for_score(s.total) == "A"


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (80, "A"),
        (79, "B"),
        (65, "B"),
        (64, "C"),
        (50, "C"),
        (49, "D"),
        (35, "D"),
        (34, "E"),
        (20, "E"),
        (19, "F"),
    ],
)
def test_score_bands_80_65_50_35_20(total, expected):
    assert letter_for_score(total) == expected


def test_a_zero_category_makes_the_total_zero_and_the_grade_f():
    facts = make_facts(add={"TLSv1.2": (suite("TLS_DH_anon_WITH_AES_128_GCM_SHA256"),)})
    assert scores(facts).key_exchange == 0
    assert scores(facts).total == 0
    assert letter(facts, "2013-06-01") == "F"


def test_ec_key_scores_full_key_exchange_and_rsa_2048_scores_90():
    ec = make_facts(certificate=certificate(chain=cert(key_type="EC", key_bits=256)))
    assert scores(ec).key_exchange == 100
    assert scores(make_facts()).key_exchange == 90


def test_clean_server_is_a_plus_from_2014_and_a_before():
    assert letter(make_facts(), "2014-01-20") == "A"
    assert letter(make_facts(), "2014-01-21") == "A+"
    assert letter(make_facts(), "2026-11-26") == "A+"


def test_hsts_max_age_of_180_days_gives_a_plus_one_second_less_does_not():
    assert letter(make_facts(hsts=Hsts(True, 15552000)), "2015-03-03") == "A+"
    assert letter(make_facts(hsts=Hsts(True, 15551999)), "2015-03-03") == "A"


def test_missing_hsts_means_no_a_plus():
    g = grade_facts(make_facts(hsts=Hsts(present=False)), D("2015-03-03"))
    assert g.letter == "A"
    assert [r.id for r in g.reasons] == ["no-hsts"]


def test_hsts_disabled_is_a_warning_from_may_2025():
    facts = make_facts(hsts=Hsts(True, 0))
    assert letter(facts, "2025-05-15") == "A"
    assert letter(facts, "2025-05-16") == "A-"


def test_warnings_never_lower_a_b():
    facts = make_facts(
        protocols={"TLSv1.2": RSA_GCM, "TLSv1.3": ()},
        renegotiation=Renegotiation(secure=False, client_initiated=False),
    )
    assert letter(facts, "2018-03-01") == "B"


def test_grade_rank_orders_a_plus_best_and_m_worst():
    assert [grade_rank(g) for g in GRADES] == list(range(len(GRADES)))
    with pytest.raises(ValueError, match="unknown grade 'Z'"):
        grade_rank("Z")


# --- protocols -----------------------------------------------------------------------------

TLS10_ONLY = {"TLSv1.0": CBC, "TLSv1.2": (), "TLSv1.3": ()}


def test_sslv2_is_f():
    assert (
        letter(
            make_facts(add={"SSLv2": (suite("SSL_CK_RC4_128_WITH_MD5", kex="RSA"),)}), "2013-02-07"
        )
        == "F"
    )


def test_sslv2_also_counts_as_drown_from_march_2016():
    facts = make_facts(add={"SSLv2": (suite("SSL_CK_RC4_128_WITH_MD5", kex="RSA"),)})
    ids = lambda day: [r.id for r in grade_facts(facts, D(day)).reasons]  # noqa: E731
    assert "drown" not in ids("2016-03-03")
    assert "drown" in ids("2016-03-04")


def test_beast_capped_tls10_cbc_servers_at_b_until_september_2013():
    facts = make_facts(protocols=TLS10_ONLY)
    assert letter(facts, "2013-09-08") == "B"
    assert letter(facts, "2013-09-09") == "A"


def test_no_tls12_is_b_from_january_2014_and_c_from_may_2015():
    facts = make_facts(protocols=TLS10_ONLY)
    assert letter(facts, "2014-01-20") == "A"
    assert letter(facts, "2014-01-21") == "B"
    assert letter(facts, "2015-05-19") == "B"
    assert letter(facts, "2015-05-20") == "C"


def test_a_tls13_only_server_has_tls12_for_the_no_tls12_rule():
    facts = make_facts(protocols={"TLSv1.2": ()})
    assert "no-tls12" not in [r.id for r in grade_facts(facts, D("2026-11-26")).reasons]


def test_tls10_and_tls11_cap_at_b_from_31_january_2020():
    facts = make_facts(protocols={"TLSv1.0": CBC, "TLSv1.1": CBC})
    assert letter(facts, "2020-01-30") == "A+"
    assert letter(facts, "2020-01-31") == "B"


def test_no_tls13_is_a_warning_from_16_may_2025():
    facts = make_facts(
        protocols={"TLSv1.1": CBC, "TLSv1.3": ()},
    )
    # TLS 1.1 beside 1.2 (so FALLBACK_SCSV is testable) is B from 2020; use TLS 1.2 only:
    facts = make_facts(protocols={"TLSv1.3": ()})
    assert letter(facts, "2025-05-15") == "A"  # single protocol: SCSV untestable, no A+
    assert letter(facts, "2025-05-16") == "A-"


def test_poodle_sslv3_with_cbc_is_c_from_15_october_2014():
    facts = make_facts(add={"SSLv3": (suite("TLS_RSA_WITH_AES_128_CBC_SHA"),)})
    assert letter(facts, "2014-10-14") == "A+"
    assert letter(facts, "2014-10-15") == "C"


def test_sslv3_without_cbc_is_b_from_30_october_2014():
    facts = make_facts(add={"SSLv3": (RC4,)})
    assert letter(facts, "2014-10-29") == "A+"
    assert letter(facts, "2014-10-30") == "B"


def test_sslv3_as_best_protocol_is_f_from_8_december_2014():
    facts = make_facts(
        protocols={"SSLv3": (suite("TLS_RSA_WITH_AES_128_CBC_SHA"),), "TLSv1.2": (), "TLSv1.3": ()}
    )
    assert letter(facts, "2014-12-07") == "C"
    assert letter(facts, "2014-12-08") == "F"


def test_poodle_tls_is_f_from_december_2014_when_known():
    facts = make_facts(add={"TLSv1.2": CBC}, other_tests={"poodle-tls": True})
    assert letter(facts, "2014-12-07") == "A+"
    assert letter(facts, "2014-12-08") == "F"


def test_poodle_tls_is_not_tested_with_cbc_and_not_applicable_without():
    with_cbc = grade_facts(make_facts(add={"TLSv1.2": CBC}), D("2015-03-03"))
    without = grade_facts(make_facts(), D("2015-03-03"))
    assert "POODLE (TLS)" in with_cbc.not_tested
    assert "POODLE (TLS)" not in without.not_tested
    assert with_cbc.letter == "A+"  # an untestable check never holds back A+


# --- cipher suites -------------------------------------------------------------------------


def test_rc4_with_tls11_plus_is_a_warning_from_2014_and_c_from_may_2015():
    facts = make_facts(add={"TLSv1.2": (RC4,)})
    assert letter(facts, "2014-01-20") == "A"
    assert letter(facts, "2014-01-21") == "A-"
    assert letter(facts, "2015-05-19") == "B"
    assert letter(facts, "2015-05-20") == "C"


def test_rc4_only_with_old_protocols_is_b_from_december_2014():
    facts = make_facts(protocols={"TLSv1.0": (*CBC, RC4)})
    assert letter(facts, "2014-12-07") == "A+"
    assert letter(facts, "2014-12-08") == "B"
    assert letter(facts, "2015-12-31") == "B"  # not with TLS 1.1+: stays B


def test_rc4_only_server_is_f_after_october_2015():
    facts = make_facts(
        protocols={p: (RC4,) for p in ("TLSv1.0", "TLSv1.1", "TLSv1.2")} | {"TLSv1.3": ()}
    )
    assert letter(facts, "2015-10-13") == "C"
    assert letter(facts, "2015-10-14") == "F"


def test_3des_with_tls11_plus_is_c_from_april_2017():
    facts = make_facts(add={"TLSv1.2": (DES3,)})
    assert letter(facts, "2017-04-02") == "A+"
    assert letter(facts, "2017-04-03") == "C"


def test_3des_only_with_tls10_is_not_the_sweet32_cap():
    facts = make_facts(protocols={"TLSv1.0": (DES3,)})
    assert "3des" not in [r.id for r in grade_facts(facts, D("2017-04-03")).reasons]


def test_ciphers_below_112_bits_are_f_from_april_2017():
    facts = make_facts(add={"TLSv1.2": (suite("TLS_RSA_WITH_DES_CBC_SHA"),)})
    g = grade_facts(facts, D("2017-04-02"))
    assert (g.letter, g.scores.cipher, g.scores.total) == ("A+", 60, 81)  # score penalty only
    assert letter(facts, "2017-04-03") == "F"


def test_112_bit_3des_is_not_a_weak_cipher():
    facts = make_facts(add={"TLSv1.0": (DES3,)})
    assert "weak-cipher" not in [r.id for r in grade_facts(facts, D("2026-11-26")).reasons]


def test_anonymous_suites_are_f():
    facts = make_facts(add={"TLSv1.2": (suite("TLS_DH_anon_WITH_AES_128_GCM_SHA256"),)})
    g = grade_facts(facts, D("2015-03-03"))
    assert g.letter == "F"
    assert g.reasons[0].id == "anon"


def test_no_forward_secrecy_is_a_warning_from_2014_and_b_from_march_2018():
    facts = make_facts(protocols={"TLSv1.2": RSA_GCM})  # TLS 1.3 beside it has FS
    assert letter(facts, "2018-03-01") == "A+"
    facts = make_facts(
        protocols={
            "TLSv1.1": (suite("TLS_RSA_WITH_AES_128_CBC_SHA"),),
            "TLSv1.2": RSA_GCM,
            "TLSv1.3": (),
        }
    )
    assert letter(facts, "2014-01-20") == "A"
    assert letter(facts, "2014-01-21") == "A-"
    assert letter(facts, "2018-02-28") == "A-"
    assert letter(facts, "2018-03-01") == "B"


def test_one_fs_suite_on_tls12_counts_as_forward_secrecy():
    facts = make_facts(protocols={"TLSv1.2": (*RSA_GCM, TLS12[0]), "TLSv1.3": ()})
    assert "no-fs" not in [r.id for r in grade_facts(facts, D("2018-03-01")).reasons]


def test_no_aead_is_b_from_march_2018():
    facts = make_facts(protocols={"TLSv1.1": CBC, "TLSv1.2": CBC, "TLSv1.3": ()})
    assert letter(facts, "2018-02-28") == "A+"
    assert letter(facts, "2018-03-01") == "B"


def test_weak_dh_is_a_score_penalty_then_b_from_may_2015():
    dhe = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex_bits=1024)
    facts = make_facts(add={"TLSv1.2": (dhe,)})
    g = grade_facts(facts, D("2015-05-19"))
    assert (g.letter, g.scores.key_exchange) == ("A", 80)
    assert letter(facts, "2014-01-20") == "A"  # before A+ existed
    assert letter(facts, "2015-05-20") == "B"


def test_dh_2048_is_not_weak():
    dhe = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex_bits=2048)
    assert letter(make_facts(add={"TLSv1.2": (dhe,)}), "2026-11-26") == "A+"


def test_dh_below_1024_or_unreadable_is_f_from_may_2015():
    for dhe in (
        suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex_bits=512),
        suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex_bits=None, dh_key_unreadable=True),
    ):
        facts = make_facts(add={"TLSv1.2": (dhe,)})
        assert letter(facts, "2015-05-19") == "B"  # key exchange 40: total 78
        assert letter(facts, "2015-05-20") == "F"


# --- certificate ---------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["self-signed", "expired", "not-yet-valid", "untrusted"])
def test_untrusted_certificates_are_f_before_june_2014_and_t_after(problem):
    facts = make_facts(certificate=certificate(problem=problem))
    assert letter(facts, "2014-06-16") == "F"
    g = grade_facts(facts, D("2014-06-17"))
    assert (g.letter, g.grade_if_trusted) == ("T", "A+")


def test_name_mismatch_is_f_before_june_2014_and_m_after():
    facts = make_facts(certificate=certificate(problem="mismatch"))
    assert letter(facts, "2014-06-16") == "F"
    assert letter(facts, "2014-06-17") == "M"


def test_mismatch_found_from_the_sans_when_sslyze_gave_no_answer():
    facts = make_facts(certificate=certificate(problem="untrusted", hostname_matches=None))
    g = grade_facts(facts, D("2026-11-26"), hostname="other.lab.test")
    assert g.letter == "M"


def test_revoked_certificate_is_f():
    facts = make_facts(certificate=certificate(ocsp_stapled=True, ocsp_status="REVOKED"))
    assert letter(facts, "2015-03-03") == "F"


def test_md5_signature_is_f():
    facts = make_facts(certificate=certificate(chain=cert(hash="md5")))
    assert letter(facts, "2013-06-01") == "F"


def test_rsa_key_below_2048_is_b_from_2014_and_below_1024_is_f():
    weak = make_facts(certificate=certificate(chain=cert(key_bits=1024)))
    assert letter(weak, "2014-01-20") == "A"  # key exchange 80, total 90
    assert letter(weak, "2014-01-21") == "B"
    assert (
        letter(make_facts(certificate=certificate(chain=cert(key_bits=2048))), "2014-01-21") == "A+"
    )
    insecure = make_facts(certificate=certificate(chain=cert(key_bits=512)))
    assert letter(insecure, "2014-01-20") == "B"
    assert letter(insecure, "2014-01-21") == "F"


def test_rsa_exponent_1_is_f_from_march_2016():
    facts = make_facts(certificate=certificate(chain=cert(exponent=1)))
    assert letter(facts, "2016-03-03") == "A+"
    assert letter(facts, "2016-03-04") == "F"


def test_sha1_leaf_blocks_a_plus_from_september_2014_and_is_t_from_2017():
    facts = make_facts(certificate=certificate(chain=cert(hash="sha1", inter_hash="sha256")))
    assert letter(facts, "2014-09-03") == "A+"
    assert letter(facts, "2014-09-04") == "A"
    assert letter(facts, "2016-12-31") == "A"
    g = grade_facts(facts, D("2017-01-01"))
    assert (g.letter, g.grade_if_trusted) == ("T", "A")


def test_sha1_intermediate_blocks_a_plus_from_december_2014():
    facts = make_facts(certificate=certificate(chain=cert(inter_hash="sha1")))
    assert letter(facts, "2014-12-07") == "A+"
    assert letter(facts, "2014-12-08") == "A"
    assert letter(facts, "2017-01-01") == "T"


def test_sha1_self_signed_root_in_the_chain_does_not_count():
    chain = (
        *cert(),
        replace(cert()[1], subject="CN=Lab Root", issuer="CN=Lab Root", signature_hash="sha1"),
    )
    facts = make_facts(certificate=certificate(chain=chain))
    assert letter(facts, "2026-11-26") == "A+"


def test_incomplete_chain_is_b_from_december_2014():
    facts = make_facts(certificate=certificate(problem="incomplete-chain"))
    assert letter(facts, "2014-12-07") == "A+"
    assert letter(facts, "2014-12-08") == "B"


# --- handshake, implementation flaws --------------------------------------------------------


def test_insecure_renegotiation_is_f():
    facts = make_facts(renegotiation=Renegotiation(secure=False, client_initiated=True))
    assert letter(facts, "2013-06-01") == "F"


def test_client_renegotiation_with_rfc5746_is_not_graded():
    facts = make_facts(renegotiation=Renegotiation(secure=True, client_initiated=True))
    assert letter(facts, "2026-11-26") == "A+"


def test_no_secure_renegotiation_is_a_warning_from_2014():
    facts = make_facts(renegotiation=Renegotiation(secure=False, client_initiated=False))
    assert letter(facts, "2014-01-20") == "A"
    assert letter(facts, "2014-01-21") == "A-"


def test_compression_is_b_then_c_from_may_2015():
    facts = make_facts(compression=True)
    assert letter(facts, "2015-05-19") == "B"
    assert letter(facts, "2015-05-20") == "C"


@pytest.mark.parametrize(
    ("field", "value", "since"),
    [
        ("heartbleed", True, "2014-04-08"),
        ("ccs_injection", True, "2014-06-05"),
        ("robot", "VULNERABLE_STRONG_ORACLE", "2018-03-01"),
        ("robot", "VULNERABLE_WEAK_ORACLE", "2018-03-01"),
    ],
)
def test_implementation_flaws_are_f_from_their_date(field, value, since):
    facts = make_facts(**{field: value})
    assert letter(facts, day_before(since)) == "A+"
    assert letter(facts, since) == "F"


@pytest.mark.parametrize(
    ("key", "since"),
    [
        ("ticketbleed", "2017-04-03"),
        ("cve-2016-2107", "2016-05-03"),
        ("cbc-oracles-2019", "2019-05-07"),
    ],
)
def test_flaws_sslyze_cannot_test_are_f_when_a_result_is_known(key, since):
    facts = make_facts(add={"TLSv1.2": CBC}, other_tests={key: True})
    assert letter(facts, day_before(since)) == "A+"
    assert letter(facts, since) == "F"


# --- TLS_FALLBACK_SCSV and "not tested" ------------------------------------------------------


def test_no_fallback_scsv_blocks_a_plus_from_october_2014_until_may_2025():
    facts = make_facts(fallback_scsv=False)
    assert letter(facts, "2014-10-29") == "A+"
    assert letter(facts, "2014-10-30") == "A"
    assert letter(facts, "2025-05-15") == "A"
    assert letter(facts, "2025-05-16") == "A+"


def test_single_protocol_server_cannot_be_tested_for_scsv_and_stays_a_until_2025():
    facts = make_facts(protocols={"TLSv1.2": ()}, fallback_scsv=None)
    g = grade_facts(facts, D("2015-03-03"))
    assert g.letter == "A"
    assert "fallback-untestable" in [r.id for r in g.reasons]
    assert letter(facts, "2025-05-16") == "A+"


def test_unknown_fallback_scsv_is_not_passed_a_plus_is_withheld():
    g = grade_facts(make_facts(fallback_scsv=None), D("2015-03-03"))
    assert g.letter == "A"
    assert "TLS_FALLBACK_SCSV" in g.not_tested
    assert "A+ not confirmed" in g.note


def test_unknown_heartbleed_is_listed_and_withholds_a_plus():
    g = grade_facts(make_facts(heartbleed=None), D("2015-03-03"))
    assert (g.letter, "Heartbleed" in g.not_tested) == ("A", True)


def test_a_protocol_whose_scan_failed_is_not_tested_not_absent():
    facts = make_facts()
    protos = dict(facts.protocols)
    del protos["SSLv3"]
    g = grade_facts(replace(facts, protocols=protos), D("2015-03-03"))
    assert "SSL 3" in g.not_tested
    assert g.letter == "A"


def test_missing_hsts_reading_is_not_tested():
    g = grade_facts(make_facts(hsts=None), D("2026-11-26"))
    assert ("HSTS" in g.not_tested, g.letter) == (True, "A")


def test_always_listed_limits_of_a_scan_today():
    g = grade_facts(make_facts(add={"TLSv1.2": CBC}), D("2026-11-26"))
    for item in (
        "POODLE (TLS)",
        "Zombie POODLE/GOLDENDOODLE",
        "Ticketbleed",
        "revocation (no OCSP stapling)",
        "DROWN on other hosts sharing the key",
    ):
        assert item in g.not_tested
    assert any(t.startswith("client simulation") for t in g.not_tested)


def test_stapled_good_ocsp_means_revocation_was_tested():
    facts = make_facts(certificate=certificate(ocsp_stapled=True, ocsp_status="GOOD"))
    assert "revocation (no OCSP stapling)" not in grade_facts(facts, D("2026-11-26")).not_tested


# --- caps, reasons ---------------------------------------------------------------------------


def test_caps_and_reasons_are_listed_worst_first_with_their_dates():
    facts = make_facts(
        protocols={"TLSv1.0": (*CBC, RC4), "TLSv1.2": (), "TLSv1.3": ()},
        certificate=certificate(chain=cert(hash="sha1")),
    )
    g = grade_facts(facts, D("2015-12-31"))
    assert g.letter == "C"
    assert g.caps[0] == Cap("C", "no-tls12", "no TLS 1.2", "2015-05-20")
    assert Cap("B", "rc4", "RC4 (insecure)", "2014-12-08") in g.caps
    labels = [r.label for r in g.reasons]
    assert (
        labels.index("no TLS 1.2")
        < labels.index("RC4 (insecure)")
        < labels.index("weak signature (SHA1)")
    )


def test_today_rules_sha1_reason_is_t_and_first():
    facts = make_facts(certificate=certificate(chain=cert(hash="sha1")), compression=True)
    g = grade_facts(facts, D("2026-11-26"))
    assert g.reasons[0].id == "sha1-cert" and g.reasons[0].severity == "T"
    assert g.grade_if_trusted == "C"


@pytest.mark.parametrize(
    ("label", "rid"),
    [
        ("RC4", "rc4"),
        ("RC4 (insecure)", "rc4"),
        ("SSL3 (insecure)", "ssl3"),
        ("weak signature (SHA1)", "sha1-cert"),
        ("no TLS 1.2", "no-tls12"),
        ("no Forward Secrecy", "no-fs"),
        ("weak DH", "weak-dh"),
        ("no support for secure renegotiation", "no-secure-reneg"),
        ("rc4", "rc4"),
        ("vulnerable to POODLE (SSL3 and TLS)", "poodle-tls"),
        ("vulnerable to POODLE", "poodle-ssl3"),
    ],
)
def test_reason_for_maps_published_labels_to_stable_ids(label, rid):
    assert reason_for(label).id == rid


def test_reason_for_an_unknown_label_fails_loudly():
    with pytest.raises(KeyError, match="unknown reason label"):
        reason_for("bad vibes")


def test_facts_from_reasons_returns_labels_it_does_not_understand():
    _, unknown = facts_from_reasons(["RC4", "bad vibes"])
    assert unknown == ["bad vibes"]


def test_grading_is_pure_same_input_same_grade():
    facts = make_facts(add={"TLSv1.2": (RC4,)})
    assert grade_facts(facts, D("2015-12-31")) == grade_facts(facts, D("2015-12-31"))


def test_tls13_suites_have_fs_and_aead():
    facts = make_facts(protocols={"TLSv1.2": (), "TLSv1.3": TLS13})
    g = grade_facts(facts, D("2026-11-26"))
    assert not {"no-fs", "no-aead"} & {r.id for r in g.reasons}


def test_a_scan_where_no_cipher_suite_was_tested_is_not_an_f():
    g = grade_facts(replace(make_facts(), protocols={}), D("2026-11-26"))
    assert g.letter != "F"
    assert g.determined is False
    assert "no cipher suite could be tested" in g.note
    assert "TLS 1.2/1.3" in g.not_tested


@pytest.mark.parametrize(
    ("bits", "expected"), [(2048, "A+"), (2047, "B"), (1024, "B"), (1023, "F")]
)
def test_rsa_key_thresholds_2048_and_1024(bits, expected):
    facts = make_facts(certificate=certificate(chain=cert(key_bits=bits)))
    assert letter(facts, "2026-11-26") == expected


@pytest.mark.parametrize(
    ("bits", "expected"), [(256, "A+"), (163, "A+"), (162, "B"), (123, "B"), (122, "F")]
)
def test_ec_key_thresholds_163_and_123(bits, expected):
    facts = make_facts(certificate=certificate(chain=cert(key_type="EC", key_bits=bits)))
    assert letter(facts, "2026-11-26") == expected


@pytest.mark.parametrize(
    ("bits", "expected"), [(2048, "A+"), (2047, "B"), (1024, "B"), (1023, "F")]
)
def test_dh_group_thresholds_2048_and_1024(bits, expected):
    dhe = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex_bits=bits)
    assert letter(make_facts(add={"TLSv1.2": (dhe,)}), "2026-11-26") == expected


@pytest.mark.parametrize(("bits", "expected"), [(112, "A+"), (111, "F")])
def test_cipher_strength_threshold_112_bits(bits, expected):
    odd = suite("TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", bits=bits)
    assert letter(make_facts(add={"TLSv1.2": (odd,)}), "2026-11-26") == expected
