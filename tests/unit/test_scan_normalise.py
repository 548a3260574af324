"""Pure normalisation rules (no network): suite flags, names, HSTS, certificate problems."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tlsreport import facts
from tlsreport.scan import (
    SCAN_COMMANDS,
    classify_certificate_problem,
    facts_from_sslyze_json,
    hostname_matches,
    parse_hsts,
    state_from_connectivity_error,
    suite_facts,
)
from tlsreport.scan.normalise import NORMALISERS


def suite(
    name: str, bits: int = 128, key: dict | None = None, anon: bool = False
) -> facts.CipherSuite:
    return suite_facts(
        {
            "cipher_suite": {
                "name": name,
                "key_size": bits,
                "is_anonymous": anon,
                "openssl_name": "X",
            },
            "ephemeral_key": key,
        }
    )


ECDH = {"type_name": "ECDH", "size": 253, "curve_name": "X25519"}


@pytest.mark.parametrize(
    ("name", "kex", "fs", "aead"),
    [
        ("TLS_AES_128_GCM_SHA256", "TLS13", True, True),
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE", True, True),
        ("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE", True, False),
        ("TLS_RSA_WITH_AES_128_CCM", "RSA", False, True),
        ("TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", "ECDH", False, False),
        ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE", True, True),
        ("SSL_CK_RC4_128_WITH_MD5", "RSA", False, False),
        ("TLS_PSK_WITH_AES_128_GCM_SHA256", "PSK", False, True),
    ],
)
def test_key_exchange_fs_and_aead_from_the_name(name: str, kex: str, fs: bool, aead: bool) -> None:
    s = suite(name, key=ECDH if fs else None)
    assert (s.kex, s.forward_secrecy, s.aead) == (kex, fs, aead)


def test_suite_names_mark_rc4_and_64_bit_block_ciphers() -> None:
    assert suite("TLS_RSA_WITH_RC4_128_SHA").rc4
    assert suite("SSL_CK_RC4_128_WITH_MD5").rc4
    triple = suite("TLS_RSA_WITH_3DES_EDE_CBC_SHA", bits=168)
    assert triple.block_64 and triple.cbc and not triple.rc4
    assert suite("TLS_RSA_WITH_IDEA_CBC_SHA").block_64
    assert suite("TLS_RSA_WITH_DES_CBC_SHA", bits=56).block_64
    export = suite("TLS_RSA_EXPORT_WITH_RC4_40_MD5", bits=40)
    assert export.export and export.kex == "RSA"
    null = suite("TLS_RSA_WITH_NULL_SHA256", bits=0)
    assert null.null and not null.aead
    assert not suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", key=ECDH).null
    anon = suite(
        "TLS_DH_anon_WITH_AES_128_GCM_SHA256", anon=True, key={"type_name": "DH", "size": 2048}
    )
    assert anon.anonymous and anon.kex == "ANON" and not anon.forward_secrecy
    assert anon.kex_bits == 2048 and anon.curve is None


def test_ephemeral_key_size_and_curve() -> None:
    s = suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", key=ECDH)
    assert (s.kex_bits, s.curve, s.dh_key_unreadable) == (253, "X25519", False)
    dh = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", key={"type_name": "DH", "size": 1024})
    assert (dh.kex_bits, dh.curve) == (1024, None)


def test_dh_below_1024_accepted_without_key_is_kept() -> None:
    s = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", key=None)
    assert s.dh_key_unreadable and s.kex_bits is None and s.kex == "DHE"
    assert not suite("TLS_RSA_WITH_AES_128_GCM_SHA256", key=None).dh_key_unreadable
    assert suite("TLS_DH_anon_WITH_AES_128_CBC_SHA", anon=True).dh_key_unreadable
    assert not suite("TLS_ECDH_anon_WITH_AES_128_CBC_SHA", anon=True).dh_key_unreadable


@pytest.mark.parametrize(
    ("host", "dns", "ips", "cn", "expected"),
    [
        ("www.ing.be", ["www.ing.be"], [], None, True),
        ("WWW.ING.BE.", ["www.ing.be"], [], None, True),
        ("www.ing.be", ["*.ing.be"], [], None, True),
        ("a.b.ing.be", ["*.ing.be"], [], None, False),
        ("ing.be", ["*.ing.be"], [], None, False),
        ("www.ing.be", ["ing.be"], [], "www.ing.be", False),  # CN ignored when SANs exist
        ("www.ing.be", [], [], "www.ing.be", True),
        ("127.0.0.1", ["127.0.0.1"], [], None, False),  # an IP matches IP SANs only
        ("127.0.0.1", [], ["127.0.0.1"], None, True),
    ],
)
def test_hostname_matches_sans_wildcards_ips_and_cn_fallback(
    host: str, dns: list[str], ips: list[str], cn: str | None, expected: bool
) -> None:
    assert hostname_matches(host, dns, ips, cn) is expected


def test_hsts_header_parsing_keeps_max_age_subdomains_and_preload() -> None:
    assert parse_hsts(None) == facts.Hsts(present=False)
    assert parse_hsts("max-age=31536000") == facts.Hsts(present=True, max_age=31536000)
    assert parse_hsts('Max-Age="100"; includeSubDomains ;preload') == facts.Hsts(
        present=True, max_age=100, include_subdomains=True, preload=True
    )
    assert parse_hsts("max-age=abc").max_age is None


def cert(
    subject: str, issuer: str, sig: str = "sha256", not_after: str = "2030-01-01T00:00:00Z"
) -> facts.Certificate:
    return facts.Certificate(
        subject=subject,
        issuer=issuer,
        signature_hash=sig,
        not_before="2020-01-01T00:00:00Z",
        not_after=not_after,
    )


EXHAUSTED = "validation failed: candidates exhausted: all candidates exhausted"
AT = datetime(2026, 11, 26, tzinfo=UTC)


def test_certificate_problem_classification() -> None:
    chain = (cert("CN=a", "CN=ca"), cert("CN=ca", "CN=root"))
    assert classify_certificate_problem([], chain, True, AT) is None
    assert (
        classify_certificate_problem(["cert is not valid at validation time"], chain, True, AT)
        == "expired"
    )
    old = (cert("CN=a", "CN=ca", not_after="2020-06-01T00:00:00Z"),)
    assert classify_certificate_problem([EXHAUSTED], old, True, AT) == "expired"
    future = (
        facts.Certificate(
            subject="CN=a",
            issuer="CN=ca",
            not_before="2027-01-01T00:00:00Z",
            not_after="2028-01-01T00:00:00Z",
        ),
    )
    assert (
        classify_certificate_problem(["cert is not valid at validation time"], future, True, AT)
        == "not-yet-valid"
    )
    assert (
        classify_certificate_problem([EXHAUSTED], (cert("CN=a", "CN=a"),), True, AT)
        == "self-signed"
    )
    sha1 = (cert("CN=a", "CN=ca", "sha1"), cert("CN=ca", "CN=root", "sha1"))
    assert (
        classify_certificate_problem(["Forbidden signature algorithm"], sha1, True, AT)
        == "weak-signature"
    )
    assert (
        classify_certificate_problem(
            ["leaf certificate has no matching subjectAltName"], chain, False, AT
        )
        == "mismatch"
    )
    assert classify_certificate_problem([EXHAUSTED], chain, True, AT) == "untrusted"


@pytest.mark.parametrize(
    ("trace", "state"),
    [
        ("Traceback...\nsslyze.errors.ServerRejectedConnection: Connection rejected", "refused"),
        ("sslyze.errors.ConnectionToServerTimedOut: Connection to the server timed out", "timeout"),
        (
            "sslyze.errors.ServerTlsConfigurationNotSupported: Could not find a TLS version",
            "handshake-failure",
        ),
        (
            "sslyze.errors.ServerRejectedOpportunisticTlsNegotiation: STARTTLS rejected",
            "starttls-refused",
        ),
        ("ValueError: odd", "error"),
        (None, "error"),
    ],
)
def test_state_from_connectivity_error(trace: str | None, state: str) -> None:
    got, reason = state_from_connectivity_error(trace)
    assert got == state and reason


def attempt(result: dict | None, status: str = "COMPLETED") -> dict:
    return {
        "status": status,
        "error_reason": None if status == "COMPLETED" else "CONNECTIVITY_ISSUE",
        "error_trace": None
        if status == "COMPLETED"
        else "Traceback\nsslyze.errors.TlsHandshakeTimedOut: timed out",
        "result": result,
    }


def test_a_failed_command_is_recorded_and_the_rest_still_counts() -> None:
    entry = {
        "server_location": {"ip_address": "127.0.0.1"},
        "connectivity_result": {"highest_tls_version_supported": "TLS_1_2"},
        "scan_result": {
            "tls_1_2_cipher_suites": attempt(
                {
                    "accepted_cipher_suites": [
                        {
                            "cipher_suite": {
                                "name": "TLS_RSA_WITH_AES_128_GCM_SHA256",
                                "key_size": 128,
                                "is_anonymous": False,
                            },
                            "ephemeral_key": None,
                        }
                    ]
                }
            ),
            "tls_1_3_cipher_suites": attempt(None, "ERROR"),
            "tls_fallback_scsv": attempt({"supports_fallback_scsv": True}),
            "http_headers": attempt(
                {
                    "http_error_trace": "Traceback\nOSError: reset",
                    "strict_transport_security_header": None,
                }
            ),
            "tls_compression": {"status": "NOT_SCHEDULED", "result": None},
        },
    }
    f = facts_from_sslyze_json(entry)
    assert f.offered("TLSv1.2") is True
    assert f.offered("TLSv1.3") is None  # not tested, never "not offered"
    assert "TLSv1.3" not in f.protocols
    assert set(f.errors) == {"tls_1_3_cipher_suites"}
    assert "TlsHandshakeTimedOut" in f.errors["tls_1_3_cipher_suites"]
    assert f.fallback_scsv is True and f.compression is None
    assert f.hsts is None and f.http_error == "OSError: reset"  # no answer is not "no HSTS"
    assert (f.ip, f.highest_version) == ("127.0.0.1", "TLSv1.2")


def test_a_failed_http_headers_command_is_also_the_http_error() -> None:
    f = facts_from_sslyze_json({"scan_result": {"http_headers": attempt(None, "ERROR")}})
    assert f.hsts is None and f.http_error == f.errors["http_headers"]
    assert f.http_error == "CONNECTIVITY_ISSUE: sslyze.errors.TlsHandshakeTimedOut: timed out"


def test_every_scheduled_command_has_one_normaliser_in_scan_order() -> None:
    # The table's order is the order of Facts.protocols and Facts.errors in a snapshot.
    assert tuple(NORMALISERS) == (*SCAN_COMMANDS, "http_headers")


def test_importing_the_scan_package_does_not_import_sslyze() -> None:
    plugins = Path(__file__).resolve().parents[2] / "plugins"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import tlsreport.scan; "
        "print('sslyze' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(plugins)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "False"
