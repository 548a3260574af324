"""Scanning the real lab with the real sslyze: one test per profile, on the FACTS.

All tests share one scan of the whole lab list (the ``lab_snapshot`` session fixture).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from tlsreport import facts
from tlsreport.scan import facts_from_sslyze_json

pytestmark = pytest.mark.lab


def utc(text: str) -> datetime:
    """A facts date (``YYYY-MM-DDTHH:MM:SSZ``: snapshot ``taken``, certificate dates)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


MODERN_VERSIONS = {
    "SSLv2": False,
    "SSLv3": False,
    "TLSv1.0": False,
    "TLSv1.1": False,
    "TLSv1.2": True,
    "TLSv1.3": True,
}


def result(lab_snapshot: tuple[facts.Snapshot, dict], profile: str) -> facts.TargetResult:
    snapshot, _ = lab_snapshot
    found = [r for r in snapshot.results if r.target.host == f"{profile}.lab.test"]
    assert len(found) == 1, f"{profile}: {len(found)} results"
    return found[0]


def ok_facts(lab_snapshot: tuple[facts.Snapshot, dict], profile: str) -> facts.Facts:
    r = result(lab_snapshot, profile)
    assert r.state == facts.STATE_OK, f"{profile}: {r.state} {r.reason}"
    assert r.facts is not None and r.facts.errors == {}
    return r.facts


def offered(f: facts.Facts) -> dict[str, bool | None]:
    return {p: f.offered(p) for p in facts.PROTOCOLS}


def suites(f: facts.Facts) -> list[facts.CipherSuite]:
    return [s for _, s in f.all_suites()]


def supplied_ca_trust(f: facts.Facts) -> facts.TrustResult:
    assert f.certificate is not None
    (trust,) = [t for t in f.certificate.trust if t.store == "Supplied CA file"]
    return trust


def raw_for(lab_snapshot: tuple[facts.Snapshot, dict], profile: str) -> dict[str, Any]:
    _, raw = lab_snapshot
    (found,) = [
        r
        for r in raw["server_scan_results"]
        if r["server_location"]["hostname"] == f"{profile}.lab.test"
    ]
    return found


def assert_modern_tls(f: facts.Facts) -> None:
    assert offered(f) == MODERN_VERSIONS
    assert all(s.forward_secrecy and s.aead for s in suites(f))
    assert f.highest_version == "TLSv1.3"
    assert f.certificate is not None and f.certificate.problem is None
    assert f.certificate.trusted and f.certificate.hostname_matches is True
    assert supplied_ca_trust(f).trusted


def test_lab_scan_has_every_target_and_raw_json_only_for_those_sslyze_scanned(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    snapshot, raw = lab_snapshot
    assert snapshot.list_slug == "lab" and snapshot.kind == "scan"
    assert len(snapshot.results) == 22
    assert snapshot.versions["sslyze"] == "6.3.1" and snapshot.versions["schema"] == "2"
    utc(snapshot.taken)
    # raw JSON: one sslyze entry per target sslyze scanned (silent/closed stop at the probe)
    scanned = {r["server_location"]["hostname"] for r in raw["server_scan_results"]}
    assert len(scanned) == 20 and "silent.lab.test" not in scanned


def test_modern_server_offers_tls12_and_13_fs_aead_only_with_hsts_and_a_trusted_chain(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "modern")
    assert_modern_tls(f)
    assert f.hsts == facts.Hsts(present=True, max_age=31536000)
    assert f.renegotiation == facts.Renegotiation(secure=True, client_initiated=False)
    assert f.fallback_scsv is True and f.compression is False
    assert f.heartbleed is False and f.ccs_injection is False
    assert f.robot is not None and f.robot.startswith("NOT_VULNERABLE")
    assert f.extended_master_secret is True and f.curves and "X25519" in f.curves
    assert f.ip == "127.0.0.1"
    leaf = f.certificate.leaf if f.certificate else None
    assert leaf is not None and leaf.signature_hash == "sha256"
    assert "modern.lab.test" in leaf.sans and leaf.subject.startswith("CN=modern.lab.test")
    assert (leaf.key_type, leaf.key_bits, leaf.rsa_exponent) == ("RSA", 2048, 65537)
    assert leaf.not_before < leaf.not_after and len(leaf.fingerprint_sha256) == 64
    assert f.certificate is not None and len(f.certificate.chain) == 2
    assert f.certificate.chain_in_order is True


def test_tls10_only_server_offers_only_tls10_with_cbc_suites(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "tls10-only")
    assert offered(f) == {
        "SSLv2": False,
        "SSLv3": False,
        "TLSv1.0": True,
        "TLSv1.1": False,
        "TLSv1.2": False,
        "TLSv1.3": False,
    }
    assert f.highest_version == "TLSv1.0"
    assert all(s.cbc and not s.aead for s in suites(f))


def test_tls10_11_12_server_offers_every_version_from_tls10_up(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "tls10-11-12")
    assert offered(f) == {
        "SSLv2": False,
        "SSLv3": False,
        "TLSv1.0": True,
        "TLSv1.1": True,
        "TLSv1.2": True,
        "TLSv1.3": True,
    }


def test_rc4_server_offers_rc4_suites_on_tls12(lab_snapshot: tuple[facts.Snapshot, dict]) -> None:
    f = ok_facts(lab_snapshot, "rc4")
    rc4 = [s for s in f.protocols["TLSv1.2"] if s.rc4]
    assert [s.name for s in rc4] == ["TLS_ECDHE_RSA_WITH_RC4_128_SHA"]
    assert rc4[0].kex == "ECDHE" and rc4[0].forward_secrecy and not rc4[0].aead


def test_sslv3_server_offers_sslv3_with_cbc_but_not_tls10_or_11(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "sslv3")
    assert f.offered("SSLv3") is True
    assert f.offered("TLSv1.0") is False and f.offered("TLSv1.1") is False
    assert any(s.cbc for s in f.protocols["SSLv3"])  # POODLE needs CBC at SSL 3.0


def test_sha1_chain_is_a_weak_signature_problem_read_from_the_received_chain(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "sha1-chain")
    assert f.certificate is not None
    # SHA-1 is only visible in the received chain (sslyze has no verified chain here)
    assert [c.signature_hash for c in f.certificate.chain] == ["sha1", "sha1"]
    assert f.certificate.problem == "weak-signature"
    assert not supplied_ca_trust(f).trusted


def test_weak_dh_server_dhe_suites_have_1024_bit_keys(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "weak-dh")
    dhe = [s for s in suites(f) if s.kex == "DHE"]
    assert dhe and {s.kex_bits for s in dhe} == {1024}
    assert all(s.forward_secrecy and not s.dh_key_unreadable for s in dhe)


def test_no_fs_server_offers_only_rsa_key_transport(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "no-fs")
    assert f.offered("TLSv1.3") is False and f.offered("TLSv1.2") is True
    assert suites(f) and all(s.kex == "RSA" and not s.forward_secrecy for s in suites(f))
    assert all(s.kex_bits is None for s in suites(f))


def test_no_secure_reneg_server_lacks_secure_renegotiation(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "no-secure-reneg")
    assert f.renegotiation is not None and f.renegotiation.secure is False


def test_client_reneg_server_allows_client_initiated_renegotiation(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "client-reneg")
    assert f.renegotiation == facts.Renegotiation(secure=True, client_initiated=True)


def test_no_fallback_scsv_server_lacks_the_scsv_that_modern_has(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "no-fallback-scsv")
    assert f.fallback_scsv is False
    assert ok_facts(lab_snapshot, "modern").fallback_scsv is True


def test_anon_server_anonymous_suites_have_no_forward_secrecy(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "anon")
    anon = [s for s in suites(f) if s.anonymous]
    assert anon and all(s.kex == "ANON" and not s.forward_secrecy for s in anon)
    assert all("_anon_" in s.name for s in anon)


def test_self_signed_server_one_certificate_chain_is_a_self_signed_problem(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "self-signed")
    cert = f.certificate
    assert cert is not None and cert.problem == "self-signed" and not cert.trusted
    assert len(cert.chain) == 1 and cert.chain[0].subject == cert.chain[0].issuer


def test_expired_server_leaf_expired_before_the_scan_is_an_expired_problem(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    snapshot, _ = lab_snapshot
    f = ok_facts(lab_snapshot, "expired")
    cert = f.certificate
    assert cert is not None and cert.problem == "expired" and not cert.trusted
    leaf = cert.leaf
    assert leaf is not None and utc(leaf.not_after) < utc(snapshot.taken)


def test_wrong_name_server_certificate_for_another_name_is_a_mismatch(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    f = ok_facts(lab_snapshot, "wrong-name")
    cert = f.certificate
    assert cert is not None and cert.problem == "mismatch"
    assert cert.hostname == "wrong-name.lab.test" and cert.hostname_matches is False
    assert cert.leaf is not None and "elsewhere.lab.test" in cert.leaf.sans


@pytest.mark.parametrize(
    ("profile", "starttls"),
    [("smtp-starttls", "SMTP"), ("imap-starttls", "IMAP"), ("pop3-starttls", "POP3")],
)
def test_mail_over_starttls_has_modern_tls_facts_and_no_hsts(
    lab_snapshot: tuple[facts.Snapshot, dict], profile: str, starttls: str
) -> None:
    f = ok_facts(lab_snapshot, profile)
    assert_modern_tls(f)
    assert f.hsts is None and f.http_error is None  # no HTTP on a mail server
    config = raw_for(lab_snapshot, profile)["network_configuration"]
    assert config["tls_opportunistic_encryption"] == starttls


@pytest.mark.parametrize("profile", ["imaps", "pop3s"])
def test_mail_over_implicit_tls_has_modern_tls_facts_and_no_starttls(
    lab_snapshot: tuple[facts.Snapshot, dict], profile: str
) -> None:
    f = ok_facts(lab_snapshot, profile)
    assert_modern_tls(f)
    assert f.hsts is None
    r = result(lab_snapshot, profile)
    assert r.target.service == profile
    assert (
        raw_for(lab_snapshot, profile)["network_configuration"]["tls_opportunistic_encryption"]
        is None
    )


def test_silent_and_closed_recorded_with_reasons_others_ok(
    lab_snapshot: tuple[facts.Snapshot, dict],
) -> None:
    snapshot, _ = lab_snapshot
    silent = result(lab_snapshot, "silent")
    assert silent.state == "timeout" and silent.facts is None
    assert silent.reason and "did not answer" in silent.reason
    closed = result(lab_snapshot, "closed")
    assert closed.state == "refused" and closed.reason and "refused" in closed.reason
    others = [
        r for r in snapshot.results if r.target.host not in ("silent.lab.test", "closed.lab.test")
    ]
    # Nobody waited for the silent server's ~11 x network timeout: all got full facts.
    assert [r.state for r in others] == ["ok"] * 20


def test_raw_json_renormalises_to_the_same_facts(lab_snapshot: tuple[facts.Snapshot, dict]) -> None:
    snapshot, raw = lab_snapshot
    at = utc(snapshot.taken)
    by_host = {r["server_location"]["hostname"]: r for r in raw["server_scan_results"]}
    for r in snapshot.results:
        if r.facts is not None:
            again = facts_from_sslyze_json(by_host[r.target.host], at=at)
            # The mail policy is read by tlsreport's own probe, not by sslyze (issue 14).
            assert again == dataclasses.replace(r.facts, mail=None, mail_domain=None), r.target.name
    assert at <= datetime.now(UTC)
